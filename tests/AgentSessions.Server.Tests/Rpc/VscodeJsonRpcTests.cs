using System.Diagnostics;
using System.Text;
using System.Text.Json;
using AgentSessions.FakeOpenAi;
using AgentSessions.Sqlite;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Server.Tests.Rpc;

/// <summary>
/// The real <c>vscode-jsonrpc</c> npm package (pinned in Rpc/clients/vscode/package.json) talks to
/// <c>agent-sessions rpc</c> without changes. Needs Node.js and npm on the PATH; the first run installs the
/// package with <c>npm ci</c>.
/// </summary>
public sealed class VscodeJsonRpcTests
{
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(60);

    private static string ClientDirectory
        => Path.Combine(SeedFixtures.RepositoryRoot, "tests", "AgentSessions.Server.Tests", "Rpc", "clients", "vscode");

    private static NodeClient Client => new(ClientDirectory, "vscode-jsonrpc");

    [Fact]
    public async Task VscodeJsonRpcClientTalksToTheServer()
    {
        var pinned = await Client.EnsureInstalledAsync();
        using var store = TempDirectory.ForCaller();

        var (exit, stdout, stderr) = await Client.NodeAsync("client.js", [RpcProcess.Dll, store.Path], ClientTimeout);
        Assert.True(exit == 0, $"client.js exited with {exit}\nstdout: {stdout}\nstderr: {stderr}");

        var line = Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var seen = JsonDocument.Parse(line).RootElement;
        Assert.Equal(pinned, seen.GetProperty("vscodeJsonrpc").GetString());
        Assert.Equal(1, seen.GetProperty("messageCount").GetInt32());
        Assert.Equal(1, seen.GetProperty("searchHits").GetInt32());
        Assert.Equal(-32601, seen.GetProperty("unknownMethodCode").GetInt32());
        Assert.Equal(JsonValueKind.Null, seen.GetProperty("shutdownResult").ValueKind);
        Assert.Equal(0, seen.GetProperty("exitCode").GetInt32());
        Assert.Equal(["notified", "vscode"], seen.GetProperty("tags").EnumerateArray().Select(t => t.GetString()).Order());
        var sessionId = seen.GetProperty("sessionId").GetString()!;
        var messageId = seen.GetProperty("messageId").GetString()!;

        // What the client was told is really in the store.
        await using var opened = SqliteSessionStore.Open(store.Path);
        var session = await opened.GetAsync(sessionId);
        Assert.NotNull(session);
        Assert.Equal("vscode-jsonrpc client", session.Title);
        Assert.Equal(1, session.MessageCount);
        Assert.Contains("notified", session.Tags);
        var message = Assert.Single(await opened.ReadAsync(sessionId).ToListAsync());
        Assert.Equal(messageId, message.Id);
        Assert.Equal(MessageRole.User, message.Role);
        Assert.Equal("how do zebras sleep", message.Text);
    }

    [Fact]
    public async Task VscodeJsonRpcClientStreamsChatSendAndCancelsItWithItsToken()
    {
        const string apiKey = "sk-vscode-test-0c9b8a7f6e5d4c3b2a1908f7e6d5c4b3";
        var pinned = await Client.EnsureInstalledAsync();
        using var store = TempDirectory.ForCaller();
        await using var model = await FakeOpenAiServer.StartAsync();
        // The first turn is answered whole; the second streams slowly (400 words, 50 ms apart) until cancelled.
        model.Enqueue(ScriptedReply.Answer("Hello there, from the fake model."), ScriptedReply.Words(400) with { ChunkDelayMs = 50 });

        var (exit, stdout, stderr) = await Client.NodeAsync("chat.js", [RpcProcess.Dll, store.Path, model.BaseUrl, apiKey], ClientTimeout);
        Assert.True(exit == 0, $"chat.js exited with {exit}\nstdout: {stdout}\nstderr: {stderr}");

        var line = Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var seen = JsonDocument.Parse(line).RootElement;
        Assert.Equal(pinned, seen.GetProperty("vscodeJsonrpc").GetString());
        Assert.Equal("Hello there, from the fake model.", seen.GetProperty("answer").GetString());
        Assert.True(seen.GetProperty("answerDeltas").GetInt32() >= 2);
        // The client's CancellationToken sent $/cancelRequest; the request failed as LSP's RequestCancelled.
        Assert.Equal(-32800, seen.GetProperty("cancelCode").GetInt32());
        Assert.Equal("Cancelled", seen.GetProperty("cancelDataCode").GetString());
        Assert.Contains(seen.GetProperty("interrupted").GetString(), new[] { "cancelled", "abandoned" });
        var partial = seen.GetProperty("partial").GetString()!;
        Assert.StartsWith("w1 w2 w3", partial, StringComparison.Ordinal);
        Assert.DoesNotContain("w400", partial, StringComparison.Ordinal);
        Assert.Equal(0, seen.GetProperty("exitCode").GetInt32());

        // The model got the first turn as context of the second, and the key from initialize.
        Assert.Equal(2, model.ChatRequests.Count);
        Assert.Equal(
            ["user: hello from vscode", "assistant: Hello there, from the fake model.", "user: count slowly"],
            model.ChatRequests[1].Messages.Select(m => m.ToString()));
        Assert.True(model.ChatRequests[1].HasApiKey(apiKey));

        // What the client was told is in the store: both turns, the second's answer partial and marked interrupted.
        var sessionId = seen.GetProperty("sessionId").GetString()!;
        await using (var opened = SqliteSessionStore.Open(store.Path))
        {
            var messages = await opened.ReadAsync(sessionId).ToListAsync();
            Assert.Equal(
                ["User: hello from vscode", "Assistant: Hello there, from the fake model.", "User: count slowly", $"Assistant: {partial}"],
                messages.Select(m => $"{m.Role}: {m.Text}"));
            Assert.Equal(seen.GetProperty("interrupted").GetString(), messages[3].Metadata["agent_sessions.interrupted"].GetString());
        }

        // The key reached the model only.
        var key = Encoding.UTF8.GetBytes(apiKey);
        Assert.All(Directory.GetFiles(store.Path, "*", SearchOption.AllDirectories), file => Assert.True(File.ReadAllBytes(file).AsSpan().IndexOf(key) < 0, $"the API key is in {file}"));
        Assert.DoesNotContain(apiKey, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(apiKey, seen.GetProperty("serverStderr").GetString()!, StringComparison.Ordinal);
    }
}
