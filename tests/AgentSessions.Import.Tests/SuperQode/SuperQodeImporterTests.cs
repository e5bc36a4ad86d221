using System.IO.Compression;
using System.Text;
using System.Text.Json;
using AgentSessions.Formats.Import;
using AgentSessions.Import;
using AgentSessions.Import.Copilot;
using AgentSessions.Import.OpenAgent;
using AgentSessions.Import.SuperQode;
using AgentSessions.Testing;
using Xunit;
using static AgentSessions.Import.Tests.ImportAssert;

namespace AgentSessions.Import.Tests.SuperQode;

public sealed class SuperQodeImporterTests
{
    private static readonly SuperQodeImporter Importer = new();

    /// <summary>
    /// A session exercising CPython's serialization rules: floats in both notations, overflow to Infinity, -0,
    /// big ints, non-BMP and private-use keys (code-point order), a repeated key, escapes, a lone surrogate.
    /// </summary>
    private const string TrickySession = """
        {"id": "session-1700000000-fork", "title": "Tricky \u00e9 \ud83d\ude00 \u007f \u0001 \/ end", "created_at": "2026-01-01T10:00:00", "updated_at": "2026-01-01T10:05:00",
         "project_path": null, "messages": [
           {"id": "m1", "role": "user", "content": "text: tab\t nl\n quote\" bs\\ \u2028", "timestamp": "2026-01-01T10:00:01", "agent_name": null, "tool_calls": null, "tool_call_id": null, "metadata": {}},
           {"id": "m2", "role": "assistant", "content": "", "timestamp": "2026-01-01T10:00:02", "agent_name": "a", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "write_file", "arguments": "{\"path\": \"x.py\", \"content\": \"print(1)\"}"}}], "tool_call_id": null, "metadata": {"tokens": 12}}
         ],
         "tool_executions": [{"id": "t1", "tool_name": "write_file", "arguments": {"content": "print(1)", "path": "x.py"}, "result": {"ok": true}, "success": false, "timestamp": "2026-01-01T10:00:03", "duration_ms": 7.6, "agent_name": "a"}],
         "files_modified": [], "files_created": ["x.py"], "agents_used": ["a", "b"], "tags": [], "parent_session_id": "session-1700000000",
         "snapshots": [], "metadata": {"model": "m", "floats": [1.0, 1e16, 1e15, 1e-5, 0.0001, 123.456, -0.0, 1e400, -1e400, 2.5e-07, 1E+2, 0.1, 100.0, 1e22, 5e-324, 1.7976931348623157e308, 3.14159e-10, 12345678.9, 0.30000000000000004, 1.5e300, 9007199254740993.0],
           "ints": [-0, 12345678901234567890123, 0, -5, 100000000000000000000],
           "\ue000": 1, "\ud83d\ude00": 2, "a": 3, "B": 4, "dup": 1, "dup": 2, "nested": {"z": {}, "y": [], "x": [{}]}, "ctl": "\u0000\u001f\u0080\u00ff\uffff", "sl": "a\/b", "lone": "\udc00x\ud800"}}
        """;

    // Computed by CPython 3: hashlib.sha256(json.dumps(json.loads(TrickySession), sort_keys=True).encode()).hexdigest()[:16]
    private const string TrickyChecksum = "1a0b24f16f40ca6a";

    private static string GzFixture => SeedFixtures.Path("superqode", "sessions", "session-1795235121.json.gz");

    private static string ExportFixture => SeedFixtures.Path("superqode", "export-superqode-session-v1.json");

    private static string TrickyExport(string checksum = TrickyChecksum)
        => $$"""{"format": "superqode-session-v1", "exported_at": "2026-01-01T11:00:00", "session": {{TrickySession}}, "checksum": "{{checksum}}"}""";

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    private static byte[] Gunzip(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }

    private static void AssertFixtureSession(SessionArchive archive, TimeSpan zoneOffset)
    {
        DateTimeOffset Local(int microseconds) => At(2026, 11, 21, 4, 25, 21, microseconds) - zoneOffset;

        var session = archive.Session;
        Assert.Equal("session-1795235121", session.Id);
        Assert.Equal("Fix null reference bug", session.Title);
        Assert.Equal(Local(465633), session.CreatedAt);
        Assert.Equal(Local(465704), session.UpdatedAt);
        Assert.Equal("/home/dev/proj", session.ProjectPath);
        Assert.Equal("gpt-4o", session.Model);
        Assert.Equal(["bugfix", "parser"], session.Tags);
        Assert.Null(session.ParentId);
        Metadata(session.Metadata, "agentsUsed", """["dev-agent"]""");
        Assert.False(session.Metadata.ContainsKey("model"));
        Assert.False(session.Metadata.ContainsKey("parentSessionId"));

        var m = archive.Messages;
        Assert.Equal(["msg-1-1465", "msg-2-1465", "msg-3-1465", "msg-4-1465", "msg-5-1465"], m.Select(x => x.Id));
        Assert.Equal([1L, 2, 3, 4, 5], m.Select(x => x.Sequence));
        Assert.Equal([MessageRole.System, MessageRole.User, MessageRole.Assistant, MessageRole.Tool, MessageRole.Assistant], m.Select(x => x.Role));
        Assert.Equal([null, null, "dev-agent", null, "dev-agent"], m.Select(x => x.AuthorName));
        Assert.Equal([Local(465657), Local(465667), Local(465673), Local(465679), Local(465702)], m.Select(x => x.CreatedAt));
        Assert.All(m, x => Assert.Equal((0L, 0L), (x.InputTokens, x.OutputTokens))); // SuperQode records no token figures
        Assert.All(m, x => Assert.Empty(x.Metadata));

        Text(m[0], "You are the SuperQode QE agent.");
        Text(m[1], "Fix the null reference bug in parser.py");
        Assert.Equal(2, m[2].Parts.Count);
        Assert.Equal("Reading parser.py first.", Assert.IsType<TextPart>(m[2].Parts[0]).Text);
        var call = Assert.IsType<ToolCallPart>(m[2].Parts[1]);
        Assert.Equal(("call_1", "read_file"), (call.CallId, call.Name));
        Assert.Equal("""{"path":"parser.py"}""", Json(call.Arguments)); // the JSON string became an object
        var result = Assert.IsType<ToolResultPart>(Assert.Single(m[3].Parts));
        Assert.Equal("call_1", result.CallId);
        Assert.Equal("def parse(x):\n    return x.value", result.Result!.Value.GetString());
        Assert.False(result.IsError);
        Text(m[4], "Patched: `return x.value if x else None` (unicode: \u00fcn\u00efc\u00f6d\u00e9 \u2713, quote \" backslash \\)");

        var run = Assert.Single(archive.ToolExecutions);
        Assert.Equal("tool-1-1465", run.Id);
        Assert.Equal("read_file", run.ToolName);
        Assert.Equal("call_1", run.CallId);
        Assert.Equal(3, run.Sequence);
        Assert.Equal("""{"path":"parser.py"}""", Json(run.Arguments));
        Assert.Equal("\"def parse(x):\\n    return x.value\"", Json(run.Result));
        Assert.True(run.Success);
        Assert.Equal(12, run.DurationMs);
        Assert.Equal("dev-agent", run.AgentName);
        Assert.Equal(Local(465689), run.CreatedAt);

        var file = Assert.Single(archive.Files);
        Assert.Equal(new FileChange("parser.py", FileChangeKind.Modified, Local(465704)), file);

        var snapshot = Assert.Single(archive.Snapshots);
        Assert.Equal("before-fix", snapshot.Name);
        Assert.Equal(4, snapshot.MessageCount);
        Assert.Equal("state before applying patch", snapshot.Description);
        Assert.Equal(Local(465697), snapshot.CreatedAt);

        Assert.Equal(5, session.MessageCount);
        Assert.Equal(0, session.InputTokens + session.OutputTokens);
    }

    /// <summary>The archive as JSON without provenance and export-only entries, to compare the forms of one session.</summary>
    private static string Comparable(SessionArchive archive)
    {
        var metadata = archive.Session.Metadata.Where(p => p.Key is not (ImportMetadata.Key or "exportedAt")).ToDictionary();
        var copy = archive with { Session = archive.Session with { Metadata = metadata } };
        return JsonSerializer.Serialize(copy, Formats.AgentSessionsJson.Context.SessionArchive);
    }

    [Fact]
    public async Task Gzip_store_file_reads_every_field()
    {
        var archive = await ReadOneAsync(Importer, GzFixture, Options(Utc));

        AssertFixtureSession(archive, TimeSpan.Zero);
        Provenance(archive.Session, "superqode", "session-1795235121", GzFixture);
        Assert.False(archive.Session.Metadata.ContainsKey("exportedAt"));
    }

    [Fact]
    public async Task Naive_times_are_read_in_the_given_zone()
    {
        var archive = await ReadOneAsync(Importer, GzFixture, Options(PlusTwo));

        AssertFixtureSession(archive, TimeSpan.FromHours(2));
    }

    [Fact]
    public async Task Export_verifies_its_checksum_and_reads_the_same_session()
    {
        var fromStore = await ReadOneAsync(Importer, GzFixture);
        var archive = await ReadOneAsync(Importer, ExportFixture);

        AssertFixtureSession(archive, TimeSpan.Zero);
        Provenance(archive.Session, "superqode", "session-1795235121", ExportFixture);
        Metadata(archive.Session.Metadata, "exportedAt", "\"2026-11-21T04:25:21.468670\"");
        Assert.Equal(Comparable(fromStore), Comparable(archive));
    }

    [Fact]
    public async Task Plain_json_and_base64_forms_read_the_same_session()
    {
        using var dir = TempDirectory.ForCaller();
        var expected = Comparable(await ReadOneAsync(Importer, GzFixture));

        var plain = dir.Combine("session-1795235121.json");
        File.WriteAllBytes(plain, Gunzip(GzFixture));
        var base64 = dir.Combine("export.b64");
        File.WriteAllText(base64, Convert.ToBase64String(File.ReadAllBytes(ExportFixture)));
        var wrapped = dir.Combine("export-wrapped.txt");
        File.WriteAllText(wrapped, Convert.ToBase64String(File.ReadAllBytes(ExportFixture), Base64FormattingOptions.InsertLineBreaks) + "\n");
        var gzippedExport = dir.Combine("export.json.gz");
        File.WriteAllBytes(gzippedExport, Gzip(File.ReadAllBytes(ExportFixture)));

        foreach (var path in new[] { plain, base64, wrapped, gzippedExport })
        {
            Assert.True(Importer.CanRead(new ImportSource(path)), path);
            var archive = await ReadOneAsync(Importer, path);
            Assert.Equal(expected, Comparable(archive));
            Provenance(archive.Session, "superqode", "session-1795235121", path);
        }
    }

    [Fact]
    public async Task Checksum_follows_cpython_serialization_exactly()
    {
        using var dir = TempDirectory.ForCaller();
        var path = dir.Combine("tricky.json");
        File.WriteAllText(path, TrickyExport());

        var archive = await ReadOneAsync(Importer, path);
        var session = archive.Session;

        Assert.Equal("session-1700000000-fork", session.Id);
        Assert.Equal("Tricky \u00e9 \U0001F600 \u007f \u0001 / end", session.Title);
        Assert.Equal("session-1700000000", session.ParentId);
        Assert.Null(session.ProjectPath);
        Assert.Equal("m", session.Model);
        Metadata(session.Metadata, "agentsUsed", """["a","b"]""");
        Assert.Equal("1e400", session.Metadata["floats"][7].GetRawText()); // kept as written
        Text(archive.Messages[0], "text: tab\t nl\n quote\" bs\\ \u2028");
        Metadata(archive.Messages[1].Metadata, "tokens", "12");
        var call = Assert.IsType<ToolCallPart>(Assert.Single(archive.Messages[1].Parts)); // empty content: no text part
        Assert.Equal("""{"path":"x.py","content":"print(1)"}""", Json(call.Arguments));

        // Same name and the same arguments (in another order): linked to the call.
        var run = Assert.Single(archive.ToolExecutions);
        Assert.Equal(("c1", 2L), (run.CallId, run.Sequence));
        Assert.False(run.Success);
        Assert.Equal(8, run.DurationMs); // 7.6 ms, rounded
        Assert.Equal("""{"ok":true}""", Json(run.Result));
        Assert.Equal(new FileChange("x.py", FileChangeKind.Created, new DateTimeOffset(2026, 1, 1, 10, 5, 0, TimeSpan.Zero)), Assert.Single(archive.Files));
    }

    [Theory]
    [InlineData("0000000000000000")]
    [InlineData("1a0b24f16f40ca6b")]
    [InlineData("")]
    public async Task Wrong_checksum_is_corrupt(string checksum)
    {
        using var dir = TempDirectory.ForCaller();
        var path = dir.Combine("tricky.json");
        File.WriteAllText(path, TrickyExport(checksum));

        await CorruptAsync(Importer, path, contains: "checksum mismatch");
    }

    [Fact]
    public async Task An_edited_export_fails_its_checksum()
    {
        using var dir = TempDirectory.ForCaller();
        var text = File.ReadAllText(ExportFixture);

        // One character of content, one reordering-insensitive but value-changing edit, and a float written differently.
        foreach (var (name, edited) in new[]
                 {
                     ("content.json", text.Replace("Reading parser.py first.", "Reading parser.py first!", StringComparison.Ordinal)),
                     ("count.json", text.Replace("\"message_count\": 4", "\"message_count\": 3", StringComparison.Ordinal)),
                     ("duration.json", text.Replace("\"duration_ms\": 12", "\"duration_ms\": 12.0", StringComparison.Ordinal)),
                 })
        {
            Assert.NotEqual(text, edited);
            var path = dir.Combine(name);
            File.WriteAllText(path, edited);
            await CorruptAsync(Importer, path, contains: "checksum mismatch");
        }

        // Whitespace and key order outside the hashed text do not matter.
        var reindented = dir.Combine("reindented.json");
        File.WriteAllText(reindented, JsonSerializer.Serialize(JsonDocument.Parse(text).RootElement));
        Assert.Single(await ReadAllAsync(Importer, reindented));
    }

    [Fact]
    public async Task An_export_without_checksum_is_read()
    {
        using var dir = TempDirectory.ForCaller();
        var path = dir.Combine("nochecksum.json");
        File.WriteAllText(path, $$"""{"format": "superqode-session-v1", "exported_at": "2026-01-01T11:00:00", "session": {{TrickySession}}}""");

        Assert.Equal("session-1700000000-fork", (await ReadOneAsync(Importer, path)).Session.Id);
    }

    public static TheoryData<string, bool, bool, bool> Base64Forms => new()
    {
        // alphabet, gzip, padding, line breaks
        { "url-safe", true, true, false },
        { "url-safe", true, false, false },
        { "url-safe", true, true, true },
        { "url-safe", true, false, true },
        { "url-safe", false, false, false },
        { "standard", true, true, true },
        { "standard", true, false, false },
    };

    [Theory]
    [MemberData(nameof(Base64Forms))]
    public async Task Base64_exports_read_in_either_alphabet_with_or_without_padding_gzip_or_not(string alphabet, bool gzip, bool padding, bool lineBreaks)
    {
        using var dir = TempDirectory.ForCaller();
        // Without a checksum (nothing to verify), and varied enough that its base64 uses every character.
        var export = """
            {"format": "superqode-session-v1", "exported_at": "2026-11-21T04:30:00", "session": {"id": "session-1795235400",
             "title": "Share me \u00e9\u00e8 \ud83d\ude00", "created_at": "2026-11-21T04:25:21.465633", "updated_at": "2026-11-21T04:25:30",
             "project_path": "/home/dev/proj", "messages": [
               {"id": "m1", "role": "user", "content": "Why is ~~~ >>> ??? slow?", "timestamp": "2026-11-21T04:25:22", "agent_name": null, "tool_calls": null, "tool_call_id": null, "metadata": {}},
               {"id": "m2", "role": "assistant", "content": "Because \u00fcber-long lines: \n\t<<<>>>???", "timestamp": "2026-11-21T04:25:23", "agent_name": "qe", "tool_calls": null, "tool_call_id": null, "metadata": {}}],
             "tool_executions": [], "files_modified": ["a.py"], "files_created": [], "agents_used": ["qe"], "tags": ["share"],
             "parent_session_id": null, "snapshots": [], "metadata": {"model": "gpt-4o"}}}
            """;
        var plain = dir.Combine("export.json");
        File.WriteAllText(plain, export);
        var expected = Comparable(await ReadOneAsync(Importer, plain));

        // As Python writes it: base64.urlsafe_b64encode(gzip.compress(...)), perhaps wrapped, perhaps unpadded.
        var bytes = Encoding.UTF8.GetBytes(export);
        var text = Convert.ToBase64String(gzip ? Gzip(bytes) : bytes);
        if (alphabet == "url-safe")
        {
            text = text.Replace('+', '-').Replace('/', '_');
            Assert.True(text.Contains('-', StringComparison.Ordinal) || text.Contains('_', StringComparison.Ordinal), "the sample exercises the URL-safe characters");
        }

        if (!padding)
        {
            text = text.TrimEnd('=');
        }

        if (lineBreaks)
        {
            text = string.Join('\n', text.Chunk(76).Select(c => new string(c))) + "\n";
        }

        Assert.StartsWith(gzip ? "H4sI" : "eyJm", text, StringComparison.Ordinal);
        var path = dir.Combine("export.b64");
        File.WriteAllText(path, text);

        Assert.True(Importer.CanRead(new ImportSource(path)));
        Assert.Equal(SuperQodeImporter.FormatName, Importers.All.First(i => i.CanRead(new ImportSource(path))).Format);
        Assert.Equal(expected, Comparable(await ReadOneAsync(Importer, path)));
    }

    [Theory]
    [InlineData("not base64 at all!")]
    [InlineData("eyJmb3JtYXQiOi")]
    [InlineData("eyJmb3JtYXQi=Oi")]
    [InlineData("aGVsbG8gd29ybGQ=")]
    public async Task Bad_base64_is_corrupt(string text)
    {
        using var dir = TempDirectory.ForCaller();
        var path = dir.Combine("export.b64");
        File.WriteAllText(path, text);

        await CorruptAsync(Importer, path);
    }

    [Fact]
    public async Task Truncated_and_damaged_gzip_is_corrupt()
    {
        using var dir = TempDirectory.ForCaller();
        var bytes = File.ReadAllBytes(GzFixture);
        var paths = Truncations(dir.Path, "session.json.gz", bytes, count: 12).ToList();
        paths.Add(dir.Combine("lastbyte.json.gz"));
        File.WriteAllBytes(paths[^1], bytes[..^1]);
        paths.Add(dir.Combine("notrailer.json.gz"));
        File.WriteAllBytes(paths[^1], bytes[..^8]);
        // Past the 34-byte header (whose file name field is not checked by anyone): deflate data, CRC and size.
        for (var i = 40; i < bytes.Length; i += 97)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[i] ^= 0x5a;
            paths.Add(dir.Combine($"damaged{i}.json.gz"));
            File.WriteAllBytes(paths[^1], damaged);
        }

        foreach (var path in paths)
        {
            await CorruptAsync(Importer, path);
        }
    }

    [Fact]
    public async Task Truncated_and_damaged_json_forms_are_corrupt()
    {
        using var dir = TempDirectory.ForCaller();
        var export = File.ReadAllBytes(ExportFixture);
        var plain = Gunzip(GzFixture);
        var base64 = Encoding.ASCII.GetBytes(Convert.ToBase64String(export));
        var paths = Truncations(dir.Path, "export.json", export)
            .Concat(Truncations(dir.Path, "session.json", plain))
            .Concat(Truncations(dir.Path, "export.b64", base64).Where(p => new FileInfo(p).Length > 0))
            .ToList();
        var damaged = (byte[])export.Clone();
        damaged[Array.IndexOf(damaged, (byte)':')] = (byte)'=';
        paths.Add(dir.Combine("damaged.json"));
        File.WriteAllBytes(paths[^1], damaged);

        foreach (var path in paths)
        {
            await CorruptAsync(Importer, path);
        }
    }

    [Fact]
    public async Task A_gzip_that_inflates_past_the_limit_is_refused()
    {
        var error = await Assert.ThrowsAsync<AgentSessionsException>(async () =>
        {
            await foreach (var _ in Importer.ReadAsync(new ImportSource(GzFixture), new ImportOptions { MaxFileBytes = 1000 }))
            {
            }
        });

        Assert.Equal(ErrorCode.TooLarge, error.Code);
        Assert.Contains("session-1795235121.json.gz", error.Message, StringComparison.Ordinal);
    }

    private const string Base = """
        "id": "s1", "created_at": "2026-01-01T00:00:00", "updated_at": "2026-01-01T00:00:00",
        "messages": [{"id": "m1", "role": "user", "content": "x", "timestamp": "2026-01-01T00:00:00"}]
        """;

    [Theory]
    [InlineData("""{"format": "superqode-session-v2", "session": {}}""", "format: 'superqode-session-v2' is not a SuperQode export format")]
    [InlineData("""{"format": "superqode-session-v1", "checksum": "x"}""", "session: missing")]
    [InlineData("""{"format": "superqode-session-v1", "session": []}""", "session: expected an object")]
    [InlineData("""{"format": 1}""", "format: expected a string")]
    [InlineData("""{"id": "s1", "created_at": "2026-01-01T00:00:00"}""", "messages: missing")]
    [InlineData("""{BASE, "snapshots": [{"name": "a", "message_count": 2, "created_at": "2026-01-01T00:00:00"}]}""", "snapshots[0].message_count: the snapshot covers 2 messages but the session has 1")]
    [InlineData("""{BASE, "snapshots": [{"name": "a", "created_at": "2026-01-01T00:00:00"}]}""", "snapshots[0].message_count: missing")]
    [InlineData("""{BASE, "snapshots": [{"name": "a", "message_count": 1}]}""", "snapshots[0].created_at: missing")]
    [InlineData("""{BASE, "tool_executions": [{"id": "t", "timestamp": "2026-01-01T00:00:00"}]}""", "tool_executions[0].tool_name: missing")]
    [InlineData("""{BASE, "tool_executions": [{"id": "t", "tool_name": "x", "timestamp": "2026-01-01T00:00:00", "success": "yes"}]}""", "tool_executions[0].success: expected true or false")]
    [InlineData("""{BASE, "tool_executions": [{"id": "t", "tool_name": "x"}]}""", "tool_executions[0].timestamp: missing")]
    [InlineData("""{BASE, "files_modified": [1]}""", "files_modified[0]: expected a string")]
    [InlineData("""{BASE, "agents_used": "a"}""", "agents_used: expected an array")]
    [InlineData("""{BASE, "metadata": []}""", "metadata: expected an object")]
    [InlineData("""{BASE, "metadata": {"\ud800": 1}}""", "not valid UTF-16")]
    [InlineData("""{BASE, "tags": ["\udc00"]}""", "tags[0]: the string is not valid UTF-16")]
    [InlineData("""{"id": "s1", "created_at": "2026-01-01T00:00:00", "messages": [{"id": "m1", "role": "user", "content": "x", "timestamp": "noon"}]}""", "messages[0].timestamp: 'noon' is not an ISO 8601 time")]
    [InlineData("""{"id": "s1", "created_at": "2026-01-01T00:00:00", "messages": [{"id": "m1", "role": "assistant", "content": "x", "timestamp": "2026-01-01T00:00:00", "tool_calls": [{"id": "c", "function": {"arguments": "{}"}}]}]}""", "messages[0].tool_calls[0].function.name: missing")]
    [InlineData("""{"format": "superqode-session-v1", "session": {"id": "s1", "created_at": "2026-01-01T00:00:00", "messages": [{"role": "robot", "timestamp": "2026-01-01T00:00:00"}]}}""", "session.messages[0].role: unknown role 'robot'")]
    public async Task Malformed_sessions_are_corrupt_naming_file_and_field(string json, string expected)
    {
        using var dir = TempDirectory.ForCaller();
        var path = dir.Combine("bad.json");
        File.WriteAllText(path, json.Replace("BASE", Base, StringComparison.Ordinal));

        await CorruptAsync(Importer, path, contains: expected);
    }

    [Fact]
    public async Task Leftovers_are_kept_and_names_made_safe()
    {
        using var dir = TempDirectory.ForCaller();
        var path = dir.Combine("session-1.json");
        File.WriteAllText(path, """
            {"id": "session-1", "created_at": "2026-01-01T00:00:00", "updated_at": "2026-01-01T01:00:00", "parent_session_id": "not a valid/id",
             "messages": [
               {"id": "dup", "role": "assistant", "content": "a", "timestamp": "2026-01-01T00:00:00", "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "run", "arguments": "{\"cmd\": \"ls\"}"}}]},
               {"id": "dup", "role": "user", "content": "b", "timestamp": "2026-01-01T00:00:01", "tool_call_id": "stray"}
             ],
             "tool_executions": [
               {"id": "t 1", "tool_name": "run", "arguments": {"cmd": "pwd"}, "timestamp": "2026-01-01T00:00:02"},
               {"id": "t 1", "tool_name": "run", "arguments": "{\"cmd\": \"ls\"}", "timestamp": "2026-01-01T00:00:03", "success": false, "result": null}
             ],
             "snapshots": [
               {"id": "snap-1", "name": "Before the big fix!", "message_count": 1, "created_at": "2026-01-01T00:00:00"},
               {"id": "snap-2", "name": "Before the big fix?", "message_count": 2, "created_at": "2026-01-01T00:00:01", "description": null},
               {"id": "snap-3", "name": "???", "message_count": 0, "created_at": "2026-01-01T00:00:01"},
               {"name": "", "message_count": 0, "created_at": "2026-01-01T00:00:01"}
             ],
             "metadata": {"model": 5, "agentsUsed": "mine"}, "custom_field": [1], "agents_used": []}
            """);

        var archive = await ReadOneAsync(Importer, path);
        var session = archive.Session;

        Assert.Null(session.ParentId);
        Metadata(session.Metadata, "parentSessionId", "\"not a valid/id\"");
        Metadata(session.Metadata, "custom_field", "[1]");
        Metadata(session.Metadata, "model", "5"); // not a string: kept, not used as the model
        Assert.Null(session.Model);
        Metadata(session.Metadata, "agentsUsed", "[]");
        Metadata(session.Metadata, "source.agentsUsed", "\"mine\"");

        Assert.Equal("dup", archive.Messages[0].Id);
        Assert.NotEqual("dup", archive.Messages[1].Id);
        Metadata(archive.Messages[1].Metadata, "tool_call_id", "\"stray\"");
        Text(archive.Messages[1], "b");

        Assert.Equal(["Before-the-big-fix-", "Before-the-big-fix--2", "snap-3", "snapshot-4"], archive.Snapshots.Select(s => s.Name));

        // The first run's arguments differ from the call's; the second's match (as a JSON string).
        Assert.Equal(["t-1", "t-1-2"], archive.ToolExecutions.Select(t => t.Id));
        Assert.Equal([null, "c1"], archive.ToolExecutions.Select(t => t.CallId));
        Assert.Equal([null, 1L], archive.ToolExecutions.Select(t => t.Sequence));
        Assert.Null(archive.ToolExecutions[1].Result);
        Assert.False(archive.ToolExecutions[1].Success);
    }

    [Fact]
    public void CanRead_accepts_every_form_and_refuses_indexes()
    {
        using var dir = TempDirectory.ForCaller();
        Assert.True(Importer.CanRead(new ImportSource(GzFixture)));
        Assert.True(Importer.CanRead(new ImportSource(ExportFixture)));
        var base64 = dir.Combine("export.txt");
        File.WriteAllText(base64, Convert.ToBase64String(File.ReadAllBytes(ExportFixture)));
        Assert.True(Importer.CanRead(new ImportSource(base64)));
        var large = dir.Combine("large.json");
        File.WriteAllText(large, $$"""{"id": "big", "title": "t", "messages": [{"content": "{{new string('x', 8000)}}"}]}""");
        Assert.True(Importer.CanRead(new ImportSource(large)));

        Assert.False(Importer.CanRead(new ImportSource(SeedFixtures.Path("superqode", "sessions", "index.json"))));
        var shares = Directory.CreateDirectory(dir.Combine("shares")).FullName;
        File.WriteAllText(Path.Combine(shares, "index.json"), """
            {"share-1a2b3c": {"share_id": "share-1a2b3c", "session_id": "session-1795235121", "password_hash": "5e88", "created_at": "2026-11-21T04:25:21", "expires_at": null, "access_count": 0}}
            """);
        Assert.False(Importer.CanRead(new ImportSource(Path.Combine(shares, "index.json"))));
        var otherBase64 = dir.Combine("other.b64");
        File.WriteAllText(otherBase64, Convert.ToBase64String("""{"format": "agent-sessions", "version": 1}"""u8.ToArray()));
        Assert.False(Importer.CanRead(new ImportSource(otherBase64)));
        var gzOther = dir.Combine("other.json.gz");
        File.WriteAllBytes(gzOther, Gzip("""{"sessions": [], "version": "1.0"}"""u8.ToArray()));
        Assert.False(Importer.CanRead(new ImportSource(gzOther)));
        var word = dir.Combine("word.txt");
        File.WriteAllText(word, "hello");
        Assert.False(Importer.CanRead(new ImportSource(word)));

        Assert.False(Importer.CanRead(new ImportSource(SeedFixtures.Path("superqode", "sessions"))));
        Assert.False(Importer.CanRead(new ImportSource(SeedFixtures.Path("openagent-terminal", "sessions", "2026-11-21_042521.json"))));
        Assert.False(Importer.CanRead(new ImportSource(SeedFixtures.Path("openagent-terminal", "export.md"))));
        Assert.False(Importer.CanRead(new ImportSource(SeedFixtures.Path("copilot-cli", "session-state", "user-123-tool-demo"))));
        Assert.False(Importer.CanRead(new ImportSource(SeedFixtures.Path("copilot-cli", "session-state", "user-123-tool-demo", "events.jsonl"))));
        Assert.False(Importer.CanRead(new ImportSource(SeedFixtures.Path("copilot-cli", "session-state", "user-123-tool-demo", "workspace.yaml"))));
        Assert.False(Importer.CanRead(new ImportSource(SeedFixtures.Path("agent-q", "session-20261121-042522-8955.lisp"))));

        Assert.False(new OpenAgentImporter().CanRead(new ImportSource(GzFixture)));
        Assert.False(new OpenAgentImporter().CanRead(new ImportSource(ExportFixture)));
        Assert.False(new OpenAgentImporter().CanRead(new ImportSource(SeedFixtures.Path("superqode", "sessions", "index.json"))));
        Assert.False(new CopilotCliImporter().CanRead(new ImportSource(GzFixture)));
    }
}
