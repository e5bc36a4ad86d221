using System.Text.Json;
using AgentSessions.Storage;

namespace AgentSessions.Formats;

/// <summary>
/// The compact JSON form of a message: the fields of the full form (<c>show --json</c>, the export format) with
/// the same names, minus the derived <c>text</c>, and minus every field that holds its default (no author or
/// model, zero tokens, empty metadata). Reading it back gives the same message.
/// </summary>
/// <remarks>
/// The parts are copied as they come from the store, checked to be one well-formed JSON value on the way, so
/// a message is written without building its parts as objects.
/// </remarks>
public static class CompactMessageFormat
{
    /// <summary>Writes one message as a JSON object.</summary>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.Corrupt"/> when the stored parts or metadata are not JSON.</exception>
    public static void Write(Utf8JsonWriter writer, SessionMessageJson message)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(message);
        writer.WriteStartObject();
        writer.WriteString("id", message.Id);
        writer.WriteNumber("seq", message.Sequence);
        writer.WriteString("role", message.Role.ToWireName());
        writer.WritePropertyName("parts");
        WriteRaw(writer, message.PartsJson.Span, message, "parts");
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
            WriteRaw(writer, message.MetadataJson.Span, message, "metadata");
        }

        writer.WriteEndObject();
    }

    private static void WriteRaw(Utf8JsonWriter writer, ReadOnlySpan<byte> json, SessionMessageJson message, string what)
    {
        try
        {
            writer.WriteRawValue(json, skipInputValidation: false);
        }
        catch (Exception e) when (e is ArgumentException or JsonException)
        {
            throw new AgentSessionsException(ErrorCode.Corrupt, $"the stored {what} of message {message.Sequence} ({message.Id}) is not valid JSON; run 'agent-sessions doctor'", e);
        }
    }
}
