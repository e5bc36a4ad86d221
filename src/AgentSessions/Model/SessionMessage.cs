using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentSessions;

/// <summary>A stored message of a session.</summary>
public sealed record SessionMessage
{
    /// <summary>The message id, unique within its session.</summary>
    public required string Id { get; init; }

    /// <summary>The position in the session: 1-based, gap-free, assigned by the store (<c>seq</c> in JSON).</summary>
    [JsonPropertyName("seq")]
    public required long Sequence { get; init; }

    /// <summary>Who produced the message.</summary>
    public required MessageRole Role { get; init; }

    /// <summary>The ordered content.</summary>
    public required IReadOnlyList<ContentPart> Parts { get; init; }

    /// <summary>The author or agent name, if any.</summary>
    public string? AuthorName { get; init; }

    /// <summary>When the message was created (UTC).</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Input (prompt) tokens spent on this message.</summary>
    public long InputTokens { get; init; }

    /// <summary>Output (completion) tokens spent on this message.</summary>
    public long OutputTokens { get; init; }

    /// <summary>The model that produced or received the message, if known.</summary>
    public string? Model { get; init; }

    /// <summary>Free metadata.</summary>
    public IReadOnlyDictionary<string, JsonElement> Metadata { get; init; } = EmptyMetadata.Instance;

    /// <summary>The searchable text of all parts, joined by new lines.</summary>
    public string Text => MessageText.Of(Parts);
}

/// <summary>A message to append; the store assigns the sequence number and, when absent, the id.</summary>
public sealed record NewMessage
{
    /// <summary>Creates a message to append.</summary>
    public NewMessage(MessageRole role, IReadOnlyList<ContentPart> parts)
    {
        Role = role;
        Parts = parts;
    }

    /// <summary>Creates a text message to append.</summary>
    public NewMessage(MessageRole role, string text)
        : this(role, [new TextPart(text)])
    {
    }

    /// <summary>A custom id (validated like session ids), or <see langword="null"/> to generate one.</summary>
    public string? Id { get; init; }

    /// <summary>Who produced the message.</summary>
    public MessageRole Role { get; init; }

    /// <summary>The ordered content.</summary>
    public IReadOnlyList<ContentPart> Parts { get; init; }

    /// <summary>The author or agent name.</summary>
    public string? AuthorName { get; init; }

    /// <summary>Creation time; <see langword="null"/> means now.</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>Input tokens (must not be negative).</summary>
    public long InputTokens { get; init; }

    /// <summary>Output tokens (must not be negative).</summary>
    public long OutputTokens { get; init; }

    /// <summary>The model.</summary>
    public string? Model { get; init; }

    /// <summary>Free metadata.</summary>
    public IReadOnlyDictionary<string, JsonElement> Metadata { get; init; } = EmptyMetadata.Instance;

    /// <summary>Makes an append request that reproduces <paramref name="message"/> (id, time and all).</summary>
    public static NewMessage From(SessionMessage message) => new(message.Role, message.Parts)
    {
        Id = message.Id,
        AuthorName = message.AuthorName,
        CreatedAt = message.CreatedAt,
        InputTokens = message.InputTokens,
        OutputTokens = message.OutputTokens,
        Model = message.Model,
        Metadata = message.Metadata,
    };
}

internal static class MessageText
{
    public static string Of(IReadOnlyList<ContentPart> parts)
    {
        if (parts.Count == 1)
        {
            return parts[0].GetSearchText();
        }

        var builder = new StringBuilder();
        foreach (var part in parts)
        {
            var text = part.GetSearchText();
            if (text.Length == 0)
            {
                continue;
            }

            if (builder.Length > 0)
            {
                builder.Append('\n');
            }

            builder.Append(text);
        }

        return builder.ToString();
    }
}
