using System.Text;
using System.Text.Json;
using AgentSessions.Formats;
using AgentSessions.Server.Pages;
using AgentSessions.Storage;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Server.Tests.Pages;

/// <summary>
/// The HTML of messages, pinned by committed files (tests/AgentSessions.Server.Tests/Golden): what the pages write
/// for each message and what <c>export --format html</c> writes for the same session. Both come from one message
/// view; these files are how a change to it shows up in review, byte by byte.
/// </summary>
/// <remarks>
/// A deliberate change rewrites the files with <c>AGENT_SESSIONS_UPDATE_GOLDEN=1</c> (the test then fails once, so
/// the new files are looked at and committed, never accepted silently).
/// </remarks>
public sealed class HtmlMessageGoldenTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 21, 9, 30, 0, 123, TimeSpan.FromHours(5.5));

    private static string GoldenDirectory => Path.Combine(SeedFixtures.RepositoryRoot, "tests", "AgentSessions.Server.Tests", "Golden");

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private const string Controls = "bell \u0007, escape \u001b[2J, NEL \u0085, DEL \u007f, right-to-left \u202eevil\u202c, tab\tand new\nline";

    /// <summary>Every part kind, every optional header field, hostile text and control characters.</summary>
    private static readonly Session Session = new()
    {
        Id = "golden-html", Title = "Golden <b>&</b> ✓", CreatedAt = T, UpdatedAt = T.AddMinutes(5), MessageCount = 6,
        InputTokens = 12_345, OutputTokens = 678, Model = "model-<x>", Tags = ["a", "b<c>"], ParentId = "parent-0", ForkSequence = 2,
    };

    private static readonly List<SessionMessage> Messages =
    [
        new()
        {
            Id = "m1", Sequence = 1, Role = MessageRole.System, CreatedAt = T, Parts = [new TextPart("You are terse. " + Controls)],
        },
        new()
        {
            Id = "m2", Sequence = 2, Role = MessageRole.User, CreatedAt = T.AddSeconds(1), AuthorName = "ana <admin>", InputTokens = 1_234,
            Parts =
            [
                new TextPart("**bold** <script>alert(1)</script> [x](javascript:alert(2)) [ok](https://example.com/?a=1&b=2)\n```sh\nls <dir>\n```"),
                new DataPart([137, 80, 78, 71], "image/png", "shot \"1\".png"),
                new DataPart([1, 2, 3], "image/svg+xml", "<svg>.svg"),
                new DataPart(new byte[2048], "application/pdf", null),
                new UriPart("https://example.com/a?b=c&d=é", "text/html"),
                new UriPart("javascript:alert(3)", "text/<x>"),
            ],
        },
        new()
        {
            Id = "m3", Sequence = 3, Role = MessageRole.Assistant, CreatedAt = T.AddSeconds(2), InputTokens = 10, OutputTokens = 2_000_000, Model = "model-<y>",
            Parts =
            [
                new ReasoningPart("Think *first* " + Controls),
                new TextPart("Running it."),
                new ToolCallPart("c1\"><x>", "shell<x>", Json("""{"cmd":"echo <b> & \"q\"","n":[1,2]}""")),
                new ToolCallPart("c2", "noargs", null),
            ],
        },
        new()
        {
            Id = "m4", Sequence = 4, Role = MessageRole.Tool, CreatedAt = T.AddSeconds(3),
            Parts =
            [
                new ToolResultPart("c1\"><x>", Json("\"```\\n<b>\\n```\\u0007\"")),
                new ToolResultPart("c2", Json("""{"ok":false,"why":"<no>"}"""), IsError: true),
                new ToolResultPart("c3", null),
            ],
        },
        new() { Id = "m5", Sequence = 5, Role = MessageRole.Assistant, CreatedAt = T.AddSeconds(4), Parts = [] },
        new() { Id = "m6", Sequence = 6, Role = MessageRole.Assistant, CreatedAt = T.AddSeconds(5), Parts = [new TextPart(new string('>', 100) + " deep")] },
    ];

    private static readonly SessionDetails Details = new()
    {
        Snapshots = [new Snapshot { Name = "s<1>", MessageCount = 2, CreatedAt = T, Description = "<i>desc</i>" }],
        Bookmarks = [new Bookmark("b1", 3, T) { Note = "<u>note</u>" }],
        ToolExecutions = [new ToolExecution { Id = "e1", ToolName = "shell<x>", CreatedAt = T, DurationMs = 5 }],
        Files = [new FileChange("src/<a>.cs", FileChangeKind.Created, T)],
    };

    [Fact]
    public void The_pages_write_each_message_as_the_golden_file_holds_it()
        => AssertGolden("page-messages.html", string.Concat(Messages.Select(MessageView.Message)));

    [Fact]
    public async Task The_html_export_writes_the_golden_file()
    {
        using var stream = new MemoryStream();
        await HtmlExporter.WriteAsync(stream, Session, Messages.ToAsyncEnumerable(), Details);
        AssertGolden("export.html", Encoding.UTF8.GetString(stream.ToArray()));
    }

    private static void AssertGolden(string name, string actual)
    {
        var path = Path.Combine(GoldenDirectory, name);
        if (Environment.GetEnvironmentVariable("AGENT_SESSIONS_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual, new UTF8Encoding(false));
            Assert.Fail($"{path} rewritten: look at the difference, commit it, and run again without AGENT_SESSIONS_UPDATE_GOLDEN");
        }

        Assert.True(File.Exists(path), $"{path} is missing: run once with AGENT_SESSIONS_UPDATE_GOLDEN=1");
        Assert.Equal(File.ReadAllText(path), actual);
    }
}
