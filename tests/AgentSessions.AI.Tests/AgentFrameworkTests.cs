using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Xunit;

namespace AgentSessions.AI.Tests;

public sealed class AgentFrameworkTests : StoreTests
{
    /// <summary>What a process builds at start-up: a provider, a store and an agent over the service.</summary>
    private (ChatClientAgent Agent, AgentSessionsAgentSessionStore Sessions) Build(IChatClient model, ChatOptions? chatOptions = null)
    {
        var provider = new AgentSessionsChatHistoryProvider(Store.Service);
        var agent = new ChatClientAgent(model, new ChatClientAgentOptions { ChatHistoryProvider = provider, ChatOptions = chatOptions });
        return (agent, new AgentSessionsAgentSessionStore(Store.Service));
    }

    private static List<string> Texts(IEnumerable<ChatMessage> messages) => [.. messages.Select(m => $"{m.Role}: {m.Text}")];

    [Fact]
    public async Task Multi_turn_runs_resume_after_a_restart_and_the_model_receives_every_earlier_message_in_order()
    {
        var key = new AgentSessionStoreKey("project-discussion-2024");
        var model = new ScriptedChatClient(ScriptedTurn.Text("SQLite, then."), ScriptedTurn.Text("WAL mode."));
        var (agent, sessions) = Build(model);
        var session = await sessions.GetOrCreateSessionAsync(agent, key);
        await agent.RunAsync("Which store do we use?", session);
        await agent.RunAsync("And its journal mode?", session);
        await sessions.SaveSessionAsync(agent, key, session);

        await Store.RestartAsync();
        var later = new ScriptedChatClient(ScriptedTurn.Text("The store: SQLite in WAL mode."));
        (agent, sessions) = Build(later);
        var resumed = await sessions.GetSessionAsync(agent, key);
        Assert.NotNull(resumed);
        await agent.RunAsync("What were we discussing?", resumed);

        Assert.Equal(
            ["user: Which store do we use?", "assistant: SQLite, then.", "user: And its journal mode?", "assistant: WAL mode.", "user: What were we discussing?"],
            Texts(Assert.Single(later.Requests)));
        Assert.Equal(6, (await Store.ReadAsync("project-discussion-2024")).Count);
        Assert.Equal(["user: Which store do we use?", "assistant: SQLite, then."], Texts(model.Requests[1].Take(2)));
    }

    [Fact]
    public async Task A_resumed_session_run_again_with_the_history_resent_stores_and_sends_no_duplicates()
    {
        var key = new AgentSessionStoreKey("resend");
        var model = new ScriptedChatClient(ScriptedTurn.Text("first answer"), ScriptedTurn.Text("second answer"));
        var (agent, sessions) = Build(model);
        var session = await sessions.GetOrCreateSessionAsync(agent, key);
        await agent.RunAsync("first question", session);
        await sessions.SaveSessionAsync(agent, key, session);

        var resumed = (await sessions.GetSessionAsync(agent, key))!;
        // A client that keeps its own transcript sends all of it again to the restored session.
        await agent.RunAsync([new ChatMessage(ChatRole.User, "first question"), new ChatMessage(ChatRole.Assistant, "first answer"), new ChatMessage(ChatRole.User, "second question")], resumed);

        Assert.Equal(["user: first question", "assistant: first answer", "user: second question"], Texts(model.Requests[1]));
        Assert.Equal(
            ["first question", "first answer", "second question", "second answer"],
            (await Store.ReadAsync("resend")).Select(m => m.Text));
    }

    [Fact]
    public async Task A_failing_run_keeps_the_user_message()
    {
        var (agent, sessions) = Build(new ScriptedChatClient(new ScriptedTurn { Updates = [], FailAfter = (0, new HttpRequestException("503")) }));
        var session = await sessions.GetOrCreateSessionAsync(agent, new AgentSessionStoreKey("fails"));

        await Assert.ThrowsAsync<HttpRequestException>(() => agent.RunAsync("please keep this", session));

        Assert.Equal(["please keep this"], (await Store.ReadAsync("fails")).Select(m => m.Text));
    }

    [Fact]
    public async Task A_function_calling_run_is_stored_with_its_call_and_result_pair()
    {
        var model = new ScriptedChatClient(ScriptedTurn.Call("call-7", "get_time", new() { ["zone"] = "UTC" }), ScriptedTurn.Text("It is noon."));
        var tools = new ChatOptions { Tools = [AIFunctionFactory.Create((string zone) => $"12:00 {zone}", "get_time")] };
        var (agent, sessions) = Build(model, tools);
        var session = await sessions.GetOrCreateSessionAsync(agent, new AgentSessionStoreKey("tools"));

        await agent.RunAsync("what time is it?", session);

        var messages = await Store.ReadAsync("tools");
        Assert.Equal([MessageRole.User, MessageRole.Assistant, MessageRole.Tool, MessageRole.Assistant], messages.Select(m => m.Role));
        Assert.Equal("call-7", Assert.IsType<ToolCallPart>(messages[1].Parts[0]).CallId);
        var result = Assert.IsType<ToolResultPart>(messages[2].Parts[0]);
        Assert.Equal(("call-7", "12:00 UTC"), (result.CallId, result.Result!.Value.GetString()));
    }

    [Fact]
    public async Task One_provider_serves_many_agent_sessions_and_the_binding_travels_with_the_serialized_session()
    {
        var model = new ScriptedChatClient(ScriptedTurn.Text("to a"), ScriptedTurn.Text("to b"), ScriptedTurn.Text("a again"));
        var (agent, _) = Build(model);
        var a = await agent.CreateSessionAsync();
        var b = await agent.CreateSessionAsync();

        await agent.RunAsync("for a", a);
        await agent.RunAsync("for b", b);
        var restored = await agent.DeserializeSessionAsync(await agent.SerializeSessionAsync(a));
        await agent.RunAsync("a, later", restored);

        var provider = (AgentSessionsChatHistoryProvider)agent.ChatHistoryProvider!;
        Assert.NotEqual(provider.GetSessionId(a), provider.GetSessionId(b));
        Assert.Equal(provider.GetSessionId(a), provider.GetSessionId(restored));
        Assert.Equal(["for a", "to a", "a, later", "a again"], (await Store.ReadAsync(provider.GetSessionId(a))).Select(m => m.Text));
        Assert.Equal(["for b", "to b"], (await Store.ReadAsync(provider.GetSessionId(b))).Select(m => m.Text));
    }

    [Fact]
    public async Task Partitions_are_part_of_the_identity_for_get_list_search_and_delete()
    {
        var model = new ScriptedChatClient(ScriptedTurn.Text("alpha reply"), ScriptedTurn.Text("beta reply"));
        var (agent, sessions) = Build(model);
        var forAlice = new AgentSessionStoreKey("support", new Dictionary<string, string> { ["user"] = "alice" });
        var forBob = forAlice.WithPartition("user", "bob");

        var alice = await sessions.GetOrCreateSessionAsync(agent, forAlice);
        await agent.RunAsync("alpha question", alice);
        await sessions.SaveSessionAsync(agent, forAlice, alice);
        var bob = await sessions.GetOrCreateSessionAsync(agent, forBob);
        await agent.RunAsync("beta question", bob);
        await sessions.SaveSessionAsync(agent, forBob, bob);

        Assert.NotEqual(AgentSessionsAgentSessionStore.SessionIdOf(forAlice), AgentSessionsAgentSessionStore.SessionIdOf(forBob));
        Assert.Null(await sessions.GetSessionAsync(agent, new AgentSessionStoreKey("support")));
        var listed = new List<AgentSessionStoreKey>();
        await foreach (var (key, _) in sessions.ListAsync(new Dictionary<string, string> { ["user"] = "bob" }))
        {
            listed.Add(key);
        }

        Assert.Equal([forBob], listed);
        var hits = new List<AgentSessionStoreKey>();
        await foreach (var (key, _) in sessions.SearchAsync("alpha", new Dictionary<string, string> { ["user"] = "bob" }))
        {
            hits.Add(key);
        }

        Assert.Empty(hits);
        await sessions.DeleteSessionAsync(agent, forAlice);
        Assert.Null(await sessions.GetSessionAsync(agent, forAlice));
        Assert.NotNull(await sessions.GetSessionAsync(agent, forBob));
    }

    [Fact]
    public async Task A_fork_goes_on_under_its_own_key_and_leaves_the_original_as_it_was()
    {
        var model = new ScriptedChatClient(ScriptedTurn.Text("base answer"), ScriptedTurn.Text("branch answer"));
        var (agent, sessions) = Build(model);
        var original = new AgentSessionStoreKey("main-line");
        var session = await sessions.GetOrCreateSessionAsync(agent, original);
        await agent.RunAsync("base question", session);
        await sessions.SaveSessionAsync(agent, original, session);

        var branch = await sessions.ForkAsync(agent, original, new AgentSessionStoreKey("side-line"));
        await agent.RunAsync("branch question", branch);

        Assert.Equal(["base question", "base answer"], (await Store.ReadAsync("main-line")).Select(m => m.Text));
        Assert.Equal(["base question", "base answer", "branch question", "branch answer"], (await Store.ReadAsync("side-line")).Select(m => m.Text));
        Assert.Equal("main-line", (await Store.Service.GetAsync("side-line")).ParentId);
    }

    [Fact]
    public async Task A_cancelled_streaming_run_keeps_the_user_message()
    {
        using var cts = new CancellationTokenSource();
        var model = new ScriptedChatClient(ScriptedTurn.Text("never", " finished"));
        model.BeforeUpdate = i =>
        {
            if (i == 1)
            {
                cts.Cancel();
            }

            return Task.CompletedTask;
        };
        var (agent, sessions) = Build(model);
        var session = await sessions.GetOrCreateSessionAsync(agent, new AgentSessionStoreKey("cancelled-run"));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in agent.RunStreamingAsync("typed before the cancel", session, cancellationToken: cts.Token))
            {
            }
        });

        Assert.Equal(["typed before the cancel"], (await Store.ReadAsync("cancelled-run")).Select(m => m.Text));
    }
}
