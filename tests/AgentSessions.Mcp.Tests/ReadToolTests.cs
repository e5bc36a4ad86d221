using System.Text.Json;
using AgentSessions.Storage;
using Xunit;

namespace AgentSessions.Mcp.Tests;

/// <summary>The read tools in process: what they return, checked against the store they read.</summary>
public sealed class ReadToolTests
{
    [Fact]
    public async Task Lists_the_read_tools_with_their_schemas_and_hides_the_write_tools_by_default()
    {
        await using var server = await McpTestServer.StartAsync();
        var tools = await server.Client.ListToolsAsync();

        Assert.Equal(["list_sessions", "read_session", "search_sessions", "session_info"], tools.Select(t => t.Name).Order(StringComparer.Ordinal));
        foreach (var tool in tools)
        {
            Assert.False(string.IsNullOrWhiteSpace(tool.Description));
            Assert.True(tool.ProtocolTool.Annotations?.ReadOnlyHint, $"{tool.Name} is not marked read-only");
            Assert.NotNull(tool.ProtocolTool.OutputSchema);
        }

        var search = tools.Single(t => t.Name == "search_sessions").ProtocolTool.InputSchema;
        Assert.Equal("integer", search.GetProperty("properties").GetProperty("limit").GetProperty("type").GetString());
        Assert.Equal(["query"], search.GetProperty("required").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task Search_finds_the_stored_message_with_its_session_position_and_snippet()
    {
        string id = "";
        await using var server = await McpTestServer.StartAsync(seed: async service =>
        {
            id = (await service.CreateAsync(new NewSession { Title = "animals" })).Id;
            await service.AppendAsync(id, new NewMessage(MessageRole.User, "what about giraffes"));
            await service.AppendAsync(id, new NewMessage(MessageRole.Assistant, "zebras sleep standing up"));
            var other = await service.CreateAsync(new NewSession { Title = "cars" });
            await service.AppendAsync(other.Id, new NewMessage(MessageRole.User, "a fast car"));
        });

        var result = await server.CallOkAsync("search_sessions", """{"query":"zebras"}""");

        var hit = Assert.Single(result.GetProperty("hits").EnumerateArray());
        Assert.Equal(id, hit.GetProperty("sessionId").GetString());
        Assert.Equal("animals", hit.GetProperty("title").GetString());
        Assert.Equal(2, hit.GetProperty("seq").GetInt64());
        Assert.Equal("assistant", hit.GetProperty("role").GetString());
        Assert.Contains("zebras", hit.GetProperty("snippet").GetString());
        Assert.False(result.GetProperty("more").GetBoolean());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("nextCursor").ValueKind);

        // The filters reach the store: another role, or a tag nobody has, finds nothing.
        Assert.Empty((await server.CallOkAsync("search_sessions", """{"query":"zebras","role":"user"}""")).GetProperty("hits").EnumerateArray());
        Assert.Empty((await server.CallOkAsync("search_sessions", """{"query":"zebras","tag":"none"}""")).GetProperty("hits").EnumerateArray());
        Assert.Single((await server.CallOkAsync("search_sessions", $$"""{"query":"zebras","sessionId":"{{id}}","since":"2000-01-01"}""")).GetProperty("hits").EnumerateArray());
    }

    [Fact]
    public async Task Search_pages_through_every_hit_once_with_its_cursors()
    {
        await using var server = await McpTestServer.StartAsync(seed: async service =>
        {
            var session = await service.CreateAsync(new NewSession { Title = "many" });
            for (var i = 1; i <= 25; i++)
            {
                await service.AppendAsync(session.Id, new NewMessage(MessageRole.User, $"okapi number {i}"));
            }
        });

        var seen = new List<long>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var arguments = cursor is null ? """{"query":"okapi","limit":10}""" : $$"""{"query":"okapi","limit":10,"cursor":"{{cursor}}"}""";
            var page = await server.CallOkAsync("search_sessions", arguments);
            seen.AddRange(page.GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("seq").GetInt64()));
            cursor = page.GetProperty("nextCursor").GetString();
            Assert.Equal(page.GetProperty("more").GetBoolean(), cursor is not null);
            pages++;
        }
        while (cursor is not null && pages < 10);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(1, 25).Select(i => (long)i), seen.Order());
    }

    [Fact]
    public async Task List_sessions_is_newest_first_filters_by_tag_and_project_and_pages()
    {
        var project = Path.GetFullPath("/tmp/some-project");
        await using var server = await McpTestServer.StartAsync(seed: async service =>
        {
            for (var i = 1; i <= 5; i++)
            {
                var tags = i % 2 == 0 ? new[] { "even" } : [];
                await service.CreateAsync(new NewSession { Title = $"session {i}", Tags = tags, ProjectPath = i == 5 ? project : null });
            }
        });

        var first = await server.CallOkAsync("list_sessions", """{"limit":3}""");
        Assert.Equal(["session 5", "session 4", "session 3"], first.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("title").GetString()));
        Assert.True(first.GetProperty("more").GetBoolean());
        var second = await server.CallOkAsync("list_sessions", $$"""{"limit":3,"cursor":"{{first.GetProperty("nextCursor").GetString()}}"}""");
        Assert.Equal(["session 2", "session 1"], second.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("title").GetString()));
        Assert.False(second.GetProperty("more").GetBoolean());

        var even = await server.CallOkAsync("list_sessions", """{"tag":"even"}""");
        Assert.Equal(["session 4", "session 2"], even.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("title").GetString()));
        var inProject = await server.CallOkAsync("list_sessions", JsonSerializer.Serialize(new { project }));
        var only = Assert.Single(inProject.GetProperty("sessions").EnumerateArray());
        Assert.Equal("session 5", only.GetProperty("title").GetString());
        Assert.Equal(project, only.GetProperty("project").GetString());
    }

    [Fact]
    public async Task Read_session_returns_a_window_with_the_total_and_where_to_go_on()
    {
        string id = "";
        await using var server = await McpTestServer.StartAsync(seed: async service =>
        {
            id = (await service.CreateAsync(new NewSession { Title = "long one" })).Id;
            for (var i = 1; i <= 7; i++)
            {
                await service.AppendAsync(id, new NewMessage(i % 2 == 1 ? MessageRole.User : MessageRole.Assistant, $"message {i}"));
            }

            await service.AddBookmarkAsync(id, "checkpoint", 4);
        });

        var window = await server.CallOkAsync("read_session", $$"""{"sessionId":"{{id}}","from":3,"limit":2}""");
        Assert.Equal(7, window.GetProperty("total").GetInt64());
        Assert.Equal(["message 3", "message 4"], window.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()));
        Assert.Equal("user", window.GetProperty("messages")[0].GetProperty("role").GetString());
        Assert.True(window.GetProperty("more").GetBoolean());
        Assert.Equal(5, window.GetProperty("nextFrom").GetInt64());

        var after = await server.CallOkAsync("read_session", $$"""{"sessionId":"{{id}}","sinceBookmark":"checkpoint"}""");
        Assert.Equal([5L, 6L, 7L], after.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("seq").GetInt64()));
        Assert.False(after.GetProperty("more").GetBoolean());
        Assert.Equal(JsonValueKind.Null, after.GetProperty("nextFrom").ValueKind);
    }

    [Fact]
    public async Task Read_session_summarises_tool_traffic_and_cuts_long_texts()
    {
        string id = "";
        var huge = new string('x', SessionTools.MaxMessageChars * 3);
        var bigArguments = JsonSerializer.SerializeToElement(new { path = "src/" + new string('a', 1_000) });
        await using var server = await McpTestServer.StartAsync(seed: async service =>
        {
            id = (await service.CreateAsync(new NewSession())).Id;
            await service.AppendAsync(id, new NewMessage(MessageRole.Assistant, [new TextPart("let me look"), new ToolCallPart("c1", "read_file", bigArguments)]));
            await service.AppendAsync(id, new NewMessage(MessageRole.Tool, [new ToolResultPart("c1", JsonSerializer.SerializeToElement(huge))]));
            await service.AppendAsync(id, new NewMessage(MessageRole.User, huge));
        });

        var messages = (await server.CallOkAsync("read_session", $$"""{"sessionId":"{{id}}"}""")).GetProperty("messages");

        var call = messages[0].GetProperty("text").GetString()!;
        Assert.StartsWith("let me look\n[tool call read_file({", call);
        Assert.True(call.Length < 300, $"the tool call was not summarised: {call.Length} characters");
        var result = messages[1].GetProperty("text").GetString()!;
        Assert.StartsWith("[tool result: xxx", result);
        Assert.True(result.Length < 300, $"the tool result was not summarised: {result.Length} characters");
        Assert.False(messages[1].GetProperty("truncated").GetBoolean());
        Assert.True(messages[2].GetProperty("truncated").GetBoolean());
        Assert.Equal(SessionTools.MaxMessageChars + 1, messages[2].GetProperty("text").GetString()!.Length);
    }

    [Fact]
    public async Task Session_info_reports_fields_lineage_bookmarks_tool_runs_and_files()
    {
        string id = "", fork = "";
        await using var server = await McpTestServer.StartAsync(seed: async service =>
        {
            id = (await service.CreateAsync(new NewSession { Title = "refactor", Model = "gpt-test", Tags = ["work"] })).Id;
            await service.AppendAsync(id, new NewMessage(MessageRole.User, "rename it") { InputTokens = 12 });
            await service.AppendAsync(id, new NewMessage(MessageRole.Assistant, "done") { OutputTokens = 30 });
            var now = DateTimeOffset.UtcNow;
            await service.RecordToolExecutionAsync(id, new ToolExecution { Id = "t1", ToolName = "edit", CreatedAt = now });
            await service.RecordToolExecutionAsync(id, new ToolExecution { Id = "t2", ToolName = "edit", Success = false, CreatedAt = now });
            await service.RecordToolExecutionAsync(id, new ToolExecution { Id = "t3", ToolName = "test", CreatedAt = now });
            await service.RecordFileChangeAsync(id, new FileChange("src/a.cs", FileChangeKind.Modified, now));
            await service.RecordFileChangeAsync(id, new FileChange("src/b.cs", FileChangeKind.Created, now));
            await service.RecordFileChangeAsync(id, new FileChange("src/a.cs", FileChangeKind.Modified, now));
            await service.AddBookmarkAsync(id, "start", 1, "the ask");
            fork = (await service.ForkAsync(id, 1, new NewSession { Title = "other way" })).Id;
        });

        var info = await server.CallOkAsync("session_info", $$"""{"sessionId":"{{id}}"}""");

        Assert.Equal("refactor", info.GetProperty("title").GetString());
        Assert.Equal("gpt-test", info.GetProperty("model").GetString());
        Assert.Equal(["work"], info.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(2, info.GetProperty("messageCount").GetInt64());
        Assert.Equal(12, info.GetProperty("inputTokens").GetInt64());
        Assert.Equal(30, info.GetProperty("outputTokens").GetInt64());
        Assert.Equal([fork], info.GetProperty("forks").EnumerateArray().Select(f => f.GetString()));
        var bookmark = Assert.Single(info.GetProperty("bookmarks").EnumerateArray());
        Assert.Equal(("start", 1L, "the ask"), (bookmark.GetProperty("name").GetString(), bookmark.GetProperty("seq").GetInt64(), bookmark.GetProperty("note").GetString()));
        Assert.Equal(["edit:2:1", "test:1:0"], info.GetProperty("toolRuns").EnumerateArray().Select(t => $"{t.GetProperty("tool").GetString()}:{t.GetProperty("runs").GetInt32()}:{t.GetProperty("failed").GetInt32()}"));
        Assert.Equal(["src/a.cs:modified", "src/b.cs:created"], info.GetProperty("files").EnumerateArray().Select(f => $"{f.GetProperty("path").GetString()}:{f.GetProperty("kind").GetString()}"));
        Assert.Equal(2, info.GetProperty("fileCount").GetInt32());

        var forkInfo = await server.CallOkAsync("session_info", $$"""{"sessionId":"{{fork}}"}""");
        Assert.Equal(id, forkInfo.GetProperty("parentId").GetString());
        Assert.Equal(1, forkInfo.GetProperty("forkSeq").GetInt64());
    }
}
