using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentSessions.FakeOpenAi;

/// <summary>How a streamed reply breaks off when <see cref="ScriptedReply.FailAfterChunks"/> is set.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<StreamFailure>))]
public enum StreamFailure
{
    /// <summary>
    /// The connection closes inside the chunked body, as when a server dies or a proxy cuts it: the client reads the
    /// chunks sent, then fails (the .NET client with <see cref="System.Net.Http.HttpIOException"/>, ResponseEnded).
    /// </summary>
    Abort,

    /// <summary>
    /// An SSE event <c>data: {"error": {...}}</c>, then the response ends without a finish reason or <c>data: [DONE]</c>,
    /// as OpenAI-compatible servers report an error found after the status line was sent.
    /// </summary>
    /// <remarks>The OpenAI .NET client (2.15) ignores the event and ends the stream without an exception.</remarks>
    ErrorEvent,
}

/// <summary>One tool call a scripted reply asks the client to make.</summary>
/// <param name="Name">The function's name.</param>
/// <param name="Arguments">The arguments as JSON text (in a script file: a JSON object or a string holding one).</param>
/// <param name="Id">The call id; <c>call_&lt;request&gt;_&lt;index&gt;</c> when null.</param>
public sealed record ScriptedToolCall(
    string Name,
    [property: JsonConverter(typeof(RawJsonTextConverter))] string Arguments = "{}",
    string? Id = null);

/// <summary>Token counts a reply reports instead of the server's word-count estimate.</summary>
public sealed record ScriptedUsage(int PromptTokens, int CompletionTokens);

/// <summary>
/// One answer the fake model gives: text, tool calls, or an HTTP error, and how it is streamed.
/// Queue it with <see cref="FakeOpenAiServer.Enqueue(ScriptedReply[])"/> (or a script file's <c>replies</c>); each chat
/// request takes the next queued reply, and the default echo (<see cref="Echo"/>) answers when the queue is empty.
/// </summary>
/// <remarks>
/// Property names are the JSON names of a script file in camel case: <c>{"text": "hi", "chunks": 4, "chunkDelayMs": 100}</c>.
/// </remarks>
public sealed record ScriptedReply
{
    /// <summary>The answer's text; null with tool calls only (the message's content is then null).</summary>
    public string? Text { get; init; }

    /// <summary>Tool calls to answer with (finish reason <c>tool_calls</c>); empty for a plain answer.</summary>
    public IReadOnlyList<ScriptedToolCall> ToolCalls { get; init; } = [];

    /// <summary>
    /// How many content chunks a streamed answer is cut into (words are kept whole, so at most one chunk per word);
    /// null: one chunk per word, about one per token as real models stream.
    /// </summary>
    public int? Chunks { get; init; }

    /// <summary>The pause before each streamed content chunk, in milliseconds; null: the server's default (0 unless set).</summary>
    public int? ChunkDelayMs { get; init; }

    /// <summary>Break a streamed answer off after this many content chunks (0: right after the first, empty, chunk); null: never.</summary>
    /// <remarks>
    /// A non-streamed request with this set gets its connection reset before any answer, which the OpenAI client retries
    /// (taking the next reply): for a non-streamed failure the caller sees, use <see cref="StatusCode"/> with a 4xx.
    /// </remarks>
    public int? FailAfterChunks { get; init; }

    /// <summary>How the answer breaks off at <see cref="FailAfterChunks"/>; <see cref="StreamFailure.Abort"/> unless set.</summary>
    public StreamFailure Failure { get; init; } = StreamFailure.Abort;

    /// <summary>
    /// Answer with this HTTP status and an OpenAI error body (<see cref="Text"/> as its message) instead of a completion.
    /// </summary>
    /// <remarks>
    /// The OpenAI client retries 408, 429 and 5xx (three times by default), and each retry takes the next reply: use a
    /// 4xx such as 400 or 401 for an error that should surface at once.
    /// </remarks>
    public int? StatusCode { get; init; }

    /// <summary>Token counts to report; null: one prompt token per word of the request's messages, one completion token per word answered.</summary>
    public ScriptedUsage? Usage { get; init; }

    /// <summary>The finish reason to report; null: <c>tool_calls</c> with tool calls, <c>stop</c> otherwise.</summary>
    public string? FinishReason { get; init; }

    /// <summary>A plain text answer.</summary>
    public static ScriptedReply Answer(string text) => new() { Text = text };

    /// <summary>An answer calling one tool, with <paramref name="arguments"/> serialised to JSON (a string is taken as JSON text).</summary>
    public static ScriptedReply CallTool(string name, object? arguments = null, string? id = null) =>
        new() { ToolCalls = [new ScriptedToolCall(name, ArgumentsJson(arguments), id)] };

    /// <summary>An HTTP error answer: <paramref name="statusCode"/> with an OpenAI error body carrying <paramref name="message"/>.</summary>
    public static ScriptedReply Error(int statusCode, string message = "scripted error") => new() { StatusCode = statusCode, Text = message };

    /// <summary>
    /// <paramref name="count"/> deterministic words, <c>w1 w2 w3 ...</c>: a reply of about <paramref name="count"/> tokens that
    /// streams in as many chunks unless <see cref="Chunks"/> says otherwise.
    /// </summary>
    public static ScriptedReply Words(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var text = new StringBuilder();
        for (var i = 1; i <= count; i++)
        {
            text.Append(i == 1 ? "" : " ").Append('w').Append(i);
        }

        return Answer(text.ToString());
    }

    /// <summary>
    /// The default answer: <c>You said: &lt;last user text&gt; (messages: N)</c>, N counting every message of the request
    /// (system and tool messages too), or <c>Tool said: &lt;content&gt; (messages: N)</c> when the last message is a tool
    /// result, so a test that sees the answer knows how much context arrived.
    /// </summary>
    public static ScriptedReply Echo(RecordedRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var messages = request.Messages;
        if (messages.Count > 0 && messages[^1].Role == "tool")
        {
            return Answer($"Tool said: {messages[^1].Text} (messages: {messages.Count})");
        }

        var lastUser = messages.LastOrDefault(m => m.Role == "user")?.Text ?? "";
        return Answer($"You said: {lastUser} (messages: {messages.Count})");
    }

    private static string ArgumentsJson(object? arguments) => arguments switch
    {
        null => "{}",
        string json => json,
        _ => JsonSerializer.Serialize(arguments),
    };
}

/// <summary>Reads a JSON value of any kind as its JSON text (a JSON string as its value); writes the text as a JSON string.</summary>
/// <remarks>So a script file can give tool-call arguments as an object, the way people write them, and C# code as a string.</remarks>
internal sealed class RawJsonTextConverter : JsonConverter<string>
{
    public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString()!;
        }

        using var document = JsonDocument.ParseValue(ref reader);
        return document.RootElement.GetRawText();
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
