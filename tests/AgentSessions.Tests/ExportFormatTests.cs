using System.Text;
using System.Text.Json;
using AgentSessions.Formats;
using AgentSessions.Formats.Import;
using AgentSessions.Storage;
using AgentSessions.Testing;
using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;
using Xunit;

namespace AgentSessions.Tests;

/// <summary>Markdown (parsed by Markdig), HTML, JSONL and base64 exports.</summary>
public sealed class ExportFormatTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 21, 9, 30, 0, TimeSpan.Zero);

    private const string Hostile = "<script>alert('x')</script> and <img src=x onerror=alert(1)> & \"quotes\"";

    private static Session Session => new() { Id = "fmt", Title = "Formats <b>bold</b>", CreatedAt = T, UpdatedAt = T, MessageCount = 3, Tags = ["a"] };

    private static List<SessionMessage> Messages =>
    [
        new() { Id = "m1", Sequence = 1, Role = MessageRole.User, Parts = [new TextPart(Hostile)], CreatedAt = T },
        new()
        {
            Id = "m2", Sequence = 2, Role = MessageRole.Assistant, CreatedAt = T.AddSeconds(1), OutputTokens = 3,
            Parts = [new TextPart("Running it."), new ToolCallPart("c1", "shell", JsonDocument.Parse("""{"cmd":"echo <b>"}""").RootElement)],
        },
        new()
        {
            Id = "m3", Sequence = 3, Role = MessageRole.Tool, CreatedAt = T.AddSeconds(2),
            Parts = [new ToolResultPart("c1", JsonDocument.Parse("\"```\\n<b>\\n```\"").RootElement), new DataPart([137, 80, 78, 71], "image/png", "p.png")],
        },
    ];

    private static SessionDetails Details => new()
    {
        Snapshots = [new Snapshot { Name = "s1", MessageCount = 2, CreatedAt = T, Description = "<i>desc</i>" }],
        Bookmarks = [new Bookmark("b1", 2, T) { Note = "<u>note</u>" }],
        ToolExecutions = [new ToolExecution { Id = "e1", ToolName = "shell<x>", CreatedAt = T, DurationMs = 5 }],
        Files = [new FileChange("src/<a>.cs", FileChangeKind.Created, T)],
    };

    private static async Task<string> Render(Func<Stream, Task> write)
    {
        using var stream = new MemoryStream();
        await write(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    [Fact]
    public async Task Markdown_parses_into_a_heading_per_message_with_tool_traffic_in_code_blocks()
    {
        var markdown = await Render(s => MarkdownExporter.WriteAsync(s, Session, Messages.ToAsyncEnumerable()));

        var document = Markdown.Parse(markdown);

        var headings = document.Descendants<HeadingBlock>().Select(h => (h.Level, Text: string.Concat(h.Inline!.Descendants<LiteralInline>().Select(l => l.Content.ToString())))).ToList();
        Assert.Equal((1, "Formats <b>bold</b>"), headings[0]);
        Assert.Equal(["1. User · 2026-11-21 09:30:00 UTC", "2. Assistant · 2026-11-21 09:30:01 UTC", "3. Tool · 2026-11-21 09:30:02 UTC"], headings.Where(h => h.Level == 2).Select(h => h.Text));
        var code = document.Descendants<FencedCodeBlock>().ToList();
        Assert.Equal(["json", "text"], code.Select(c => c.Info));
        Assert.Contains("\"cmd\": \"echo <b>\"", code[0].Lines.ToString(), StringComparison.Ordinal);
        // The result contains a ``` fence of its own; it must stay inside the block.
        Assert.Equal("```\n<b>\n```", code[1].Lines.ToString());
    }

    [Fact]
    public async Task Html_is_self_contained_and_every_piece_of_content_is_inert_text()
    {
        var html = await Render(s => HtmlExporter.WriteAsync(s, Session, Messages.ToAsyncEnumerable(), Details));

        Assert.StartsWith("<!doctype html>", html, StringComparison.Ordinal);
        Assert.Contains("Content-Security-Policy\" content=\"default-src 'none'", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img src=x", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("onerror=alert", html.Replace("onerror=alert(1)&gt;", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", html, StringComparison.Ordinal);
        Assert.Contains("Formats &lt;b&gt;bold&lt;/b&gt;", html, StringComparison.Ordinal);
        Assert.Contains("&lt;i&gt;desc&lt;/i&gt;", html, StringComparison.Ordinal);
        Assert.Contains("shell&lt;x&gt;", html, StringComparison.Ordinal);
        Assert.Contains("src/&lt;a&gt;.cs", html, StringComparison.Ordinal);
        Assert.Contains("<img alt=\"p.png\" src=\"data:image/png;base64,iVBORw==\">", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jsonl_writes_a_header_then_a_message_per_line_and_reads_back_exactly()
    {
        var jsonl = await Render(s => SessionJsonlFormat.WriteAsync(s, Session, Messages.ToAsyncEnumerable(), Details));
        var lines = jsonl.TrimEnd('\n').Split('\n');

        Assert.Equal(4, lines.Length);
        Assert.Contains("\"format\":\"agent-sessions-jsonl\"", lines[0], StringComparison.Ordinal);
        var archive = await SessionJsonlFormat.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(jsonl)), "x.jsonl");
        Assert.Equal(Messages.Select(Json), archive.Messages.Select(Json));
        Assert.Equal("s1", Assert.Single(archive.Snapshots).Name);
        Assert.Equal("e1", Assert.Single(archive.ToolExecutions).Id);

        var broken = string.Join('\n', lines[0], lines[1], lines[2][..20]);
        var e = await Assert.ThrowsAsync<AgentSessionsException>(() => SessionJsonlFormat.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(broken)), "cut.jsonl"));
        Assert.Equal(ErrorCode.Corrupt, e.Code);
        Assert.StartsWith("cut.jsonl: line 3", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Our_json_jsonl_and_base64_files_are_detected_and_read_by_the_importer()
    {
        using var temp = TempDirectory.ForCaller();
        var json = await Render(s => SessionJsonFormat.WriteAsync(s, Session, Messages.ToAsyncEnumerable(), Details));
        var jsonl = await Render(s => SessionJsonlFormat.WriteAsync(s, Session, Messages.ToAsyncEnumerable(), Details));
        var files = new Dictionary<string, string>
        {
            ["a.json"] = json,
            ["b.jsonl"] = jsonl,
            ["c.b64"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(json), Base64FormattingOptions.InsertLineBreaks),
            ["d-bom.json"] = "\uFEFF" + json,
            ["e-bom.jsonl"] = "\uFEFF" + jsonl,
        };
        var importer = new AgentSessionsImporter();
        foreach (var (name, content) in files)
        {
            var path = temp.Combine(name);
            await File.WriteAllTextAsync(path, content);
            var source = new ImportSource(path);

            Assert.True(importer.CanRead(source), name);
            var archive = Assert.Single(await importer.ReadAsync(source, new ImportOptions()).ToListAsync());
            Assert.Equal(Messages.Select(Json), archive.Messages.Select(Json));
            Assert.Equal("b1", Assert.Single(archive.Bookmarks).Name);
        }

        // Short files fit in the sniffed head with their '=' padding; every padding length must be recognised.
        foreach (var title in new[] { "a", "ab", "abc" })
        {
            var small = await Render(s => SessionJsonFormat.WriteAsync(s, Session with { Title = title }, AsyncEnumerable.Empty<SessionMessage>()));
            var path = temp.Combine($"small-{title}.b64");
            await File.WriteAllTextAsync(path, Convert.ToBase64String(Encoding.UTF8.GetBytes(small)));
            Assert.True(importer.CanRead(new ImportSource(path)), path);
        }

        await File.WriteAllTextAsync(temp.Combine("bad.b64"), Convert.ToBase64String(Encoding.UTF8.GetBytes(json))[..200] + "!!!");
        var e = await Assert.ThrowsAsync<AgentSessionsException>(async () => await importer.ReadAsync(new ImportSource(temp.Combine("bad.b64")), new ImportOptions()).ToListAsync());
        Assert.Equal(ErrorCode.Corrupt, e.Code);
    }

    private static string Json(SessionMessage m) => JsonSerializer.Serialize(m, AgentSessionsJson.Context.SessionMessage);
}
