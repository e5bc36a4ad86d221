using AgentSessions.Storage;
using System.Text.Json;

namespace AgentSessions.Formats;

/// <summary>
/// Our own export format: one JSON document holding a session and all its messages, with full fidelity.
/// </summary>
/// <remarks>
/// <code>
/// { "format": "agent-sessions", "version": 2, "exportedAt": "...", "session": { ... }, "messages": [ ... ],
///   "snapshots": [ ... ], "bookmarks": [ ... ], "toolExecutions": [ ... ], "files": [ ... ] }
/// </code>
/// Version 1 had no history arrays; it is still read.
/// The version changes only when a reader of an older version could no longer read the file correctly; new
/// optional fields do not change it. Readers refuse versions newer than they know.
/// </remarks>
public static class SessionJsonFormat
{
    /// <summary>The value of the <c>format</c> field.</summary>
    public const string FormatName = "agent-sessions";

    /// <summary>The version this library writes and the newest it reads.</summary>
    public const int CurrentVersion = 2;

    /// <summary>Writes a session and its messages, streaming the messages as they are read; <c>exportedAt</c> is now.</summary>
    public static Task WriteAsync(Stream output, Session session, IAsyncEnumerable<SessionMessage> messages, Storage.SessionDetails? details = null, CancellationToken cancellationToken = default)
        => WriteAsync(output, session, messages, details, TimeProvider.System, cancellationToken);

    /// <summary>Writes a session and its messages, streaming the messages as they are read.</summary>
    /// <param name="output">Where the document goes.</param>
    /// <param name="session">The session.</param>
    /// <param name="messages">Its messages, in order.</param>
    /// <param name="details">Its history; null writes empty history arrays.</param>
    /// <param name="clock">Stamps <c>exportedAt</c> (a fixed clock makes the output byte-for-byte repeatable).</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    public static async Task WriteAsync(Stream output, Session session, IAsyncEnumerable<SessionMessage> messages, Storage.SessionDetails? details, TimeProvider clock, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clock);
        await using var writer = new Utf8JsonWriter(output, AgentSessionsJson.WriterOptions(indented: true));
        writer.WriteStartObject();
        writer.WriteString("format", FormatName);
        writer.WriteNumber("version", CurrentVersion);
        writer.WriteString("exportedAt", clock.GetUtcNow());
        writer.WritePropertyName("session");
        JsonSerializer.Serialize(writer, session, AgentSessionsJson.Context.Session);
        writer.WriteStartArray("messages");
        await foreach (var message in messages.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            JsonSerializer.Serialize(writer, message, AgentSessionsJson.Context.SessionMessage);
            if (writer.BytesPending > 64 * 1024)
            {
                await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        writer.WriteEndArray();
        WriteHistoryProperties(writer, details ?? new Storage.SessionDetails());
        writer.WriteEndObject();
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes what a full view of a session adds about history and lineage (<c>forks</c>, the history arrays,
    /// <c>agentsUsed</c>, <c>hiddenMessages</c>, <c>canRedo</c>) into the object being written: the one definition
    /// behind <c>show --json</c>, <c>GET /api/sessions/{id}</c> and RPC <c>session.load</c>.
    /// </summary>
    public static void WriteDetailsProperties(Utf8JsonWriter writer, Storage.SessionDetails details)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(details);
        writer.WritePropertyName("forks");
        JsonSerializer.Serialize(writer, details.Forks.ToList(), AgentSessionsJson.Context.ListString);
        WriteHistoryProperties(writer, details);
        writer.WritePropertyName("agentsUsed");
        JsonSerializer.Serialize(writer, details.AgentsUsed.ToList(), AgentSessionsJson.Context.ListString);
        writer.WriteNumber("hiddenMessages", details.HiddenMessages);
        writer.WriteBoolean("canRedo", details.CanRedo);
    }

    /// <summary>Writes the history arrays (snapshots, bookmarks, toolExecutions, files) into the object being written.</summary>
    public static void WriteHistoryProperties(Utf8JsonWriter writer, Storage.SessionDetails details)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(details);
        writer.WritePropertyName("snapshots");
        JsonSerializer.Serialize(writer, details.Snapshots.ToList(), AgentSessionsJson.Context.ListSnapshot);
        writer.WritePropertyName("bookmarks");
        JsonSerializer.Serialize(writer, details.Bookmarks.ToList(), AgentSessionsJson.Context.ListBookmark);
        writer.WritePropertyName("toolExecutions");
        JsonSerializer.Serialize(writer, details.ToolExecutions.ToList(), AgentSessionsJson.Context.ListToolExecution);
        writer.WritePropertyName("files");
        JsonSerializer.Serialize(writer, details.Files.ToList(), AgentSessionsJson.Context.ListFileChange);
    }

    /// <summary>Reads an export written by <c>WriteAsync</c>.</summary>
    /// <param name="input">The document.</param>
    /// <param name="sourceName">A name for error messages (usually the file path).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="AgentSessionsException">
    /// <see cref="ErrorCode.Corrupt"/> for malformed JSON or a document that is not ours (the message names the
    /// source and the position); <see cref="ErrorCode.UnsupportedVersion"/> for a newer version.
    /// </exception>
    public static async Task<SessionArchive> ReadAsync(Stream input, string sourceName, CancellationToken cancellationToken = default)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(input, new JsonDocumentOptions { MaxDepth = 256 }, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw new AgentSessionsException(ErrorCode.Corrupt, $"{sourceName}: not valid JSON at line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}: {FirstSentence(e.Message)}", e);
        }
        catch (ArgumentException e) when (e is not ArgumentNullException)
        {
            // Invalid UTF-8 surfaces as an ArgumentException from the parser.
            throw new AgentSessionsException(ErrorCode.Corrupt, $"{sourceName}: not valid UTF-8 JSON: {FirstSentence(e.Message)}", e);
        }

        using (document)
        {
            return Guard(sourceName, () =>
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object
                    || !root.TryGetProperty("format", out var format)
                    || format.ValueKind != JsonValueKind.String
                    || format.GetString() != FormatName)
                {
                    throw new AgentSessionsException(ErrorCode.Corrupt, $"{sourceName}: not an agent-sessions export (no \"format\": \"{FormatName}\" field)");
                }

                return ReadDocument(root, sourceName, requireMessages: true);
            });
        }
    }

    /// <summary>Reads the version, session, messages and history of an export document (or a JSONL header).</summary>
    internal static SessionArchive ReadDocument(JsonElement root, string sourceName, bool requireMessages)
    {
        // TryGetInt32 throws InvalidOperationException on a non-number ("version": {}), so check the kind first (found by fuzzing).
        if (!root.TryGetProperty("version", out var versionElement) || versionElement.ValueKind != JsonValueKind.Number
            || !versionElement.TryGetInt32(out var version) || version < 1)
        {
            throw new AgentSessionsException(ErrorCode.Corrupt, $"{sourceName}: the export has no valid \"version\" field");
        }

        if (version > CurrentVersion)
        {
            throw new AgentSessionsException(ErrorCode.UnsupportedVersion, $"{sourceName}: export format version {version} is newer than this agent-sessions understands ({CurrentVersion}); upgrade agent-sessions");
        }

        var session = Deserialize(root, "session", AgentSessionsJson.Context.Session, sourceName)
            ?? throw new AgentSessionsException(ErrorCode.Corrupt, $"{sourceName}: the export has no \"session\" object");
        var messages = new List<SessionMessage>();
        if (root.TryGetProperty("messages", out var messagesElement) && messagesElement.ValueKind == JsonValueKind.Array)
        {
            foreach (var element in messagesElement.EnumerateArray())
            {
                messages.Add(ReadMessage(element, $"{sourceName}: message {messages.Count + 1}", messages.Count + 1));
            }
        }
        else if (requireMessages)
        {
            throw new AgentSessionsException(ErrorCode.Corrupt, $"{sourceName}: the export has no \"messages\" array");
        }

        return new SessionArchive
        {
            // The model's collections are never null, but a document can leave them out or write null, and the
            // generated reader then stores null over their defaults (an import crashed on such a session).
            Session = session with { Tags = session.Tags ?? [], Metadata = session.Metadata ?? EmptyMetadata.Instance },
            Messages = messages,
            Snapshots = Deserialize(root, "snapshots", AgentSessionsJson.Context.ListSnapshot, sourceName) ?? [],
            Bookmarks = Deserialize(root, "bookmarks", AgentSessionsJson.Context.ListBookmark, sourceName) ?? [],
            ToolExecutions = Deserialize(root, "toolExecutions", AgentSessionsJson.Context.ListToolExecution, sourceName) ?? [],
            Files = Deserialize(root, "files", AgentSessionsJson.Context.ListFileChange, sourceName) ?? [],
        };
    }

    /// <summary>Reads one message and checks it is number <paramref name="expectedSequence"/>.</summary>
    internal static SessionMessage ReadMessage(JsonElement element, string where, long expectedSequence)
    {
        var message = DeserializeElement(element, AgentSessionsJson.Context.SessionMessage, where);
        if (message is null || message.Parts is null)
        {
            throw new AgentSessionsException(ErrorCode.Corrupt, $"{where}: the message is empty");
        }

        message = message with { Metadata = message.Metadata ?? EmptyMetadata.Instance };
        if (message.Sequence != expectedSequence)
        {
            throw new AgentSessionsException(ErrorCode.Corrupt, $"{where}: sequence number {message.Sequence}; expected {expectedSequence}");
        }

        try
        {
            // The store's own rules, so that nothing reads back that a store would refuse: a text part without its
            // "text" deserializes to a null text and failed later, far from the file (found by fuzzing the share export).
            StoreRules.ValidateMessage(NewMessage.From(message), maxMessageBytes: long.MaxValue);
        }
        catch (AgentSessionsException e) when (e.Code is ErrorCode.InvalidArgument or ErrorCode.InvalidId)
        {
            throw new AgentSessionsException(ErrorCode.Corrupt, $"{where}: {e.Message}", e);
        }

        return message;
    }

    /// <summary>Runs <paramref name="read"/>, turning System.Text.Json's <see cref="InvalidOperationException"/> into corrupt data.</summary>
    /// <remarks>
    /// JsonDocument checks structure only; string contents are decoded lazily, so invalid UTF-8 in a string or a lone
    /// surrogate escape (<c>"\ud800"</c>) in a property name surfaces later, from TryGetProperty, GetString or
    /// Deserialize, as InvalidOperationException (found by fuzzing). In a file that is corrupt data like any other.
    /// </remarks>
    internal static T Guard<T>(string where, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (InvalidOperationException e)
        {
            throw new AgentSessionsException(ErrorCode.Corrupt, $"{where}: {FirstSentence(e.Message)}", e);
        }
    }

    private static T? Deserialize<T>(JsonElement root, string property, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo, string sourceName)
        => root.TryGetProperty(property, out var element) ? DeserializeElement(element, typeInfo, $"{sourceName}: {property}") : default;

    private static T? DeserializeElement<T>(JsonElement element, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo, string where)
    {
        try
        {
            return element.Deserialize(typeInfo);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            // System.Text.Json reports some bad data as other exceptions than JsonException (found by fuzzing): a content
            // part without its "type" discriminator as NotSupportedException, a lone surrogate escape ("\ud800") in a
            // string as InvalidOperationException. In a file both are corrupt data like any other.
            throw new AgentSessionsException(ErrorCode.Corrupt, $"{where}: {FirstSentence(e.Message)}", e);
        }
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message.TrimEnd('.');
    }
}
