using System.Text;
using System.Text.Json;
using AgentSessions.Formats;
using AgentSessions.Storage;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Tests;

/// <summary>
/// Our own export format pinned by committed files (tests/AgentSessions.Tests/Golden): the writer must produce them
/// byte for byte, the reader must give back exactly the session they were written from, and a hand-made version 1
/// file must still read. A writer-against-reader round trip alone would pass a renamed or dropped field.
/// </summary>
/// <remarks>
/// A deliberate change to the format rewrites the files with <c>AGENT_SESSIONS_UPDATE_GOLDEN=1</c> (the test then
/// fails once, so the new files are looked at and committed, never accepted silently).
/// </remarks>
public sealed class GoldenExportTests
{
    private static readonly DateTimeOffset ExportedAt = new(2026, 12, 24, 18, 0, 0, TimeSpan.Zero);

    private static readonly DateTimeOffset T = new(2026, 11, 21, 9, 30, 0, 123, TimeSpan.FromHours(5.5));

    private static string GoldenDirectory => Path.Combine(SeedFixtures.RepositoryRoot, "tests", "AgentSessions.Tests", "Golden");

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    /// <summary>Every part kind, every optional field, history of each kind, lineage, metadata and hard unicode.</summary>
    internal static SessionArchive Archive { get; } = new()
    {
        Session = new Session
        {
            Id = "golden-1",
            Title = "Golden ✓ «ünïcödé» 日本語 שלום 🧪 \"quoted\" \\ <b>&</b>",
            CreatedAt = T,
            UpdatedAt = T.AddMinutes(5),
            Model = "model-x",
            ProjectPath = "/home/ana/src/project ñ",
            Tags = ["golden", "tag with space", "ünï"],
            Pinned = true,
            ParentId = "parent-0",
            ForkSequence = 2,
            Metadata = new Dictionary<string, JsonElement>
            {
                ["nested"] = Json("""{"a":[1,2.50,null,true],"b":{"c":"d"}}"""),
                ["number"] = Json("1e3"),
                ["text"] = Json("\"line1\\nline2\\ttab \\u0001 \\ud83e\\uddea\""),
            },
            MessageCount = 4,
            InputTokens = 12,
            OutputTokens = 34,
        },
        Messages =
        [
            new()
            {
                Id = "m1", Sequence = 1, Role = MessageRole.System, CreatedAt = T,
                Parts = [new TextPart("You are terse.\nLine two\r\n\ttabbed, NUL-free \u0007 bell, e\u0301 combining, \u202Eright-to-left\u202C")],
            },
            new()
            {
                Id = "m2", Sequence = 2, Role = MessageRole.User, CreatedAt = T.AddSeconds(1), AuthorName = "ana", InputTokens = 12,
                Parts = [new TextPart("Run `ls` & show me <script>alert(1)</script> 🧪"), new UriPart("https://example.com/a?b=c&d=é", "text/html"), new DataPart([0, 1, 2, 253, 254, 255], "application/octet-stream", "bytes.bin")],
                Metadata = new Dictionary<string, JsonElement> { ["client"] = Json("\"cli\""), ["ids"] = Json("[1,2]") },
            },
            new()
            {
                Id = "m3", Sequence = 3, Role = MessageRole.Assistant, CreatedAt = T.AddSeconds(2), OutputTokens = 34, Model = "model-x",
                Parts =
                [
                    new ReasoningPart("Thinking… about ünïcode", "opaque+/=="),
                    new ReasoningPart("no protected data"),
                    new TextPart("Running it."),
                    new ToolCallPart("call-1", "shell", Json("""{"cmd":"ls -la","env":{"LANG":"C.UTF-8"},"n":[1,2.5,-0.0]}""")),
                    new ToolCallPart("call-2", "noargs", null),
                ],
            },
            new()
            {
                Id = "m4", Sequence = 4, Role = MessageRole.Tool, CreatedAt = T.AddSeconds(3),
                Parts = [new ToolResultPart("call-1", Json("\"total 0\\n\"")), new ToolResultPart("call-2", Json("""{"error":"boom"}"""), IsError: true), new ToolResultPart("call-3", null)],
            },
        ],
        Snapshots =
        [
            new Snapshot { Name = "start", MessageCount = 2, CreatedAt = T.AddSeconds(1) },
            new Snapshot
            {
                Name = "after-tools", Description = "all four ✓", MessageCount = 4, Title = "Golden at four", Tags = ["golden"],
                Metadata = new Dictionary<string, JsonElement> { ["why"] = Json("\"checkpoint\"") }, CreatedAt = T.AddSeconds(4),
            },
        ],
        Bookmarks = [new Bookmark("question", 2, T.AddSeconds(1)) { Note = "the ask 🧪" }, new Bookmark("bare", 3, T.AddSeconds(2))],
        ToolExecutions =
        [
            new ToolExecution
            {
                Id = "exec-1", ToolName = "shell", CallId = "call-1", Arguments = Json("""{"cmd":"ls -la"}"""), Result = Json("\"total 0\\n\""),
                Success = true, DurationMs = 15, AgentName = "builder", Sequence = 3, CreatedAt = T.AddSeconds(3),
            },
            new ToolExecution { Id = "exec-2", ToolName = "noargs", Success = false, CreatedAt = T.AddSeconds(3) },
        ],
        Files =
        [
            new FileChange("src/Ünï code.cs", FileChangeKind.Created, T.AddSeconds(3)) { AgentName = "builder", Sequence = 3 },
            new FileChange("README.md", FileChangeKind.Modified, T.AddSeconds(4)),
        ],
    };

    private static SessionDetails Details(SessionArchive archive) => new()
    {
        Snapshots = archive.Snapshots,
        Bookmarks = archive.Bookmarks,
        ToolExecutions = archive.ToolExecutions,
        Files = archive.Files,
    };

    private static async Task<byte[]> WriteJsonAsync(SessionArchive archive)
    {
        using var stream = new MemoryStream();
        await SessionJsonFormat.WriteAsync(stream, archive.Session, archive.Messages.ToAsyncEnumerable(), Details(archive), new FixedClock(ExportedAt));
        return stream.ToArray();
    }

    private static async Task<byte[]> WriteJsonlAsync(SessionArchive archive)
    {
        using var stream = new MemoryStream();
        await SessionJsonlFormat.WriteAsync(stream, archive.Session, archive.Messages.ToAsyncEnumerable(), Details(archive), new FixedClock(ExportedAt));
        return stream.ToArray();
    }

    public static TheoryData<string> GoldenFiles => ["agent-sessions-v2.json", "agent-sessions-v2.jsonl"];

    private static Task<byte[]> WriteAsync(string file, SessionArchive archive) => file.EndsWith(".jsonl", StringComparison.Ordinal) ? WriteJsonlAsync(archive) : WriteJsonAsync(archive);

    private static async Task<SessionArchive> ReadAsync(string file, byte[] bytes)
        => file.EndsWith(".jsonl", StringComparison.Ordinal)
            ? await SessionJsonlFormat.ReadAsync(new MemoryStream(bytes), file)
            : await SessionJsonFormat.ReadAsync(new MemoryStream(bytes), file);

    [Theory]
    [MemberData(nameof(GoldenFiles))]
    public async Task Writing_the_fixed_session_produces_the_golden_file_byte_for_byte(string file)
    {
        var path = Path.Combine(GoldenDirectory, file);
        var written = await WriteAsync(file, Archive);
        if (Environment.GetEnvironmentVariable("AGENT_SESSIONS_UPDATE_GOLDEN") == "1")
        {
            await File.WriteAllBytesAsync(path, written);
            Assert.Fail($"{path} rewritten (AGENT_SESSIONS_UPDATE_GOLDEN=1): review the diff, commit it, and run again without the variable");
        }

        var golden = await File.ReadAllBytesAsync(path);
        if (!golden.AsSpan().SequenceEqual(written))
        {
            // Name the first difference: a byte dump of two whole files helps nobody.
            var at = golden.AsSpan().CommonPrefixLength(written);
            var line = 1 + golden.AsSpan(0, at).Count((byte)'\n');
            string Around(byte[] bytes) => Encoding.UTF8.GetString(bytes, Math.Max(0, at - 60), Math.Min(bytes.Length, at + 60) - Math.Max(0, at - 60));
            Assert.Fail($"the writer no longer produces {file}: first difference at byte {at} (line {line}).\n--- golden:\n{Around(golden)}\n--- written:\n{Around(written)}\n"
                + "A deliberate format change: bump the version if an older reader could no longer read the file, then AGENT_SESSIONS_UPDATE_GOLDEN=1.");
        }
    }

    [Theory]
    [MemberData(nameof(GoldenFiles))]
    public async Task Reading_the_golden_file_gives_back_the_session_exactly(string file)
    {
        var golden = await File.ReadAllBytesAsync(Path.Combine(GoldenDirectory, file));

        var read = await ReadAsync(file, golden);

        AssertSameArchive(Archive, read);
        if (file.EndsWith(".jsonl", StringComparison.Ordinal))
        {
            // And nothing the reader kept is lost on the way out again. (Not for the indented file: a JSON value read
            // from it keeps its indentation in GetRawText, so a tool result's derived "text" differs in whitespace.)
            Assert.Equal(Encoding.UTF8.GetString(golden), Encoding.UTF8.GetString(await WriteAsync(file, read)));
        }
    }

    [Fact]
    public async Task A_hand_made_version_1_file_reads_as_written_with_no_history()
    {
        // Version 1 as its writer left it (before c815cdc): no history arrays, the default encoder's \u escapes
        // for every non-ASCII and HTML-significant character, and "text" beside each message's parts.
        var path = Path.Combine(GoldenDirectory, "agent-sessions-v1.json");

        var read = await SessionJsonFormat.ReadAsync(File.OpenRead(path), path);

        var expected = new SessionArchive
        {
            Session = new Session
            {
                Id = "v1-session", Title = "Version one é <b>", CreatedAt = new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero),
                UpdatedAt = new DateTimeOffset(2026, 11, 1, 8, 5, 0, TimeSpan.FromHours(1)), Model = "old-model", Tags = ["v1"],
                ParentId = "v1-parent", ForkSequence = 1, Metadata = new Dictionary<string, JsonElement> { ["source"] = Json("\"v1\"") },
                MessageCount = 3, InputTokens = 3, OutputTokens = 7,
            },
            Messages =
            [
                new() { Id = "a1", Sequence = 1, Role = MessageRole.User, Parts = [new TextPart("Hi ünï 🧪 \"q\"")], CreatedAt = new DateTimeOffset(2026, 11, 1, 8, 0, 1, TimeSpan.Zero), InputTokens = 3 },
                new()
                {
                    Id = "a2", Sequence = 2, Role = MessageRole.Assistant, CreatedAt = new DateTimeOffset(2026, 11, 1, 8, 0, 2, TimeSpan.Zero), OutputTokens = 7, Model = "old-model",
                    Parts = [new TextPart("Calling."), new ToolCallPart("c1", "shell", Json("""{"cmd":"ls"}"""))],
                },
                new()
                {
                    Id = "a3", Sequence = 3, Role = MessageRole.Tool, CreatedAt = new DateTimeOffset(2026, 11, 1, 8, 0, 3, TimeSpan.Zero),
                    Parts = [new ToolResultPart("c1", Json("\"a.txt\""), IsError: false), new DataPart([1, 2, 3], "image/png", "x.png")],
                    Metadata = new Dictionary<string, JsonElement> { ["k"] = Json("[1]") },
                },
            ],
        };
        AssertSameArchive(expected, read);
        Assert.Empty(read.Snapshots);
        Assert.Empty(read.Bookmarks);
        Assert.Empty(read.ToolExecutions);
        Assert.Empty(read.Files);
    }

    /// <summary>
    /// Field by field, through the model's own serializer, so JSON values, byte arrays and offsets compare by value.
    /// A message's "text" is left out: it is derived from the parts (which are compared), and for a tool result it is
    /// the result's raw text, whose whitespace depends on the file the result was read from.
    /// </summary>
    private static void AssertSameArchive(SessionArchive expected, SessionArchive actual)
    {
        static string Of<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(JsonSerializer.Serialize(value, info))!;
            if (node is System.Text.Json.Nodes.JsonObject message && message.ContainsKey("parts"))
            {
                message.Remove("text");
            }

            return node.ToJsonString();
        }

        var context = AgentSessionsJson.Context;
        Assert.Equal(Of(expected.Session, context.Session), Of(actual.Session, context.Session));
        Assert.Equal(expected.Messages.Count, actual.Messages.Count);
        for (var i = 0; i < expected.Messages.Count; i++)
        {
            Assert.Equal(Of(expected.Messages[i], context.SessionMessage), Of(actual.Messages[i], context.SessionMessage));
            Assert.Equal(expected.Messages[i].Parts.Select(p => p.GetType()), actual.Messages[i].Parts.Select(p => p.GetType()));
        }

        Assert.Equal(Of(expected.Snapshots.ToList(), context.ListSnapshot), Of(actual.Snapshots.ToList(), context.ListSnapshot));
        Assert.Equal(Of(expected.Bookmarks.ToList(), context.ListBookmark), Of(actual.Bookmarks.ToList(), context.ListBookmark));
        Assert.Equal(Of(expected.ToolExecutions.ToList(), context.ListToolExecution), Of(actual.ToolExecutions.ToList(), context.ListToolExecution));
        Assert.Equal(Of(expected.Files.ToList(), context.ListFileChange), Of(actual.Files.ToList(), context.ListFileChange));
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
