using System.Runtime.CompilerServices;
using System.Text.Json;
using AgentSessions.Formats.Import;

namespace AgentSessions.Import.OpenAgent;

/// <summary>
/// Reads OpenAgent Terminal sessions: <c>sessions/&lt;id&gt;.json</c> files written by its Python backend.
/// </summary>
/// <remarks>
/// <code>
/// {"metadata": {"session_id", "created_at", "updated_at", "message_count", "total_tokens", "title", "tags"},
///  "messages": [{"role", "content", "timestamp", "token_count", "tool_calls": [{"id", "name", "arguments"}], "metadata"}]}
/// </code>
/// Times are naive local ISO times (read in <see cref="ImportOptions.TimeZone"/>). The folder's
/// <c>index.json</c> (<c>{"sessions": [...], "version": "1.0"}</c>) only repeats the metadata and is not
/// read. The backend keeps a single <c>token_count</c> per message: it becomes
/// <see cref="SessionMessage.OutputTokens"/> on assistant messages (the tokens the model produced) and
/// <see cref="SessionMessage.InputTokens"/> on user, system and tool messages (text sent to the model).
/// </remarks>
public sealed class OpenAgentImporter : ISessionImporter
{
    /// <summary>The format name.</summary>
    public const string FormatName = "openagent-terminal";

    /// <inheritdoc />
    public string Format => FormatName;

    /// <inheritdoc />
    public bool CanRead(ImportSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.IsDirectory)
        {
            return false;
        }

        try
        {
            var head = JsonHead.Read(source.Head);
            if (!head.IsObject || head.TopLevel.ContainsKey("sessions") || head.TopLevel.ContainsKey("format") || head.TopLevel.ContainsKey("id"))
            {
                // {"sessions": [...]} is the index; "format" marks exports and "id" SuperQode sessions.
                return false;
            }

            // The backend writes "metadata" first with "session_id" leading it, so it is always in the head.
            return head.SecondLevel.Contains("metadata.session_id");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<SessionArchive> ReadAsync(ImportSource source, ImportOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        var bytes = await ImportJsonReader.ReadFileAsync(source.Path, options.MaxFileBytes, cancellationToken).ConfigureAwait(false);
        var reader = new ImportJsonReader(source.Path, options.TimeZone);
        using var document = reader.Parse(bytes);
        yield return reader.Guard(() => Read(reader, document.RootElement, source.Path));
    }

    private static SessionArchive Read(ImportJsonReader reader, JsonElement root, string path)
    {
        reader.RequireObject(root, "");
        var meta = reader.OptObject(root, "metadata", "") ?? throw reader.Corrupt("metadata", "missing (not an OpenAgent Terminal session)");
        var messagesArray = reader.OptArray(root, "messages", "") ?? throw reader.Corrupt("messages", "missing (an array is required)");

        var messages = new List<SessionMessage>();
        var usedIds = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var element in messagesArray.EnumerateArray())
        {
            messages.Add(ReadMessage(reader, element, $"messages[{index}]", index + 1, usedIds));
            index++;
        }

        // The file name is the id in this system; the field is there in every file it wrote.
        var originalId = reader.OptString(meta, "session_id", "metadata") ?? Path.GetFileNameWithoutExtension(path);
        var createdAt = reader.OptTime(meta, "created_at", "metadata")
            ?? messages.FirstOrDefault()?.CreatedAt
            ?? throw reader.Corrupt("metadata.created_at", "missing, and there are no messages to date the session by");
        var updatedAt = reader.OptTime(meta, "updated_at", "metadata") ?? messages.LastOrDefault()?.CreatedAt ?? createdAt;

        // message_count is recomputed from the messages; other fields (total_tokens, anything newer) are kept.
        var metadata = ImportJsonReader.CopyObject(meta, "session_id", "created_at", "updated_at", "message_count", "title", "tags");
        var tags = reader.Tags(meta, "tags", "metadata", metadata);
        metadata[ImportMetadata.Key] = ImportText.Provenance(FormatName, originalId, path, ImportText.Sha256(path));

        var session = new Session
        {
            Id = ImportText.SessionIdFor(originalId),
            Title = reader.OptString(meta, "title", "metadata"),
            CreatedAt = createdAt,
            UpdatedAt = updatedAt,
            Tags = tags,
            Metadata = metadata,
        };
        return new SessionArchive { Session = ImportJsonReader.WithTotals(session, messages), Messages = messages };
    }

    private static SessionMessage ReadMessage(ImportJsonReader reader, JsonElement element, string where, long sequence, HashSet<string> usedIds)
    {
        reader.RequireObject(element, where);
        var roleName = reader.RequireString(element, "role", where);
        if (!MessageRoles.TryParse(roleName, out var role))
        {
            throw reader.Corrupt($"{where}.role", $"unknown role '{roleName}'; expected one of: user, assistant, system, tool");
        }

        var content = reader.OptString(element, "content", where) ?? "";
        var timestamp = reader.OptString(element, "timestamp", where) ?? throw reader.Corrupt($"{where}.timestamp", "missing (a time is required)");
        var createdAt = reader.Time(timestamp, $"{where}.timestamp");
        var tokens = reader.OptCount(element, "token_count", where) ?? 0;
        var sourceMetadata = reader.OptObject(element, "metadata", where);
        var toolCallId = sourceMetadata is { } m ? reader.OptString(m, "tool_call_id", $"{where}.metadata") : null;

        var parts = new List<ContentPart>();
        if (role == MessageRole.Tool && toolCallId is not null)
        {
            // The backend records a shell's exit status; a non-zero one is the tool reporting failure.
            var exitCode = sourceMetadata is { } md && ImportJsonReader.Optional(md, "exit_code") is { ValueKind: JsonValueKind.Number } code
                && (!code.TryGetInt64(out var value) || value != 0);
            parts.Add(new ToolResultPart(toolCallId, ImportJsonReader.Text(content), exitCode));
        }
        else if (content.Length > 0)
        {
            parts.Add(new TextPart(content));
        }

        if (reader.OptArray(element, "tool_calls", where) is { } calls)
        {
            var callIndex = 0;
            foreach (var call in calls.EnumerateArray())
            {
                var callWhere = $"{where}.tool_calls[{callIndex}]";
                reader.RequireObject(call, callWhere);
                var name = reader.RequireString(call, "name", callWhere);
                // A call without an id cannot be answered; give it a stable one so the part stays valid.
                var id = reader.OptString(call, "id", callWhere) is { Length: > 0 } callId ? callId : $"call-{sequence}-{callIndex + 1}";
                parts.Add(new ToolCallPart(id, name, ImportJsonReader.Arguments(ImportJsonReader.Optional(call, "arguments"))));
                callIndex++;
            }
        }

        if (parts.Count == 0)
        {
            // An empty message still needs one part; the empty text is its exact content.
            parts.Add(new TextPart(content));
        }

        return new SessionMessage
        {
            Id = ImportText.MessageIdFor(null, usedIds),
            Sequence = sequence,
            Role = role,
            Parts = parts,
            CreatedAt = createdAt,
            // One count per message: what the model wrote on assistant messages, what it was sent on the others.
            InputTokens = role == MessageRole.Assistant ? 0 : tokens,
            OutputTokens = role == MessageRole.Assistant ? tokens : 0,
            // tool_call_id lives on in the ToolResultPart; the rest (exit_code...) is kept as it was.
            Metadata = ImportJsonReader.CopyObject(sourceMetadata, role == MessageRole.Tool && toolCallId is not null ? ["tool_call_id"] : []),
        };
    }
}
