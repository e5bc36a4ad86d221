using System.Text;
using System.Text.Json;
using AgentSessions.Formats;
using Xunit;

namespace AgentSessions.Tests;

public sealed class FormatTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 21, 9, 30, 0, TimeSpan.Zero);

    private static Session Session => new() { Id = "s-1", Title = "Demo *bold* # not heading", CreatedAt = T, UpdatedAt = T, Tags = ["x"], MessageCount = 2 };

    private static List<SessionMessage> Messages =>
    [
        new() { Id = "m1", Sequence = 1, Role = MessageRole.User, Parts = [new TextPart("Run `ls`, please.")], CreatedAt = T },
        new()
        {
            Id = "m2", Sequence = 2, Role = MessageRole.Assistant, CreatedAt = T.AddSeconds(5), OutputTokens = 9, Model = "m",
            Parts =
            [
                new ToolCallPart("c1", "shell", JsonDocument.Parse("""{"cmd":"ls"}""").RootElement),
                new ToolResultPart("c1", JsonDocument.Parse("\"```\\nREADME.md\\n```\"").RootElement),
            ],
        },
    ];

    [Fact]
    public async Task Json_export_reads_back_identically()
    {
        using var stream = new MemoryStream();
        await SessionJsonFormat.WriteAsync(stream, Session, Messages.ToAsyncEnumerable());
        stream.Position = 0;

        var archive = await SessionJsonFormat.ReadAsync(stream, "x.json");
        var (session, messages) = (archive.Session, archive.Messages);

        Assert.Equal(JsonSerializer.Serialize(Session, AgentSessionsJson.Context.Session), JsonSerializer.Serialize(session, AgentSessionsJson.Context.Session));
        Assert.Equal(
            Messages.Select(m => JsonSerializer.Serialize(m, AgentSessionsJson.Context.SessionMessage)),
            messages.Select(m => JsonSerializer.Serialize(m, AgentSessionsJson.Context.SessionMessage)));
        var text = Encoding.UTF8.GetString(stream.ToArray());
        Assert.Contains("\"format\": \"agent-sessions\"", text, StringComparison.Ordinal);
        Assert.Contains("\"version\": 2", text, StringComparison.Ordinal);
        Assert.Contains("\"seq\": 2", text, StringComparison.Ordinal);
        Assert.Contains("\"type\": \"toolCall\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("searchText", text, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("{\"format\":\"agent-sessions\",\"version\":1,\"session\":", "not valid JSON at line 1")]
    [InlineData("[1,2,3]", "not an agent-sessions export")]
    [InlineData("{\"format\":\"other\"}", "not an agent-sessions export")]
    [InlineData("{\"format\":\"agent-sessions\"}", "no valid \"version\"")]
    [InlineData("{\"format\":\"agent-sessions\",\"version\":1}", "no \"session\" object")]
    [InlineData("{\"format\":\"agent-sessions\",\"version\":1,\"session\":{\"id\":\"a\",\"createdAt\":\"2026-01-01T00:00:00Z\",\"updatedAt\":\"2026-01-01T00:00:00Z\"}}", "no \"messages\" array")]
    [InlineData("{\"format\":\"agent-sessions\",\"version\":1,\"session\":{\"id\":\"a\",\"createdAt\":\"2026-01-01T00:00:00Z\",\"updatedAt\":\"2026-01-01T00:00:00Z\"},\"messages\":[{\"id\":\"m\",\"seq\":2,\"role\":\"user\",\"parts\":[],\"createdAt\":\"2026-01-01T00:00:00Z\"}]}", "sequence number 2")]
    [InlineData("{\"format\":\"agent-sessions\",\"version\":1,\"session\":{\"id\":\"a\",\"createdAt\":\"2026-01-01T00:00:00Z\",\"updatedAt\":\"2026-01-01T00:00:00Z\"},\"messages\":[{\"id\":\"m\",\"seq\":1,\"role\":\"wizard\",\"parts\":[],\"createdAt\":\"2026-01-01T00:00:00Z\"}]}", "message 1")]
    public async Task Malformed_exports_are_refused_naming_the_file_and_the_problem(string json, string expected)
    {
        var e = await Assert.ThrowsAsync<AgentSessionsException>(() => SessionJsonFormat.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(json)), "bad.json"));

        Assert.Equal(ErrorCode.Corrupt, e.Code);
        Assert.StartsWith("bad.json: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_newer_export_version_is_refused_as_unsupported()
    {
        var e = await Assert.ThrowsAsync<AgentSessionsException>(() => SessionJsonFormat.ReadAsync(new MemoryStream("{\"format\":\"agent-sessions\",\"version\":3}"u8.ToArray()), "new.json"));
        Assert.Equal(ErrorCode.UnsupportedVersion, e.Code);
    }

    [Fact]
    public async Task Invalid_utf8_in_an_export_is_a_clear_error()
    {
        var bytes = "{\"format\":\"agent-sessions\",\"version\":1,\"x\":\""u8.ToArray().Concat(new byte[] { 0xff, 0xfe }).Concat("\"}"u8.ToArray()).ToArray();
        var e = await Assert.ThrowsAsync<AgentSessionsException>(() => SessionJsonFormat.ReadAsync(new MemoryStream(bytes), "latin.json"));
        Assert.Equal(ErrorCode.Corrupt, e.Code);
    }

    [Fact]
    public async Task Markdown_has_a_heading_per_message_and_fences_longer_than_the_content()
    {
        using var stream = new MemoryStream();
        await MarkdownExporter.WriteAsync(stream, Session, Messages.ToAsyncEnumerable());
        var markdown = Encoding.UTF8.GetString(stream.ToArray());

        Assert.StartsWith("# Demo \\*bold\\* \\# not heading\n", markdown, StringComparison.Ordinal);
        Assert.Contains("\n## 1. User · 2026-11-21 09:30:00 UTC\n", markdown, StringComparison.Ordinal);
        Assert.Contains("\n## 2. Assistant · 2026-11-21 09:30:05 UTC\n", markdown, StringComparison.Ordinal);
        Assert.Contains("**Tool call** `shell` (id `c1`)\n\n```json\n{\n  \"cmd\": \"ls\"\n}\n```", markdown, StringComparison.Ordinal);
        // The result holds a ``` fence itself, so its block needs a longer one.
        Assert.Contains("````text\n```\nREADME.md\n```\n````", markdown, StringComparison.Ordinal);
    }
}
