using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AgentSessions.Formats;
using AgentSessions.Storage;

namespace AgentSessions.Server.Rpc;

/// <summary>session.append, and the connection's current session: session.current, session.switch, session.save, session.discard.</summary>
/// <remarks>
/// The connection's state is a core <see cref="Conversation"/>: the current session and the messages appended to
/// it with <c>"defer": true</c>, held until <c>session.save</c> (or <c>session.switch</c>, <c>session.create</c>,
/// <c>shutdown</c>) writes them in one transaction. Every other method sees only what is stored.
/// </remarks>
internal sealed partial class RpcMethods
{
    /// <summary>The most deferred messages a connection holds; beyond it the client must save.</summary>
    public const int MaxPendingMessages = Conversation.DefaultMaxPendingMessages;

    private static readonly JsonTypeInfo<List<ContentPart>> PartsTypeInfo = (JsonTypeInfo<List<ContentPart>>)
        new JsonSerializerOptions(AgentSessionsJson.Options) { AllowOutOfOrderMetadataProperties = true }.GetTypeInfo(typeof(List<ContentPart>));

    private async ValueTask<JsonWrite> CurrentAsync(RpcParams p, CancellationToken cancellationToken)
    {
        p.EnsureNoneUnknown();
        var session = await _conversation.GetCurrentAsync(cancellationToken).ConfigureAwait(false);
        var (id, pending) = (_conversation.CurrentId, _conversation.PendingCount);
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
        var saved = await _conversation.SwitchAsync(id, cancellationToken).ConfigureAwait(false);
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
        var id = _conversation.CurrentId;
        var saved = await _conversation.SaveAsync(cancellationToken).ConfigureAwait(false);
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
        var discarded = _conversation.Discard();
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
            var pending = _conversation.Defer(id, messages);
            return w =>
            {
                w.WriteStartObject();
                w.WriteString("id", id);
                w.WriteBoolean("deferred", true);
                w.WriteNumber("pending", pending);
                w.WriteEndObject();
            };
        }

        var result = await _conversation.AppendAsync(id, messages, cancellationToken).ConfigureAwait(false);
        return w =>
        {
            w.WriteStartObject();
            WriteAppendProperties(w, result);
            w.WriteEndObject();
        };
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
            // "author" was this method's name before it took the name its result and the HTTP API use.
            AuthorName = p.String("authorName", "author", prefix),
            Model = p.String("model"),
            InputTokens = input,
            OutputTokens = output,
            Metadata = p.Model("metadata", AgentSessionsJson.Context.DictionaryStringJsonElement, "an object") ?? new Dictionary<string, JsonElement>(),
        };
    }

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
