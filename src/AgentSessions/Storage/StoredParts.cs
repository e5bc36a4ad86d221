using System.Buffers;
using System.Text;
using System.Text.Json;

namespace AgentSessions.Storage;

/// <summary>
/// The encoding of a message's content parts inside a store, version <see cref="Version"/>: a JSON array of objects,
/// each with a <c>type</c> (<c>text</c>, <c>toolCall</c>, <c>toolResult</c>, <c>data</c>, <c>uri</c>,
/// <c>reasoning</c>) and the part's fields in camelCase, absent when null.
/// </summary>
/// <remarks>
/// <para>
/// Written by hand, apart from the model's serialization attributes on purpose: the export format and the wire
/// formats may change with the model, but the bytes already in users' databases must stay readable forever. A
/// change to this encoding is a new version read beside this one, never an edit of it; the golden tests in
/// AgentSessions.Tests pin the exact bytes.
/// </para>
/// <para>
/// Version 1 is also what <see cref="SessionMessageJson.PartsJson"/> carries, so a store may hand its stored bytes
/// to the compact wire format unchanged. A backend that stores a later version must convert in
/// <see cref="ISessionStore.ReadJsonAsync"/>.
/// </para>
/// </remarks>
public static class StoredParts
{
    /// <summary>The version this class writes.</summary>
    public const int Version = 1;

    // Relaxed escaping: text is kept as UTF-8 and only what JSON requires is escaped. The default encoder would turn
    // every quote, '<', '>', '&', '+' and non-ASCII letter of code and prose into a six-byte \uXXXX escape, which
    // costs disk, every resume's bytes on the wire and the reader's time to decode them. Readers accept either.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Encodes parts as UTF-8 JSON.</summary>
    public static byte[] ToUtf8(IReadOnlyList<ContentPart> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var buffer = new ArrayBufferWriter<byte>(64 + (parts is [TextPart t] ? t.Text.Length : 256));
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            Write(writer, parts);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Encodes parts as a JSON string.</summary>
    public static string ToJson(IReadOnlyList<ContentPart> parts) => Encoding.UTF8.GetString(ToUtf8(parts));

    /// <summary>Writes parts as a JSON array.</summary>
    public static void Write(Utf8JsonWriter writer, IReadOnlyList<ContentPart> parts)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(parts);
        writer.WriteStartArray();
        foreach (var part in parts)
        {
            writer.WriteStartObject();
            switch (part)
            {
                case TextPart text:
                    writer.WriteString("type", "text");
                    writer.WriteString("text", text.Text);
                    break;
                case ToolCallPart call:
                    writer.WriteString("type", "toolCall");
                    writer.WriteString("callId", call.CallId);
                    writer.WriteString("name", call.Name);
                    WriteElement(writer, "arguments", call.Arguments);
                    break;
                case ToolResultPart result:
                    writer.WriteString("type", "toolResult");
                    writer.WriteString("callId", result.CallId);
                    WriteElement(writer, "result", result.Result);
                    writer.WriteBoolean("isError", result.IsError);
                    break;
                case DataPart data:
                    writer.WriteString("type", "data");
                    writer.WriteBase64String("data", data.Data);
                    writer.WriteString("mediaType", data.MediaType);
                    WriteOptional(writer, "name", data.Name);
                    break;
                case UriPart uri:
                    writer.WriteString("type", "uri");
                    writer.WriteString("uri", uri.Uri);
                    writer.WriteString("mediaType", uri.MediaType);
                    break;
                case ReasoningPart reasoning:
                    writer.WriteString("type", "reasoning");
                    writer.WriteString("text", reasoning.Text);
                    WriteOptional(writer, "protectedData", reasoning.ProtectedData);
                    break;
                default:
                    throw new AgentSessionsException(ErrorCode.InvalidArgument, $"unsupported content part {part?.GetType().Name ?? "(null)"}");
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>Decodes parts written by this version (or by the model serializer of earlier releases, which wrote the same shape).</summary>
    /// <exception cref="JsonException">The JSON is damaged or not this encoding; the backend reports it as <see cref="ErrorCode.Corrupt"/> naming the row.</exception>
    public static IReadOnlyList<ContentPart> Read(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(json.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(json, bytes);
            return Read(bytes.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Decodes parts from UTF-8 JSON.</summary>
    /// <exception cref="JsonException">The JSON is damaged or not this encoding; the backend reports it as <see cref="ErrorCode.Corrupt"/> naming the row.</exception>
    public static IReadOnlyList<ContentPart> Read(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8);
            Expect(ref reader, JsonTokenType.StartArray);
            var parts = new List<ContentPart>();
            while (Next(ref reader) != JsonTokenType.EndArray)
            {
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    throw Damaged("a part is not an object");
                }

                parts.Add(ReadPart(ref reader));
            }

            if (reader.Read())
            {
                throw Damaged("text follows the parts");
            }

            return parts.Count > 0 ? parts : throw Damaged("a message has no parts");
        }
        catch (FormatException e)
        {
            throw new JsonException("invalid base64 in a data part", e);
        }
        catch (InvalidOperationException e)
        {
            throw new JsonException("a field has the wrong type", e);
        }
    }

    private static ContentPart ReadPart(ref Utf8JsonReader reader)
    {
        string? type = null, text = null, callId = null, name = null, mediaType = null, uri = null, protectedData = null;
        JsonElement? arguments = null, result = null;
        byte[]? data = null;
        var isError = false;
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            var property = reader.GetString();
            Next(ref reader);
            var isNull = reader.TokenType == JsonTokenType.Null;
            switch (property)
            {
                case "type": type = String(ref reader); break;
                case "text": text = String(ref reader); break;
                case "callId": callId = String(ref reader); break;
                case "name": name = String(ref reader); break;
                case "mediaType": mediaType = String(ref reader); break;
                case "uri": uri = String(ref reader); break;
                case "protectedData": protectedData = String(ref reader); break;
                case "arguments": arguments = isNull ? null : JsonElement.ParseValue(ref reader); break;
                case "result": result = isNull ? null : JsonElement.ParseValue(ref reader); break;
                case "data": data = isNull ? null : reader.GetBytesFromBase64(); break;
                case "isError": isError = reader.GetBoolean(); break;
                default: reader.Skip(); break; // fields of later minor additions are ignored, as the serializer did
            }
        }

        return type switch
        {
            "text" => new TextPart(text ?? throw Missing("text", "text")),
            "toolCall" => new ToolCallPart(callId ?? throw Missing("toolCall", "callId"), name ?? throw Missing("toolCall", "name"), arguments),
            "toolResult" => new ToolResultPart(callId ?? throw Missing("toolResult", "callId"), result, isError),
            "data" => new DataPart(data ?? throw Missing("data", "data"), mediaType ?? throw Missing("data", "mediaType"), name),
            "uri" => new UriPart(uri ?? throw Missing("uri", "uri"), mediaType ?? throw Missing("uri", "mediaType")),
            "reasoning" => new ReasoningPart(text ?? throw Missing("reasoning", "text"), protectedData),
            null => throw Damaged("a part has no type"),
            _ => throw Damaged($"unknown part type '{Printable(type)}'"),
        };
    }

    private static string? String(ref Utf8JsonReader reader)
        => reader.TokenType == JsonTokenType.Null ? null : reader.GetString();

    private static JsonTokenType Next(ref Utf8JsonReader reader)
        => reader.Read() ? reader.TokenType : throw Damaged("the content ends early");

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (Next(ref reader) != type)
        {
            throw Damaged("the content is not a list of parts");
        }
    }

    private static void WriteElement(Utf8JsonWriter writer, string name, JsonElement? value)
    {
        if (value is { ValueKind: not JsonValueKind.Undefined } element)
        {
            writer.WritePropertyName(name);
            element.WriteTo(writer);
        }
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    private static JsonException Missing(string type, string field) => Damaged($"a {type} part has no {field}");

    private static JsonException Damaged(string what) => new(what);

    private static string Printable(string text) => new([.. text.Take(40).Select(c => char.IsControl(c) ? '?' : c)]);
}
