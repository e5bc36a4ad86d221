using System.Text;
using System.Text.Json;
using AgentSessions.Formats.Import;
using AgentSessions.Import.Copilot;
using AgentSessions.Import.OpenAgent;
using AgentSessions.Import.SuperQode;
using AgentSessions.Testing;
using Xunit;
using static AgentSessions.Import.Tests.ImportAssert;

namespace AgentSessions.Import.Tests.OpenAgent;

public sealed class OpenAgentImporterTests
{
    private static readonly OpenAgentImporter Importer = new();
    private static string Fixture => SeedFixtures.Path("openagent-terminal", "sessions", "2026-11-21_042521.json");

    [Fact]
    public async Task Fixture_reads_every_message_exactly()
    {
        var archive = await ReadOneAsync(Importer, Fixture, Options(Utc));
        var session = archive.Session;

        Assert.Equal("2026-11-21_042521", session.Id);
        Assert.Equal("List the files in src and explain main.rs to me...", session.Title);
        Assert.Empty(session.Tags);
        Assert.Null(session.Model);
        Assert.Equal(At(2026, 11, 21, 4, 25, 21, 481931), session.CreatedAt);
        Assert.Equal(At(2026, 11, 21, 4, 25, 21, 482493), session.UpdatedAt);
        Provenance(session, "openagent-terminal", "2026-11-21_042521", Fixture);
        Metadata(session.Metadata, "total_tokens", "43");
        Assert.False(session.Metadata.ContainsKey("message_count"));

        var m = archive.Messages;
        Assert.Equal([1L, 2, 3, 4], m.Select(x => x.Sequence));
        Assert.Equal([MessageRole.User, MessageRole.Assistant, MessageRole.Tool, MessageRole.Assistant], m.Select(x => x.Role));
        Assert.Equal(m.Count, m.Select(x => x.Id).Distinct().Count());
        Assert.All(m, x => Assert.True(SessionIds.IsValid(x.Id)));

        Text(m[0], "List the files in src and explain   main.rs to me in detail please, thanks");
        Assert.Equal(At(2026, 11, 21, 4, 25, 21, 482408), m[0].CreatedAt);
        Assert.Equal((14L, 0L), (m[0].InputTokens, m[0].OutputTokens));
        Assert.Empty(m[0].Metadata);

        Assert.Equal(2, m[1].Parts.Count);
        Assert.Equal("I'll run `ls src`.", Assert.IsType<TextPart>(m[1].Parts[0]).Text);
        var call = Assert.IsType<ToolCallPart>(m[1].Parts[1]);
        Assert.Equal(("call_1", "shell"), (call.CallId, call.Name));
        Assert.Equal("""{"cmd":"ls src"}""", Json(call.Arguments));
        Assert.Equal(At(2026, 11, 21, 4, 25, 21, 482477), m[1].CreatedAt);
        Assert.Equal((0L, 9L), (m[1].InputTokens, m[1].OutputTokens));

        var result = Assert.IsType<ToolResultPart>(Assert.Single(m[2].Parts));
        Assert.Equal("call_1", result.CallId);
        Assert.Equal("main.rs\nsession.rs\nipc.rs", result.Result!.Value.GetString());
        Assert.False(result.IsError);
        Assert.Equal((0L, 0L), (m[2].InputTokens, m[2].OutputTokens));
        Metadata(m[2].Metadata, "exit_code", "0");
        Assert.False(m[2].Metadata.ContainsKey("tool_call_id"));
        Assert.Equal(At(2026, 11, 21, 4, 25, 21, 482486), m[2].CreatedAt);

        Text(m[3], "# main.rs\n`main.rs` starts the IPC client \u2014 \u00fcn\u00efc\u00f6d\u00e9 \u2713");
        Assert.Equal((0L, 20L), (m[3].InputTokens, m[3].OutputTokens));
        Assert.Equal(At(2026, 11, 21, 4, 25, 21, 482491), m[3].CreatedAt);

        Assert.Equal(4, session.MessageCount);
        Assert.Equal(14, session.InputTokens);
        Assert.Equal(29, session.OutputTokens);
        Assert.Empty(archive.Snapshots);
        Assert.Empty(archive.ToolExecutions);
        Assert.Empty(archive.Files);
    }

    [Fact]
    public async Task Naive_times_are_read_in_the_given_zone()
    {
        var archive = await ReadOneAsync(Importer, Fixture, Options(PlusTwo));

        // 04:25 in a +02:00 zone is 02:25 UTC.
        Assert.Equal(At(2026, 11, 21, 2, 25, 21, 481931), archive.Session.CreatedAt);
        Assert.Equal(At(2026, 11, 21, 2, 25, 21, 482493), archive.Session.UpdatedAt);
        Assert.Equal(At(2026, 11, 21, 2, 25, 21, 482408), archive.Messages[0].CreatedAt);
        Assert.Equal(At(2026, 11, 21, 2, 25, 21, 482491), archive.Messages[3].CreatedAt);
        Assert.All(archive.Messages, m => Assert.Equal(TimeSpan.Zero, m.CreatedAt.Offset));
    }

    [Fact]
    public async Task Variants_string_arguments_offsets_errors_tags_and_id_fallback()
    {
        using var dir = TempDirectory.ForCaller();
        var path = dir.Combine("custom_7.json");
        File.WriteAllText(path, """
            {"metadata": {"session_id": "bad id/with slash", "created_at": "2026-03-01T10:00:00+05:00", "updated_at": "2026-03-01T05:00:01Z",
                          "title": null, "tags": ["alpha", "beta", "alpha", "has space"], "extra": {"k": 1}},
             "messages": [
               {"role": "system", "content": "sys", "timestamp": "2026-03-01T05:00:00Z", "token_count": 3, "tool_calls": null, "metadata": {}},
               {"role": "assistant", "content": "", "timestamp": "2026-03-01T05:00:00.5Z", "token_count": null,
                "tool_calls": [{"id": "a", "name": "f", "arguments": "{\"x\": [1, 2]}"},
                               {"id": "b", "name": "g", "arguments": "not json"},
                               {"name": "h"}], "metadata": {}},
               {"role": "tool", "content": "boom", "timestamp": "2026-03-01T05:00:01Z", "token_count": 2, "metadata": {"tool_call_id": "a", "exit_code": 2}},
               {"role": "assistant", "content": null, "timestamp": "2026-03-01T05:00:01Z"}
             ]}
            """);

        var archive = await ReadOneAsync(Importer, path, Options(PlusTwo));
        var session = archive.Session;

        Assert.StartsWith("session-", session.Id, StringComparison.Ordinal); // the original id breaks the rules
        Provenance(session, "openagent-terminal", "bad id/with slash", path);
        Assert.Null(session.Title);
        Assert.Equal(["alpha", "beta"], session.Tags);
        Metadata(session.Metadata, "sourceTags", """["alpha","beta","alpha","has space"]""");
        Metadata(session.Metadata, "extra", """{"k":1}""");
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 5, 0, 0, TimeSpan.Zero), session.CreatedAt); // offsets are exact, whatever the zone
        Assert.Equal((3L, 0L), (archive.Messages[0].InputTokens, archive.Messages[0].OutputTokens));

        var calls = archive.Messages[1].Parts.Cast<ToolCallPart>().ToList(); // empty content: no TextPart
        Assert.Equal(3, calls.Count);
        Assert.Equal("""{"x":[1,2]}""", Json(calls[0].Arguments));
        Assert.Equal("\"not json\"", Json(calls[1].Arguments));
        Assert.Equal(("call-2-3", "h"), (calls[2].CallId, calls[2].Name));
        Assert.Null(calls[2].Arguments);

        var result = Assert.IsType<ToolResultPart>(Assert.Single(archive.Messages[2].Parts));
        Assert.True(result.IsError); // non-zero exit code
        Assert.Equal((2L, 0L), (archive.Messages[2].InputTokens, archive.Messages[2].OutputTokens));
        Text(archive.Messages[3], "");
    }

    [Fact]
    public async Task Session_id_falls_back_to_the_file_name()
    {
        using var dir = TempDirectory.ForCaller();
        var path = dir.Combine("2026-01-02_030405_2.json");
        File.WriteAllText(path, """{"metadata": {"created_at": "2026-01-02T03:04:05", "updated_at": "2026-01-02T03:04:05"}, "messages": []}""");

        var archive = await ReadOneAsync(Importer, path);

        Assert.Equal("2026-01-02_030405_2", archive.Session.Id);
        Assert.Empty(archive.Messages);
    }

    [Fact]
    public void CanRead_accepts_sessions_only()
    {
        using var dir = TempDirectory.ForCaller();
        Assert.True(Importer.CanRead(new ImportSource(Fixture)));

        var index = dir.Combine("index.json");
        File.WriteAllText(index, """{"sessions": [{"session_id": "2026-11-21_042521", "created_at": "2026-11-21T04:25:21.481931", "title": "t", "tags": []}], "version": "1.0"}""");
        Assert.False(Importer.CanRead(new ImportSource(index)));

        // A session larger than the 4 KiB head is recognised from its metadata.
        var large = dir.Combine("large.json");
        File.WriteAllText(large, "{\"metadata\": {\"session_id\": \"large\"}, \"messages\": [{\"role\": \"user\", \"content\": \"" + new string('x', 5000) + "\", \"timestamp\": \"2026-01-01T00:00:00\", \"metadata\": {}}]}");
        Assert.True(Importer.CanRead(new ImportSource(large)));

        var other = dir.Combine("other.json");
        File.WriteAllText(other, """{"hello": "world"}""");
        Assert.False(Importer.CanRead(new ImportSource(other)));
        File.WriteAllBytes(dir.Combine("binary.json"), [0x00, 0xff, 0x10]);
        Assert.False(Importer.CanRead(new ImportSource(dir.Combine("binary.json"))));

        Assert.False(Importer.CanRead(new ImportSource(SeedFixtures.Path("openagent-terminal", "sessions"))));
        Assert.False(Importer.CanRead(new ImportSource(SeedFixtures.Path("openagent-terminal", "export.md"))));
        Assert.False(Importer.CanRead(new ImportSource(SeedFixtures.Path("superqode", "sessions", "session-1795235121.json.gz"))));
        Assert.False(Importer.CanRead(new ImportSource(SeedFixtures.Path("superqode", "sessions", "index.json"))));
        Assert.False(Importer.CanRead(new ImportSource(SeedFixtures.Path("superqode", "export-superqode-session-v1.json"))));
        Assert.False(Importer.CanRead(new ImportSource(SeedFixtures.Path("copilot-cli", "session-state", "user-123-tool-demo"))));
        Assert.False(Importer.CanRead(new ImportSource(SeedFixtures.Path("copilot-cli", "session-state", "user-123-tool-demo", "events.jsonl"))));
        Assert.False(Importer.CanRead(new ImportSource(SeedFixtures.Path("agent-q", "session-20261121-042522-8955.lisp"))));

        // And the other importers leave this format alone.
        Assert.False(new SuperQodeImporter().CanRead(new ImportSource(Fixture)));
        Assert.False(new CopilotCliImporter().CanRead(new ImportSource(Fixture)));
    }

    [Fact]
    public async Task Truncated_files_are_corrupt_naming_the_file()
    {
        using var dir = TempDirectory.ForCaller();
        var bytes = File.ReadAllBytes(Fixture);
        var paths = Truncations(dir.Path, "session.json", bytes).ToList();
        Assert.True(paths.Count >= 8);
        foreach (var path in paths)
        {
            await CorruptAsync(Importer, path);
        }
    }

    [Fact]
    public async Task A_damaged_byte_is_corrupt_with_its_position()
    {
        using var dir = TempDirectory.ForCaller();
        var bytes = File.ReadAllBytes(Fixture);

        var brace = (byte[])bytes.Clone();
        var at = Array.IndexOf(brace, (byte)'[');
        brace[at] = (byte)'@';
        File.WriteAllBytes(dir.Combine("brace.json"), brace);
        var error = await CorruptAsync(Importer, dir.Combine("brace.json"), contains: "not valid JSON at line");
        Assert.Matches(@"line \d+, byte \d+", error.Message);

        var utf8 = (byte[])bytes.Clone();
        utf8[Encoding.UTF8.GetString(bytes).IndexOf("List the files", StringComparison.Ordinal) + 2] = 0xff;
        File.WriteAllBytes(dir.Combine("utf8.json"), utf8);
        await CorruptAsync(Importer, dir.Combine("utf8.json"));
    }

    [Theory]
    [InlineData("""[1, 2]""", "expected an object")]
    [InlineData("""{"messages": []}""", "metadata: missing")]
    [InlineData("""{"metadata": {"session_id": "a", "created_at": "2026-01-01T00:00:00"}}""", "messages: missing")]
    [InlineData("""{"metadata": {"session_id": "a", "created_at": "2026-01-01T00:00:00"}, "messages": {}}""", "messages: expected an array")]
    [InlineData("""{"metadata": {"session_id": "a", "created_at": "yesterday"}, "messages": []}""", "metadata.created_at: 'yesterday' is not an ISO 8601 time")]
    [InlineData("""{"metadata": {"session_id": 5, "created_at": "2026-01-01T00:00:00"}, "messages": []}""", "metadata.session_id: expected a string, found a number")]
    [InlineData("""{"metadata": {"session_id": "a", "created_at": "2026-01-01T00:00:00", "tags": "x"}, "messages": []}""", "metadata.tags: expected an array")]
    [InlineData("""{"metadata": {"session_id": "a"}, "messages": []}""", "metadata.created_at: missing")]
    [InlineData("""{"metadata": {"session_id": "a", "created_at": "2026-01-01T00:00:00"}, "messages": [{"role": "wizard", "content": "x", "timestamp": "2026-01-01T00:00:00"}]}""", "messages[0].role: unknown role 'wizard'")]
    [InlineData("""{"metadata": {"session_id": "a", "created_at": "2026-01-01T00:00:00"}, "messages": [{"role": "user", "content": 7, "timestamp": "2026-01-01T00:00:00"}]}""", "messages[0].content: expected a string, found a number")]
    [InlineData("""{"metadata": {"session_id": "a", "created_at": "2026-01-01T00:00:00"}, "messages": [{"role": "user", "content": "x"}]}""", "messages[0].timestamp: missing")]
    [InlineData("""{"metadata": {"session_id": "a", "created_at": "2026-01-01T00:00:00"}, "messages": [{"role": "user", "content": "x", "timestamp": "2026-13-45T00:00:00"}]}""", "messages[0].timestamp: '2026-13-45T00:00:00' is not an ISO 8601 time")]
    [InlineData("""{"metadata": {"session_id": "a", "created_at": "2026-01-01T00:00:00"}, "messages": [{"role": "user", "content": "x", "timestamp": "2026-01-01T00:00:00", "token_count": -1}]}""", "messages[0].token_count: expected a count of zero or more")]
    [InlineData("""{"metadata": {"session_id": "a", "created_at": "2026-01-01T00:00:00"}, "messages": [{"role": "user", "content": "x", "timestamp": "2026-01-01T00:00:00", "token_count": "3"}]}""", "messages[0].token_count: expected a number")]
    [InlineData("""{"metadata": {"session_id": "a", "created_at": "2026-01-01T00:00:00"}, "messages": [{"role": "assistant", "content": "x", "timestamp": "2026-01-01T00:00:00", "tool_calls": [{"id": "c"}]}]}""", "messages[0].tool_calls[0].name: missing")]
    [InlineData("""{"metadata": {"session_id": "a", "created_at": "2026-01-01T00:00:00"}, "messages": [{"role": "assistant", "content": "x", "timestamp": "2026-01-01T00:00:00", "tool_calls": "c"}]}""", "messages[0].tool_calls: expected an array")]
    [InlineData("""{"metadata": {"session_id": "a", "created_at": "2026-01-01T00:00:00"}, "messages": [{"role": "tool", "content": "x", "timestamp": "2026-01-01T00:00:00", "metadata": []}]}""", "messages[0].metadata: expected an object")]
    [InlineData("""{"metadata": {"session_id": "a", "created_at": "2026-01-01T00:00:00"}, "messages": [{"role": "user", "content": "\ud800", "timestamp": "2026-01-01T00:00:00"}]}""", "messages[0].content: the string is not valid UTF-16")]
    [InlineData("""{"metadata": {"session_id": "a", "created_at": "2026-01-01T00:00:00", "\udfff": 1}, "messages": []}""", "not valid UTF-16")]
    public async Task Malformed_sessions_are_corrupt_naming_file_and_field(string json, string expected)
    {
        using var dir = TempDirectory.ForCaller();
        var path = dir.Combine("bad.json");
        File.WriteAllText(path, json);

        await CorruptAsync(Importer, path, contains: expected);
    }

    [Fact]
    public async Task Times_off_the_calendar_after_conversion_are_corrupt()
    {
        using var dir = TempDirectory.ForCaller();
        var path = dir.Combine("early.json");
        File.WriteAllText(path, """{"metadata": {"session_id": "a", "created_at": "0001-01-01T00:00:00"}, "messages": []}""");

        await CorruptAsync(Importer, path, contains: "metadata.created_at", options: Options(PlusTwo));
    }

    [Fact]
    public async Task Files_over_the_limit_are_refused()
    {
        var error = await Assert.ThrowsAsync<AgentSessionsException>(async () =>
        {
            await foreach (var _ in Importer.ReadAsync(new ImportSource(Fixture), new ImportOptions { MaxFileBytes = 100 }))
            {
            }
        });
        Assert.Equal(ErrorCode.TooLarge, error.Code);
        Assert.Contains("2026-11-21_042521.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("MaxFileBytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Arguments_that_are_not_objects_stay_as_they_were()
    {
        using var dir = TempDirectory.ForCaller();
        var path = dir.Combine("args.json");
        File.WriteAllText(path, """
            {"metadata": {"session_id": "a", "created_at": "2026-01-01T00:00:00"}, "messages": [
              {"role": "assistant", "content": "x", "timestamp": "2026-01-01T00:00:00", "tool_calls": [
                {"id": "1", "name": "n", "arguments": "[1,2]"}, {"id": "2", "name": "n", "arguments": [3]}, {"id": "3", "name": "n", "arguments": null}]}]}
            """);

        var archive = await ReadOneAsync(Importer, path);
        var calls = archive.Messages[0].Parts.OfType<ToolCallPart>().ToList();

        Assert.Equal("\"[1,2]\"", Json(calls[0].Arguments));
        Assert.Equal("[3]", Json(calls[1].Arguments));
        Assert.Null(calls[2].Arguments);
        Assert.Equal(JsonValueKind.String, calls[0].Arguments!.Value.ValueKind);
    }
}
