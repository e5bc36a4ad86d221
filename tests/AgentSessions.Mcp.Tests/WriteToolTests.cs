using System.Text.Json;
using Xunit;

namespace AgentSessions.Mcp.Tests;

/// <summary>The write tools: offered and carried out only with --allow-write, checked in the store afterwards.</summary>
public sealed class WriteToolTests
{
    [Theory]
    [InlineData("add_note", """{"sessionId":"s1","text":"remember this"}""")]
    [InlineData("bookmark", """{"sessionId":"s1","name":"here"}""")]
    [InlineData("tag", """{"sessionId":"s1","add":["x"]}""")]
    public async Task Without_allow_write_the_write_tools_are_hidden_and_refused_and_the_store_is_unchanged(string tool, string arguments)
    {
        await using var server = await McpTestServer.StartAsync(seed: async service =>
        {
            await service.CreateAsync(new NewSession { Id = "s1" });
            await service.AppendAsync("s1", new NewMessage(MessageRole.User, "hello"));
        });

        Assert.DoesNotContain(tool, (await server.Client.ListToolsAsync()).Select(t => t.Name));
        var message = await server.CallErrorAsync(tool, arguments);

        Assert.Contains("start it with 'agent-sessions mcp --allow-write'", message, StringComparison.Ordinal);
        var session = await server.Service.GetAsync("s1");
        Assert.Equal(1, session.MessageCount);
        Assert.Empty(session.Tags);
        Assert.Empty((await server.Service.GetDetailsAsync("s1")).Bookmarks);
    }

    [Fact]
    public async Task With_allow_write_the_write_tools_are_listed_and_none_deletes()
    {
        await using var server = await McpTestServer.StartAsync(allowWrite: true);

        var tools = await server.Client.ListToolsAsync();

        Assert.Equal(["add_note", "bookmark", "list_sessions", "read_session", "search_sessions", "session_info", "tag"], tools.Select(t => t.Name).Order(StringComparer.Ordinal));
        // MCP's hints: a read-only tool is not destructive by definition; every other one must say it is not.
        Assert.All(tools, t => Assert.True(t.ProtocolTool.Annotations?.ReadOnlyHint == true || t.ProtocolTool.Annotations?.DestructiveHint == false, $"{t.Name} may be destructive"));
    }

    [Fact]
    public async Task Add_note_appends_a_durable_message_that_search_then_finds()
    {
        await using var server = await McpTestServer.StartAsync(allowWrite: true, seed: async service =>
        {
            await service.CreateAsync(new NewSession { Id = "s1" });
            await service.AppendAsync("s1", new NewMessage(MessageRole.User, "hello"));
        });

        var note = await server.CallOkAsync("add_note", """{"sessionId":"s1","text":"the flaky test was a race in the cache","author":"reviewer"}""");

        Assert.Equal(2, note.GetProperty("seq").GetInt64());
        var stored = (await server.Service.ReadAsync("s1").ToListAsync())[^1];
        Assert.Equal(note.GetProperty("messageId").GetString(), stored.Id);
        Assert.Equal((MessageRole.Assistant, "the flaky test was a race in the cache", "reviewer"), (stored.Role, stored.Text, stored.AuthorName));
        var hits = (await server.CallOkAsync("search_sessions", """{"query":"flaky race"}""")).GetProperty("hits");
        Assert.Equal(2, Assert.Single(hits.EnumerateArray()).GetProperty("seq").GetInt64());

        Assert.Contains("'text' is empty", await server.CallErrorAsync("add_note", """{"sessionId":"s1","text":" "}"""), StringComparison.Ordinal);
        Assert.Contains("the role 'tool'", await server.CallErrorAsync("add_note", """{"sessionId":"s1","text":"x","role":"tool"}"""), StringComparison.Ordinal);
        Assert.Contains("the limit is 65536", await server.CallErrorAsync("add_note", JsonSerializer.Serialize(new { sessionId = "s1", text = new string('n', 70_000) })), StringComparison.Ordinal);
        Assert.Contains("not found", await server.CallErrorAsync("add_note", """{"sessionId":"gone","text":"x"}"""), StringComparison.Ordinal);
        Assert.Equal(2, (await server.Service.GetAsync("s1")).MessageCount);
    }

    [Fact]
    public async Task Bookmark_marks_a_message_that_read_session_then_starts_after()
    {
        await using var server = await McpTestServer.StartAsync(allowWrite: true, seed: async service =>
        {
            await service.CreateAsync(new NewSession { Id = "s1" });
            foreach (var text in new[] { "one", "two", "three" })
            {
                await service.AppendAsync("s1", new NewMessage(MessageRole.User, text));
            }
        });

        var set = await server.CallOkAsync("bookmark", """{"sessionId":"s1","name":"read-up-to","seq":2,"note":"seen"}""");
        var last = await server.CallOkAsync("bookmark", """{"sessionId":"s1","name":"end"}""");

        Assert.Equal(2, set.GetProperty("bookmark").GetProperty("seq").GetInt64());
        Assert.Equal(3, last.GetProperty("bookmark").GetProperty("seq").GetInt64());
        var stored = (await server.Service.GetDetailsAsync("s1")).Bookmarks.Single(b => b.Name == "read-up-to");
        Assert.Equal((2L, "seen"), (stored.Sequence, stored.Note));
        var after = await server.CallOkAsync("read_session", """{"sessionId":"s1","sinceBookmark":"read-up-to"}""");
        Assert.Equal(["three"], after.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()));

        Assert.Contains("'seq' must be 1 or more", await server.CallErrorAsync("bookmark", """{"sessionId":"s1","name":"x","seq":0}"""), StringComparison.Ordinal);
        Assert.NotEmpty(await server.CallErrorAsync("bookmark", """{"sessionId":"s1","name":"x","seq":99}"""));
        Assert.NotEmpty(await server.CallErrorAsync("bookmark", """{"sessionId":"s1","name":"end"}"""));
        Assert.NotEmpty(await server.CallErrorAsync("bookmark", """{"sessionId":"s1","name":"bad name!"}"""));
        Assert.Equal(2, (await server.Service.GetDetailsAsync("s1")).Bookmarks.Count);
    }

    [Fact]
    public async Task Tag_adds_and_removes_tags_and_returns_them()
    {
        await using var server = await McpTestServer.StartAsync(allowWrite: true, seed: async service =>
        {
            await service.CreateAsync(new NewSession { Id = "s1", Tags = ["old"] });
        });

        var result = await server.CallOkAsync("tag", """{"sessionId":"s1","add":["bug","cache"],"remove":["old","absent"]}""");

        Assert.Equal(["bug", "cache"], result.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(["bug", "cache"], (await server.Service.GetAsync("s1")).Tags);
        Assert.Contains("give tags to 'add' and/or 'remove'", await server.CallErrorAsync("tag", """{"sessionId":"s1"}"""), StringComparison.Ordinal);
        Assert.Contains("'add' must be an array of strings", await server.CallErrorAsync("tag", """{"sessionId":"s1","add":"bug"}"""), StringComparison.Ordinal);
        Assert.Contains("at most 32 tags", await server.CallErrorAsync("tag", JsonSerializer.Serialize(new { sessionId = "s1", add = Enumerable.Range(0, 33).Select(i => $"t{i}") })), StringComparison.Ordinal);
    }
}
