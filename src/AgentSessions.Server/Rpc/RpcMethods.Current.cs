using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AgentSessions.Formats;
using AgentSessions.Storage;

namespace AgentSessions.Server.Rpc;

/// <summary>session.append, and the connection's current session: session.current, session.switch, session.save, session.discard.</summary>
/// <remarks>
/// The pending state of a connection is the messages appended to its current session with <c>"defer": true</c>.
/// They live only in this process until <c>session.save</c> writes them in one transaction (all or none);
/// <c>session.switch</c>, <c>session.create</c> and <c>shutdown</c> save them first, and a plain append to the
/// same session writes them ahead of its own messages so the order is kept. Every other method sees only what
/// is stored. Deferred messages not saved when the connection ends are lost, which is what deferring means.
/// </remarks>
internal sealed partial class RpcMethods
{
    /// <summary>The most deferred messages a connection holds; beyond it the client must save.</summary>
    public const int MaxPendingMessages = 10_000;

    private static readonly JsonTypeInfo<List<ContentPart>> PartsTypeInfo = (JsonTypeInfo<List<ContentPart>>)
        new JsonSerializerOptions(AgentSessionsJson.Options) { AllowOutOfOrderMetadataProperties = true }.GetTypeInfo(typeof(List<ContentPart>));

    private readonly List<NewMessage> _pending = [];
    private long _pendingBytes;
    private string? _current;

    private async ValueTask<JsonWrite> CurrentAsync(RpcParams p, CancellationToken cancellationToken)
    {
        p.EnsureNoneUnknown();
        var session = _current is null ? null : await _service.Store.GetAsync(_current, cancellationToken).ConfigureAwait(false);
        var (id, pending) = (_current, _pending.Count);
        return w =>
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WritePropertyName("session");
            if (session is null)
            {
                w.WriteNullValue();
            }
            else
            {
                JsonSerializer.Serialize(w, session, AgentSessionsJson.Context.Session);
            }

            w.WriteNumber("pending", pending);
            w.WriteEndObject();
        };
    }

    private async ValueTask<JsonWrite> SwitchAsync(RpcParams p, CancellationToken cancellationToken)
    {
        var id = p.RequiredString("id");
        p.EnsureNoneUnknown();
        // The target must exist before anything changes; then the old session's pending messages are saved,
        // and only when that worked does the current session change.
        await _service.GetAsync(id, cancellationToken).ConfigureAwait(false);
        var saved = await SavePendingAsync(cancellationToken).ConfigureAwait(false);
        _current = id;
        var session = await _service.GetAsync(id, cancellationToken).ConfigureAwait(false);
        return w =>
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WritePropertyName("session");
            JsonSerializer.Serialize(w, session, AgentSessionsJson.Context.Session);
            w.WriteNumber("saved", saved?.Messages.Count ?? 0);
            w.WriteEndObject();
        };
    }

    private async ValueTask<JsonWrite> SaveAsync(RpcParams p, CancellationToken cancellationToken)
    {
        p.EnsureNoneUnknown();
        var id = _current;
        var saved = await SavePendingAsync(cancellationToken).ConfigureAwait(false);
        return w =>
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteNumber("saved", saved?.Messages.Count ?? 0);
            if (saved is not null)
            {
                WriteAppendProperties(w, saved);
            }

            w.WriteEndObject();
        };
    }

    private ValueTask<JsonWrite> DiscardAsync(RpcParams p, CancellationToken cancellationToken)
    {
        p.EnsureNoneUnknown();
        var discarded = _pending.Count;
        ClearPending();
        return Result(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("discarded", discarded);
            w.WriteEndObject();
        });
    }

    private async ValueTask<JsonWrite> AppendAsync(RpcParams p, CancellationToken cancellationToken)
    {
        var id = SessionId(p);
        var defer = p.Bool("defer") ?? false;
        List<NewMessage> messages;
        if (p.Array("messages") is { } array)
        {
            messages = [];
            foreach (var element in array.EnumerateArray())
            {
                if (element.ValueKind != JsonValueKind.Object)
                {
                    throw RpcException.InvalidParams("each of 'messages' must be an object with role and content (or parts)");
                }

                var item = RpcParams.From(element);
                messages.Add(ReadMessage(item, $"messages[{messages.Count}]."));
                item.EnsureNoneUnknown();
            }

            if (messages.Count == 0)
            {
                throw RpcException.InvalidParams("'messages' is empty");
            }
        }
        else
        {
            messages = [ReadMessage(p, "")];
        }

        p.EnsureNoneUnknown();
        if (defer)
        {
            return Defer(id, messages);
        }

        // Deferred messages of the same session go first, in the same transaction, so the order stays the one
        // the client sent.
        var flushing = id == _current && _pending.Count > 0;
        IReadOnlyList<NewMessage> batch = flushing ? [.. _pending, .. messages] : messages;
        var result = await _service.AppendAsync(id, batch, cancellationToken).ConfigureAwait(false);
        if (flushing)
        {
            ClearPending();
        }

        return w =>
        {
            w.WriteStartObject();
            WriteAppendProperties(w, result);
            w.WriteEndObject();
        };
    }

    private JsonWrite Defer(string id, List<NewMessage> messages)
    {
        if (_current is null || id != _current)
        {
            throw RpcException.InvalidParams(_current is null
                ? "\"defer\" buffers messages for the current session, and there is none; call session.switch first"
                : $"\"defer\" buffers messages for the current session ('{_current}') only; call session.switch to '{id}' first");
        }

        var bytes = messages.Sum(EstimateBytes);
        if (_pending.Count + messages.Count > MaxPendingMessages || _pendingBytes + bytes > _options.MaxMessageBytes)
        {
            throw new AgentSessionsException(ErrorCode.TooLarge, $"too many deferred messages (at most {MaxPendingMessages}, {_options.MaxMessageBytes} bytes); call session.save first");
        }

        _pending.AddRange(messages);
        _pendingBytes += bytes;
        var pending = _pending.Count;
        return w =>
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteBoolean("deferred", true);
            w.WriteNumber("pending", pending);
            w.WriteEndObject();
        };
    }

    /// <summary>Writes the pending messages to the current session in one transaction; null when there were none.</summary>
    /// <remarks>On failure the messages stay pending, so nothing is lost and the client can retry or discard.</remarks>
    private async ValueTask<AppendResult?> SavePendingAsync(CancellationToken cancellationToken)
    {
        if (_pending.Count == 0 || _current is null)
        {
            return null;
        }

        var result = await _service.AppendAsync(_current, [.. _pending], cancellationToken).ConfigureAwait(false);
        ClearPending();
        return result;
    }

    private void ClearPending()
    {
        _pending.Clear();
        _pendingBytes = 0;
    }

    /// <summary>Reads one message: role, content (text) or parts, and the optional fields <c>agent-sessions add</c> takes.</summary>
    private static NewMessage ReadMessage(RpcParams p, string prefix)
    {
        var roleText = p.String("role") ?? throw RpcException.InvalidParams($"missing parameter '{prefix}role' (user, assistant, system or tool)");
        if (!MessageRoles.TryParse(roleText, out var role))
        {
            throw RpcException.InvalidParams($"unknown role '{roleText}'; expected one of: user, assistant, system, tool");
        }

        var content = p.String("content");
        var parts = p.Model("parts", PartsTypeInfo, "an array of content parts ({\"type\": \"text\", \"text\": ...} and the other kinds in docs/formats.md)");
        if ((content is null) == (parts is null))
        {
            throw RpcException.InvalidParams($"give exactly one of '{prefix}content' (text) and '{prefix}parts' (content parts)");
        }

        if (content is { Length: 0 } || parts is { Count: 0 })
        {
            throw RpcException.InvalidParams($"the message {prefix}content is empty");
        }

        var input = p.Long("inputTokens") ?? 0;
        var output = p.Long("outputTokens") ?? 0;
        if (input < 0 || output < 0)
        {
            throw RpcException.InvalidParams("token counts cannot be negative");
        }

        return new NewMessage(role, parts is null ? [new TextPart(content!)] : parts)
        {
            Id = p.String("messageId"),
            AuthorName = p.String("author"),
            Model = p.String("model"),
            InputTokens = input,
            OutputTokens = output,
            Metadata = p.Model("metadata", AgentSessionsJson.Context.DictionaryStringJsonElement, "an object") ?? new Dictionary<string, JsonElement>(),
        };
    }

    /// <summary>Roughly what a message weighs in memory, to bound the deferred buffer.</summary>
    private static long EstimateBytes(NewMessage message)
        => 256 + message.Parts.Sum(part => part switch
        {
            DataPart data => (long)data.Data.Length,
            ToolCallPart call => call.Name.Length + (call.Arguments?.GetRawText().Length ?? 0),
            _ => part.GetSearchText().Length * 2L,
        });

    private static void WriteAppendProperties(Utf8JsonWriter w, AppendResult result)
    {
        w.WritePropertyName("session");
        JsonSerializer.Serialize(w, result.Session, AgentSessionsJson.Context.Session);
        w.WriteStartArray("messages");
        foreach (var message in result.Messages)
        {
            JsonSerializer.Serialize(w, message, AgentSessionsJson.Context.SessionMessage);
        }

        w.WriteEndArray();
        if (result.PreservedIn is not null)
        {
            w.WriteString("preservedIn", result.PreservedIn);
        }
    }
}
