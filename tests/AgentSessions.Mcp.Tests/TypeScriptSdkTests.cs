using System.Text.Json;
using AgentSessions.Sqlite;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Mcp.Tests;

/// <summary>
/// A client nobody on the team wrote: the official MCP TypeScript SDK (pinned in clients/typescript/package.json)
/// starts <c>agent-sessions mcp</c> over stdio, lists the tools, runs a search and the other read tools (checking
/// each result against the tool's output schema, as that SDK does), and a bad call. Needs Node.js and npm on the
/// PATH; the first run installs the package with <c>npm ci</c> (./test does it beforehand).
/// </summary>
public sealed class TypeScriptSdkTests
{
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(60);

    private static string ClientDirectory
        => Path.Combine(SeedFixtures.RepositoryRoot, "tests", "AgentSessions.Mcp.Tests", "clients", "typescript");

    private static NodeClient Client => new(ClientDirectory, "@modelcontextprotocol/sdk");

    [Fact]
    public async Task The_official_typescript_sdk_lists_the_tools_and_searches()
    {
        var pinned = await Client.EnsureInstalledAsync();
        using var store = TempDirectory.ForCaller();
        await using (var opened = SqliteSessionStore.Open(store.Path))
        {
            await opened.CreateAsync(new NewSession { Id = "ts-1", Title = "okapi notes" });
            await opened.AppendAsync("ts-1", [new NewMessage(MessageRole.User, "where do okapis live"), new NewMessage(MessageRole.Assistant, "in the Ituri rainforest")]);
        }

        var (exit, stdout, stderr) = await Client.NodeAsync("client.mjs", [BuiltTool.CliDll, store.Path, "okapis"], ClientTimeout);
        Assert.True(exit == 0, $"client.mjs exited with {exit}\nstdout: {stdout}\nstderr: {stderr}");

        var seen = JsonDocument.Parse(Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
        Assert.Equal(pinned, seen.GetProperty("sdk").GetString());
        Assert.Equal("agent-sessions", seen.GetProperty("server").GetProperty("name").GetString());
        Assert.Equal(["list_sessions", "read_session", "search_sessions", "session_info"], seen.GetProperty("tools").EnumerateArray().Select(t => t.GetString()));
        var hit = Assert.Single(seen.GetProperty("hits").EnumerateArray());
        Assert.Equal(("ts-1", 1L), (hit.GetProperty("sessionId").GetString(), hit.GetProperty("seq").GetInt64()));
        Assert.Equal(["ts-1"], seen.GetProperty("listed").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(["where do okapis live", "in the Ituri rainforest"], seen.GetProperty("read").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(2, seen.GetProperty("infoMessageCount").GetInt32());
        Assert.True(seen.GetProperty("textMatchesStructured").GetBoolean());
        Assert.True(seen.GetProperty("badIsError").GetBoolean());
        Assert.Equal("'limit' must be an integer; got \"ten\"", seen.GetProperty("badMessage").GetString());
        Assert.Equal("", seen.GetProperty("serverStderr").GetString());
    }
}
