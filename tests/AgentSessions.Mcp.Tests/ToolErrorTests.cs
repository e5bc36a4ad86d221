using ModelContextProtocol;
using Xunit;

namespace AgentSessions.Mcp.Tests;

/// <summary>Every bad argument is a tool error with a message that says what is wrong; the server carries on.</summary>
public sealed class ToolErrorTests
{
    public static TheoryData<string, string, string> BadCalls => new()
    {
        { "search_sessions", """{}""", "'search_sessions' needs the argument 'query'" },
        { "search_sessions", """{"query":null}""", "'query' must be a string; got null" },
        { "search_sessions", """{"query":"   "}""", "the search text has no words to look for" },
        { "search_sessions", $$"""{"query":"{{new string('w', 1_001)}}"}""", "at most 1,000 are allowed" },
        { "search_sessions", """{"query":"x","limit":0}""", "'limit' must be between 1 and 50; got 0" },
        { "search_sessions", """{"query":"x","limit":51}""", "'limit' must be between 1 and 50; got 51" },
        { "search_sessions", """{"query":"x","limit":"ten"}""", "'limit' must be an integer; got \"ten\"" },
        { "search_sessions", """{"query":"x","limit":2.5}""", "'limit' must be an integer; got 2.5" },
        { "search_sessions", """{"query":"x","limit":99999999999}""", "invalid arguments for 'search_sessions'" },
        { "search_sessions", """{"query":"x","cursor":"page2"}""", "'cursor' 'page2' is not a cursor this server gave out" },
        { "search_sessions", """{"query":"x","cursor":"o:999999"}""", "is not a cursor this server gave out" },
        { "search_sessions", """{"query":"x","role":"wizard"}""", "unknown role 'wizard'" },
        { "search_sessions", """{"query":"x","since":"yesterday"}""", "'since' must be a date or time in ISO 8601" },
        { "search_sessions", """{"query":"x","sessionId":"../../etc/passwd"}""", "invalid session id" },
        { "search_sessions", """{"query":"x","session_id":"abc"}""", "'search_sessions' has no argument 'session_id'; its arguments are: query, limit, cursor" },
        { "list_sessions", """{"limit":-1}""", "'limit' must be between 1 and 100; got -1" },
        { "list_sessions", """{"tag":["a"]}""", "'tag' must be a string (or left out); got [\"a\"]" },
        { "read_session", """{}""", "'read_session' needs the argument 'sessionId'" },
        { "read_session", """{"sessionId":""}""", "invalid session id '': it is empty" },
        { "read_session", """{"sessionId":"no-such-session"}""", "session 'no-such-session' not found; list_sessions or search_sessions find the right id" },
        { "read_session", """{"sessionId":"s1","from":0}""", "'from' must be 1 or more; got 0" },
        { "read_session", """{"sessionId":"s1","limit":201}""", "'limit' must be between 1 and 200; got 201" },
        { "read_session", """{"sessionId":"s1","sinceBookmark":"nope"}""", "session 's1' has no bookmark 'nope'" },
        { "session_info", """{"sessionId":42}""", "'sessionId' must be a string; got 42" },
        { "session_info", """{"sessionId":"s\u0000x"}""", "invalid session id" },
    };

    [Theory]
    [MemberData(nameof(BadCalls))]
    public async Task A_bad_argument_is_a_tool_error_that_names_the_problem(string tool, string arguments, string expected)
    {
        await using var server = await McpTestServer.StartAsync(seed: async service =>
        {
            await service.CreateAsync(new NewSession { Id = "s1" });
        });

        var message = await server.CallErrorAsync(tool, arguments);

        Assert.Contains(expected, message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", message, StringComparison.Ordinal);
        // The server carries on: the next call is answered.
        Assert.NotEmpty(await server.Client.ListToolsAsync());
        Assert.DoesNotContain("error:", server.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_tool_is_a_protocol_error_and_the_server_carries_on()
    {
        await using var server = await McpTestServer.StartAsync();

        var error = await Assert.ThrowsAsync<McpProtocolException>(() => server.CallAsync("delete_everything"));

        Assert.Contains("delete_everything", error.Message, StringComparison.Ordinal);
        Assert.Equal(McpErrorCode.InvalidParams, error.ErrorCode);
        Assert.NotEmpty(await server.Client.ListToolsAsync());
    }
}
