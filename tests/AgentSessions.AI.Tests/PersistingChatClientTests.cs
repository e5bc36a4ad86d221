using System.Text.Json;
using Microsoft.Extensions.AI;
using Xunit;

namespace AgentSessions.AI.Tests;

public sealed class PersistingChatClientTests : StoreTests
{
    private IChatClient Client(ScriptedChatClient model, Action<AgentSessionsChatClientOptions>? configure = null)
        => model.AsBuilder().UseAgentSessions(Store.Service, o =>
        {
            o.DefaultSessionId = "chat";
            configure?.Invoke(o);
        }).Build();

    private static string? Meta(SessionMessage message, string key)
        => message.Metadata.TryGetValue(key, out var value) ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.GetRawText() : null;

    [Fact]
    public async Task A_failing_model_call_keeps_the_user_message()
    {
        var model = new ScriptedChatClient(new ScriptedTurn { Updates = [], FailAfter = (0, new HttpRequestException("connection reset")) });
        var client = Client(model);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "what I typed")]));

        var stored = Assert.Single(await Store.ReadAsync("chat"));
        Assert.Equal((MessageRole.User, "what I typed"), (stored.Role, stored.Text));
    }

    [Fact]
    public async Task A_response_is_stored_with_usage_model_and_finish_reason()
    {
        var client = Client(new ScriptedChatClient(ScriptedTurn.Text("Hello", " there")));
        var user = new ChatMessage(ChatRole.User, "hi");

        var response = await client.GetResponseAsync([user]);

        var messages = await Store.ReadAsync("chat");
        Assert.Equal(["hi", "Hello there"], messages.Select(m => m.Text));
        var answer = messages[1];
        Assert.Equal((11L, 2L, "scripted-1"), (answer.InputTokens, answer.OutputTokens, answer.Model));
        Assert.Equal("stop", Meta(answer, AgentSessionsMetadata.FinishReason));
        Assert.Equal("resp-1", Meta(answer, AgentSessionsMetadata.ResponseId));
        Assert.Null(Meta(answer, AgentSessionsMetadata.Partial));
        Assert.Equal(messages[0].Id, user.MessageId);
        Assert.Equal(answer.Id, response.Messages[0].MessageId);
    }

    [Fact]
    public async Task The_session_comes_from_the_call_options_and_is_created_when_missing()
    {
        var client = Client(new ScriptedChatClient(ScriptedTurn.Text("one"), ScriptedTurn.Text("two")), o => o.DefaultSessionId = null);

        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "a")], new ChatOptions().WithAgentSession("first"));
        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "b")], new ChatOptions { AdditionalProperties = new() { ["agent_sessions.session_id"] = "second" } });
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "c")]));

        Assert.Equal(["a", "one"], (await Store.ReadAsync("first")).Select(m => m.Text));
        Assert.Equal(["b", "two"], (await Store.ReadAsync("second")).Select(m => m.Text));
    }

    [Fact]
    public async Task A_missing_session_is_refused_when_creation_is_off()
    {
        var client = Client(new ScriptedChatClient(ScriptedTurn.Text("x")), o => o.CreateMissingSessions = false);

        var e = await Assert.ThrowsAsync<AgentSessionsException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "a")]));

        Assert.Equal(ErrorCode.NotFound, e.Code);
    }

    [Fact]
    public async Task Resending_the_whole_history_each_turn_stores_every_message_once()
    {
        var model = new ScriptedChatClient(ScriptedTurn.Text("first answer"), ScriptedTurn.Text("second answer"), ScriptedTurn.Text("third answer"));
        var client = Client(model);
        var history = new List<ChatMessage> { new(ChatRole.System, "be brief"), new(ChatRole.User, "one") };

        history.AddMessages(await client.GetResponseAsync(history));
        history.Add(new ChatMessage(ChatRole.User, "two"));
        history.AddMessages(await client.GetResponseAsync(history));

        // A caller that rebuilds its history from plain text (no message ids) is recognised by content.
        var rebuilt = history.Select(m => new ChatMessage(m.Role, m.Text)).ToList();
        rebuilt.Add(new ChatMessage(ChatRole.User, "two")); // the same words again, after an answer: a new message
        await client.GetResponseAsync(rebuilt);

        Assert.Equal(
            ["be brief", "one", "first answer", "two", "second answer", "two", "third answer"],
            (await Store.ReadAsync("chat")).Select(m => m.Text));
        Assert.Equal(6, model.Requests[2].Count);
    }

    [Fact]
    public async Task Retrying_after_a_failed_call_does_not_store_the_user_message_twice()
    {
        var model = new ScriptedChatClient(new ScriptedTurn { Updates = [], FailAfter = (0, new TimeoutException()) }, ScriptedTurn.Text("finally"));
        var client = Client(model);

        await Assert.ThrowsAsync<TimeoutException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "hello?")]));
        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hello?")]);

        Assert.Equal(["hello?", "finally"], (await Store.ReadAsync("chat")).Select(m => m.Text));
    }

    [Fact]
    public async Task A_stream_is_checkpointed_once_the_interval_passed_and_the_final_message_replaces_the_checkpoint()
    {
        var clock = new ManualClock();
        var model = new ScriptedChatClient(ScriptedTurn.Text("Hel", "lo ", "world"));
        var seen = new List<string[]>();
        model.BeforeUpdate = async i =>
        {
            seen.Add([.. (await Store.ReadAsync("chat")).Select(m => $"{m.Text}|{Meta(m, AgentSessionsMetadata.Partial)}")]);
            if (i == 1)
            {
                clock.Advance(TimeSpan.FromMilliseconds(999)); // not yet: at most every interval
            }
            else if (i == 2)
            {
                clock.Advance(TimeSpan.FromMilliseconds(1));
            }
        };
        var client = Client(model, o => o.TimeProvider = clock);

        var text = "";
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "greet")]))
        {
            text += update.Text;
        }

        Assert.Equal("Hello world", text);
        Assert.Equal(["greet|"], seen[2]); // after "lo ", 999 ms in: no checkpoint
        Assert.Equal(["greet|", "Hello world|true"], seen[3]); // after "world", 1,000 ms in: checkpointed, marked partial
        var messages = await Store.ReadAsync("chat");
        Assert.Equal(["greet", "Hello world"], messages.Select(m => m.Text));
        Assert.Null(Meta(messages[1], AgentSessionsMetadata.Partial));
        Assert.Equal((11L, 3L), (messages[1].InputTokens, messages[1].OutputTokens));
        Assert.Equal(2, (await Store.Service.GetAsync("chat")).MessageCount);
    }

    [Fact]
    public async Task A_checkpoint_interval_of_zero_saves_the_answer_only_at_the_end()
    {
        var clock = new ManualClock();
        var model = new ScriptedChatClient(ScriptedTurn.Text("a", "b", "c"));
        var counts = new List<int>();
        model.BeforeUpdate = async _ =>
        {
            clock.Advance(TimeSpan.FromHours(1));
            counts.Add((await Store.ReadAsync("chat")).Count);
        };
        var client = Client(model, o => (o.TimeProvider, o.CheckpointInterval) = (clock, TimeSpan.Zero));

        await foreach (var _ in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "go")]))
        {
        }

        Assert.All(counts, c => Assert.Equal(1, c));
        Assert.Equal(["go", "abc"], (await Store.ReadAsync("chat")).Select(m => m.Text));
    }

    [Fact]
    public async Task Cancelling_mid_stream_keeps_the_partial_answer_marked_cancelled()
    {
        using var cts = new CancellationTokenSource();
        var model = new ScriptedChatClient(ScriptedTurn.Text("partial ", "answer", " never seen"));
        model.BeforeUpdate = i =>
        {
            if (i == 2)
            {
                cts.Cancel();
            }

            return Task.CompletedTask;
        };
        var client = Client(model);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "tell me")], cancellationToken: cts.Token))
            {
            }
        });

        var messages = await Store.ReadAsync("chat");
        Assert.Equal(["tell me", "partial answer"], messages.Select(m => m.Text));
        Assert.Equal("true", Meta(messages[1], AgentSessionsMetadata.Partial));
        Assert.Equal("cancelled", Meta(messages[1], AgentSessionsMetadata.Interrupted));
    }

    [Fact]
    public async Task Cancelling_while_a_checkpoint_is_saved_keeps_the_partial_answer_marked_cancelled_not_abandoned()
    {
        // The caller's token is cancelled while the model hands over its second update, and that update is due a
        // checkpoint: the cancellation surfaces in the checkpoint's save, outside the stream's MoveNext.
        var clock = new ManualClock();
        using var cts = new CancellationTokenSource();
        var model = new ScriptedChatClient(ScriptedTurn.Text("partial ", "answer", " never seen"));
        model.WhileYielding = i =>
        {
            if (i == 1)
            {
                clock.Advance(TimeSpan.FromSeconds(1));
                cts.Cancel();
            }
        };
        var client = Client(model, o => o.TimeProvider = clock);

        var seen = "";
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "tell me")], cancellationToken: cts.Token))
            {
                seen += update.Text;
            }
        });

        var messages = await Store.ReadAsync("chat");
        Assert.Equal("partial ", seen); // the cancelled update was not handed on
        Assert.Equal(["tell me", "partial answer"], messages.Select(m => m.Text));
        Assert.Equal("true", Meta(messages[1], AgentSessionsMetadata.Partial));
        Assert.Equal("cancelled", Meta(messages[1], AgentSessionsMetadata.Interrupted));
    }

    [Fact]
    public async Task Breaking_out_of_the_stream_keeps_the_partial_answer_marked_abandoned()
    {
        var client = Client(new ScriptedChatClient(ScriptedTurn.Text("first", " second", " third")));

        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "go")]))
        {
            if (update.Text == " second")
            {
                break;
            }
        }

        var messages = await Store.ReadAsync("chat");
        Assert.Equal(["go", "first second"], messages.Select(m => m.Text));
        Assert.Equal("abandoned", Meta(messages[1], AgentSessionsMetadata.Interrupted));
    }

    [Fact]
    public async Task A_stream_that_fails_midway_keeps_the_partial_answer_marked_failed_and_replaces_its_checkpoint()
    {
        var clock = new ManualClock();
        var model = new ScriptedChatClient(new ScriptedTurn { Updates = ScriptedTurn.Text("one", " two", " three").Updates, FailAfter = (2, new IOException("stream reset")) });
        model.BeforeUpdate = _ =>
        {
            clock.Advance(TimeSpan.FromSeconds(1)); // a checkpoint after every update
            return Task.CompletedTask;
        };
        var client = Client(model, o => o.TimeProvider = clock);

        await Assert.ThrowsAsync<IOException>(async () =>
        {
            await foreach (var _ in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "count")]))
            {
            }
        });

        var messages = await Store.ReadAsync("chat");
        Assert.Equal(["count", "one two"], messages.Select(m => m.Text));
        Assert.Equal("failed", Meta(messages[1], AgentSessionsMetadata.Interrupted));
        Assert.Equal(typeof(IOException).FullName, Meta(messages[1], AgentSessionsMetadata.Error));
    }

    [Fact]
    public async Task An_interrupted_tool_call_gets_a_not_run_result()
    {
        var model = new ScriptedChatClient(new ScriptedTurn
        {
            Updates = ScriptedTurn.Call("call-1", "delete_files", new() { ["path"] = "/tmp/x" }).Updates,
            FailAfter = (1, new IOException("gone")),
        });
        var client = Client(model);

        await Assert.ThrowsAsync<IOException>(async () =>
        {
            await foreach (var _ in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "clean up")]))
            {
            }
        });

        var messages = await Store.ReadAsync("chat");
        Assert.Equal([MessageRole.User, MessageRole.Assistant, MessageRole.Tool], messages.Select(m => m.Role));
        var result = Assert.IsType<ToolResultPart>(Assert.Single(messages[2].Parts));
        Assert.Equal("call-1", result.CallId);
        Assert.True(result.IsError);
        Assert.Equal("true", Meta(messages[2], AgentSessionsMetadata.NotRun));
    }

    [Fact]
    public async Task A_tool_call_the_caller_never_answers_is_closed_by_the_next_request()
    {
        var model = new ScriptedChatClient(ScriptedTurn.Call("call-9", "lookup", []), ScriptedTurn.Text("ok, without it"));
        var client = Client(model);

        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "look it up")]);
        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "never mind")]);

        var messages = await Store.ReadAsync("chat");
        Assert.Equal([MessageRole.User, MessageRole.Assistant, MessageRole.Tool, MessageRole.User, MessageRole.Assistant], messages.Select(m => m.Role));
        Assert.Equal("call-9", Assert.IsType<ToolResultPart>(messages[2].Parts[0]).CallId);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_function_calling_turn_through_UseFunctionInvocation_is_stored_with_its_call_and_result(bool streaming)
    {
        var model = new ScriptedChatClient(ScriptedTurn.Call("call-1", "get_weather", new() { ["city"] = "Oslo" }), ScriptedTurn.Text("It is sunny in Oslo."));
        var client = model.AsBuilder()
            .UseAgentSessions(Store.Service, o => o.DefaultSessionId = "chat")
            .UseFunctionInvocation()
            .Build();
        var options = new ChatOptions { Tools = [AIFunctionFactory.Create((string city) => $"sunny in {city}", "get_weather")] };
        var user = new ChatMessage(ChatRole.User, "weather in Oslo?");

        if (streaming)
        {
            await foreach (var _ in client.GetStreamingResponseAsync([user], options))
            {
            }
        }
        else
        {
            await client.GetResponseAsync([user], options);
        }

        var messages = await Store.ReadAsync("chat");
        Assert.Equal([MessageRole.User, MessageRole.Assistant, MessageRole.Tool, MessageRole.Assistant], messages.Select(m => m.Role));
        var call = Assert.IsType<ToolCallPart>(Assert.Single(messages[1].Parts));
        var result = Assert.IsType<ToolResultPart>(Assert.Single(messages[2].Parts));
        Assert.Equal(("call-1", "get_weather", "call-1"), (call.CallId, call.Name, result.CallId));
        Assert.Equal("sunny in Oslo", result.Result!.Value.GetString());
        Assert.Equal("It is sunny in Oslo.", messages[3].Text);
        Assert.All(messages, m => Assert.Null(Meta(m, AgentSessionsMetadata.Partial)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task After_an_abandoned_stream_a_resent_history_stores_nothing_twice_whether_or_not_it_kept_the_partial(bool keptPartial)
    {
        var client = Client(new ScriptedChatClient(ScriptedTurn.Text("part", "ial", " rest"), ScriptedTurn.Text("next answer")));
        var history = new List<ChatMessage> { new(ChatRole.User, "first") };
        var received = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(history))
        {
            received.Add(update);
            if (update.Text == "ial")
            {
                break;
            }
        }

        if (keptPartial)
        {
            history.AddMessages(received);
        }

        history.Add(new ChatMessage(ChatRole.User, "second"));
        await client.GetResponseAsync(history);

        Assert.Equal(["first", "partial", "second", "next answer"], (await Store.ReadAsync("chat")).Select(m => m.Text));
    }

    [Fact]
    public async Task After_a_restart_a_caller_that_resumes_from_the_store_continues_without_duplicates()
    {
        var history = new List<ChatMessage> { new(ChatRole.User, "one") };
        history.AddMessages(await Client(new ScriptedChatClient(ScriptedTurn.Text("two"))).GetResponseAsync(history));

        await Store.RestartAsync();
        var resumed = new List<ChatMessage>();
        await foreach (var message in Store.Service.ReadAsync("chat"))
        {
            resumed.Add(message.ToChatMessage());
        }

        resumed.Add(new ChatMessage(ChatRole.User, "three"));
        var model = new ScriptedChatClient(ScriptedTurn.Text("four"));
        await Client(model).GetResponseAsync(resumed);

        Assert.Equal(["one", "two", "three"], Assert.Single(model.Requests).Select(m => m.Text));
        Assert.Equal(["one", "two", "three", "four"], (await Store.ReadAsync("chat")).Select(m => m.Text));
    }
}
