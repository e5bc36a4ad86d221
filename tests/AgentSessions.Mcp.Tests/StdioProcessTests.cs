using System.Diagnostics;
using System.Text.Json;
using AgentSessions.Sqlite;
using AgentSessions.Testing;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Xunit;

namespace AgentSessions.Mcp.Tests;

/// <summary>
/// <c>agent-sessions mcp</c> as a coding agent runs it: the built tool as a child process, driven by the SDK's own
/// client over <see cref="StdioClientTransport"/>, with the results checked in the store.
/// </summary>
public sealed class StdioProcessTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static async Task<McpClient> ConnectAsync(string store, List<string> stderr, params string[] extra)
    {
        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = "agent-sessions",
            Command = "dotnet",
            Arguments = [BuiltTool.CliDll, "mcp", "--store", store, .. extra],
            EnvironmentVariables = new Dictionary<string, string?> { ["AGENT_SESSIONS_HOME"] = null, ["AGENT_SESSIONS_DEBUG"] = null },
            StandardErrorLines = line => { lock (stderr) { stderr.Add(line); } },
        });
        using var timeout = new CancellationTokenSource(Timeout);
        return await McpClient.CreateAsync(transport, cancellationToken: timeout.Token);
    }

    private static async Task SeedAsync(string store)
    {
        await using var opened = SqliteSessionStore.Open(store);
        await opened.CreateAsync(new NewSession { Id = "s1", Title = "zebra facts", Tags = ["animals"] });
        await opened.AppendAsync("s1", [new NewMessage(MessageRole.User, "how do zebras sleep"), new NewMessage(MessageRole.Assistant, "standing up, mostly")]);
    }

    [Fact]
    public async Task The_built_tool_serves_the_read_tools_and_answers_good_and_bad_calls()
    {
        using var store = TempDirectory.ForCaller();
        await SeedAsync(store.Path);
        var stderr = new List<string>();
        await using var client = await ConnectAsync(store.Path, stderr);

        Assert.Equal("agent-sessions", client.ServerInfo?.Name);
        Assert.Contains("search_sessions", client.ServerInstructions ?? "", StringComparison.Ordinal);
        var tools = await client.ListToolsAsync();
        Assert.Equal(["list_sessions", "read_session", "search_sessions", "session_info"], tools.Select(t => t.Name).Order(StringComparer.Ordinal));

        var search = await client.CallToolAsync("search_sessions", new Dictionary<string, object?> { ["query"] = "zebras" });
        Assert.True(search.IsError is not true, McpTestServer.Text(search));
        var hit = Assert.Single(search.StructuredContent!.Value.GetProperty("hits").EnumerateArray());
        Assert.Equal(("s1", 1L), (hit.GetProperty("sessionId").GetString(), hit.GetProperty("seq").GetInt64()));

        var list = await client.CallToolAsync("list_sessions", new Dictionary<string, object?> { ["tag"] = "animals" });
        Assert.Equal("zebra facts", Assert.Single(list.StructuredContent!.Value.GetProperty("sessions").EnumerateArray()).GetProperty("title").GetString());
        var read = await client.CallToolAsync("read_session", new Dictionary<string, object?> { ["sessionId"] = "s1", ["from"] = 2 });
        Assert.Equal("standing up, mostly", Assert.Single(read.StructuredContent!.Value.GetProperty("messages").EnumerateArray()).GetProperty("text").GetString());
        var info = await client.CallToolAsync("session_info", new Dictionary<string, object?> { ["sessionId"] = "s1" });
        Assert.Equal(2, info.StructuredContent!.Value.GetProperty("messageCount").GetInt64());

        var bad = await client.CallToolAsync("read_session", new Dictionary<string, object?> { ["sessionId"] = "../x" });
        Assert.True(bad.IsError);
        Assert.Contains("invalid session id", McpTestServer.Text(bad), StringComparison.Ordinal);
        var refused = await client.CallToolAsync("add_note", new Dictionary<string, object?> { ["sessionId"] = "s1", ["text"] = "x" });
        Assert.True(refused.IsError);
        Assert.Contains("--allow-write", McpTestServer.Text(refused), StringComparison.Ordinal);

        var resource = await client.ReadResourceAsync("agent-sessions://session/s1");
        Assert.StartsWith("# zebra facts", Assert.IsType<TextResourceContents>(Assert.Single(resource.Contents)).Text, StringComparison.Ordinal);

        // Nothing went wrong on the server's side, and nothing but protocol reached stdout (or the client had failed).
        lock (stderr)
        {
            Assert.Empty(stderr);
        }
    }

    [Fact]
    public async Task With_allow_write_the_built_tool_stores_what_the_write_tools_ask()
    {
        using var store = TempDirectory.ForCaller();
        await SeedAsync(store.Path);
        var stderr = new List<string>();
        await using (var client = await ConnectAsync(store.Path, stderr, "--allow-write"))
        {
            Assert.Contains("add_note", (await client.ListToolsAsync()).Select(t => t.Name));
            var note = await client.CallToolAsync("add_note", new Dictionary<string, object?> { ["sessionId"] = "s1", ["text"] = "they also lie down" });
            Assert.True(note.IsError is not true, McpTestServer.Text(note));
            var tag = await client.CallToolAsync("tag", new Dictionary<string, object?> { ["sessionId"] = "s1", ["add"] = new[] { "reviewed" } });
            Assert.True(tag.IsError is not true, McpTestServer.Text(tag));
            var bookmark = await client.CallToolAsync("bookmark", new Dictionary<string, object?> { ["sessionId"] = "s1", ["name"] = "noted" });
            Assert.True(bookmark.IsError is not true, McpTestServer.Text(bookmark));
        }

        await using var opened = SqliteSessionStore.Open(store.Path);
        var messages = await opened.ReadAsync("s1").ToListAsync();
        Assert.Equal("they also lie down", messages[^1].Text);
        Assert.Equal(3, messages.Count);
        Assert.Equal(["animals", "reviewed"], (await opened.GetAsync("s1"))!.Tags);
        Assert.Equal(3, Assert.Single((await opened.GetDetailsAsync("s1")).Bookmarks).Sequence);
    }

    [Fact]
    public async Task Lines_that_are_not_messages_do_not_stop_the_server_and_the_end_of_input_does()
    {
        using var store = TempDirectory.ForCaller();
        var info = BuiltTool.StartInfo(["mcp", "--store", store.Path]);
        info.Environment.Remove("AGENT_SESSIONS_DEBUG");
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            foreach (var line in new[] { "{garbage", "[1,2,3]", "\"just a string\"", """{"jsonrpc":"2.0","id":7,"method":"no/such/method"}""", new string('x', 1 << 20) })
            {
                await process.StandardInput.WriteLineAsync(line);
            }

            await process.StandardInput.WriteLineAsync("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}""");
            await process.StandardInput.FlushAsync();
            using var timeout = new CancellationTokenSource(Timeout);

            // Every line on stdout is a JSON-RPC message: the unknown method's error and the answer to the initialize
            // after the junk (in either order: requests are handled concurrently). Input stays open until both came,
            // as the SDK drops requests still in flight at the end of input (docs/mcp.md).
            var messages = new List<JsonElement>();
            while (!messages.Any(IsInitializeAnswer) || !messages.Any(IsUnknownMethodError))
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new Xunit.Sdk.XunitException($"stdout ended early; stderr: {await stderr}");
                messages.Add(JsonDocument.Parse(line).RootElement);
            }

            process.StandardInput.Close();
            Assert.Equal("", (await process.StandardOutput.ReadToEndAsync(timeout.Token)).Trim());
            await process.WaitForExitAsync(timeout.Token);
            Assert.All(messages, m => Assert.Equal("2.0", m.GetProperty("jsonrpc").GetString()));
            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}; stderr: {await stderr}");
            Assert.DoesNotContain("   at ", await stderr, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static bool IsInitializeAnswer(JsonElement message)
        => message.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Number && id.GetInt32() == 1
            && message.GetProperty("result").GetProperty("serverInfo").GetProperty("name").GetString() == "agent-sessions";

    private static bool IsUnknownMethodError(JsonElement message)
        => message.TryGetProperty("error", out var error) && error.GetProperty("code").GetInt32() == -32601
            && message.GetProperty("id").GetInt32() == 7;

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task A_signal_stops_the_server_cleanly_with_only_protocol_on_stdout(string signal)
    {
        using var store = TempDirectory.ForCaller();
        await SeedAsync(store.Path);
        var info = BuiltTool.StartInfo(["mcp", "--store", store.Path]);
        info.Environment.Remove("AGENT_SESSIONS_DEBUG");
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.StandardInput.WriteLineAsync("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}""");
            await process.StandardInput.FlushAsync();
            using var timeout = new CancellationTokenSource(Timeout);
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
            var answer = JsonDocument.Parse(line!).RootElement;
            Assert.Equal("agent-sessions", answer.GetProperty("result").GetProperty("serverInfo").GetProperty("name").GetString());

            using (var kill = Process.Start("kill", ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(timeout.Token);
            }

            var rest = await process.StandardOutput.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);

            // Stopped by itself within the grace period (the deadline would have printed its own line and code 130/143).
            Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}; stderr: {await stderr}");
            Assert.Equal("", rest.Trim());
            Assert.DoesNotContain("   at ", await stderr, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
