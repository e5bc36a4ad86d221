using System.Text.Json;
using AgentSessions.AI;
using AgentSessions.AI.Tests;
using Microsoft.Extensions.AI;
using Xunit;

namespace AgentSessions.Chat.Tests;

/// <summary>
/// <see cref="ChatRunner"/> over a scripted model and a real SQLite store: what the model is sent (the context)
/// and what the store holds, after a resume, a failed turn, in deferred mode and with a context budget.
/// </summary>
public sealed class ChatRunnerTests : StoreTests
{
    private async Task<ChatRunner> OpenAsync(ScriptedChatClient model, ChatRunnerOptions? options = null, string id = "chat")
    {
        if (await Store.Service.FindAsync(id) is null)
        {
            await Store.Service.CreateAsync(new NewSession { Id = id });
        }

        return await ChatRunner.OpenAsync(Store.Service, id, model, options);
    }

    private async Task<string[]> StoredTextsAsync(string id = "chat") => [.. (await Store.ReadAsync(id)).Select(m => $"{m.Role.ToString().ToLowerInvariant()}: {m.Text}")];

    private static string[] Sent(List<ChatMessage> request) => [.. request.Select(m => $"{m.Role.Value}: {m.Text}")];

    private static string? Meta(SessionMessage message, string key)
        => message.Metadata.TryGetValue(key, out var value) ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText() : null;

    [Fact]
    public async Task After_a_restart_a_resumed_runner_sends_the_whole_stored_transcript_and_stores_the_turn_once()
    {
        var first = await OpenAsync(new ScriptedChatClient(ScriptedTurn.Text("a1"), ScriptedTurn.Text("a2")));
        await first.SendAsync("q1");
        await first.SendAsync("q2");

        await Store.RestartAsync();
        var model = new ScriptedChatClient(ScriptedTurn.Text("a3"));
        var resumed = await OpenAsync(model);
        var turn = await resumed.SendAsync("What were we discussing?");

        Assert.Equal(6, resumed.History.Count); // the four stored, then this turn's question and answer
        Assert.Equal(["user: q1", "assistant: a1", "user: q2", "assistant: a2", "user: What were we discussing?"], Sent(Assert.Single(model.Requests)));
        Assert.Equal("a3", turn.Text);
        Assert.Equal("a3", turn.Answer?.Text);
        Assert.Equal(("What were we discussing?", 5L), (turn.UserMessage?.Text, turn.UserMessage?.Sequence ?? 0));
        Assert.Equal(["user: q1", "assistant: a1", "user: q2", "assistant: a2", "user: What were we discussing?", "assistant: a3"], await StoredTextsAsync());
    }

    [Fact]
    public async Task A_cancellation_that_arrives_once_the_whole_answer_is_stored_returns_the_turn_and_the_next_turn_lists_only_its_own()
    {
        using var cts = new CancellationTokenSource();
        var answer = ScriptedTurn.Text("all ", "done");
        var model = new ScriptedChatClient(answer, ScriptedTurn.Text("next"));
        var runner = await OpenAsync(model);

        // Cancelled while the model yields its last update: its stream then ends without looking at the token again,
        // so the answer is complete and stored before the runner reads this turn's messages back.
        model.WhileYielding = i =>
        {
            if (i == answer.Updates.Count - 1)
            {
                cts.Cancel();
            }
        };
        var turn = await runner.SendAsync("first", cancellationToken: cts.Token);
        model.WhileYielding = null;
        var next = await runner.SendAsync("second");

        Assert.Equal("all done", turn.Answer?.Text);
        Assert.Null(Meta(turn.Answer!, AgentSessionsMetadata.Interrupted));
        Assert.Equal(["next"], next.Messages.Select(m => m.Text));
        Assert.Equal(["user: first", "assistant: all done", "user: second", "assistant: next"], await StoredTextsAsync());
    }

    [Fact]
    public async Task After_a_failed_turn_the_next_one_reads_the_context_from_the_store_and_duplicates_nothing()
    {
        var model = new ScriptedChatClient(
            new ScriptedTurn { Updates = ScriptedTurn.Text("half ", "an answer", " never").Updates, FailAfter = (2, new IOException("reset")) },
            ScriptedTurn.Text("whole"));
        var runner = await OpenAsync(model);

        await Assert.ThrowsAsync<IOException>(() => runner.SendAsync("first"));
        var turn = await runner.SendAsync("second");

        // The partial answer is context as stored (the model should know what it had said), once.
        Assert.Equal(["user: first", "assistant: half an answer", "user: second"], Sent(model.Requests[1]));
        Assert.Equal(["user: first", "assistant: half an answer", "user: second", "assistant: whole"], await StoredTextsAsync());
        Assert.Equal("failed", Meta((await Store.ReadAsync("chat"))[1], AgentSessionsMetadata.Interrupted));
        Assert.Equal("whole", turn.Answer?.Text);
    }

    [Fact]
    public async Task Deferred_turns_are_context_for_the_next_ones_and_reach_the_store_only_on_save_in_order()
    {
        var model = new ScriptedChatClient(ScriptedTurn.Text("a1"), ScriptedTurn.Text("a2"), ScriptedTurn.Text("a3"));
        var runner = await OpenAsync(model, new ChatRunnerOptions { Deferred = true });

        var one = await runner.SendAsync("q1");
        var two = await runner.SendAsync("q2");

        Assert.True(runner.Deferred);
        Assert.Empty(await Store.ReadAsync("chat"));
        Assert.Equal((2, 4, 4), (one.Held, two.Held, runner.PendingCount));
        Assert.Empty(two.Messages);
        Assert.Equal(["user: q1", "assistant: a1", "user: q2"], Sent(model.Requests[1]));

        Assert.Equal(4, await runner.SaveAsync());

        Assert.Equal(0, runner.PendingCount);
        Assert.Equal(0, await runner.SaveAsync()); // nothing held any more
        Assert.Equal(["user: q1", "assistant: a1", "user: q2", "assistant: a2"], await StoredTextsAsync());
        var answer = (await Store.ReadAsync("chat"))[1];
        Assert.Equal(("scripted-1", 11L, 1L), (answer.Model, answer.InputTokens, answer.OutputTokens));

        // After the save the context comes from the store: the same four, not eight.
        await runner.SendAsync("q3");
        Assert.Equal(["user: q1", "assistant: a1", "user: q2", "assistant: a2", "user: q3"], Sent(model.Requests[2]));
        Assert.Equal(2, runner.PendingCount);
    }

    [Fact]
    public async Task A_deferred_turn_cancelled_mid_answer_is_held_partial_and_marked_cancelled_until_saved()
    {
        using var cts = new CancellationTokenSource();
        var model = new ScriptedChatClient(ScriptedTurn.Text("so ", "far", " never"));
        model.BeforeUpdate = i =>
        {
            if (i == 2)
            {
                cts.Cancel();
            }

            return Task.CompletedTask;
        };
        var runner = await OpenAsync(model, new ChatRunnerOptions { Deferred = true });
        var shown = "";

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runner.SendAsync("go", d => { shown += d; return ValueTask.CompletedTask; }, cts.Token));

        Assert.Empty(await Store.ReadAsync("chat"));
        Assert.Equal(2, await runner.SaveAsync(CancellationToken.None));
        var messages = await Store.ReadAsync("chat");
        Assert.Equal(["go", "so far"], messages.Select(m => m.Text));
        Assert.Equal("so far", shown);
        Assert.Equal("true", Meta(messages[1], AgentSessionsMetadata.Partial));
        Assert.Equal("cancelled", Meta(messages[1], AgentSessionsMetadata.Interrupted));
    }

    [Fact]
    public async Task A_reload_keeps_the_held_turns_at_the_end_of_the_context()
    {
        var model = new ScriptedChatClient(ScriptedTurn.Text("a1"), ScriptedTurn.Text("a2"));
        await Store.Service.CreateAsync(new NewSession { Id = "chat" });
        await Store.Service.AppendAsync("chat", [new NewMessage(MessageRole.User, "stored q"), new NewMessage(MessageRole.Assistant, "stored a")]);
        var runner = await OpenAsync(model, new ChatRunnerOptions { Deferred = true });
        await runner.SendAsync("held q");

        // Another writer (an import, another front end) adds to the session meanwhile.
        await Store.Service.AppendAsync("chat", new NewMessage(MessageRole.User, "from elsewhere"));
        await runner.ReloadAsync();
        await runner.SendAsync("next");

        Assert.Equal(
            ["user: stored q", "assistant: stored a", "user: from elsewhere", "user: held q", "assistant: a1", "user: next"],
            Sent(model.Requests[1]));
    }

    [Fact]
    public async Task With_a_context_budget_the_model_gets_the_newest_turns_and_the_store_keeps_every_message()
    {
        var model = new ScriptedChatClient(ScriptedTurn.Text("a1"), ScriptedTurn.Text("a2"), ScriptedTurn.Text("a3"));
        await Store.Service.CreateAsync(new NewSession { Id = "chat" });
        await Store.Service.AppendAsync("chat", [new NewMessage(MessageRole.System, "be brief")]);
        // Each "qN"/"aN" message is 5 estimated tokens, the system message 6: a budget of 26 fits it and two turns.
        var runner = await OpenAsync(model, new ChatRunnerOptions { MaxContextTokens = 26 });

        var one = await runner.SendAsync("q1");
        var two = await runner.SendAsync("q2");
        var three = await runner.SendAsync("q3");

        Assert.Equal((0, 0, 2), (one.ContextMessagesDropped, two.ContextMessagesDropped, three.ContextMessagesDropped));
        Assert.Equal(["system: be brief", "user: q2", "assistant: a2", "user: q3"], Sent(model.Requests[2]));
        Assert.Equal(["system: be brief", "user: q1", "assistant: a1", "user: q2", "assistant: a2", "user: q3", "assistant: a3"], await StoredTextsAsync());
    }

    [Fact]
    public async Task A_deferred_runner_with_a_context_budget_trims_the_request_and_holds_every_message()
    {
        var model = new ScriptedChatClient(ScriptedTurn.Text("a1"), ScriptedTurn.Text("a2"));
        var runner = await OpenAsync(model, new ChatRunnerOptions { Deferred = true, MaxContextTokens = 12 });

        await runner.SendAsync("q1");
        var two = await runner.SendAsync("q2");
        await runner.SaveAsync();

        Assert.Equal(2, two.ContextMessagesDropped);
        Assert.Equal(["user: q2"], Sent(model.Requests[1]));
        Assert.Equal(["user: q1", "assistant: a1", "user: q2", "assistant: a2"], await StoredTextsAsync());
    }
}
