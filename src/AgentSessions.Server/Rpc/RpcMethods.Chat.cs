using System.Buffers;
using System.Text.Json;
using AgentSessions.AI;
using AgentSessions.Chat;
using AgentSessions.Formats;
using AgentSessions.Storage;
using Microsoft.Extensions.AI;

namespace AgentSessions.Server.Rpc;

/// <summary>chat.send: one turn with a model through the chat engine the CLI's chat uses (<see cref="ChatRunner"/>).</summary>
/// <remarks>
/// <para>
/// The endpoint, model and API key come from <c>initialize</c>'s <c>initializationOptions.chat</c>, else the
/// environment (<see cref="ChatEndpoint.Resolve"/>); a call's <c>model</c> overrides the model. The key lives in this
/// object only: it is sent to the endpoint and nowhere else (not stored, logged, echoed in an error, or returned).
/// </para>
/// <para>
/// The connection keeps one runner, for the session and model of its last turn, so a turn does not read the
/// whole transcript again. It is reread when the session changed since (an append, an undo, another process):
/// the session's message count and last change are compared before each turn.
/// </para>
/// </remarks>
internal sealed partial class RpcMethods
{
    /// <summary>How the error for a missing model names the settings.</summary>
    private const string ModelHint = "\"model\" to chat.send, initializationOptions.chat.model to initialize,";

    /// <summary>The longest model error message passed on; a server may answer with a whole page.</summary>
    private const int MaxModelErrorLength = 500;

    private string? _chatEndpoint;
    private string? _chatModel;
    private string? _chatApiKey;
    private ChatState? _chat;

    /// <summary>Reads <c>initializationOptions.chat</c> of <c>initialize</c>: <c>endpoint</c>, <c>model</c>, <c>apiKey</c>.</summary>
    private async ValueTask ReadChatOptionsAsync(RpcParams p, CancellationToken cancellationToken)
    {
        if (p.Object("initializationOptions")?.Object("chat") is not { } chat)
        {
            return;
        }

        var endpoint = chat.String("endpoint");
        var model = chat.String("model");
        var apiKey = chat.String("apiKey");
        chat.EnsureNoneUnknown();
        (_chatEndpoint, _chatModel, _chatApiKey) = (endpoint, model, apiKey);
        // A runner made with the old settings must not carry on with them.
        await SaveChatAsync(cancellationToken).ConfigureAwait(false);
        CloseChat();
    }

    /// <summary>The model chat.send talks to by default, or null when none is configured (or the settings are wrong).</summary>
    private string? ConfiguredChatModel()
    {
        try
        {
            return ChatEndpoint.Resolve(_chatEndpoint, _chatModel, _chatApiKey, ModelHint).Model;
        }
        catch (AgentSessionsException)
        {
            return null;
        }
    }

    private async ValueTask<JsonWrite> ChatSendAsync(RpcParams p, CancellationToken cancellationToken)
    {
        var explicitId = p.String("id");
        var content = p.RequiredString("content");
        var model = p.String("model");
        p.EnsureNoneUnknown();
        if (string.IsNullOrWhiteSpace(content))
        {
            throw RpcException.InvalidParams("'content' is empty");
        }

        var call = _call;
        // Resolved first: a call that cannot reach a model changes nothing, not even by making a session.
        var endpoint = ChatEndpoint.Resolve(_chatEndpoint, model ?? _chatModel, _chatApiKey, ModelHint);
        var sessionId = explicitId ?? _conversation.CurrentId
            ?? (await _conversation.CreateAsync(new NewSession { Model = endpoint.Model }, makeCurrent: true, cancellationToken).ConfigureAwait(false)).Id;
        if (sessionId == _conversation.CurrentId)
        {
            // Deferred messages were written before this one: they go first, as a plain append writes them.
            await _conversation.SaveAsync(cancellationToken).ConfigureAwait(false);
        }

        var before = await _service.GetAsync(sessionId, cancellationToken).ConfigureAwait(false);
        var chat = await ChatFor(before, endpoint, cancellationToken).ConfigureAwait(false);
        // False when the runner's own view of the session may be off (it was interrupted after the stream): reread next turn.
        var runnerKnowsAll = true;
        ChatTurn? turn = null;
        try
        {
            // Deltas are written with the connection's token, not the request's: a cancellation thrown from the
            // callback, outside the model's stream, would store the partial answer as "abandoned", not "cancelled".
            turn = await chat.Runner.SendAsync(content, delta => SendDeltaAsync(sessionId, call.Id, delta, cancellationToken), call.Cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (call.Cancellation.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            chat.Seen = default;
            var stored = await StoredSinceAsync(sessionId, before.MessageCount, cancellationToken).ConfigureAwait(false);
            if (!Complete(stored))
            {
                throw new RpcException(
                    RpcErrors.RequestCancelled,
                    "chat.send was cancelled; what the model had sent is stored, marked interrupted",
                    "Cancelled",
                    w => WriteTurnProperties(w, sessionId, stored, stoppedEarly: true));
            }

            // The cancel came after the whole answer was stored (it landed in the runner's last read): the turn
            // is done, and LSP lets a server answer a cancelled request with its result.
            runnerKnowsAll = false;
        }
        catch (AgentSessionsException e) when (!cancellationToken.IsCancellationRequested)
        {
            // The store refused part of the turn (a checkpoint too large, the session deleted meanwhile, a busy
            // store), perhaps after the user's message was stored: the client must be told it is, or it offers the
            // prompt again and a resend stores it twice. So the usual error for e, with the turn's data.
            chat.Seen = default;
            if (await StoredOrNullAsync(sessionId, before.MessageCount, cancellationToken).ConfigureAwait(false) is not { } stored
                || !stored.Exists(m => m.Role == MessageRole.User))
            {
                // Nothing of the turn is there (or the session is gone with it): the plain error says so.
                throw;
            }

            throw new RpcException(
                RpcErrors.For(e.Code),
                $"{ErrorHints.ForRpc(e)} (the message is stored in session '{sessionId}')",
                e.Code.ToString(),
                w => WriteTurnProperties(w, sessionId, stored, stoppedEarly: true));
        }
        catch (Exception e) when (e is not (AgentSessionsException or ConnectionLostException or OutOfMemoryException)
                                  && !cancellationToken.IsCancellationRequested && !call.Cancellation.IsCancellationRequested)
        {
            // An expected failure (the model refused, the network broke): one clear line, the key taken out of
            // whatever the server or the library said. The user's message is stored already.
            chat.Seen = default;
            var stored = await StoredSinceAsync(sessionId, before.MessageCount, cancellationToken).ConfigureAwait(false);
            throw new RpcException(
                RpcErrors.ModelError,
                $"the model at {endpoint.DisplayUrl} failed: {Shorten(endpoint.Redact(e.Message))} (the message is stored in session '{sessionId}')",
                "ModelError",
                w => WriteTurnProperties(w, sessionId, stored, stoppedEarly: true));
        }

        // The runner read the turn's messages back already; only a turn it did not finish reporting is read here.
        var all = turn is { UserMessage: { } user }
            ? [user, .. turn.Messages]
            : await StoredSinceAsync(sessionId, before.MessageCount, cancellationToken).ConfigureAwait(false);
        var session = await _service.GetAsync(sessionId, cancellationToken).ConfigureAwait(false);
        chat.Seen = runnerKnowsAll ? (session.MessageCount, session.UpdatedAt) : default;

        // The messages after the user's: the answer, and whatever else the model's stream held.
        var answers = all.Skip(all.FindLastIndex(m => m.Role == MessageRole.User) + 1).ToList();
        return w =>
        {
            w.WriteStartObject();
            WriteTurnProperties(w, sessionId, all, stoppedEarly: false);
            w.WriteStartArray("messages");
            foreach (var message in answers)
            {
                JsonSerializer.Serialize(w, message, AgentSessionsJson.Context.SessionMessage);
            }

            w.WriteEndArray();
            w.WriteStartObject("usage");
            w.WriteNumber("inputTokens", answers.Sum(m => m.InputTokens));
            w.WriteNumber("outputTokens", answers.Sum(m => m.OutputTokens));
            w.WriteEndObject();
            w.WritePropertyName("session");
            JsonSerializer.Serialize(w, session, AgentSessionsJson.Context.Session);
            w.WriteEndObject();
        };
    }

    /// <summary>Whether a turn's stored messages end with a whole answer (an assistant message not marked partial).</summary>
    private static bool Complete(List<SessionMessage> stored)
        => stored.Count > 0 && stored[^1] is { Role: MessageRole.Assistant } last
           && !(last.Metadata.TryGetValue(AgentSessionsMetadata.Partial, out var partial) && partial.ValueKind == JsonValueKind.True);

    /// <summary>The runner for this session and model: the one kept, reread if the session changed since, or a new one.</summary>
    private async ValueTask<ChatState> ChatFor(Session session, ChatEndpoint endpoint, CancellationToken cancellationToken)
    {
        var target = endpoint.ToString();
        if (_chat is { } kept && kept.Runner.SessionId == session.Id && kept.Target == target)
        {
            if (kept.Seen != (session.MessageCount, session.UpdatedAt))
            {
                await kept.Runner.ReloadAsync(cancellationToken).ConfigureAwait(false);
            }

            return kept;
        }

        await SaveChatAsync(cancellationToken).ConfigureAwait(false);
        CloseChat();
        var client = endpoint.CreateClient();
        try
        {
            var runner = await ChatRunner.OpenAsync(_service, session.Id, client, cancellationToken: cancellationToken).ConfigureAwait(false);
            _chat = new ChatState(runner, client, target) { Seen = (session.MessageCount, session.UpdatedAt) };
            return _chat;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Lets the runner write what it holds before it is left (ChatRunner.SaveAsync: nothing today, every turn is stored as it streams).</summary>
    private async ValueTask SaveChatAsync(CancellationToken cancellationToken)
    {
        if (_chat is { } chat)
        {
            await chat.Runner.SaveAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void CloseChat()
    {
        _chat?.Client.Dispose();
        _chat = null;
    }

    /// <summary><see cref="StoredSinceAsync"/>, or null when the store cannot say (the session was deleted, the store is failing).</summary>
    private async ValueTask<List<SessionMessage>?> StoredOrNullAsync(string sessionId, long count, CancellationToken cancellationToken)
    {
        try
        {
            return await StoredSinceAsync(sessionId, count, cancellationToken).ConfigureAwait(false);
        }
        catch (AgentSessionsException)
        {
            return null;
        }
    }

    /// <summary>What the turn stored: the messages after the session's first <paramref name="count"/> (a bounded read).</summary>
    private async ValueTask<List<SessionMessage>> StoredSinceAsync(string sessionId, long count, CancellationToken cancellationToken)
    {
        var stored = new List<SessionMessage>();
        await foreach (var message in _service.ReadAsync(sessionId, new MessageRange(count + 1, 100), cancellationToken).ConfigureAwait(false))
        {
            stored.Add(message);
        }

        return stored;
    }

    /// <summary>
    /// <c>id</c> (the session), <c>userMessage</c>, <c>message</c> (the answer, partial or whole; null when the
    /// model sent nothing) and <c>interrupted</c> (false, or why the answer stopped early), into the object being written.
    /// </summary>
    private static void WriteTurnProperties(Utf8JsonWriter w, string sessionId, List<SessionMessage> stored, bool stoppedEarly)
    {
        var user = stored.FindLastIndex(m => m.Role == MessageRole.User);
        var answer = stored.FindLastIndex(m => m.Role == MessageRole.Assistant);
        w.WriteString("id", sessionId);
        w.WritePropertyName("userMessage");
        WriteMessageOrNull(w, user < 0 ? null : stored[user]);
        var message = answer > user ? stored[answer] : null;
        w.WritePropertyName("message");
        WriteMessageOrNull(w, message);
        w.WritePropertyName("interrupted");
        if (message is not null && message.Metadata.TryGetValue(AgentSessionsMetadata.Interrupted, out var why) && why.ValueKind == JsonValueKind.String)
        {
            w.WriteStringValue(why.GetString());
        }
        else if (stoppedEarly)
        {
            // The model failed or was cancelled before it sent anything.
            w.WriteBooleanValue(true);
        }
        else
        {
            w.WriteBooleanValue(false);
        }
    }

    private static void WriteMessageOrNull(Utf8JsonWriter w, SessionMessage? message)
    {
        if (message is null)
        {
            w.WriteNullValue();
        }
        else
        {
            JsonSerializer.Serialize(w, message, AgentSessionsJson.Context.SessionMessage);
        }
    }

    /// <summary>Sends <c>{"jsonrpc":"2.0","method":"chat.delta","params":{"id":SESSION,"requestId":ID,"text":TEXT}}</c>.</summary>
    private ValueTask SendDeltaAsync(string sessionId, JsonElement? requestId, string text, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(128 + (text.Length * 2));
        using (var writer = new Utf8JsonWriter(buffer, AgentSessionsJson.WriterOptions(indented: false)))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc", "2.0");
            writer.WriteString("method", "chat.delta");
            writer.WriteStartObject("params");
            writer.WriteString("id", sessionId);
            if (requestId is { } id)
            {
                writer.WritePropertyName("requestId");
                id.WriteTo(writer);
            }

            writer.WriteString("text", text);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return _notify(buffer.WrittenMemory, cancellationToken);
    }

    private static string Shorten(string message)
    {
        var line = message.ReplaceLineEndings(" ").Trim();
        return line.Length <= MaxModelErrorLength ? line : line[..MaxModelErrorLength] + "...";
    }

    /// <summary>The connection's runner: its session and model, the model client it owns, and the session as last seen.</summary>
    private sealed class ChatState(ChatRunner runner, IChatClient client, string target)
    {
        public ChatRunner Runner { get; } = runner;

        public IChatClient Client { get; } = client;

        /// <summary>The endpoint's URL and model (<see cref="ChatEndpoint.ToString"/>).</summary>
        public string Target { get; } = target;

        /// <summary>The session's message count and last change when this runner last knew it in full; default: reread.</summary>
        public (long Count, DateTimeOffset UpdatedAt) Seen { get; set; }
    }
}
