using System.Text;
using System.Text.Json;
using AgentSessions.Storage;

namespace AgentSessions.Formats;

/// <summary>
/// Our line-oriented export: the first line holds the session and its history, each following line one message.
/// Written and read as a stream, so a long session never has to fit in memory as one document.
/// </summary>
/// <remarks>
/// <code>
/// {"format":"agent-sessions-jsonl","version":2,"session":{...},"snapshots":[...],"bookmarks":[...],"toolExecutions":[...],"files":[...]}
/// {"id":"msg-...","seq":1,"role":"user","parts":[...],...}
/// </code>
/// </remarks>
public static class SessionJsonlFormat
{
    /// <summary>The value of the header's <c>format</c> field.</summary>
    public const string FormatName = "agent-sessions-jsonl";

    private static readonly JsonWriterOptions Compact = AgentSessionsJson.WriterOptions(indented: false);

    /// <summary>Writes the header line and one line per message; <c>exportedAt</c> is now.</summary>
    public static Task WriteAsync(Stream output, Session session, IAsyncEnumerable<SessionMessage> messages, SessionDetails? details = null, CancellationToken cancellationToken = default)
        => WriteAsync(output, session, messages, details, TimeProvider.System, cancellationToken);

    /// <summary>Writes the header line and one line per message.</summary>
    /// <param name="output">Where the lines go.</param>
    /// <param name="session">The session.</param>
    /// <param name="messages">Its messages, in order.</param>
    /// <param name="details">Its history; null writes empty history arrays.</param>
    /// <param name="clock">Stamps <c>exportedAt</c> (a fixed clock makes the output byte-for-byte repeatable).</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public static async Task WriteAsync(Stream output, Session session, IAsyncEnumerable<SessionMessage> messages, SessionDetails? details, TimeProvider clock, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clock);
        details ??= new SessionDetails();
        await using (var writer = new Utf8JsonWriter(output, Compact))
        {
            writer.WriteStartObject();
            writer.WriteString("format", FormatName);
            writer.WriteNumber("version", SessionJsonFormat.CurrentVersion);
            writer.WriteString("exportedAt", clock.GetUtcNow());
            writer.WritePropertyName("session");
            JsonSerializer.Serialize(writer, session, AgentSessionsJson.Context.Session);
            SessionJsonFormat.WriteHistoryProperties(writer, details);
            writer.WriteEndObject();
        }

        output.WriteByte((byte)'\n');
        await foreach (var message in messages.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            await JsonSerializer.SerializeAsync(output, message, AgentSessionsJson.Context.SessionMessage, cancellationToken).ConfigureAwait(false);
            output.WriteByte((byte)'\n');
        }

        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads a JSONL export; errors name the source and the line.</summary>
    public static async Task<SessionArchive> ReadAsync(Stream input, string sourceName, CancellationToken cancellationToken = default)
    {
        using var reader = new StreamReader(input, new UTF8Encoding(false, throwOnInvalidBytes: true), detectEncodingFromByteOrderMarks: false);
        var lineNumber = 0;
        string? line;
        try
        {
            line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (DecoderFallbackException e)
        {
            throw new AgentSessionsException(ErrorCode.Corrupt, $"{sourceName}: line 1 is not valid UTF-8", e);
        }

        lineNumber++;
        if (line is null)
        {
            throw new AgentSessionsException(ErrorCode.Corrupt, $"{sourceName}: the file is empty");
        }

        line = line.TrimStart('\uFEFF'); // a byte-order mark some editors add

        SessionArchive header;
        using (var document = Parse(line, sourceName, lineNumber))
        {
            var root = document.RootElement;
            header = SessionJsonFormat.Guard($"{sourceName}: line 1", () =>
            {
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != FormatName)
                {
                    throw new AgentSessionsException(ErrorCode.Corrupt, $"{sourceName}: line 1 is not an agent-sessions JSONL header (no \"format\": \"{FormatName}\")");
                }

                // The header has the same fields as our JSON export, minus the messages.
                return SessionJsonFormat.ReadDocument(root, sourceName, requireMessages: false);
            });
        }

        var messages = new List<SessionMessage>();
        while (true)
        {
            try
            {
                line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (DecoderFallbackException e)
            {
                throw new AgentSessionsException(ErrorCode.Corrupt, $"{sourceName}: line {lineNumber + 1} is not valid UTF-8", e);
            }

            lineNumber++;
            if (line is null)
            {
                break;
            }

            if (line.Length == 0)
            {
                continue;
            }

            using var document = Parse(line, sourceName, lineNumber);
            var where = $"{sourceName}: line {lineNumber}";
            var message = SessionJsonFormat.Guard(where, () => SessionJsonFormat.ReadMessage(document.RootElement, where, messages.Count + 1));
            messages.Add(message);
        }

        return header with { Messages = messages };
    }

    private static JsonDocument Parse(string line, string sourceName, int lineNumber)
    {
        try
        {
            return JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new AgentSessionsException(ErrorCode.Corrupt, $"{sourceName}: line {lineNumber}, byte {(e.BytePositionInLine ?? 0) + 1}: not valid JSON", e);
        }
    }
}
