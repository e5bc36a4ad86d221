using System.CommandLine;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using AgentSessions.Cli;
using AgentSessions.Formats;
using AgentSessions.Formats.Import;
using AgentSessions.Import.AgentQ;
using AgentSessions.Import.Copilot;
using AgentSessions.Import.OpenAgent;
using AgentSessions.Import.SuperQode;
using AgentSessions.Server.Rpc;
using AgentSessions.Sharing;
using AgentSessions.Sqlite;
using AgentSessions.Storage;
using AgentSessions.Testing;

namespace AgentSessions.Tests.Fuzz;

/// <summary>Every fuzz target by name, with its seeds: the shared sample files and our own exports.</summary>
internal static class FuzzTargets
{
    private static readonly ISessionImporter[] Importers =
        [new AgentQImporter(), new OpenAgentImporter(), new SuperQodeImporter(), new CopilotCliImporter(), new AgentSessionsImporter()];

    private static readonly ImportOptions Options = new() { TimeZone = TimeZoneInfo.Utc };

    private static readonly string Scratch = Path.Combine(Path.GetTempPath(), "agent-sessions-fuzz", $"{Environment.ProcessId}-{Guid.NewGuid():N}");

    private static int _fileNumber;

    private static readonly Lazy<Dictionary<string, FuzzTarget>> Targets = new(Build);

    public static IReadOnlyDictionary<string, FuzzTarget> All => Targets.Value;

    public static FuzzTarget Get(string name) => All[name];

    private static Dictionary<string, FuzzTarget> Build()
    {
        var lisp = File.ReadAllBytes(SeedFixtures.Path("agent-q", "session-20261121-042522-8955.lisp"));
        var openAgent = File.ReadAllBytes(SeedFixtures.Path("openagent-terminal", "sessions", "2026-11-21_042521.json"));
        var superExport = File.ReadAllBytes(SeedFixtures.Path("superqode", "export-superqode-session-v1.json"));
        var superGz = File.ReadAllBytes(SeedFixtures.Path("superqode", "sessions", "session-1795235121.json.gz"));
        var superSession = Gunzip(superGz);
        var copilotDir = SeedFixtures.Path("copilot-cli", "session-state", "user-123-tool-demo");
        var events = File.ReadAllBytes(Path.Combine(copilotDir, "events.jsonl"));
        var workspace = File.ReadAllBytes(Path.Combine(copilotDir, "workspace.yaml"));
        var (ourJson, ourJsonl) = OwnExports();

        var targets = new FuzzTarget[]
        {
            new("agent-q", [lisp, Utf8(AgentQVersion1), Utf8(AgentQOdd)],
                input => ImportFileAsync(Importers[0], input, ".lisp"),
                Mutator.Utf8(":version", ":id", ":name", ":model", ":metadata", ":total-input-tokens", ":total-output-tokens", ":system", ":tool", "(27393 7474 0 0)", "(1 70000)", "(0 0 999999 999999999999)", ":created-at", ":updated-at", ":messages", ":role", ":user", ":assistant", ":content", ":timestamp", ":tokens", "4004223922", "#.(", "#+", "#|", "|#", "(a . b)", "\"\\\"\"")),
            new("openagent", [openAgent], input => ImportFileAsync(Importers[1], input, ".json"), JsonTokens),
            new("superqode-json", [superExport, superSession], input => ImportFileAsync(Importers[2], input, ".json"), JsonTokens),
            new("superqode-gz", [superGz], input => ImportFileAsync(Importers[2], input, ".json.gz")),
            new("superqode-gz-of-mutated", [superSession, superExport], input => ImportFileAsync(Importers[2], Gzip(input), ".json.gz"), JsonTokens),
            new("superqode-base64-of-mutated", [superExport, superSession], input => ImportFileAsync(Importers[2], Base64(input), ".b64"), JsonTokens),
            new("superqode-base64-gz-of-mutated", [superExport], input => ImportFileAsync(Importers[2], Base64(Gzip(input)), ".b64"), JsonTokens),
            new("superqode-base64", [Base64(superExport), Base64(superGz)], input => ImportFileAsync(Importers[2], input, ".b64"), Mutator.Utf8("-", "_", "=", "\n", "AAAA", "H4sI")),
            new("copilot-events", [events], input => ImportCopilotAsync(input, workspace), JsonTokens),
            new("copilot-workspace", [workspace], input => ImportCopilotAsync(events, input), Mutator.Utf8("id: ", "cwd: ", "created_at: ", "updated_at: ", "name: ", "'", "\"", "|", ">", "#", "\n  ")),
            new("agent-sessions-json", [ourJson], input => ImportFileAsync(Importers[4], input, ".json"), JsonTokens),
            new("agent-sessions-jsonl", [ourJsonl], input => ImportFileAsync(Importers[4], input, ".jsonl"), JsonTokens),
            new("agent-sessions-base64", [Base64(ourJson)], input => ImportFileAsync(Importers[4], input, ".b64"), Mutator.Utf8("-", "_", "=", "\n", "AAAA", "eyJ")),
            new("agent-sessions-base64-of-mutated", [ourJson], input => ImportFileAsync(Importers[4], Base64(input), ".b64"), JsonTokens),
            new("rpc-frames", [Frames(1), Frames(3), Frames(8)], ReadFramesAsync, ThrowsNothing: true, Tokens:
                Mutator.Utf8("Content-Length: 10\r\n\r\n", "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n", "\r\n", "\n", "\r", "CONTENT-LENGTH:", "Content-Length:  +5", "Content-Length: 4096", "Content-Length: 4097")),
            new("cli-args", CliSeeds(), ParseArgsAsync, CliTokens(), ThrowsNothing: true),
            new("search-query", SearchSeeds(), SearchAsync, Mutator.Utf8("\"", "*", " ", "a ", "AND", "OR", "NOT", "NEAR(", "(", ")", ":", "^", "-", "+", "title:", "\u00e9", "\u0130", "\u00df", "\u0000", "\t", "\u3000", "**", "\"\"")),
            new("share-export", [ourJson, ShareSeed()], ShareExportAsync, JsonTokens),
        };
        return targets.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    // Version 1 (Emacs time lists, newest message first) and the odd corners: nil content, dotted tails, system and tool roles.
    private const string AgentQVersion1 = """
        ;;; Agent-Q Session v1
        (:version 1 :id "old-session" :name nil :created-at (27393 7474 0 0)
         :metadata (:provider anthropic :total-input-tokens 7 :total-output-tokens 3)
         :messages ((:role assistant :content "second, the answer" :timestamp (27393 7484 250000))
                    (:role user :content "first, the question" :timestamp (27393 7480))))
        """;

    private const string AgentQOdd = """
        (:version 2 :id "s-1" :created-at 4004223922 :updated-at 4004223999 :model "m" :metadata nil
         :messages ((:role :system :content nil :extra (1 2 . 3)) (:role :tool :content "ok" :tool-id "x")
                    (:role :user :content "a" :timestamp nil)))
        """;

    private static readonly IReadOnlyList<byte[]> JsonTokens = Mutator.Utf8(
        "\"role\":\"user\"", "\"role\":\"assistant\"", "\"role\":\"tool\"", "\"role\":\"system\"", "\"content\":", "\"created_at\":", "\"updated_at\":",
        "\"timestamp\":", "\"parts\":", "\"type\":\"text\"", "\"type\":\"tool_call\"", "\"type\":\"data\"", "\"sequence\":", "\"messages\":[]", "\"metadata\":{}",
        "\"tool_calls\":", "\"arguments\":", "\"toolCallId\":", "\"format\":\"agent-sessions\"", "\"format\":\"agent-sessions-jsonl\"",
        "\"format\":\"superqode-session-v1\"", "\"version\":1", "\"version\":2", "\"version\":99", "\"session_id\":", "\"id\":\"\"", "\"id\":\"../../x\"",
        "\"id\":null", "\"data\":\"!!\"", "{}", "[]", "[[[[", "\"\"", "1.0e+309", "-1", "0.5", "1700000000", "1700000000000", "\"2026-11-21T04:25:21\"",
        "\"2026-11-21T04:25:21.123456789Z\"", "\"2026-11-21 04:25:21\"", "\"\\u0000\"");

    // ---- importers

    private static async Task ImportFileAsync(ISessionImporter importer, byte[] input, string extension)
    {
        var path = Path.Combine(Scratch, $"input-{Interlocked.Increment(ref _fileNumber)}{extension}");
        Directory.CreateDirectory(Scratch);
        await File.WriteAllBytesAsync(path, input);
        try
        {
            await ReadAllAsync(importer, new ImportSource(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task ImportCopilotAsync(byte[] events, byte[] workspace)
    {
        var directory = Path.Combine(Scratch, $"session-{Interlocked.Increment(ref _fileNumber)}");
        Directory.CreateDirectory(directory);
        await File.WriteAllBytesAsync(Path.Combine(directory, "events.jsonl"), events);
        await File.WriteAllBytesAsync(Path.Combine(directory, "workspace.yaml"), workspace);
        try
        {
            await ReadAllAsync(Importers[3], new ImportSource(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task ReadAllAsync(ISessionImporter importer, ImportSource source)
    {
        // Format detection runs on whatever the user points at: it must never throw.
        foreach (var any in Importers)
        {
            any.CanRead(source);
        }

        await foreach (var archive in importer.ReadAsync(source, Options))
        {
            // The contract every importer promises: messages numbered 1..n, and a session id.
            for (var i = 0; i < archive.Messages.Count; i++)
            {
                if (archive.Messages[i].Sequence != i + 1)
                {
                    throw new InvalidOperationException($"message {i} has sequence {archive.Messages[i].Sequence}, not {i + 1}");
                }
            }

            if (string.IsNullOrEmpty(archive.Session.Id))
            {
                throw new InvalidOperationException("an imported session has no id");
            }
        }
    }

    private static (byte[] Json, byte[] Jsonl) OwnExports()
    {
        var t = new DateTimeOffset(2026, 11, 21, 9, 30, 0, TimeSpan.Zero);
        var session = new Session { Id = "fuzz", Title = "Fuzz \"seed\" ✓", Model = "m", CreatedAt = t, UpdatedAt = t, MessageCount = 3, Tags = ["a", "b"] };
        List<SessionMessage> messages =
        [
            new() { Id = "m1", Sequence = 1, Role = MessageRole.User, Parts = [new TextPart("Hello (world) \\ \"q\" ünï")], CreatedAt = t },
            new()
            {
                Id = "m2", Sequence = 2, Role = MessageRole.Assistant, CreatedAt = t.AddSeconds(1), OutputTokens = 3,
                Parts = [new TextPart("Running it."), new ToolCallPart("c1", "shell", JsonDocument.Parse("""{"cmd":"echo <b>","n":[1,2.5,null]}""").RootElement)],
            },
            new()
            {
                Id = "m3", Sequence = 3, Role = MessageRole.Tool, CreatedAt = t.AddSeconds(2),
                Parts = [new ToolResultPart("c1", JsonDocument.Parse("\"ok\"").RootElement), new DataPart([137, 80, 78, 71], "image/png", "p.png")],
            },
        ];
        var details = new SessionDetails
        {
            Snapshots = [new Snapshot { Name = "s1", MessageCount = 2, CreatedAt = t, Description = "d" }],
            Bookmarks = [new Bookmark("b1", 2, t) { Note = "n" }],
            ToolExecutions = [new ToolExecution { Id = "e1", ToolName = "shell", CreatedAt = t, DurationMs = 5 }],
            Files = [new FileChange("src/a.cs", FileChangeKind.Created, t)],
        };
        using var json = new MemoryStream();
        SessionJsonFormat.WriteAsync(json, session, messages.ToAsyncEnumerable(), details).GetAwaiter().GetResult();
        using var jsonl = new MemoryStream();
        SessionJsonlFormat.WriteAsync(jsonl, session, messages.ToAsyncEnumerable(), details).GetAwaiter().GetResult();
        return (json.ToArray(), jsonl.ToArray());
    }

    // ---- JSON-RPC framing

    private const int MaxBody = 4096;

    private static byte[] Frames(int count)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            var body = $"{{\"jsonrpc\":\"2.0\",\"id\":{i},\"method\":\"sessions/list\",\"params\":{{\"text\":\"é{new string('x', i * 7)}\"}}}}";
            if (i % 2 == 1)
            {
                builder.Append("Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n");
            }

            builder.Append($"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n").Append(body);
        }

        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    /// <summary>Reads every frame; returns the first frame's problem (a malformed, truncated or too large frame), or null.</summary>
    private static async Task<string?> ReadFramesAsync(byte[] input)
    {
        // Delivered in small pieces of varying size (fixed by the input) so frames straddle reads.
        var reader = new FrameReader(new TrickleStream(input), MaxBody);
        string? refusal = null;
        for (var frames = 0; ; frames++)
        {
            if (frames > input.Length + 2)
            {
                throw new InvalidOperationException($"{frames} frames from {input.Length} bytes: the reader makes no progress");
            }

            var frame = await reader.ReadAsync();
            switch (frame.Kind)
            {
                case FrameKind.Message when frame.Body.Length > MaxBody:
                    throw new InvalidOperationException($"a {frame.Body.Length}-byte body over the {MaxBody}-byte limit");
                case FrameKind.Malformed or FrameKind.TooLarge when string.IsNullOrEmpty(frame.Problem):
                    throw new InvalidOperationException($"{frame.Kind} without a problem to report");
                case FrameKind.EndOfStream:
                    return refusal;
                case FrameKind.Truncated or FrameKind.TooLarge:
                    return refusal ?? $"frame {frames + 1}: {frame.Kind} {frame.Problem}";
                case FrameKind.Malformed:
                    refusal ??= $"frame {frames + 1}: {frame.Kind} {frame.Problem}";
                    break;
            }
        }
    }

    /// <summary>A read-only stream that returns 1 to 97 bytes per read, in a pattern fixed by the data.</summary>
    private sealed class TrickleStream(byte[] data) : Stream
    {
        private int _position;
        private uint _state = (uint)data.Length * 2654435761u + 1;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            _state = _state * 1664525u + 1013904223u;
            var n = Math.Min(Math.Min(buffer.Length, data.Length - _position), 1 + (int)(_state >> 16) % 97);
            data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    // ---- CLI arguments: the input is the argument array, arguments separated by NUL bytes

    public static string[] DecodeArgs(byte[] input) => input.Length == 0 ? [] : Encoding.UTF8.GetString(input).Split('\0');

    private static byte[] EncodeArgs(params string[] args) => Encoding.UTF8.GetBytes(string.Join('\0', args));

    // Built once: CliApp.StoreOption is static and recursive, so every BuildRootCommand() call adds the new tree to
    // its parents and keeps it alive. The tool builds one tree per process, so this only matters here.
    private static readonly Lazy<RootCommand> CliRoot = new(CliApp.BuildRootCommand);

    /// <summary>Parses the arguments; returns the parse errors, or null.</summary>
    private static Task<string?> ParseArgsAsync(byte[] input)
    {
        // Parse only: nothing is invoked, so no store is opened and no file is written.
        var result = CliApp.Parse(CliRoot.Value, DecodeArgs(input));
        var errors = string.Join("; ", result.Errors.Select(e => e.Message));
        _ = result.CommandResult.Command.Name;
        return Task.FromResult<string?>(errors.Length == 0 ? null : errors);
    }

    private static IReadOnlyList<byte[]> CliSeeds() =>
    [
        EncodeArgs("list"),
        EncodeArgs("--store", "/tmp/x", "list", "--json"),
        EncodeArgs("import", "a.lisp", "--format", "agent-q"),
        EncodeArgs("export", "s-1", "--format", "jsonl", "-o", "out.jsonl"),
        EncodeArgs("--help"),
        EncodeArgs("rpc", "--store", "s"),
    ];

    private static IReadOnlyList<byte[]> CliTokens()
    {
        var names = new HashSet<string>(StringComparer.Ordinal) { "--", "-", "--help", "-h", "-?", "--version", "[diagram]", "[suggest]", "--store=x", "-o:x", "\"\"", "@none.rsp", "-abc" };
        void Walk(Command command)
        {
            names.Add(command.Name);
            foreach (var alias in command.Aliases)
            {
                names.Add(alias);
            }

            foreach (var option in command.Options)
            {
                names.Add(option.Name);
                foreach (var alias in option.Aliases)
                {
                    names.Add(alias);
                }
            }

            foreach (var sub in command.Subcommands)
            {
                Walk(sub);
            }
        }

        Walk(CliRoot.Value);
        return [.. names.Order(StringComparer.Ordinal).Select(n => Encoding.UTF8.GetBytes("\0" + n + "\0")), .. Mutator.Utf8("\0", "=", ":", "-1", "99999999999999999999", "NaN", "2026-13-45")];
    }

    // ---- search: the query parser, then a real search on a small SQLite store

    private static readonly Lazy<SqliteSessionStore> SearchStore = new(() =>
    {
        // A short time limit: an expensive query must end as a refusal (AgentSessionsException), never run on.
        var store = SqliteSessionStore.Open(new SqliteStoreOptions(Path.Combine(Scratch, "search-store")) { SearchTimeout = TimeSpan.FromSeconds(2) });
        store.CreateAsync(new NewSession { Id = "fuzz", Title = "Fuzz the \"search\" parser" }).AsTask().GetAwaiter().GetResult();
        store.AppendAsync("fuzz", [
            new NewMessage(MessageRole.User, "How do I fsync a directory? a a a b \"quoted\" NEAR(x y) title:x"),
            new NewMessage(MessageRole.Assistant, "Open it read-only and call fsync(2) on the descriptor. \u00c9t\u00e9 \u0130stanbul stra\u00dfe"),
            new NewMessage(MessageRole.Assistant, string.Join(' ', Enumerable.Repeat("a", 3000))),
        ]).AsTask().GetAwaiter().GetResult();
        return store;
    });

    private static IReadOnlyList<byte[]> SearchSeeds() =>
        [Utf8("fsync"), Utf8("\"read-only and\" call*"), Utf8(string.Join(' ', Enumerable.Repeat("a", 60))), Utf8("\u00e9t\u00e9 STRASSE \u0130"), Utf8("* \" \"\" ** a*b \"unclosed")];

    private static async Task SearchAsync(byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);
        var terms = SearchTerms.Parse(text);
        if (terms.Count is 0 or > SearchTerms.MaxTerms)
        {
            throw new InvalidOperationException($"{terms.Count} terms accepted; a query holds 1 to {SearchTerms.MaxTerms}");
        }

        if (terms.Any(t => !t.Text.Any(char.IsLetterOrDigit)) || terms.Select(t => (t.Text.ToUpperInvariant(), t.IsPrefix)).Distinct().Count() != terms.Count)
        {
            throw new InvalidOperationException("a term without a letter or digit, or a repeated term, was accepted");
        }

        // Whatever the parser accepts must be a query the engine runs: an FTS5 syntax error would surface here as a
        // SqliteException, which is a bug (the user's text is never FTS5 syntax).
        await foreach (var hit in SearchStore.Value.SearchAsync(new SearchQuery(text) { Limit = 5 }))
        {
            if (hit.Highlights.Any(r => r.Start < 0 || r.Start + r.Length > hit.Snippet.Length))
            {
                throw new InvalidOperationException("a highlight outside its snippet");
            }
        }
    }

    // ---- share export: what a share hands out, from any archive an import accepts

    private static byte[] ShareSeed()
    {
        var t = new DateTimeOffset(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);
        var secret = JsonDocument.Parse("\"SECRET\"").RootElement;
        var session = new Session { Id = "SECRET-id", Title = "shared", Model = "SECRET-model", ProjectPath = "/SECRET/path", CreatedAt = t, UpdatedAt = t, MessageCount = 2, Tags = ["SECRET-tag"], Metadata = new Dictionary<string, JsonElement> { ["api_key"] = secret } };
        List<SessionMessage> messages =
        [
            new() { Id = "SECRET-m1", Sequence = 1, Role = MessageRole.User, Parts = [new TextPart("q"), new DataPart([83, 69, 67], "application/octet-stream", "SECRET.bin")], CreatedAt = t, Metadata = new Dictionary<string, JsonElement> { ["k"] = secret } },
            new() { Id = "SECRET-m2", Sequence = 2, Role = MessageRole.Assistant, Parts = [new TextPart("a"), new ReasoningPart("r", "SECRET-opaque")], CreatedAt = t },
        ];
        var details = new SessionDetails
        {
            Snapshots = [new Snapshot { Name = "SECRET-snap", MessageCount = 1, CreatedAt = t }],
            Bookmarks = [new Bookmark("SECRET-mark", 1, t)],
            ToolExecutions = [new ToolExecution { Id = "SECRET-exec", ToolName = "SECRET-tool", CreatedAt = t }],
            Files = [new FileChange("SECRET/file.cs", FileChangeKind.Modified, t)],
        };
        using var json = new MemoryStream();
        SessionJsonFormat.WriteAsync(json, session, messages.ToAsyncEnumerable(), details).GetAwaiter().GetResult();
        return json.ToArray();
    }

    private static async Task ShareExportAsync(byte[] input)
    {
        var path = Path.Combine(Scratch, $"share-{Interlocked.Increment(ref _fileNumber)}.json");
        Directory.CreateDirectory(Scratch);
        await File.WriteAllBytesAsync(path, input);
        try
        {
            await foreach (var archive in Importers[4].ReadAsync(new ImportSource(path), Options))
            {
                // The share export as ShareEndpoints writes it, then read back as fork-share reads it.
                var shared = SharedView.Of(archive);
                using var export = new MemoryStream();
                await SessionJsonFormat.WriteAsync(export, shared.Session, shared.Messages.ToAsyncEnumerable(), details: null);
                var text = Encoding.UTF8.GetString(export.ToArray());
                if (text.Contains("SECRET", StringComparison.Ordinal) && !Shown(archive).Any(s => s.Contains("SECRET", StringComparison.Ordinal)))
                {
                    throw new InvalidOperationException("the share export holds a secret that nothing shown on the share page holds");
                }

                export.Position = 0;
                var back = await SessionJsonFormat.ReadAsync(export, "share export");
                if (back.Session.Id != SharedView.SessionId || back.Session.Metadata.Count > 0 || back.Session.ProjectPath is not null || back.Session.Tags.Count > 0
                    || back.Snapshots.Count > 0 || back.Bookmarks.Count > 0 || back.ToolExecutions.Count > 0 || back.Files.Count > 0
                    || back.Messages.Any(m => m.Metadata.Count > 0) || back.Messages.Count != archive.Messages.Count)
                {
                    throw new InvalidOperationException("the share export holds a field the share page does not show");
                }
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Every string the share page can show of an archive: its title, and each message's shown fields.</summary>
    private static IEnumerable<string> Shown(SessionArchive archive)
    {
        yield return archive.Session.Title ?? "";
        foreach (var message in archive.Messages.Select((m, i) => SharedView.Of(m, i + 1)))
        {
            yield return message.AuthorName ?? "";
            yield return message.Model ?? "";
            foreach (var part in message.Parts)
            {
                yield return part switch
                {
                    TextPart t => t.Text,
                    ReasoningPart r => r.Text + r.ProtectedData,
                    ToolCallPart c => c.CallId + c.Name + c.Arguments?.GetRawText(),
                    ToolResultPart r => r.CallId + r.Result?.GetRawText(),
                    UriPart u => u.Uri + u.MediaType,
                    DataPart d => d.Name + d.MediaType + Encoding.UTF8.GetString(d.Data) + Convert.ToBase64String(d.Data),
                    _ => "",
                };
            }
        }
    }

    // ---- helpers
    // ---- helpers

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Base64(byte[] data) => Encoding.ASCII.GetBytes(Convert.ToBase64String(data, Base64FormattingOptions.InsertLineBreaks));

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    private static byte[] Gunzip(byte[] data)
    {
        using var gzip = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }
}
