using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentSessions.Formats;

/// <summary>The JSON settings used everywhere AgentSessions reads or writes JSON: camelCase, roles as names.</summary>
public static class AgentSessionsJson
{
    /// <summary>Options with the source-generated metadata for the model types.</summary>
    public static JsonSerializerOptions Options => AgentSessionsJsonContext.Default.Options;

    /// <summary>Options for indented output (exports meant to be read by people too).</summary>
    /// <remarks>Keeps non-ASCII and HTML-significant characters as they are: these texts are read by people,
    /// and every HTML writer escapes its output itself.</remarks>
    public static JsonSerializerOptions IndentedOptions { get; } = new(AgentSessionsJsonContext.Default.Options) { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writer options for files and command output: indented or not, with readable (relaxed) escaping.</summary>
    public static JsonWriterOptions WriterOptions(bool indented) => new() { Indented = indented, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The source-generated context.</summary>
    public static AgentSessionsJsonContext Context => AgentSessionsJsonContext.Default;

    /// <summary>Serializes any value to a detached <see cref="JsonElement"/>.</summary>
    public static JsonElement ToElement(object? value)
        => value switch
        {
            null => JsonSerializer.SerializeToElement<object?>(null, Context.Object),
            JsonElement element => element.Clone(),
            _ => JsonSerializer.SerializeToElement(value, value.GetType(), ReflectionOptions),
        };

    // Arbitrary caller objects (tool arguments, additional properties) need reflection-based serialization.
    private static readonly JsonSerializerOptions ReflectionOptions = new(JsonSerializerDefaults.Web)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}

/// <summary>Source-generated serialization metadata for the model.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(MessageRoleJsonConverter)])]
[JsonSerializable(typeof(Session))]
[JsonSerializable(typeof(SessionMessage))]
[JsonSerializable(typeof(ContentPart))]
[JsonSerializable(typeof(List<ContentPart>))]
[JsonSerializable(typeof(IReadOnlyList<ContentPart>))]
[JsonSerializable(typeof(Dictionary<string, JsonElement>))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, JsonElement>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(object))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(Storage.SearchHit))]
[JsonSerializable(typeof(Snapshot))]
[JsonSerializable(typeof(Share))]
[JsonSerializable(typeof(List<Share>))]
[JsonSerializable(typeof(Storage.SessionDetails))]
[JsonSerializable(typeof(Storage.StoreStats))]
[JsonSerializable(typeof(Storage.DoctorReport))]
[JsonSerializable(typeof(Storage.HistoryResult))]
[JsonSerializable(typeof(Bookmark))]
[JsonSerializable(typeof(ToolExecution))]
[JsonSerializable(typeof(FileChange))]
[JsonSerializable(typeof(SessionArchive))]
[JsonSerializable(typeof(List<Snapshot>))]
[JsonSerializable(typeof(List<Bookmark>))]
[JsonSerializable(typeof(List<ToolExecution>))]
[JsonSerializable(typeof(List<FileChange>))]
[JsonSerializable(typeof(Storage.StoreInfo))]
[JsonSerializable(typeof(Storage.SessionPage))]
public sealed partial class AgentSessionsJsonContext : JsonSerializerContext;

/// <summary>Writes <see cref="MessageRole"/> as its lower-case wire name.</summary>
public sealed class MessageRoleJsonConverter : JsonConverter<MessageRole>
{
    /// <inheritdoc />
    public override MessageRole Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => reader.TokenType == JsonTokenType.String && MessageRoles.TryParse(reader.GetString(), out var role)
            ? role
            : throw new JsonException($"invalid role; expected one of: user, assistant, system, tool");

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, MessageRole value, JsonSerializerOptions options)
        => writer.WriteStringValue(value.ToWireName());
}
