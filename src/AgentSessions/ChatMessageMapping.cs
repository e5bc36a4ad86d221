using System.Text.Json;
using AgentSessions.Formats;
using Microsoft.Extensions.AI;

namespace AgentSessions;

/// <summary>Converts between AgentSessions messages and Microsoft.Extensions.AI <see cref="ChatMessage"/>.</summary>
/// <remarks>
/// <para>
/// Contents map one to one: <see cref="TextContent"/> ↔ <see cref="TextPart"/>, <see cref="FunctionCallContent"/>
/// ↔ <see cref="ToolCallPart"/>, <see cref="FunctionResultContent"/> ↔ <see cref="ToolResultPart"/>,
/// <see cref="DataContent"/> ↔ <see cref="DataPart"/>, <see cref="UriContent"/> ↔ <see cref="UriPart"/>,
/// <see cref="TextReasoningContent"/> ↔ <see cref="ReasoningPart"/>. The message id, author name and creation
/// time map to their <see cref="ChatMessage"/> properties.
/// </para>
/// <para>
/// What <see cref="ChatMessage"/> has no property for (token counts, model, metadata) travels in
/// <see cref="ChatMessage.AdditionalProperties"/> under the <c>agentSessions.</c> keys below, so a message survives
/// a round trip in either direction. Values of other additional properties are kept as JSON. Tool-call
/// arguments and results are kept as JSON too: after a round trip they are <see cref="JsonElement"/>s with the
/// same JSON as the originals. Content types without a counterpart are refused rather than dropped.
/// </para>
/// </remarks>
public static class ChatMessageMapping
{
    /// <summary>Additional-property key for the input token count.</summary>
    public const string InputTokensKey = "agentSessions.inputTokens";

    /// <summary>Additional-property key for the output token count.</summary>
    public const string OutputTokensKey = "agentSessions.outputTokens";

    /// <summary>Additional-property key for the model.</summary>
    public const string ModelKey = "agentSessions.model";

    /// <summary>Additional-property key for the sequence number (set on the way out, ignored on the way in).</summary>
    public const string SequenceKey = "agentSessions.sequence";

    /// <summary>Additional-property key marking a tool result as an error.</summary>
    public const string IsErrorKey = "isError";

    /// <summary>Converts a stored message to a <see cref="ChatMessage"/>.</summary>
    public static ChatMessage ToChatMessage(this SessionMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var chat = new ChatMessage(ToChatRole(message.Role), message.Parts.Select(ToContent).ToList())
        {
            MessageId = message.Id,
            AuthorName = message.AuthorName,
            CreatedAt = message.CreatedAt,
        };
        var properties = new AdditionalPropertiesDictionary();
        foreach (var (key, value) in message.Metadata)
        {
            properties[key] = value;
        }

        properties[SequenceKey] = message.Sequence;
        if (message.InputTokens != 0)
        {
            properties[InputTokensKey] = message.InputTokens;
        }

        if (message.OutputTokens != 0)
        {
            properties[OutputTokensKey] = message.OutputTokens;
        }

        if (message.Model is not null)
        {
            properties[ModelKey] = message.Model;
        }

        chat.AdditionalProperties = properties;
        return chat;
    }

    /// <summary>Converts a <see cref="ChatMessage"/> to a message ready to append.</summary>
    /// <exception cref="AgentSessionsException">The role or a content type has no AgentSessions counterpart.</exception>
    public static NewMessage ToNewMessage(this ChatMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var metadata = new Dictionary<string, JsonElement>();
        long input = 0, output = 0;
        string? model = null;
        if (message.AdditionalProperties is { } properties)
        {
            foreach (var (key, value) in properties)
            {
                switch (key)
                {
                    case InputTokensKey: input = ToInt64(value); break;
                    case OutputTokensKey: output = ToInt64(value); break;
                    case ModelKey: model = value is JsonElement e ? e.GetString() : value?.ToString(); break;
                    case SequenceKey: break; // assigned by the store
                    default: metadata[key] = AgentSessionsJson.ToElement(value); break;
                }
            }
        }

        return new NewMessage(FromChatRole(message.Role), message.Contents.Select(FromContent).ToList())
        {
            Id = string.IsNullOrEmpty(message.MessageId) ? null : message.MessageId,
            AuthorName = message.AuthorName,
            CreatedAt = message.CreatedAt,
            InputTokens = input,
            OutputTokens = output,
            Model = model,
            Metadata = metadata,
        };
    }

    /// <summary>Converts an AgentSessions role to a <see cref="ChatRole"/>.</summary>
    public static ChatRole ToChatRole(MessageRole role) => role switch
    {
        MessageRole.User => ChatRole.User,
        MessageRole.Assistant => ChatRole.Assistant,
        MessageRole.System => ChatRole.System,
        MessageRole.Tool => ChatRole.Tool,
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };

    /// <summary>Converts a <see cref="ChatRole"/> to an AgentSessions role.</summary>
    public static MessageRole FromChatRole(ChatRole role) => MessageRoles.TryParse(role.Value, out var parsed)
        ? parsed
        : throw new AgentSessionsException(ErrorCode.InvalidArgument, $"chat role '{role.Value}' has no AgentSessions counterpart; use user, assistant, system or tool");

    private static AIContent ToContent(ContentPart part) => part switch
    {
        TextPart t => new TextContent(t.Text),
        ReasoningPart r => new TextReasoningContent(r.Text) { ProtectedData = r.ProtectedData },
        ToolCallPart c => new FunctionCallContent(c.CallId, c.Name, ToArguments(c.Arguments)),
        ToolResultPart r => ToResultContent(r),
        DataPart d => new DataContent(d.Data, d.MediaType) { Name = d.Name },
        UriPart u => new UriContent(new Uri(u.Uri, UriKind.RelativeOrAbsolute), u.MediaType),
        _ => throw new ArgumentOutOfRangeException(nameof(part), part.GetType().Name, null),
    };

    private static FunctionResultContent ToResultContent(ToolResultPart part)
    {
        object? result = part.Result is { ValueKind: JsonValueKind.String } s ? s.GetString() : part.Result;
        var content = new FunctionResultContent(part.CallId, result);
        if (part.IsError)
        {
            content.AdditionalProperties = new AdditionalPropertiesDictionary { [IsErrorKey] = true };
        }

        return content;
    }

    private static ContentPart FromContent(AIContent content) => content switch
    {
        TextContent t => new TextPart(t.Text ?? ""),
        TextReasoningContent r => new ReasoningPart(r.Text ?? "", r.ProtectedData),
        FunctionCallContent c => new ToolCallPart(c.CallId, c.Name, c.Arguments is null ? null : AgentSessionsJson.ToElement(c.Arguments)),
        FunctionResultContent r => new ToolResultPart(
            r.CallId,
            r.Result is null && r.Exception is not null ? AgentSessionsJson.ToElement(r.Exception.Message) : r.Result is null ? null : AgentSessionsJson.ToElement(r.Result),
            r.Exception is not null || r.AdditionalProperties?.TryGetValue(IsErrorKey, out var flag) == true && flag is true or JsonElement { ValueKind: JsonValueKind.True }),
        DataContent d => new DataPart(d.Data.ToArray(), d.MediaType, d.Name),
        UriContent u => new UriPart(u.Uri.OriginalString, u.MediaType),
        _ => throw new AgentSessionsException(ErrorCode.InvalidArgument, $"content type {content.GetType().Name} cannot be stored; supported: text, reasoning, function call and result, data, URI"),
    };

    private static Dictionary<string, object?>? ToArguments(JsonElement? arguments)
    {
        if (arguments is not { ValueKind: JsonValueKind.Object } obj)
        {
            return null;
        }

        var result = new Dictionary<string, object?>();
        foreach (var property in obj.EnumerateObject())
        {
            result[property.Name] = property.Value.Clone();
        }

        return result;
    }

    private static long ToInt64(object? value) => value switch
    {
        JsonElement e when e.TryGetInt64(out var n) => n,
        IConvertible c => c.ToInt64(System.Globalization.CultureInfo.InvariantCulture),
        _ => 0,
    };
}
