using System.Text;
using System.Text.Json;
using AgentSessions.FakeOpenAi;
using AgentSessions.Server.Rpc;
using AgentSessions.Storage;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Server.Tests.Rpc;

/// <summary>
/// <c>chat.send</c> through a real <c>agent-sessions rpc</c> process, against the fake OpenAI-compatible server
/// running in this test on a real loopback socket: the streamed deltas, the stored answer, the context of later
/// turns, cancellation, model failures, and the API key kept out of everything but the model's requests.
/// </summary>
/// <remarks>
/// The fake's default reply is <c>You said: TEXT (messages: N)</c>, N counting every message of the request; the
/// recorded requests show the context message by message.
/// </remarks>
public sealed class RpcChatTests : IAsyncLifetime, IDisposable
{
    private const string ApiKey = "sk-rpc-test-4d1f8b2c9e7a6d5f3b1c0e9d8a7b6c5d";

    private readonly TempDirectory _temp = TempDirectory.ForCaller();
    private FakeOpenAiServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeOpenAiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _temp.Dispose();

    private string Store => _temp.Combine("store");

    [Fact]
    public async Task ChatSend_streams_deltas_before_its_response_stores_the_answer_and_sends_the_whole_context_next_turn()
    {
        await using var rpc = RpcProcess.Start(Store);
        var initialized = await InitializeAsync(rpc);
        Assert.Equal("fake-model", initialized.GetProperty("capabilities").GetProperty("chat").GetProperty("model").GetString());
        Assert.Contains("chat.send", initialized.GetProperty("capabilities").GetProperty("methods").EnumerateArray().Select(m => m.GetString()));

        _server.Enqueue(ScriptedReply.Answer("Zebras sleep standing up, mostly.") with { Usage = new(7, 9) });
        var notifications = new List<JsonElement>();
        var request = await rpc.SendRequestAsync("chat.send", new { content = "how do zebras sleep" });
        var response = await rpc.ReadResponseAsync(request, notifications);

        var result = Result(response);
        var sessionId = result.GetProperty("id").GetString()!;
        // Every delta came before the response, names the session and the request, and together they are the answer.
        Assert.True(notifications.Count >= 2, $"expected the answer in several deltas, got {notifications.Count}");
        Assert.All(notifications, n =>
        {
            Assert.Equal("chat.delta", n.GetProperty("method").GetString());
            Assert.Equal(sessionId, n.GetProperty("params").GetProperty("id").GetString());
            Assert.Equal(request, n.GetProperty("params").GetProperty("requestId").GetInt32());
        });
        Assert.Equal("Zebras sleep standing up, mostly.", Concat(notifications));
        var answer = result.GetProperty("message");
        Assert.Equal("assistant", answer.GetProperty("role").GetString());
        Assert.Equal("Zebras sleep standing up, mostly.", answer.GetProperty("text").GetString());
        Assert.Equal("how do zebras sleep", result.GetProperty("userMessage").GetProperty("text").GetString());
        Assert.False(result.GetProperty("interrupted").GetBoolean());
        Assert.Equal(7, result.GetProperty("usage").GetProperty("inputTokens").GetInt64());
        Assert.Equal(9, result.GetProperty("usage").GetProperty("outputTokens").GetInt64());
        Assert.Equal(2, result.GetProperty("session").GetProperty("messageCount").GetInt64());

        // No id and no current session: a new session, now the connection's current one.
        Assert.Equal(sessionId, (await rpc.ResultAsync("session.current")).GetProperty("id").GetString());
        var loaded = await rpc.ResultAsync("session.load", new { id = sessionId });
        Assert.Equal(["user: how do zebras sleep", "assistant: Zebras sleep standing up, mostly."], Texts(loaded.GetProperty("messages")));
        Assert.Equal(answer.GetProperty("id").GetString(), loaded.GetProperty("messages")[1].GetProperty("id").GetString());

        var second = await ChatAsync(rpc, new { content = "and giraffes?" });
        Assert.Equal("You said: and giraffes? (messages: 3)", second.GetProperty("message").GetProperty("text").GetString());
        var sent = _server.ChatRequests[^1];
        Assert.Equal(["user: how do zebras sleep", "assistant: Zebras sleep standing up, mostly.", "user: and giraffes?"], sent.Messages.Select(m => m.ToString()));
        Assert.Equal("fake-model", sent.Model);
        Assert.True(sent.Stream);
        Assert.True(sent.HasApiKey(ApiKey), "the key from initializationOptions reached the model");

        // "model" overrides the configured one for that call; the context is the same stored transcript.
        var third = await ChatAsync(rpc, new { id = sessionId, content = "thanks", model = "other-model" });
        Assert.Equal("You said: thanks (messages: 5)", third.GetProperty("message").GetProperty("text").GetString());
        Assert.Equal("other-model", _server.ChatRequests[^1].Model);

        await ExitAsync(rpc);
        AssertKeyNowhere(await rpc.Stderr);
    }

    [Fact]
    public async Task ChatSend_sees_what_other_requests_wrote_to_its_session_between_turns()
    {
        await using var rpc = RpcProcess.Start(Store);
        await InitializeAsync(rpc);
        await rpc.ResultAsync("session.create", new { id = "notes" });
        await ChatAsync(rpc, new { content = "one" });

        await rpc.ResultAsync("session.append", new { role = "user", content = "a note appended between turns" });
        await ChatAsync(rpc, new { content = "two" });
        Assert.Equal(
            ["user: one", "assistant: You said: one (messages: 1)", "user: a note appended between turns", "user: two"],
            _server.ChatRequests[^1].Messages.Select(m => m.ToString()));

        // An undo takes the last turn away; the next turn's context must not hold it.
        await rpc.ResultAsync("session.undo");
        var after = await ChatAsync(rpc, new { content = "three" });
        var sent = _server.ChatRequests[^1].Messages.Select(m => m.ToString()).ToList();
        Assert.DoesNotContain("user: two", sent);
        Assert.Equal("user: three", sent[^1]);
        var loaded = await rpc.ResultAsync("session.load");
        Assert.Equal([.. sent, $"assistant: {after.GetProperty("message").GetProperty("text").GetString()}"], Texts(loaded.GetProperty("messages")));
    }

    [Fact]
    public async Task CancelRequest_mid_stream_keeps_the_partial_answer_marked_interrupted_and_the_connection_goes_on()
    {
        await using var rpc = RpcProcess.Start(Store);
        await InitializeAsync(rpc);
        // Slow mode: 400 words 50 ms apart, far longer than the test waits before it cancels.
        _server.Enqueue(ScriptedReply.Words(400) with { ChunkDelayMs = 50 });

        var request = await rpc.SendRequestAsync("chat.send", new { content = "count slowly" });
        var notifications = new List<JsonElement>();
        while (notifications.Count < 3)
        {
            var delta = await rpc.ReadAsync();
            Assert.Equal("chat.delta", delta.GetProperty("method").GetString());
            notifications.Add(delta);
        }

        // Read while the chat streams, so answered after it, in order; the cancel takes effect at once.
        var queued = await rpc.SendRequestAsync("session.current");
        await rpc.NotifyAsync("$/cancelRequest", new { id = request });
        var response = await rpc.ReadResponseAsync(request, notifications);

        var error = Error(response, RpcErrors.RequestCancelled);
        var data = error.GetProperty("data");
        Assert.Equal("Cancelled", data.GetProperty("code").GetString());
        var sessionId = data.GetProperty("id").GetString()!;
        Assert.Equal("count slowly", data.GetProperty("userMessage").GetProperty("text").GetString());
        var partial = data.GetProperty("message");
        var streamed = Concat(notifications);
        Assert.StartsWith("w1 w2 w3", streamed, StringComparison.Ordinal);
        Assert.DoesNotContain("w400", streamed, StringComparison.Ordinal);
        // Every delta sent is in the stored partial, and nothing else is.
        Assert.Equal(streamed, partial.GetProperty("text").GetString());
        // "cancelled", or "abandoned" when the cancellation lands in the chat client's checkpoint save (see ChatCliTests).
        Assert.Contains(data.GetProperty("interrupted").GetString(), new[] { "cancelled", "abandoned" });
        Assert.True(partial.GetProperty("metadata").GetProperty("agent_sessions.partial").GetBoolean());

        var current = Result(await rpc.ReadResponseAsync(queued));
        Assert.Equal(sessionId, current.GetProperty("id").GetString());

        var loaded = await rpc.ResultAsync("session.load", new { id = sessionId });
        var stored = loaded.GetProperty("messages");
        Assert.Equal(2, stored.GetArrayLength());
        Assert.Equal(streamed, stored[1].GetProperty("text").GetString());
        Assert.Equal(data.GetProperty("interrupted").GetString(), stored[1].GetProperty("metadata").GetProperty("agent_sessions.interrupted").GetString());

        // The next turn works, and its context is the store's: the question and the partial answer.
        var next = await ChatAsync(rpc, new { content = "go on" });
        Assert.Equal("You said: go on (messages: 3)", next.GetProperty("message").GetProperty("text").GetString());
        Assert.Equal(["user: count slowly", $"assistant: {streamed}", "user: go on"], _server.ChatRequests[^1].Messages.Select(m => m.ToString()));
    }

    [Fact]
    public async Task CancelRequest_for_a_chat_send_still_waiting_answers_it_cancelled_without_running_it()
    {
        await using var rpc = RpcProcess.Start(Store);
        await InitializeAsync(rpc);
        _server.Enqueue(ScriptedReply.Words(400) with { ChunkDelayMs = 50 });

        var running = await rpc.SendRequestAsync("chat.send", new { content = "slow" });
        var notifications = new List<JsonElement> { await rpc.ReadAsync() };
        var waiting = await rpc.SendRequestAsync("chat.send", new { content = "never sent" });
        await rpc.NotifyAsync("$/cancelRequest", new { id = waiting });
        await rpc.NotifyAsync("$/cancelRequest", new { id = running });

        Error(await rpc.ReadResponseAsync(running, notifications), RpcErrors.RequestCancelled);
        var error = Error(await rpc.ReadResponseAsync(waiting), RpcErrors.RequestCancelled);
        Assert.Contains("before it ran", error.GetProperty("message").GetString(), StringComparison.Ordinal);

        Assert.Single(_server.ChatRequests);
        var loaded = await rpc.ResultAsync("session.load");
        Assert.DoesNotContain("user: never sent", Texts(loaded.GetProperty("messages")));
        Assert.Equal(2, loaded.GetProperty("messages").GetArrayLength());
    }

    [Fact]
    public async Task Requests_sent_during_a_chat_send_wait_their_turn_and_deferred_messages_go_first()
    {
        await using var rpc = RpcProcess.Start(Store);
        await InitializeAsync(rpc);
        await rpc.ResultAsync("session.create", new { id = "turns" });
        await rpc.ResultAsync("session.append", new { role = "system", content = "be brief", defer = true });
        // 100 words 20 ms apart: still streaming when the requests below are read.
        _server.Enqueue(ScriptedReply.Words(100) with { ChunkDelayMs = 20 });

        var chat = await rpc.SendRequestAsync("chat.send", new { content = "count" });
        var first = await rpc.ReadAsync();
        Assert.Equal("chat.delta", first.GetProperty("method").GetString());
        var load = await rpc.SendRequestAsync("session.load");
        var cancelUnknown = await rpc.SendRequestAsync("$/cancelRequest", new { id = 999 });

        // The cancel (sent as a request) is answered at once, while the chat streams; the load waits for the turn.
        var order = new List<int>();
        var responses = new Dictionary<int, JsonElement>();
        var notifications = new List<JsonElement> { first };
        while (order.Count < 3)
        {
            var message = await rpc.ReadAsync();
            if (message.TryGetProperty("id", out var id))
            {
                order.Add(id.GetInt32());
                responses[id.GetInt32()] = message;
            }
            else
            {
                notifications.Add(message);
            }
        }

        Assert.Equal([cancelUnknown, chat, load], order);
        Assert.Equal(JsonValueKind.Null, responses[cancelUnknown].GetProperty("result").ValueKind);
        var result = Result(responses[chat]);
        Assert.Equal(Concat(notifications), result.GetProperty("message").GetProperty("text").GetString());
        Assert.EndsWith("w100", Concat(notifications), StringComparison.Ordinal);

        // The deferred message was saved ahead of the user's, and the model got it as context.
        var expected = new[] { "system: be brief", "user: count", $"assistant: {Concat(notifications)}" };
        Assert.Equal(expected, Texts(Result(responses[load]).GetProperty("messages")));
        Assert.Equal(["system: be brief", "user: count"], _server.ChatRequests[^1].Messages.Select(m => m.ToString()));
        Assert.Equal(0, (await rpc.ResultAsync("session.current")).GetProperty("pending").GetInt32());
    }

    [Fact]
    public async Task ChatSend_model_failures_are_errors_without_the_key_and_keep_the_user_message()
    {
        // Configured from the environment this time, as a shell user would.
        await using var rpc = RpcProcess.Start(Store, new Dictionary<string, string>
        {
            ["AGENT_SESSIONS_ENDPOINT"] = _server.BaseUrl,
            ["AGENT_SESSIONS_MODEL"] = "env-model",
            ["OPENAI_API_KEY"] = ApiKey,
        });
        // A server that echoes the key in its error: the message passed on must not.
        _server.Enqueue(ScriptedReply.Error(400, $"context too long for key {ApiKey}"));

        var refused = await rpc.ErrorAsync(RpcErrors.ModelError, "chat.send", new { content = "first" });
        var message = refused.GetProperty("message").GetString()!;
        Assert.Contains("context too long", message, StringComparison.Ordinal);
        Assert.Contains(_server.BaseUrl, message, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, message, StringComparison.Ordinal);
        Assert.Equal("ModelError", refused.GetProperty("data").GetProperty("code").GetString());
        Assert.Equal("first", refused.GetProperty("data").GetProperty("userMessage").GetProperty("text").GetString());
        Assert.Equal(JsonValueKind.Null, refused.GetProperty("data").GetProperty("message").ValueKind);
        Assert.Equal("env-model", _server.ChatRequests[^1].Model);
        Assert.True(_server.ChatRequests[^1].HasApiKey(ApiKey), "the key from OPENAI_API_KEY reached the model");

        // A stream that breaks midway: the error, and what streamed stored as a partial marked failed.
        _server.Enqueue(ScriptedReply.Words(50) with { FailAfterChunks = 3 });
        var notifications = new List<JsonElement>();
        var request = await rpc.SendRequestAsync("chat.send", new { content = "second" });
        var broken = Error(await rpc.ReadResponseAsync(request, notifications), RpcErrors.ModelError);
        Assert.DoesNotContain(ApiKey, broken.GetProperty("message").GetString()!, StringComparison.Ordinal);
        var data = broken.GetProperty("data");
        Assert.Equal("failed", data.GetProperty("interrupted").GetString());
        Assert.Equal(Concat(notifications), data.GetProperty("message").GetProperty("text").GetString());

        var loaded = await rpc.ResultAsync("session.load");
        var stored = loaded.GetProperty("messages");
        Assert.Equal(["user: first", "user: second", $"assistant: {Concat(notifications)}"], Texts(stored));
        Assert.Equal("failed", stored[2].GetProperty("metadata").GetProperty("agent_sessions.interrupted").GetString());

        await ExitAsync(rpc);
        AssertKeyNowhere(await rpc.Stderr);
    }

    [Fact]
    public async Task ChatSend_refused_by_the_store_after_the_users_message_says_the_message_is_stored()
    {
        await using var rpc = RpcProcess.Start(Store);
        await InitializeAsync(rpc);
        await rpc.ResultAsync("session.create", new { id = "big" });
        // An answer past the store's largest message: its save is refused (TooLarge) after the user's message was
        // stored. A client that saw no userMessage would offer the prompt again, and a resend would store it twice.
        var answer = string.Concat(Enumerable.Repeat("abcdefghijklmno ", (int)(StoreRules.DefaultMaxMessageBytes / 16) + 4096));
        _server.Enqueue(ScriptedReply.Answer(answer) with { Chunks = 17 });

        var notifications = new List<JsonElement>();
        var request = await rpc.SendRequestAsync("chat.send", new { content = "tell me everything" });
        var error = Error(await rpc.ReadResponseAsync(request, notifications), RpcErrors.For(ErrorCode.TooLarge));
        var data = error.GetProperty("data");
        Assert.Equal("TooLarge", data.GetProperty("code").GetString());
        Assert.Equal("big", data.GetProperty("id").GetString());
        var userMessage = data.GetProperty("userMessage");
        Assert.Equal("tell me everything", userMessage.GetProperty("text").GetString());
        Assert.Contains("'big'", error.GetProperty("message").GetString(), StringComparison.Ordinal);

        // The message data.userMessage names is the one stored, once.
        var loaded = await rpc.ResultAsync("session.load", new { id = "big" });
        var users = loaded.GetProperty("messages").EnumerateArray().Where(m => m.GetProperty("role").GetString() == "user").ToList();
        Assert.Equal(userMessage.GetProperty("id").GetString(), Assert.Single(users).GetProperty("id").GetString());

        // The connection goes on, and the next turn's context is the store's.
        _server.Enqueue(ScriptedReply.Answer("in short: a lot"));
        var next = await ChatAsync(rpc, new { content = "in short?" });
        Assert.Equal("in short: a lot", next.GetProperty("message").GetProperty("text").GetString());
        Assert.Equal("user: tell me everything", _server.ChatRequests[^1].Messages[0].ToString());
        Assert.Equal("user: in short?", _server.ChatRequests[^1].Messages[^1].ToString());
    }

    [Fact]
    public async Task ChatSend_whose_session_another_client_deletes_mid_answer_is_NotFound_without_a_userMessage()
    {
        await using var rpc = RpcProcess.Start(Store);
        await InitializeAsync(rpc);
        await rpc.ResultAsync("session.create", new { id = "doomed" });
        // Slow: 400 words 50 ms apart, still streaming (and checkpointing every second) after the delete.
        _server.Enqueue(ScriptedReply.Words(400) with { ChunkDelayMs = 50 });

        var notifications = new List<JsonElement>();
        var request = await rpc.SendRequestAsync("chat.send", new { content = "are you there" });
        notifications.Add(await rpc.ReadAsync());
        await using (var other = RpcProcess.Start(Store))
        {
            Assert.True((await other.ResultAsync("session.delete", new { id = "doomed" })).GetProperty("deleted").GetBoolean());
        }

        // The checkpoint after the delete is refused: the store's NotFound, and no userMessage, because the message
        // went with the session (a client may offer the prompt again: resending it cannot store it twice).
        var error = Error(await rpc.ReadResponseAsync(request, notifications), RpcErrors.For(ErrorCode.NotFound));
        var data = error.GetProperty("data");
        Assert.Equal("NotFound", data.GetProperty("code").GetString());
        Assert.False(data.TryGetProperty("userMessage", out _), $"a userMessage of a deleted session: {data}");
        Assert.Equal(0, (await rpc.ResultAsync("session.list")).GetProperty("sessions").GetArrayLength());
    }

    [Fact]
    public async Task ChatSend_without_a_model_says_how_to_configure_one_and_changes_nothing()
    {
        await using var rpc = RpcProcess.Start(Store);
        var initialized = await rpc.ResultAsync("initialize", new { processId = (int?)null, capabilities = new { } });
        Assert.Equal(JsonValueKind.Null, initialized.GetProperty("capabilities").GetProperty("chat").GetProperty("model").ValueKind);

        var error = await rpc.ErrorAsync(RpcErrors.InvalidParams, "chat.send", new { content = "hello" });
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains("initializationOptions.chat.model", message, StringComparison.Ordinal);
        Assert.Contains("AGENT_SESSIONS_MODEL", message, StringComparison.Ordinal);

        Assert.Equal(JsonValueKind.Null, (await rpc.ResultAsync("session.current")).GetProperty("id").ValueKind);
        Assert.Equal(0, (await rpc.ResultAsync("session.list")).GetProperty("sessions").GetArrayLength());
        Assert.Empty(_server.ChatRequests);

        // And the parameters are checked as every method's are, the chat settings of initialize too.
        await rpc.ErrorAsync(RpcErrors.InvalidParams, "chat.send", new { text = "hello" });
        await rpc.ErrorAsync(RpcErrors.InvalidParams, "chat.send", new { content = "  " });
        var misspelt = await rpc.ErrorAsync(RpcErrors.InvalidParams, "initialize", new { initializationOptions = new { chat = new { api_key = "x" } } });
        Assert.Contains("apiKey", misspelt.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    // ---- helpers ----

    private Task<JsonElement> InitializeAsync(RpcProcess rpc) => rpc.ResultAsync("initialize", new
    {
        processId = (int?)null,
        capabilities = new { },
        initializationOptions = new { chat = new { endpoint = _server.BaseUrl, model = "fake-model", apiKey = ApiKey } },
    });

    /// <summary>One turn, its deltas read and checked against the stored answer; returns the result.</summary>
    private static async Task<JsonElement> ChatAsync(RpcProcess rpc, object parameters)
    {
        var notifications = new List<JsonElement>();
        var request = await rpc.SendRequestAsync("chat.send", parameters);
        var result = Result(await rpc.ReadResponseAsync(request, notifications));
        Assert.Equal(result.GetProperty("message").GetProperty("text").GetString(), Concat(notifications));
        return result;
    }

    private static async Task ExitAsync(RpcProcess rpc)
    {
        await rpc.ResultAsync("shutdown");
        await rpc.NotifyAsync("exit");
        Assert.Equal(0, await rpc.WaitForExitAsync());
    }

    /// <summary>The key went to the model and nowhere else: not into any byte of the store's files, nor onto stderr.</summary>
    private void AssertKeyNowhere(string stderr)
    {
        Assert.DoesNotContain(ApiKey, stderr, StringComparison.Ordinal);
        var key = Encoding.UTF8.GetBytes(ApiKey);
        var files = Directory.GetFiles(Store, "*", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        Assert.All(files, file => Assert.True(File.ReadAllBytes(file).AsSpan().IndexOf(key) < 0, $"the API key is in {file}"));
    }

    private static JsonElement Result(JsonElement response)
    {
        Assert.False(response.TryGetProperty("error", out var error), $"chat.send failed: {error}");
        return response.GetProperty("result");
    }

    private static JsonElement Error(JsonElement response, int code)
    {
        Assert.True(response.TryGetProperty("error", out var error), $"expected error {code}, got {response}");
        Assert.Equal(code, error.GetProperty("code").GetInt32());
        return error;
    }

    private static string Concat(List<JsonElement> notifications)
        => string.Concat(notifications.Select(n => n.GetProperty("params").GetProperty("text").GetString()));

    private static List<string> Texts(JsonElement messages)
        => [.. messages.EnumerateArray().Select(m => $"{m.GetProperty("role").GetString()}: {m.GetProperty("text").GetString()}")];
}
