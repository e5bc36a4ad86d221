using System.Text;
using System.Text.Json;
using AgentSessions.Formats.Import;
using AgentSessions.Import.Copilot;
using AgentSessions.Import.OpenAgent;
using AgentSessions.Import.SuperQode;
using AgentSessions.Testing;
using Xunit;
using static AgentSessions.Import.Tests.ImportAssert;

namespace AgentSessions.Import.Tests.Copilot;

public sealed class CopilotCliImporterTests
{
    private static readonly CopilotCliImporter Importer = new();

    private static string Fixture => SeedFixtures.Path("copilot-cli", "session-state", "user-123-tool-demo");

    private static DateTimeOffset Z(int millisecond) => new(2026, 11, 21, 4, 27, 9, millisecond, TimeSpan.Zero);

    private static async Task AssertFixtureAsync(TimeZoneInfo zone)
    {
        var archive = await ReadOneAsync(Importer, Fixture, Options(zone));
        var session = archive.Session;

        Assert.Equal("user-123-tool-demo", session.Id);
        Assert.Equal("USE_TOOL: look up ISSUE-42", session.Title);
        Assert.Equal("/home/user/projects/demo", session.ProjectPath);
        Assert.Equal("mock-model", session.Model);
        Assert.Equal(Z(750), session.CreatedAt);
        Assert.Equal(Z(842), session.UpdatedAt); // the last event, later than workspace.yaml's updated_at
        Assert.Empty(session.Tags);
        Provenance(session, "copilot-cli", "user-123-tool-demo", Fixture);
        Assert.Equal(
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(Fixture, "events.jsonl")))),
            session.Metadata[ImportMetadata.Key].GetProperty("sha256").GetString());
        Metadata(session.Metadata, "workspace", """{"client_name":"sdk","user_named":"false","summary_count":"0","fork_count":"0"}""");
        Metadata(session.Metadata, "producer", "\"copilot-agent\"");
        Metadata(session.Metadata, "copilotVersion", "\"0.0.0\"");
        Assert.Equal(200, session.Metadata["shutdown"].GetProperty("modelMetrics").GetProperty("mock-model").GetProperty("usage").GetProperty("inputTokens").GetInt64());
        Assert.False(session.Metadata.ContainsKey("skippedEvents")); // turn markers are structure, not skipped content
        Assert.False(session.Metadata.ContainsKey("unfinishedToolExecutions"));

        var m = archive.Messages;
        Assert.Equal([1L, 2, 3, 4, 5], m.Select(x => x.Sequence));
        Assert.Equal([MessageRole.User, MessageRole.System, MessageRole.Assistant, MessageRole.Tool, MessageRole.Assistant], m.Select(x => x.Role));
        Assert.Equal([Z(771), Z(771), Z(782), Z(819), Z(829)], m.Select(x => x.CreatedAt));
        Assert.Equal(m.Count, m.Select(x => x.Id).Distinct().Count());

        Assert.Equal("3aa0fcc6-5390-4a75-99c9-b6af587e7fe2", m[0].Id);
        Text(m[0], "USE_TOOL: look up ISSUE-42"); // content, not transformedContent
        Text(m[1], "You are a coding agent. (System prompt text replaced by a placeholder in this fixture.)");

        Assert.Equal("8843d946-1e04-4bf9-b6ff-193795ff0a14", m[2].Id);
        Assert.Equal("mock-model", m[2].Model);
        var call = Assert.IsType<ToolCallPart>(Assert.Single(m[2].Parts)); // empty content: no text part
        Assert.Equal(("call_mock_3", "lookup_issue"), (call.CallId, call.Name));
        Assert.Equal("""{"id":"ISSUE-42"}""", Json(call.Arguments));

        var result = Assert.IsType<ToolResultPart>(Assert.Single(m[3].Parts));
        Assert.Equal("call_mock_3", result.CallId);
        Assert.Equal("""{"id":"ISSUE-42","title":"Null reference in parser","state":"open"}""", result.Result!.Value.GetString());
        Assert.False(result.IsError);

        Assert.Equal("00fd4ba6-b139-4247-897c-a9ee0bb7290c", m[4].Id);
        Text(m[4], "Mock reply #4 to: <current_datetime>2026-11-21T04:27:09.771+00:00</current_datetime>\n\nUSE_TOOL: lo");
        Assert.All(m, x => Assert.Equal((0L, 0L), (x.InputTokens, x.OutputTokens))); // no assistant.usage events in this file

        var run = Assert.Single(archive.ToolExecutions);
        Assert.Equal("call_mock_3", run.Id);
        Assert.Equal("lookup_issue", run.ToolName);
        Assert.Equal("call_mock_3", run.CallId);
        Assert.Equal("""{"id":"ISSUE-42"}""", Json(run.Arguments));
        Assert.Equal(result.Result!.Value.GetString(), run.Result!.Value.GetString());
        Assert.True(run.Success);
        Assert.Equal(37, run.DurationMs);
        Assert.Equal(3, run.Sequence);
        Assert.Equal(Z(782), run.CreatedAt);

        Assert.Empty(archive.Files);
        Assert.Empty(archive.Snapshots);
    }

    [Fact]
    public Task Fixture_reads_every_message_and_tool_run() => AssertFixtureAsync(Utc);

    [Fact]
    public Task Times_with_Z_do_not_depend_on_the_zone() => AssertFixtureAsync(PlusTwo);

    private static string Event(string type, string data, string timestamp, string? id = null)
        => $$"""{"type":"{{type}}","data":{{data}},"id":"{{id ?? Guid.NewGuid().ToString()}}","timestamp":"{{timestamp}}","parentId":null}""";

    [Fact]
    public async Task Usage_external_tools_failures_and_unknown_events()
    {
        using var dir = TempDirectory.ForCaller();
        var session = Directory.CreateDirectory(dir.Combine("abc")).FullName;
        File.WriteAllText(Path.Combine(session, "workspace.yaml"), """
            # written by hand
            id: "abc"
            cwd: '/home/o''neil/src'
            name: "Tab\there \u00e9 \"quoted\""
            summary: |
              First line
              second line

            created_at: 2026-05-01T10:00:00
            nested:
              key: ignored
            - stray
            """.Replace("\n", "\r\n", StringComparison.Ordinal));
        var lines = new[]
        {
            Event("session.start", """{"sessionId":"abc","selectedModel":"gpt-a","startTime":"2026-05-01T10:00:00","context":{"cwd":"/elsewhere"}}""", "2026-05-01T10:00:00"),
            "",
            Event("user.message", """{"content":"hi","messageId":"u1","attachments":[{"type":"file","path":"a.txt"}]}""", "2026-05-01T10:00:01"),
            Event("assistant.message_delta", """{"deltaContent":"x"}""", "2026-05-01T10:00:02"),
            Event("assistant.message_delta", """{"deltaContent":"y"}""", "2026-05-01T10:00:02"),
            Event("assistant.message", """{"messageId":"a1","model":"gpt-a","content":"Let me look.","reasoningText":"think","apiCallId":"api-1","toolRequests":[{"toolCallId":"t1","name":"ext","arguments":"{\"q\": 1}"},{"toolCallId":"t2","name":"shell","arguments":{"cmd":"false"}},{"toolCallId":"t3","name":"slow","arguments":{}}]}""", "2026-05-01T10:00:02"),
            Event("assistant.usage", """{"model":"gpt-a","inputTokens":100,"outputTokens":7,"apiCallId":"api-1"}""", "2026-05-01T10:00:02.5"),
            Event("external_tool.requested", """{"requestId":"r1","toolCallId":"t1","toolName":"ext","arguments":{"q":1}}""", "2026-05-01T10:00:03"),
            Event("tool.execution_start", """{"toolCallId":"t2","toolName":"shell","arguments":{"cmd":"false"}}""", "2026-05-01T10:00:03"),
            Event("external_tool.completed", """{"requestId":"r1","success":true,"result":{"content":"ext says hi"}}""", "2026-05-01T10:00:03.250"),
            Event("tool.execution_complete", """{"toolCallId":"t2","success":false,"error":{"message":"exit 1","code":"failure"}}""", "2026-05-01T10:00:04"),
            Event("tool.execution_start", """{"toolCallId":"t3","toolName":"slow","arguments":{}}""", "2026-05-01T10:00:05"),
            Event("session.resume", """{"selectedModel":"gpt-b"}""", "2026-05-01T11:00:00"),
            Event("assistant.message", """{"messageId":"a1","content":"Done.","apiCallId":"api-2"}""", "2026-05-01T11:00:01"),
            Event("assistant.usage", """{"inputTokens":50,"outputTokens":3}""", "2026-05-01T11:00:02"),
            Event("session.info", """{"message":"fyi"}""", "2026-05-01T11:00:02"),
            Event("session.shutdown", """{"codeChanges":{"filesModified":["src/a.cs","src/b.cs"]},"currentModel":"gpt-b"}""", "2026-05-01T11:00:03"),
        };
        File.WriteAllText(Path.Combine(session, "events.jsonl"), string.Join("\r\n", lines) + "\r\n\r\n");
        File.WriteAllText(Path.Combine(session, "inuse.1234.lock"), "{not json");

        var archive = await ReadOneAsync(Importer, session, Options(PlusTwo));
        var s = archive.Session;

        Assert.Equal("abc", s.Id);
        Assert.Equal("Tab\there \u00e9 \"quoted\"", s.Title);
        Assert.Equal("/home/o'neil/src", s.ProjectPath); // workspace.yaml wins over session.start
        Assert.Equal("gpt-b", s.Model); // the resume changed it
        Assert.Equal(new DateTimeOffset(2026, 5, 1, 8, 0, 0, TimeSpan.Zero), s.CreatedAt); // naive, read at +02:00
        Assert.Equal(new DateTimeOffset(2026, 5, 1, 9, 0, 3, TimeSpan.Zero), s.UpdatedAt);
        Metadata(s.Metadata, "workspace", """{"summary":"First line\nsecond line\n"}""");
        Metadata(s.Metadata, "skippedEvents", """{"assistant.message_delta":2,"session.info":1}""");
        Metadata(s.Metadata, "resumeCount", "1");
        Metadata(s.Metadata, "unfinishedToolExecutions", "1");

        var m = archive.Messages;
        Assert.Equal([MessageRole.User, MessageRole.Assistant, MessageRole.Tool, MessageRole.Tool, MessageRole.Assistant], m.Select(x => x.Role));
        Assert.Equal("u1", m[0].Id);
        Metadata(m[0].Metadata, "attachments", """[{"type":"file","path":"a.txt"}]""");

        Assert.Equal("a1", m[1].Id);
        Assert.Equal("think", Assert.IsType<ReasoningPart>(m[1].Parts[0]).Text);
        Assert.Equal("Let me look.", Assert.IsType<TextPart>(m[1].Parts[1]).Text);
        Assert.Equal(["t1", "t2", "t3"], m[1].Parts.OfType<ToolCallPart>().Select(c => c.CallId));
        Assert.Equal("""{"q":1}""", Json(m[1].Parts.OfType<ToolCallPart>().First().Arguments));
        Assert.Equal((100L, 7L), (m[1].InputTokens, m[1].OutputTokens)); // matched by apiCallId

        var external = Assert.IsType<ToolResultPart>(Assert.Single(m[2].Parts));
        Assert.Equal(("t1", "ext says hi", false), (external.CallId, external.Result!.Value.GetString(), external.IsError));
        Assert.Equal(new DateTimeOffset(2026, 5, 1, 8, 0, 3, 250, TimeSpan.Zero), m[2].CreatedAt);
        var failed = Assert.IsType<ToolResultPart>(Assert.Single(m[3].Parts));
        Assert.Equal(("t2", "exit 1", true), (failed.CallId, failed.Result!.Value.GetString(), failed.IsError));
        Metadata(m[3].Metadata, "error", """{"message":"exit 1","code":"failure"}""");

        Assert.NotEqual("a1", m[4].Id); // a repeated message id gets a new one, and the original is kept
        Metadata(m[4].Metadata, "messageId", "\"a1\"");
        Text(m[4], "Done.");
        Assert.Equal((50L, 3L), (m[4].InputTokens, m[4].OutputTokens)); // no apiCallId: the latest reply
        Assert.Equal((150L, 10L), (s.InputTokens, s.OutputTokens));

        Assert.Equal(["t1", "t2", "t3"], archive.ToolExecutions.Select(t => t.Id));
        Assert.Equal([true, false, false], archive.ToolExecutions.Select(t => t.Success));
        Assert.Equal([250L, 1000L, null], archive.ToolExecutions.Select(t => t.DurationMs));
        Assert.Equal([2L, 2L, 2L], archive.ToolExecutions.Select(t => t.Sequence));
        Assert.Null(archive.ToolExecutions[2].Result);
        Assert.Equal("""{"q":1}""", Json(archive.ToolExecutions[0].Arguments));

        Assert.Equal(
            [new FileChange("src/a.cs", FileChangeKind.Modified, new DateTimeOffset(2026, 5, 1, 9, 0, 3, TimeSpan.Zero)), new FileChange("src/b.cs", FileChangeKind.Modified, new DateTimeOffset(2026, 5, 1, 9, 0, 3, TimeSpan.Zero))],
            archive.Files);
    }

    [Fact]
    public async Task Without_workspace_yaml_the_events_name_the_session()
    {
        using var dir = TempDirectory.ForCaller();
        var session = Directory.CreateDirectory(dir.Combine("not valid id!")).FullName;
        File.WriteAllText(Path.Combine(session, "events.jsonl"), string.Join('\n',
            Event("session.start", """{"sessionId":"from-events","selectedModel":"m","startTime":"2026-05-01T10:00:00Z","context":{"cwd":"/w"}}""", "2026-05-01T10:00:00.5Z"),
            Event("user.message", """{"content":""}""", "2026-05-01T10:00:01Z")));

        var archive = await ReadOneAsync(Importer, session);

        Assert.Equal("from-events", archive.Session.Id);
        Assert.Null(archive.Session.Title);
        Assert.Equal("/w", archive.Session.ProjectPath);
        Assert.Equal(new DateTimeOffset(2026, 5, 1, 10, 0, 0, TimeSpan.Zero), archive.Session.CreatedAt);
        Assert.Equal(new DateTimeOffset(2026, 5, 1, 10, 0, 1, TimeSpan.Zero), archive.Session.UpdatedAt);
        Text(Assert.Single(archive.Messages), "");
        Assert.False(archive.Session.Metadata.ContainsKey("workspace"));
    }

    [Fact]
    public void CanRead_wants_a_session_directory()
    {
        using var dir = TempDirectory.ForCaller();
        Assert.True(Importer.CanRead(new ImportSource(Fixture)));
        Assert.True(Importer.CanRead(new ImportSource(Fixture + Path.DirectorySeparatorChar)));

        Assert.False(Importer.CanRead(new ImportSource(Path.Combine(Fixture, "events.jsonl"))));
        Assert.False(Importer.CanRead(new ImportSource(Path.Combine(Fixture, "workspace.yaml"))));
        Assert.False(Importer.CanRead(new ImportSource(Path.Combine(Fixture, ".workspace-fork.lock"))));
        Assert.False(Importer.CanRead(new ImportSource(SeedFixtures.Path("copilot-cli", "session-state"))));
        Assert.False(Importer.CanRead(new ImportSource(dir.Path)));
        Assert.False(Importer.CanRead(new ImportSource(SeedFixtures.Path("superqode", "sessions"))));
        Assert.False(Importer.CanRead(new ImportSource(SeedFixtures.Path("openagent-terminal", "sessions"))));

        Assert.False(new OpenAgentImporter().CanRead(new ImportSource(Fixture)));
        Assert.False(new SuperQodeImporter().CanRead(new ImportSource(Fixture)));
        Assert.False(new OpenAgentImporter().CanRead(new ImportSource(Path.Combine(Fixture, "events.jsonl"))));
        Assert.False(new SuperQodeImporter().CanRead(new ImportSource(Path.Combine(Fixture, "events.jsonl"))));
    }

    private static string CopyFixture(TempDirectory dir, string name)
    {
        var target = Directory.CreateDirectory(dir.Combine(name)).FullName;
        foreach (var file in new[] { "events.jsonl", "workspace.yaml" })
        {
            File.Copy(Path.Combine(Fixture, file), Path.Combine(target, file));
        }

        return target;
    }

    [Fact]
    public async Task Truncated_events_are_corrupt_naming_file_and_line()
    {
        using var dir = TempDirectory.ForCaller();
        var bytes = File.ReadAllBytes(Path.Combine(Fixture, "events.jsonl"));
        var lineStarts = bytes.Select((b, i) => (b, i)).Where(x => x.b == (byte)'\n').Select(x => x.i + 1).ToHashSet();
        var cuts = Enumerable.Range(1, 15).Select(i => bytes.Length * i / 16)
            .Where(cut => !lineStarts.Contains(cut) && bytes[cut] != (byte)'\n') // a cut at a line boundary leaves a valid, shorter log
            .ToList();
        Assert.True(cuts.Count >= 10);
        foreach (var cut in cuts)
        {
            var session = CopyFixture(dir, $"cut{cut}");
            File.WriteAllBytes(Path.Combine(session, "events.jsonl"), bytes[..cut]);
            var line = bytes[..cut].Count(b => b == (byte)'\n') + 1;

            await CorruptAsync(Importer, session, fileName: "events.jsonl", contains: $"line {line}: not valid JSON at line 1, byte ");
        }
    }

    [Fact]
    public async Task A_damaged_byte_is_corrupt_naming_the_line()
    {
        using var dir = TempDirectory.ForCaller();
        var session = CopyFixture(dir, "damaged");
        var path = Path.Combine(session, "events.jsonl");
        var text = File.ReadAllText(path);
        var at = text.IndexOf("\"toolRequests\":[", StringComparison.Ordinal);
        File.WriteAllText(path, text[..at] + "\"toolRequests\":{" + text[(at + 16)..]);

        await CorruptAsync(Importer, session, fileName: Path.Combine("damaged", "events.jsonl"), contains: "line 5: not valid JSON");
    }

    [Theory]
    [InlineData("""{"data":{}}""", "line 2: type: missing")]
    [InlineData("""[1]""", "line 2: expected an object")]
    [InlineData("""{"type":"user.message","data":[],"timestamp":"2026-01-01T00:00:00Z"}""", "line 2: data: expected an object")]
    [InlineData("""{"type":"user.message","data":{"content":"x"}}""", "line 2: timestamp: missing")]
    [InlineData("""{"type":"user.message","data":{"content":"x"},"timestamp":"soon"}""", "line 2: timestamp: 'soon' is not an ISO 8601 time")]
    [InlineData("""{"type":"user.message","data":{"content":5},"timestamp":"2026-01-01T00:00:00Z"}""", "line 2: data.content: expected a string")]
    [InlineData("""{"type":"assistant.message","data":{"content":"","toolRequests":[{"name":"x"}]},"timestamp":"2026-01-01T00:00:00Z"}""", "line 2: data.toolRequests[0].toolCallId: missing")]
    [InlineData("""{"type":"assistant.message","data":{"content":"","toolRequests":{}},"timestamp":"2026-01-01T00:00:00Z"}""", "line 2: data.toolRequests: expected an array")]
    [InlineData("""{"type":"tool.execution_complete","data":{"success":true},"timestamp":"2026-01-01T00:00:00Z"}""", "line 2: data.toolCallId: missing")]
    [InlineData("""{"type":"tool.execution_complete","data":{"toolCallId":"c","success":"yes"},"timestamp":"2026-01-01T00:00:00Z"}""", "line 2: data.success: expected true or false")]
    [InlineData("""{"type":"assistant.usage","data":{"inputTokens":-4},"timestamp":"2026-01-01T00:00:00Z"}""", "line 2: data.inputTokens: expected a count of zero or more")]
    [InlineData("""{"type":"session.shutdown","data":{"codeChanges":{"filesModified":[3]}},"timestamp":"2026-01-01T00:00:00Z"}""", "line 2: data.codeChanges.filesModified[0]: expected a string")]
    [InlineData("""{"type":"user.message","data":{"content":"\udc00"},"timestamp":"2026-01-01T00:00:00Z"}""", "line 2: data.content: the string is not valid UTF-16")]
    [InlineData("""{"type":"user.message","data":{"\udc00":1,"content":"x","attachments":{"\ud800":1}},"timestamp":"2026-01-01T00:00:00Z"}""", "events.jsonl")]
    [InlineData("""{"type":"user.message" "data":{}}""", "line 2: not valid JSON at line 1, byte 24")]
    public async Task Malformed_events_are_corrupt_naming_the_line(string line, string expected)
    {
        using var dir = TempDirectory.ForCaller();
        var session = Directory.CreateDirectory(dir.Combine("s1")).FullName;
        File.WriteAllText(Path.Combine(session, "events.jsonl"), Event("session.start", "{}", "2026-01-01T00:00:00Z") + "\n" + line + "\n");

        await CorruptAsync(Importer, session, fileName: "events.jsonl", contains: expected);
    }

    [Theory]
    [InlineData("id: 'abc", "line 1: unterminated single-quoted value")]
    [InlineData("name: \"abc", "line 1: unterminated double-quoted value")]
    [InlineData("id: x\nname: \"a\\q\"", "line 2: unknown escape")]
    [InlineData("id: 'a' trailing", "line 1: unexpected text after the quoted value")]
    [InlineData("just text", "line 1: expected 'key: value'")]
    [InlineData("created_at: tomorrow", "created_at: 'tomorrow' is not an ISO 8601 time")]
    public async Task Malformed_workspace_yaml_is_corrupt(string yaml, string expected)
    {
        using var dir = TempDirectory.ForCaller();
        var session = Directory.CreateDirectory(dir.Combine("s1")).FullName;
        File.WriteAllText(Path.Combine(session, "events.jsonl"), Event("session.start", "{}", "2026-01-01T00:00:00Z") + "\n");
        File.WriteAllText(Path.Combine(session, "workspace.yaml"), yaml);

        await CorruptAsync(Importer, session, fileName: "workspace.yaml", contains: expected);
    }

    [Fact]
    public async Task Empty_events_without_times_are_corrupt_and_large_logs_refused()
    {
        using var dir = TempDirectory.ForCaller();
        var empty = Directory.CreateDirectory(dir.Combine("empty")).FullName;
        File.WriteAllText(Path.Combine(empty, "events.jsonl"), "\n\n");
        await CorruptAsync(Importer, empty, fileName: "events.jsonl", contains: "no events");

        var error = await Assert.ThrowsAsync<AgentSessionsException>(async () =>
        {
            await foreach (var _ in Importer.ReadAsync(new ImportSource(Fixture), new ImportOptions { MaxFileBytes = 1024 }))
            {
            }
        });
        Assert.Equal(ErrorCode.TooLarge, error.Code);
        Assert.Contains("events.jsonl", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reading_a_file_instead_of_the_directory_is_refused()
    {
        await CorruptAsync(Importer, Path.Combine(Fixture, "events.jsonl"), contains: "not a Copilot CLI session directory");
    }

    [Fact]
    public async Task Yaml_scalars_follow_the_subset()
    {
        using var dir = TempDirectory.ForCaller();
        var session = Directory.CreateDirectory(dir.Combine("y")).FullName;
        File.WriteAllText(Path.Combine(session, "events.jsonl"), "");
        File.WriteAllText(Path.Combine(session, "workspace.yaml"), string.Join('\n',
            "\uFEFFid: plain-id # a comment",
            "name: 'it''s #not a comment'",
            "cwd: \"C:\\\\work\\u0041\"",
            "summary: >-",
            "  folded",
            "  text",
            "",
            "  new paragraph",
            "empty:",
            "nothing: ~",
            "created_at: '2026-02-03T04:05:06.789+01:00'",
            "updated_at: 2026-02-03T05:00:00Z"));

        var archive = await ReadOneAsync(Importer, session);

        Assert.Equal("plain-id", archive.Session.Id);
        Assert.Equal("it's #not a comment", archive.Session.Title);
        Assert.Equal("C:\\workA", archive.Session.ProjectPath);
        Assert.Equal(new DateTimeOffset(2026, 2, 3, 3, 5, 6, 789, TimeSpan.Zero), archive.Session.CreatedAt);
        Assert.Equal(new DateTimeOffset(2026, 2, 3, 5, 0, 0, TimeSpan.Zero), archive.Session.UpdatedAt);
        Metadata(archive.Session.Metadata, "workspace", """{"summary":"folded text\nnew paragraph","empty":null,"nothing":null}""");
        Assert.Empty(archive.Messages);
    }

    [Fact]
    public async Task Event_order_is_message_order_even_with_equal_times()
    {
        using var dir = TempDirectory.ForCaller();
        var session = Directory.CreateDirectory(dir.Combine("order")).FullName;
        var texts = Enumerable.Range(1, 30).Select(i => $"message {i} \u2713").ToList();
        File.WriteAllText(
            Path.Combine(session, "events.jsonl"),
            string.Join('\n', texts.Select((t, i) => Event(i % 2 == 0 ? "user.message" : "assistant.message", JsonSerializer.Serialize(new Dictionary<string, string> { ["content"] = t }), "2026-01-01T00:00:00Z"))),
            new UTF8Encoding(false));

        var archive = await ReadOneAsync(Importer, session);

        Assert.Equal(texts, archive.Messages.Select(m => m.Text));
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), archive.Messages.Select(m => m.Sequence));
    }

    private static string NewSessionFolder(TempDirectory dir, string id = "linked-session")
    {
        var session = Directory.CreateDirectory(dir.Combine("session-state", id)).FullName;
        File.WriteAllText(Path.Combine(session, "events.jsonl"), string.Join('\n',
            Event("session.start", $$$"""{"sessionId":"{{{id}}}","selectedModel":"m","startTime":"2026-05-01T10:00:00Z","context":{"cwd":"/w"}}""", "2026-05-01T10:00:00.5Z"),
            Event("user.message", """{"content":"hello"}""", "2026-05-01T10:00:01Z")) + "\n");
        return session;
    }

    [Fact]
    public async Task A_workspace_yaml_linking_outside_the_session_folder_is_not_read()
    {
        using var dir = TempDirectory.ForCaller();
        var session = NewSessionFolder(dir);
        var secret = dir.Combine("secret.yaml");
        File.WriteAllText(secret, "name: SECRET-API-KEY-123\ncwd: /home/someone/.ssh\n");
        File.CreateSymbolicLink(Path.Combine(session, "workspace.yaml"), secret);

        var archive = await ReadOneAsync(Importer, session);

        // The session comes from its events; nothing of the linked file is in it.
        Assert.Null(archive.Session.Title);
        Assert.Equal("/w", archive.Session.ProjectPath);
        Text(Assert.Single(archive.Messages), "hello");
        var stored = JsonSerializer.Serialize(archive.Session.Metadata);
        Assert.DoesNotContain("SECRET", stored, StringComparison.Ordinal);
        var note = Assert.Single(archive.Session.Metadata[ImportMetadata.Key].GetProperty("notes").EnumerateArray()).GetString()!;
        Assert.StartsWith("workspace.yaml not read: refused: a symbolic link to '" + secret + "', outside", note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_events_jsonl_that_is_a_link_is_refused_naming_where_it_leads()
    {
        using var dir = TempDirectory.ForCaller();
        var elsewhere = NewSessionFolder(dir, "elsewhere");
        var session = Directory.CreateDirectory(dir.Combine("linked")).FullName;
        File.CreateSymbolicLink(Path.Combine(session, "events.jsonl"), Path.Combine(elsewhere, "events.jsonl"));

        var error = await CorruptAsync(Importer, session, contains: "events.jsonl: refused: a symbolic link to '" + Path.Combine(elsewhere, "events.jsonl") + "', outside");

        Assert.DoesNotContain("hello", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_workspace_yaml_that_is_a_fifo_is_not_opened()
    {
        using var dir = TempDirectory.ForCaller();
        var session = NewSessionFolder(dir);
        var fifo = Path.Combine(session, "workspace.yaml");
        Assert.Equal(0, MakeFifo(fifo, 0x180));

        // Opening a FIFO for reading blocks until a writer comes: on another thread, so a regression fails here
        // instead of hanging the run.
        var read = Task.Run(() => ReadOneAsync(Importer, session));
        try
        {
            var archive = await read.WaitAsync(TimeSpan.FromSeconds(30));
            var note = Assert.Single(archive.Session.Metadata[ImportMetadata.Key].GetProperty("notes").EnumerateArray()).GetString();
            Assert.Equal("workspace.yaml not read: a FIFO (named pipe), not a regular file; not opened", note);
        }
        catch (TimeoutException)
        {
            // Release the reader stuck in open(2), so the thread does not outlive the test.
            using (new FileStream(fifo, FileMode.Open, FileAccess.Write))
            {
            }

            throw;
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MakeFifo([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path, int mode);
}
