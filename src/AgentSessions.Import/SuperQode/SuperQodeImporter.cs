using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text.Json;
using AgentSessions.Formats.Import;

namespace AgentSessions.Import.SuperQode;

/// <summary>
/// Reads SuperQode sessions: store files (<c>&lt;id&gt;.json.gz</c> or <c>&lt;id&gt;.json</c>), its
/// <c>superqode-session-v1</c> exports, and the base64 form of those exports.
/// </summary>
/// <remarks>
/// <para>
/// Session: <c>{id, title, created_at, updated_at, project_path, messages[], tool_executions[], files_modified,
/// files_created, agents_used, tags, parent_session_id, snapshots[], metadata}</c>; times are naive local ISO
/// times (read in <see cref="ImportOptions.TimeZone"/>). Gzip is recognised by its magic bytes, not the name.
/// </para>
/// <para>
/// An export <c>{"format": "superqode-session-v1", "exported_at", "session", "checksum"}</c> is refused when its
/// checksum (the first 16 hex digits of the SHA-256 of <c>json.dumps(session, sort_keys=True)</c>, see
/// <see cref="PythonJson"/>) does not match; an export without a checksum has nothing to verify and is read.
/// </para>
/// <para>
/// SuperQode records no token figures per message, so imported messages have none. Leftovers are kept in
/// <see cref="Session.Metadata"/>: <c>agentsUsed</c>, <c>exportedAt</c>, <c>parentSessionId</c> (when it is not
/// a valid id), the session's own <c>metadata</c> entries (its <c>model</c> becomes <see cref="Session.Model"/>)
/// and any top-level field this importer does not know.
/// </para>
/// <para>
/// A tool execution is linked (<see cref="ToolExecution.CallId"/>, <see cref="ToolExecution.Sequence"/>) to the
/// earliest not yet linked assistant tool call with the same name and equal arguments whose message is not later
/// than the execution; SuperQode itself does not record the link, so an execution with no such call has none.
/// Files have no time of their own in SuperQode: they are dated at the session's <c>updated_at</c>.
/// </para>
/// </remarks>
public sealed class SuperQodeImporter : ISessionImporter
{
    /// <summary>The format name.</summary>
    public const string FormatName = "superqode";

    /// <summary>The <c>format</c> value of SuperQode exports.</summary>
    public const string ExportFormat = "superqode-session-v1";

    private static readonly string[] KnownFields =
    [
        "id", "title", "created_at", "updated_at", "project_path", "messages", "tool_executions", "files_modified",
        "files_created", "agents_used", "tags", "parent_session_id", "snapshots", "metadata",
    ];

    // Fields only a SuperQode session has at the top level next to "id" (its index has ids as keys instead).
    private static readonly string[] SessionFields = ["messages", "tool_executions", "files_modified", "files_created", "agents_used", "snapshots", "parent_session_id"];

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
            var head = source.Head;
            if (source.IsGzip)
            {
                return LooksLikeSuperQode(GunzipPrefix(head.ToArray()));
            }

            var text = SkipBom(head).TrimStart(" \t\r\n"u8);
            if (text.Length > 0 && text[0] == (byte)'{')
            {
                return LooksLikeSuperQode(text);
            }

            // The base64 form: of the JSON, or of its gzip (SuperQode's share export: URL-safe, starting "H4sI").
            return ImportSource.Base64Prefix(text) is { } decoded
                && LooksLikeSuperQode(decoded is [0x1f, 0x8b, ..] ? GunzipPrefix(decoded) : decoded);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool LooksLikeSuperQode(ReadOnlySpan<byte> json)
    {
        var head = JsonHead.Read(json);
        if (!head.IsObject)
        {
            return false;
        }

        if (head.TopLevel.TryGetValue("format", out var format))
        {
            return format == ExportFormat;
        }

        return head.TopLevel.ContainsKey("id") && SessionFields.Any(head.TopLevel.ContainsKey);
    }

    private static byte[] GunzipPrefix(byte[] head)
    {
        var output = new byte[4096];
        var total = 0;
        try
        {
            using var gzip = new GZipStream(new MemoryStream(head), CompressionMode.Decompress);
            int read;
            while (total < output.Length && (read = gzip.Read(output, total, output.Length - total)) > 0)
            {
                total += read;
            }
        }
        catch (InvalidDataException)
        {
            // Damaged or cut at the end of the head: sniff what came out.
        }

        return output[..total];
    }

    private static ReadOnlySpan<byte> SkipBom(ReadOnlySpan<byte> text) => text.StartsWith("\uFEFF"u8) ? text[3..] : text;

    private static bool IsBase64Char(byte b) => char.IsAsciiLetterOrDigit((char)b) || b is (byte)'+' or (byte)'/' or (byte)'=' or (byte)'-' or (byte)'_';

    /// <inheritdoc />
    public async IAsyncEnumerable<SessionArchive> ReadAsync(ImportSource source, ImportOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        var bytes = await ImportJsonReader.ReadFileAsync(source.Path, options.MaxFileBytes, cancellationToken).ConfigureAwait(false);
        var reader = new ImportJsonReader(source.Path, options.TimeZone);
        var (json, where) = Unwrap(reader, bytes, options.MaxFileBytes);
        using var document = reader.Parse(json, where);
        yield return reader.Guard(() => Read(reader, document.RootElement, source.Path));
    }

    /// <summary>Undoes gzip and base64 (in either order SuperQode could have produced) down to the JSON text.</summary>
    private static (byte[] Json, string Where) Unwrap(ImportJsonReader reader, byte[] bytes, long maxBytes)
    {
        var where = "";
        if (bytes is [0x1f, 0x8b, ..])
        {
            bytes = reader.Gunzip(bytes, maxBytes);
            where = "decompressed content";
        }

        var text = SkipBom(bytes).TrimStart(" \t\r\n"u8);
        if (text.Length == 0 || text[0] == (byte)'{' || text[0] == (byte)'[')
        {
            return (bytes, where);
        }

        // Not JSON: the base64 form of an export. Anything that is not base64 either is reported as such.
        var trimmed = text.TrimEnd(" \t\r\n"u8);
        var chars = new char[trimmed.Length + 3]; // room for padding put back
        var count = 0;
        for (var i = 0; i < trimmed.Length; i++)
        {
            var b = trimmed[i];
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                continue;
            }

            if (!IsBase64Char(b))
            {
                throw reader.Corrupt(where, $"neither JSON nor base64 (byte {i + 1} of the text is 0x{b:x2})");
            }

            chars[count++] = b switch { (byte)'-' => '+', (byte)'_' => '/', _ => (char)b };
        }

        // Python's urlsafe_b64encode output is often passed on with its '=' padding stripped (as in URLs);
        // Convert wants it, so it is put back. A length that no padding can fix is reported below.
        var unpadded = count;
        while (unpadded > 0 && chars[unpadded - 1] == '=')
        {
            unpadded--;
        }

        if (unpadded % 4 != 1)
        {
            count = unpadded;
            while (count % 4 != 0)
            {
                chars[count++] = '=';
            }
        }

        byte[] decoded;
        try
        {
            decoded = Convert.FromBase64CharArray(chars, 0, count);
        }
        catch (FormatException e)
        {
            throw reader.Corrupt(where, $"not valid base64 ({count} characters): {ImportJsonReader.FirstSentence(e.Message)}", e);
        }

        if (decoded is [0x1f, 0x8b, ..])
        {
            decoded = reader.Gunzip(decoded, maxBytes);
        }

        return (decoded, "base64-decoded content");
    }

    private static SessionArchive Read(ImportJsonReader reader, JsonElement root, string path)
    {
        reader.RequireObject(root, "");
        var extra = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var session = root;
        var where = "";
        if (ImportJsonReader.Optional(root, "format") is { } formatElement)
        {
            var format = reader.GetString(formatElement, "format");
            if (format != ExportFormat)
            {
                throw reader.Corrupt("format", $"'{format}' is not a SuperQode export format (expected '{ExportFormat}')");
            }

            session = reader.OptObject(root, "session", "") ?? throw reader.Corrupt("session", "missing (an export needs a session object)");
            where = "session";
            if (reader.OptString(root, "checksum", "") is { } expected)
            {
                var actual = PythonJson.Checksum(session);
                if (!string.Equals(expected, actual, StringComparison.OrdinalIgnoreCase))
                {
                    throw reader.Corrupt("checksum", $"checksum mismatch: the export says {expected}, its session hashes to {actual}; the file was changed or damaged after export");
                }
            }

            if (ImportJsonReader.Optional(root, "exported_at") is { } exportedAt)
            {
                extra["exportedAt"] = exportedAt.Clone();
            }
        }

        return ReadSession(reader, session, where, path, extra);
    }

    private static SessionArchive ReadSession(ImportJsonReader reader, JsonElement root, string where, string path, Dictionary<string, JsonElement> extra)
    {
        var messagesArray = reader.OptArray(root, "messages", where) ?? throw reader.Corrupt(ImportJsonReader.Join(where, "messages"), "missing (an array is required)");
        var messages = new List<SessionMessage>();
        var calls = new List<(ToolCallPart Call, long Sequence, DateTimeOffset At)>();
        var usedIds = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var element in messagesArray.EnumerateArray())
        {
            var message = ReadMessage(reader, element, $"{ImportJsonReader.Join(where, "messages")}[{index}]", index + 1, usedIds);
            messages.Add(message);
            calls.AddRange(message.Parts.OfType<ToolCallPart>().Select(c => (c, message.Sequence, message.CreatedAt)));
            index++;
        }

        var originalId = reader.OptString(root, "id", where) ?? StoreFileId(path);
        var createdAt = reader.OptTime(root, "created_at", where)
            ?? messages.FirstOrDefault()?.CreatedAt
            ?? throw reader.Corrupt(ImportJsonReader.Join(where, "created_at"), "missing, and there are no messages to date the session by");
        var updatedAt = reader.OptTime(root, "updated_at", where) ?? messages.LastOrDefault()?.CreatedAt ?? createdAt;

        var metadata = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        string? model = null;
        if (reader.OptObject(root, "metadata", where) is { } sourceMetadata)
        {
            foreach (var property in sourceMetadata.EnumerateObject())
            {
                if (property.Name == "model" && property.Value.ValueKind == JsonValueKind.String)
                {
                    model = property.Value.GetString();
                }
                else
                {
                    metadata[property.Name] = property.Value.Clone();
                }
            }
        }

        foreach (var property in root.EnumerateObject())
        {
            if (Array.IndexOf(KnownFields, property.Name) < 0)
            {
                metadata.TryAdd(property.Name, property.Value.Clone());
            }
        }

        if (ImportJsonReader.Optional(root, "agents_used") is { } agents)
        {
            _ = reader.StringList(root, "agents_used", where); // validates the shape
            extra["agentsUsed"] = agents.Clone();
        }

        string? parentId = null;
        if (reader.OptString(root, "parent_session_id", where) is { } parent)
        {
            if (SessionIds.IsValid(parent))
            {
                parentId = parent;
            }
            else
            {
                extra["parentSessionId"] = ImportJsonReader.Text(parent);
            }
        }

        var tags = reader.Tags(root, "tags", where, extra);
        extra[ImportMetadata.Key] = ImportText.Provenance(FormatName, originalId, path, ImportText.Sha256(path));
        foreach (var (key, value) in extra)
        {
            // Our entries win; a source entry of the same name is kept under a prefixed key, not dropped.
            if (metadata.Remove(key, out var clash))
            {
                metadata[$"source.{key}"] = clash;
            }

            metadata[key] = value;
        }

        var session = new Session
        {
            Id = ImportText.SessionIdFor(originalId),
            Title = reader.OptString(root, "title", where),
            CreatedAt = createdAt,
            UpdatedAt = updatedAt,
            Model = model,
            ProjectPath = reader.OptString(root, "project_path", where),
            Tags = tags,
            ParentId = parentId,
            Metadata = metadata,
        };

        var files = new List<FileChange>();
        files.AddRange(reader.StringList(root, "files_modified", where).Select(f => new FileChange(f, FileChangeKind.Modified, updatedAt)));
        files.AddRange(reader.StringList(root, "files_created", where).Select(f => new FileChange(f, FileChangeKind.Created, updatedAt)));

        return new SessionArchive
        {
            Session = ImportJsonReader.WithTotals(session, messages),
            Messages = messages,
            ToolExecutions = ReadToolExecutions(reader, root, where, calls),
            Snapshots = ReadSnapshots(reader, root, where, messages.Count),
            Files = files,
        };
    }

    // "<id>.json.gz" or "<id>.json": the store names files by session id.
    private static string StoreFileId(string path)
    {
        var name = Path.GetFileName(path);
        foreach (var suffix in new[] { ".json.gz", ".json", ".gz" })
        {
            if (name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return name[..^suffix.Length];
            }
        }

        return name;
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
        var toolCallId = reader.OptString(element, "tool_call_id", where);
        var metadata = ImportJsonReader.CopyObject(reader.OptObject(element, "metadata", where));

        var parts = new List<ContentPart>();
        if (role == MessageRole.Tool && toolCallId is not null)
        {
            parts.Add(new ToolResultPart(toolCallId, ImportJsonReader.Text(content)));
        }
        else
        {
            if (toolCallId is not null)
            {
                // Only tool messages answer calls; elsewhere the field is kept rather than reinterpreted.
                metadata.TryAdd("tool_call_id", ImportJsonReader.Text(toolCallId));
            }

            if (content.Length > 0)
            {
                parts.Add(new TextPart(content));
            }
        }

        if (reader.OptArray(element, "tool_calls", where) is { } calls)
        {
            var callIndex = 0;
            foreach (var call in calls.EnumerateArray())
            {
                var callWhere = $"{where}.tool_calls[{callIndex}]";
                reader.RequireObject(call, callWhere);
                // OpenAI shape {id, type: "function", function: {name, arguments: "<json>"}}; a flat {name, arguments} is read too.
                var function = reader.OptObject(call, "function", callWhere) is { } f ? (Element: f, Where: $"{callWhere}.function") : (Element: call, Where: callWhere);
                var name = reader.RequireString(function.Element, "name", function.Where);
                var id = reader.OptString(call, "id", callWhere) is { Length: > 0 } callId ? callId : $"call-{sequence}-{callIndex + 1}";
                parts.Add(new ToolCallPart(id, name, ImportJsonReader.Arguments(ImportJsonReader.Optional(function.Element, "arguments"))));
                callIndex++;
            }
        }

        if (parts.Count == 0)
        {
            parts.Add(new TextPart(content));
        }

        return new SessionMessage
        {
            Id = ImportText.MessageIdFor(reader.OptString(element, "id", where), usedIds),
            Sequence = sequence,
            Role = role,
            Parts = parts,
            AuthorName = reader.OptString(element, "agent_name", where),
            CreatedAt = createdAt,
            Metadata = metadata,
        };
    }

    private static List<ToolExecution> ReadToolExecutions(ImportJsonReader reader, JsonElement root, string where, List<(ToolCallPart Call, long Sequence, DateTimeOffset At)> calls)
    {
        var executions = new List<ToolExecution>();
        if (reader.OptArray(root, "tool_executions", where) is not { } array)
        {
            return executions;
        }

        var linked = new bool[calls.Count];
        var usedIds = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var element in array.EnumerateArray())
        {
            var at = $"{ImportJsonReader.Join(where, "tool_executions")}[{index}]";
            reader.RequireObject(element, at);
            var name = reader.RequireString(element, "tool_name", at);
            var arguments = ImportJsonReader.Arguments(ImportJsonReader.Optional(element, "arguments"));
            var timestamp = reader.OptString(element, "timestamp", at) ?? throw reader.Corrupt($"{at}.timestamp", "missing (a time is required)");
            var createdAt = reader.Time(timestamp, $"{at}.timestamp");

            string? callId = null;
            long? sequence = null;
            for (var i = 0; i < calls.Count; i++)
            {
                var (call, callSequence, callAt) = calls[i];
                if (!linked[i] && call.Name == name && callAt <= createdAt && SameArguments(call.Arguments, arguments))
                {
                    linked[i] = true;
                    callId = call.CallId;
                    sequence = callSequence;
                    break;
                }
            }

            var id = ImportJsonReader.IdSafe(reader.OptString(element, "id", at)) ?? $"tool-{index + 1}";
            executions.Add(new ToolExecution
            {
                Id = ImportJsonReader.Unique(id, usedIds),
                ToolName = name,
                CallId = callId,
                Arguments = arguments,
                // A text result becomes a JSON string; structured results stay as they are.
                Result = ImportJsonReader.Optional(element, "result")?.Clone(),
                Success = reader.OptBool(element, "success", at) ?? true,
                DurationMs = reader.OptCount(element, "duration_ms", at),
                AgentName = reader.OptString(element, "agent_name", at),
                Sequence = sequence,
                CreatedAt = createdAt,
            });
            index++;
        }

        return executions;
    }

    private static bool SameArguments(JsonElement? a, JsonElement? b)
        => a is { } x && b is { } y ? JsonElement.DeepEquals(x, y) : a is null && b is null;

    private static List<Snapshot> ReadSnapshots(ImportJsonReader reader, JsonElement root, string where, int messageCount)
    {
        var snapshots = new List<Snapshot>();
        if (reader.OptArray(root, "snapshots", where) is not { } array)
        {
            return snapshots;
        }

        var usedNames = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var element in array.EnumerateArray())
        {
            var at = $"{ImportJsonReader.Join(where, "snapshots")}[{index}]";
            reader.RequireObject(element, at);
            var count = reader.OptCount(element, "message_count", at) ?? throw reader.Corrupt($"{at}.message_count", "missing (a count is required)");
            if (count > messageCount)
            {
                throw reader.Corrupt($"{at}.message_count", $"the snapshot covers {count} messages but the session has {messageCount}");
            }

            var timestamp = reader.OptString(element, "created_at", at) ?? throw reader.Corrupt($"{at}.created_at", "missing (a time is required)");
            // Snapshot names follow the id rules here; SuperQode's are free text, so they are made safe.
            var name = ImportJsonReader.IdSafe(reader.OptString(element, "name", at))
                ?? ImportJsonReader.IdSafe(reader.OptString(element, "id", at))
                ?? $"snapshot-{index + 1}";
            snapshots.Add(new Snapshot
            {
                Name = ImportJsonReader.Unique(name, usedNames),
                Description = reader.OptString(element, "description", at),
                MessageCount = count,
                CreatedAt = reader.Time(timestamp, $"{at}.created_at"),
            });
            index++;
        }

        return snapshots;
    }
}
