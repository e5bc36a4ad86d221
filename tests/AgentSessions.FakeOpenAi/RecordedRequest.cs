using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentSessions.FakeOpenAi;

/// <summary>One message of a recorded chat request, flattened for assertions.</summary>
/// <param name="Role">system, user, assistant or tool.</param>
/// <param name="Text">The text content (text parts joined), "" when there is none.</param>
/// <param name="ToolCallId">For a tool message, the call it answers.</param>
/// <param name="ToolCalls">For an assistant message, the names of the tools it called.</param>
public sealed record RecordedMessage(string Role, string Text, string? ToolCallId, IReadOnlyList<string> ToolCalls)
{
    /// <inheritdoc />
    public override string ToString() => ToolCalls.Count > 0 ? $"{Role}: {Text} [calls {string.Join(", ", ToolCalls)}]" : $"{Role}: {Text}";
}

/// <summary>
/// A request the fake server received, as it arrived: method, path, headers and parsed JSON body. Kept in memory
/// (<see cref="FakeOpenAiServer.Requests"/>) and, with a record file, written as one JSON line each.
/// </summary>
/// <remarks>
/// The API key is never kept: the <c>Authorization</c> header's value is replaced by <c>&lt;redacted&gt;</c>, and only
/// its SHA-256 is recorded (<see cref="ApiKeySha256"/>), so <see cref="HasApiKey"/> can tell that the key reached the
/// model while a test that searches every file it made for the key does not find it in the record.
/// </remarks>
public sealed record RecordedRequest
{
    private static readonly JsonSerializerOptions JsonLineOptions = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>1 for the first request the server received, then 2, 3...</summary>
    public int Sequence { get; init; }

    /// <summary>When it arrived.</summary>
    public DateTimeOffset ReceivedAt { get; init; }

    /// <summary>GET, POST...</summary>
    public string Method { get; init; } = "";

    /// <summary>The path, such as <c>/v1/chat/completions</c>.</summary>
    public string Path { get; init; } = "";

    /// <summary>Every header (several values joined by a comma), <c>Authorization</c>'s value redacted.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>Whether an <c>Authorization</c> header came at all.</summary>
    public bool HasAuthorization { get; init; }

    /// <summary>Lower-case hex SHA-256 of the bearer token (the API key), null without one.</summary>
    public string? ApiKeySha256 { get; init; }

    /// <summary>The parsed JSON body; null for a request without one (or one that is not JSON).</summary>
    public JsonElement? Body { get; init; }

    /// <summary>The body's <c>model</c>.</summary>
    [JsonIgnore]
    public string? Model => Property("model") is { ValueKind: JsonValueKind.String } model ? model.GetString() : null;

    /// <summary>Whether the body asked for a stream.</summary>
    [JsonIgnore]
    public bool Stream => Property("stream") is { ValueKind: JsonValueKind.True };

    /// <summary>The body's messages, flattened; empty for a request without them.</summary>
    [JsonIgnore]
    public IReadOnlyList<RecordedMessage> Messages => Property("messages") is { ValueKind: JsonValueKind.Array } messages
        ? [.. messages.EnumerateArray().Select(ToMessage)]
        : [];

    /// <summary>The names of the tools the request offered.</summary>
    [JsonIgnore]
    public IReadOnlyList<string> ToolNames => Property("tools") is { ValueKind: JsonValueKind.Array } tools
        ? [.. tools.EnumerateArray().Select(t => t.TryGetProperty("function", out var f) && f.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "")]
        : [];

    /// <summary>Whether the request carried <c>Authorization: Bearer <paramref name="apiKey"/></c>.</summary>
    public bool HasApiKey(string apiKey)
    {
        ArgumentNullException.ThrowIfNull(apiKey);
        return ApiKeySha256 == Sha256(apiKey);
    }

    /// <summary>One line of JSON, as the record file holds it.</summary>
    public string ToJsonLine() => JsonSerializer.Serialize(this, JsonLineOptions);

    /// <summary>Reads a record file (<c>--record FILE</c>, <see cref="FakeOpenAiOptions.RecordPath"/>): one request a line.</summary>
    /// <remarks>The server writes whole lines and flushes each, so a file read while it runs holds every request answered so far.</remarks>
    public static IReadOnlyList<RecordedRequest> ReadJsonLines(string path)
    {
        // Shared read-write: the server process may still be appending.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var requests = new List<RecordedRequest>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                requests.Add(JsonSerializer.Deserialize<RecordedRequest>(line, JsonLineOptions)
                             ?? throw new InvalidDataException($"{path}: a null record"));
            }
        }

        return requests;
    }

    internal static string Sha256(string apiKey) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)));

    private JsonElement? Property(string name) =>
        Body is { ValueKind: JsonValueKind.Object } body && body.TryGetProperty(name, out var value) ? value : null;

    private static RecordedMessage ToMessage(JsonElement message)
    {
        var role = message.TryGetProperty("role", out var r) ? r.GetString() ?? "" : "";
        var text = message.TryGetProperty("content", out var content) ? Text(content) : "";
        var toolCallId = message.TryGetProperty("tool_call_id", out var id) ? id.GetString() : null;
        var calls = message.TryGetProperty("tool_calls", out var toolCalls) && toolCalls.ValueKind == JsonValueKind.Array
            ? toolCalls.EnumerateArray().Select(c => c.TryGetProperty("function", out var f) && f.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "").ToList()
            : [];
        return new RecordedMessage(role, text, toolCallId, calls);
    }

    // Content is a string, or (as the OpenAI client sends it for some messages) an array of parts.
    private static string Text(JsonElement content) => content.ValueKind switch
    {
        JsonValueKind.String => content.GetString()!,
        JsonValueKind.Array => string.Concat(content.EnumerateArray()
            .Where(p => p.TryGetProperty("type", out var t) && t.GetString() == "text" && p.TryGetProperty("text", out _))
            .Select(p => p.GetProperty("text").GetString())),
        _ => "",
    };
}
