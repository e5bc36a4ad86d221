using System.Text.Json;
using AgentSessions.Storage;

namespace AgentSessions.Formats;

/// <summary>
/// The compact JSON form of a message: the fields of the full form (<c>show --json</c>, the export format) with
/// the same names, minus the derived <c>text</c>, and minus every field that holds its default (no author or
/// model, zero tokens, empty metadata). Reading it back gives the same message.
/// </summary>
/// <remarks>
/// The parts and metadata are copied as they come from the store, without building them as objects and without
/// parsing them again: <see cref="Storage.ISessionStore.ReadJsonAsync"/> hands over only well-formed JSON (a
/// damaged row is an error there). Re-checking here cost more than reading the rows.
/// </remarks>
public static class CompactMessageFormat
{
    /// <summary>Writes one message as a JSON object.</summary>
    public static void Write(Utf8JsonWriter writer, SessionMessageJson message)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(message);
        writer.WriteStartObject();
        writer.WriteString("id", message.Id);
        writer.WriteNumber("seq", message.Sequence);
        writer.WriteString("role", message.Role.ToWireName());
        writer.WritePropertyName("parts");
        writer.WriteRawValue(message.PartsJson.Span, skipInputValidation: true);
        if (message.AuthorName is not null)
        {
            writer.WriteString("authorName", message.AuthorName);
        }

        writer.WriteString("createdAt", message.CreatedAt);
        if (message.InputTokens != 0)
        {
            writer.WriteNumber("inputTokens", message.InputTokens);
        }

        if (message.OutputTokens != 0)
        {
            writer.WriteNumber("outputTokens", message.OutputTokens);
        }

        if (message.Model is not null)
        {
            writer.WriteString("model", message.Model);
        }

        if (!message.MetadataJson.IsEmpty && !message.MetadataJson.Span.SequenceEqual("{}"u8))
        {
            writer.WritePropertyName("metadata");
            writer.WriteRawValue(message.MetadataJson.Span, skipInputValidation: true);
        }

        writer.WriteEndObject();
    }
}
