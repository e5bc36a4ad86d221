using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using AgentSessions.Formats;

namespace AgentSessions.Storage;

/// <summary>
/// A stored message whose content is left as JSON: what a front end that passes messages on without looking
/// inside them (the RPC server's compact <c>session.load</c>) needs, read without building the model.
/// </summary>
/// <remarks>
/// <see cref="PartsJson"/> is exactly what serializing <see cref="SessionMessage.Parts"/> gives (the export
/// format's parts), though its escaping may differ: a store may hand over the text it keeps. Build one from a
/// <see cref="SessionMessage"/> with <see cref="From"/>.
/// </remarks>
public sealed record SessionMessageJson
{
    /// <summary>The message id.</summary>
    public required string Id { get; init; }

    /// <summary>The position in the session.</summary>
    public required long Sequence { get; init; }

    /// <summary>Who produced the message.</summary>
    public required MessageRole Role { get; init; }

    /// <summary>The content parts: a UTF-8 JSON array, as in the export format.</summary>
    public required ReadOnlyMemory<byte> PartsJson { get; init; }

    /// <summary>The author or agent name, if any.</summary>
    public string? AuthorName { get; init; }

    /// <summary>When the message was created (UTC).</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Input tokens.</summary>
    public long InputTokens { get; init; }

    /// <summary>Output tokens.</summary>
    public long OutputTokens { get; init; }

    /// <summary>The model, if known.</summary>
    public string? Model { get; init; }

    /// <summary>The metadata as a UTF-8 JSON object; empty when the message has none.</summary>
    public ReadOnlyMemory<byte> MetadataJson { get; init; }

    /// <summary>The JSON form of a message read as the model.</summary>
    public static SessionMessageJson From(SessionMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new()
        {
            Id = message.Id,
            Sequence = message.Sequence,
            Role = message.Role,
            PartsJson = StoredParts.ToUtf8(message.Parts),
            AuthorName = message.AuthorName,
            CreatedAt = message.CreatedAt,
            InputTokens = message.InputTokens,
            OutputTokens = message.OutputTokens,
            Model = message.Model,
            MetadataJson = message.Metadata.Count == 0 ? default : JsonSerializer.SerializeToUtf8Bytes(message.Metadata, AgentSessionsJson.Context.IReadOnlyDictionaryStringJsonElement),
        };
    }

    /// <summary>The parts JSON of a message whose whole content is one text part.</summary>
    public static byte[] TextPartsJson(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        // One writer per thread, reset for each message: most messages of a session are plain text, and a
        // writer of their own each would cost more than the text.
        var (buffer, writer) = t_textWriter ??= NewTextWriter();
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        writer.WriteStartArray();
        writer.WriteStartObject();
        writer.WriteString("type", "text");
        writer.WriteString("text", text);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    [ThreadStatic]
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer)? t_textWriter;

    private static (ArrayBufferWriter<byte>, Utf8JsonWriter) NewTextWriter()
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        return (buffer, new Utf8JsonWriter(buffer, AgentSessionsJson.WriterOptions(indented: false)));
    }

    /// <summary>The fallback for stores that only read the model: each message converted with <see cref="From"/>.</summary>
    internal static async IAsyncEnumerable<SessionMessageJson> FromMessages(IAsyncEnumerable<SessionMessage> messages, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var message in messages.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            yield return From(message);
        }
    }
}
