using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using AgentSessions.Formats;
using AgentSessions.Formats.Import;

namespace AgentSessions.Import.Copilot;

/// <summary>
/// Reads GitHub Copilot CLI sessions: a <c>session-state/&lt;sessionId&gt;/</c> directory holding
/// <c>events.jsonl</c> (one event <c>{type, data, id, timestamp, parentId}</c> per line) and <c>workspace.yaml</c>.
/// </summary>
/// <remarks>
/// <para>
/// Messages come from <c>user.message</c> (its <c>content</c>, what the user typed, not the
/// <c>transformedContent</c> sent to the model), <c>system.message</c>, <c>assistant.message</c> (text, reasoning,
/// <c>toolRequests</c> as tool calls) and <c>tool.execution_complete</c> (a tool message with the result). Runs of
/// tools (<c>tool.execution_start</c>/<c>_complete</c>, and <c>external_tool.requested</c>/<c>completed</c> for tools
/// the SDK client ran) become <see cref="ToolExecution"/>s, one per tool-call id, timed from start to completion.
/// </para>
/// <para>
/// Tokens: Copilot reports them per model call (<c>assistant.usage</c>), both input and output, so both are put
/// on the assistant message of that call (matched by <c>apiCallId</c>, else the latest assistant message).
/// <c>session.shutdown</c> totals are kept in metadata (<c>shutdown</c>) and its list of modified files becomes
/// <see cref="SessionArchive.Files"/>.
/// </para>
/// <para>
/// Session fields: id, name (the title), cwd and times from <c>workspace.yaml</c>, falling back to
/// <c>session.start</c>; the model from <c>session.start</c>'s <c>selectedModel</c> (later model changes win).
/// Other <c>workspace.yaml</c> keys are kept as text under <c>workspace</c>. Event types this importer does not
/// read are counted under <c>skippedEvents</c>; lock files are never opened. Provenance hashes <c>events.jsonl</c>.
/// Times carry <c>Z</c> in Copilot's files; a naive one would be read in <see cref="ImportOptions.TimeZone"/>.
/// </para>
/// </remarks>
public sealed class CopilotCliImporter : ISessionImporter
{
    /// <summary>The format name.</summary>
    public const string FormatName = "copilot-cli";

    private const string EventsFile = "events.jsonl";
    private const string WorkspaceFile = "workspace.yaml";

    // Turn markers carry nothing the messages do not already show; they are read past without being counted.
    private static readonly HashSet<string> Structural = new(StringComparer.Ordinal) { "assistant.turn_start", "assistant.turn_end" };

    private static readonly string[] WorkspaceFields = ["id", "cwd", "name", "created_at", "updated_at"];

    /// <inheritdoc />
    public string Format => FormatName;

    /// <inheritdoc />
    public bool CanRead(ImportSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return source.IsDirectory && File.Exists(Path.Combine(source.Path, EventsFile));
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<SessionArchive> ReadAsync(ImportSource source, ImportOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        if (!source.IsDirectory)
        {
            throw new AgentSessionsException(ErrorCode.Corrupt, $"{source.Path}: not a Copilot CLI session directory (session-state/<id>/ with {EventsFile})");
        }

        var eventsPath = Path.Combine(source.Path, EventsFile);
        if (FileKinds.Of(eventsPath) is not FileKind.Regular and var eventsKind)
        {
            // Links are not followed and special files not opened (see FileKinds.LinkNote for why).
            throw new AgentSessionsException(ErrorCode.Corrupt, $"{eventsPath}: " + (eventsKind == FileKind.SymbolicLink
                ? FileKinds.LinkNote(eventsPath, source.Path)
                : $"{FileKinds.Describe(eventsKind)}, not a regular file; not opened"));
        }

        var events = await ImportJsonReader.ReadFileAsync(eventsPath, options.MaxFileBytes, cancellationToken).ConfigureAwait(false);
        var workspacePath = Path.Combine(source.Path, WorkspaceFile);
        var workspaceReader = new ImportJsonReader(workspacePath, options.TimeZone);
        var workspace = new Dictionary<string, string?>(StringComparer.Ordinal);
        var notes = new List<string>();
        var workspaceKind = FileKinds.Of(workspacePath);
        if (workspaceKind is not (FileKind.Regular or FileKind.Missing))
        {
            // The events are the session; the session is imported without the name and folder workspace.yaml holds.
            notes.Add($"{WorkspaceFile} not read: " + (workspaceKind == FileKind.SymbolicLink
                ? FileKinds.LinkNote(workspacePath, source.Path)
                : $"{FileKinds.Describe(workspaceKind)}, not a regular file; not opened"));
        }
        else if (workspaceKind == FileKind.Regular)
        {
            var yaml = await ImportJsonReader.ReadFileAsync(workspacePath, options.MaxFileBytes, cancellationToken).ConfigureAwait(false);
            string text;
            try
            {
                text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(yaml).TrimStart('\uFEFF');
            }
            catch (DecoderFallbackException e)
            {
                throw workspaceReader.Corrupt("", "not valid UTF-8", e);
            }

            workspace = WorkspaceYaml.Parse(text, workspaceReader);
        }

        var state = new EventState(new ImportJsonReader(eventsPath, options.TimeZone));
        var lineNumber = 0;
        var start = 0;
        while (start < events.Length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var end = Array.IndexOf(events, (byte)'\n', start);
            if (end < 0)
            {
                end = events.Length;
            }

            lineNumber++;
            var line = events.AsMemory(start, end - start);
            start = end + 1;
            if (line.Span.Trim(" \t\r"u8).Length > 0)
            {
                state.Read(line, lineNumber);
            }
        }

        yield return state.Build(source.Path, eventsPath, workspace, workspaceReader, notes);
    }

    /// <summary>A message being assembled; numbered and given its id once all events are read.</summary>
    private sealed class Draft(MessageRole role, DateTimeOffset createdAt)
    {
        public MessageRole Role { get; } = role;
        public DateTimeOffset CreatedAt { get; set; } = createdAt;
        public List<ContentPart> Parts { get; } = [];
        public string? OriginalId { get; init; }
        public string? Model { get; init; }
        public string? ApiCallId { get; init; }
        public long InputTokens { get; set; }
        public long OutputTokens { get; set; }
        public Dictionary<string, JsonElement> Metadata { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>A tool run, keyed by tool-call id, gathered from its start, external and completion events.</summary>
    private sealed class Run(string callId)
    {
        public string CallId { get; } = callId;
        public string? Name { get; set; }
        public JsonElement? Arguments { get; set; }
        public DateTimeOffset? StartedAt { get; set; }
        public DateTimeOffset? CompletedAt { get; set; }
        public bool Completed { get; set; }
        public bool Success { get; set; } = true;
        public JsonElement? Result { get; set; }
        public Draft? ToolMessage { get; set; }
    }

    private sealed class EventState(ImportJsonReader reader)
    {
        private readonly List<Draft> _messages = [];
        private readonly Dictionary<string, Run> _runs = new(StringComparer.Ordinal);
        private readonly List<Run> _runOrder = [];
        private readonly Dictionary<string, string> _requests = new(StringComparer.Ordinal); // external requestId -> callId
        private readonly Dictionary<string, (int Message, string Name)> _toolRequests = new(StringComparer.Ordinal);
        private readonly SortedDictionary<string, long> _skipped = new(StringComparer.Ordinal);
        private readonly List<FileChange> _files = [];
        private readonly Dictionary<string, JsonElement> _metadata = new(StringComparer.Ordinal);
        private string? _sessionId;
        private string? _model;
        private string? _cwd;
        private DateTimeOffset? _startTime;
        private DateTimeOffset? _firstEvent;
        private DateTimeOffset? _lastEvent;

        public void Read(ReadOnlyMemory<byte> line, int number)
        {
            var where = $"line {number}";
            using var document = reader.Parse(line, where);
            reader.Guard(() => ReadEvent(document.RootElement, where), where);
        }

        private bool ReadEvent(JsonElement element, string where)
        {
            var root = reader.RequireObject(element, where);
            var fields = where + ":";
            var type = reader.RequireString(root, "type", fields);
            var data = reader.OptObject(root, "data", fields) ?? default;
            var dataWhere = $"{where}: data";
            if (Structural.Contains(type))
            {
                return false;
            }

            if (!IsHandled(type))
            {
                _skipped[type] = _skipped.GetValueOrDefault(type) + 1;
                return false;
            }

            var timestamp = reader.OptTime(root, "timestamp", fields) ?? throw reader.Corrupt($"{where}: timestamp", "missing (a time is required)");
            _firstEvent ??= timestamp;
            _lastEvent = _lastEvent is { } last && last > timestamp ? last : timestamp;
            if (data.ValueKind != JsonValueKind.Object)
            {
                // Every event this importer reads has a data object, possibly empty.
                using var empty = JsonDocument.Parse("{}");
                data = empty.RootElement.Clone();
            }

            switch (type)
            {
                case "session.start":
                    _sessionId ??= reader.OptString(data, "sessionId", dataWhere);
                    _model = reader.OptString(data, "selectedModel", dataWhere) ?? _model;
                    _startTime ??= reader.OptTime(data, "startTime", dataWhere);
                    if (reader.OptObject(data, "context", dataWhere) is { } context)
                    {
                        _cwd ??= reader.OptString(context, "cwd", $"{dataWhere}.context");
                    }

                    foreach (var key in new[] { "producer", "copilotVersion" })
                    {
                        if (ImportJsonReader.Optional(data, key) is { } value)
                        {
                            _metadata[key] = value.Clone();
                        }
                    }

                    break;
                case "session.resume":
                    _model = reader.OptString(data, "selectedModel", dataWhere) ?? _model;
                    _metadata["resumeCount"] = AgentSessionsJson.ToElement((_metadata.TryGetValue("resumeCount", out var n) ? n.GetInt64() : 0) + 1);
                    break;
                case "session.model_change":
                    _model = reader.OptString(data, "newModel", dataWhere) ?? _model;
                    break;
                case "session.shutdown":
                    _model ??= reader.OptString(data, "currentModel", dataWhere);
                    if (reader.OptObject(data, "codeChanges", dataWhere) is { } changes)
                    {
                        _files.AddRange(reader.StringList(changes, "filesModified", $"{dataWhere}.codeChanges").Select(f => new FileChange(f, FileChangeKind.Modified, timestamp)));
                    }

                    // The last shutdown's totals (requests, model metrics, token counts) describe the whole session.
                    _metadata["shutdown"] = data.Clone();
                    break;
                case "user.message":
                    AddText(MessageRole.User, data, dataWhere, timestamp);
                    break;
                case "system.message":
                    AddText(MessageRole.System, data, dataWhere, timestamp);
                    break;
                case "assistant.message":
                    AddAssistant(data, dataWhere, timestamp);
                    break;
                case "assistant.usage":
                    AddUsage(data, dataWhere);
                    break;
                case "tool.execution_start":
                {
                    var run = RunFor(reader.RequireString(data, "toolCallId", dataWhere));
                    run.Name ??= reader.OptString(data, "toolName", dataWhere);
                    run.Arguments ??= ImportJsonReader.Arguments(ImportJsonReader.Optional(data, "arguments"));
                    run.StartedAt ??= timestamp;
                    break;
                }

                case "external_tool.requested":
                {
                    var run = RunFor(reader.RequireString(data, "toolCallId", dataWhere));
                    run.Name ??= reader.OptString(data, "toolName", dataWhere);
                    run.Arguments ??= ImportJsonReader.Arguments(ImportJsonReader.Optional(data, "arguments"));
                    run.StartedAt ??= timestamp;
                    if (reader.OptString(data, "requestId", dataWhere) is { } requestId)
                    {
                        _requests[requestId] = run.CallId;
                    }

                    break;
                }

                case "external_tool.completed":
                {
                    // Usually only {requestId}: tool.execution_complete follows with the result. When it carries
                    // a result itself, that is recorded now and replaced by a later tool.execution_complete.
                    var callId = reader.OptString(data, "toolCallId", dataWhere)
                        ?? (reader.OptString(data, "requestId", dataWhere) is { } requestId ? _requests.GetValueOrDefault(requestId) : null);
                    if (callId is null)
                    {
                        _skipped[type] = _skipped.GetValueOrDefault(type) + 1;
                        break;
                    }

                    var run = RunFor(callId);
                    if (!run.Completed && (data.TryGetProperty("result", out _) || data.TryGetProperty("error", out _)))
                    {
                        Complete(run, data, dataWhere, timestamp, authoritative: false);
                    }

                    break;
                }

                case "tool.execution_complete":
                    Complete(RunFor(reader.RequireString(data, "toolCallId", dataWhere)), data, dataWhere, timestamp, authoritative: true);
                    break;
            }

            return true;
        }

        private static bool IsHandled(string type) => type switch
        {
            "session.start" or "session.resume" or "session.model_change" or "session.shutdown" or "user.message" or "system.message"
                or "assistant.message" or "assistant.usage" or "tool.execution_start" or "tool.execution_complete"
                or "external_tool.requested" or "external_tool.completed" => true,
            _ => false,
        };

        private Run RunFor(string callId)
        {
            if (!_runs.TryGetValue(callId, out var run))
            {
                run = new Run(callId);
                _runs[callId] = run;
                _runOrder.Add(run);
            }

            return run;
        }

        private void AddText(MessageRole role, JsonElement data, string where, DateTimeOffset timestamp)
        {
            var draft = new Draft(role, timestamp) { OriginalId = reader.OptString(data, "messageId", where) };
            draft.Parts.Add(new TextPart(reader.OptString(data, "content", where) ?? ""));
            foreach (var key in new[] { "attachments", "source", "name" })
            {
                if (ImportJsonReader.Optional(data, key) is { } value)
                {
                    draft.Metadata[key] = value.Clone();
                }
            }

            _messages.Add(draft);
        }

        private void AddAssistant(JsonElement data, string where, DateTimeOffset timestamp)
        {
            var draft = new Draft(MessageRole.Assistant, timestamp)
            {
                OriginalId = reader.OptString(data, "messageId", where),
                Model = reader.OptString(data, "model", where),
                ApiCallId = reader.OptString(data, "apiCallId", where),
                OutputTokens = reader.OptCount(data, "outputTokens", where) ?? 0,
            };
            if (reader.OptString(data, "reasoningText", where) is { Length: > 0 } reasoning)
            {
                draft.Parts.Add(new ReasoningPart(reasoning, reader.OptString(data, "reasoningOpaque", where)));
            }

            var content = reader.OptString(data, "content", where) ?? "";
            if (content.Length > 0)
            {
                draft.Parts.Add(new TextPart(content));
            }

            if (reader.OptArray(data, "toolRequests", where) is { } requests)
            {
                var index = 0;
                foreach (var request in requests.EnumerateArray())
                {
                    var at = $"{where}.toolRequests[{index++}]";
                    reader.RequireObject(request, at);
                    var callId = reader.RequireString(request, "toolCallId", at);
                    var name = reader.RequireString(request, "name", at);
                    draft.Parts.Add(new ToolCallPart(callId, name, ImportJsonReader.Arguments(ImportJsonReader.Optional(request, "arguments"))));
                    _toolRequests[callId] = (_messages.Count, name);
                }
            }

            if (draft.Parts.Count == 0)
            {
                // An empty reply still needs one part; the empty text is its exact content.
                draft.Parts.Add(new TextPart(content));
            }

            if (ImportJsonReader.Optional(data, "parentToolCallId") is { } parent)
            {
                // Set on messages of sub-agents, naming the tool call that started them.
                draft.Metadata["parentToolCallId"] = parent.Clone();
            }

            _messages.Add(draft);
        }

        private void AddUsage(JsonElement data, string where)
        {
            var apiCallId = reader.OptString(data, "apiCallId", where);
            var target = _messages.LastOrDefault(m => m.Role == MessageRole.Assistant && apiCallId is not null && m.ApiCallId == apiCallId)
                ?? _messages.LastOrDefault(m => m.Role == MessageRole.Assistant);
            var input = reader.OptCount(data, "inputTokens", where) ?? 0;
            var output = reader.OptCount(data, "outputTokens", where) ?? 0;
            if (target is null)
            {
                // Usage before any reply (a failed first call): keep the figures on the session, not on a wrong message.
                var earlier = _metadata.TryGetValue("unattributedInputTokens", out var i) ? i.GetInt64() : 0;
                var earlierOut = _metadata.TryGetValue("unattributedOutputTokens", out var o) ? o.GetInt64() : 0;
                _metadata["unattributedInputTokens"] = AgentSessionsJson.ToElement(earlier + input);
                _metadata["unattributedOutputTokens"] = AgentSessionsJson.ToElement(earlierOut + output);
                return;
            }

            target.InputTokens += input;
            target.OutputTokens += output;
        }

        private void Complete(Run run, JsonElement data, string where, DateTimeOffset timestamp, bool authoritative)
        {
            var success = reader.OptBool(data, "success", where) ?? !data.TryGetProperty("error", out var e) || e.ValueKind == JsonValueKind.Null;
            JsonElement? result = null;
            if (ImportJsonReader.Optional(data, "result") is { } value)
            {
                // {content, detailedContent?}: content is what the model saw; plain strings and other shapes are kept as they are.
                result = value.ValueKind == JsonValueKind.Object && ImportJsonReader.Optional(value, "content") is { ValueKind: JsonValueKind.String } text
                    ? text.Clone()
                    : value.Clone();
            }
            else if (ImportJsonReader.Optional(data, "error") is { } error)
            {
                result = error.ValueKind == JsonValueKind.Object && ImportJsonReader.Optional(error, "message") is { ValueKind: JsonValueKind.String } message
                    ? message.Clone()
                    : error.Clone();
            }

            run.Completed = authoritative;
            run.Success = success;
            run.Result = result;
            run.CompletedAt = timestamp;

            var draft = run.ToolMessage;
            if (draft is null)
            {
                draft = new Draft(MessageRole.Tool, timestamp);
                _messages.Add(draft);
                run.ToolMessage = draft;
            }

            draft.CreatedAt = timestamp;
            draft.Parts.Clear();
            draft.Parts.Add(new ToolResultPart(run.CallId, result, !success));
            draft.Metadata.Clear();
            if (ImportJsonReader.Optional(data, "result") is { ValueKind: JsonValueKind.Object } full)
            {
                if (ImportJsonReader.Optional(full, "detailedContent") is { } detailed)
                {
                    draft.Metadata["detailedContent"] = detailed.Clone();
                }
            }

            if (ImportJsonReader.Optional(data, "toolTelemetry") is { } telemetry && !(telemetry.ValueKind == JsonValueKind.Object && !telemetry.EnumerateObject().Any()))
            {
                draft.Metadata["toolTelemetry"] = telemetry.Clone();
            }

            if (ImportJsonReader.Optional(data, "error") is { } err)
            {
                draft.Metadata["error"] = err.Clone();
            }
        }

        public SessionArchive Build(string directory, string eventsPath, Dictionary<string, string?> workspace, ImportJsonReader workspaceReader, IReadOnlyList<string> notes)
        {
            var usedIds = new HashSet<string>(StringComparer.Ordinal);
            var messages = new List<SessionMessage>(_messages.Count);
            for (var i = 0; i < _messages.Count; i++)
            {
                var draft = _messages[i];
                var id = ImportText.MessageIdFor(draft.OriginalId, usedIds);
                if (draft.OriginalId is not null && id != draft.OriginalId)
                {
                    // The original id broke our rules or repeated: keep it beside the new one.
                    draft.Metadata["messageId"] = ImportJsonReader.Text(draft.OriginalId);
                }

                messages.Add(new SessionMessage
                {
                    Id = id,
                    Sequence = i + 1,
                    Role = draft.Role,
                    Parts = [.. draft.Parts],
                    CreatedAt = draft.CreatedAt,
                    InputTokens = draft.InputTokens,
                    OutputTokens = draft.OutputTokens,
                    Model = draft.Model,
                    Metadata = draft.Metadata,
                });
            }

            var executions = new List<ToolExecution>(_runOrder.Count);
            var executionIds = new HashSet<string>(StringComparer.Ordinal);
            var unfinished = 0;
            foreach (var run in _runOrder)
            {
                var request = _toolRequests.TryGetValue(run.CallId, out var r) ? r : ((int Message, string Name)?)null;
                var finished = run.Completed || run.CompletedAt is not null;
                if (!finished)
                {
                    unfinished++;
                }

                executions.Add(new ToolExecution
                {
                    Id = ImportJsonReader.Unique(ImportJsonReader.IdSafe(run.CallId) ?? $"tool-{executions.Count + 1}", executionIds),
                    ToolName = run.Name ?? request?.Name ?? "unknown",
                    CallId = run.CallId,
                    Arguments = run.Arguments,
                    Result = run.Result,
                    // A run with no completion was cut off (the CLI exited or crashed): it did not succeed.
                    Success = finished && run.Success,
                    DurationMs = run.StartedAt is { } s && run.CompletedAt is { } c ? (long)Math.Round((c - s).TotalMilliseconds) : null,
                    Sequence = request is { } req ? req.Message + 1 : null,
                    CreatedAt = run.StartedAt ?? run.CompletedAt!.Value,
                });
            }

            var metadata = new Dictionary<string, JsonElement>(_metadata, StringComparer.Ordinal);
            if (unfinished > 0)
            {
                metadata["unfinishedToolExecutions"] = AgentSessionsJson.ToElement(unfinished);
            }

            if (_skipped.Count > 0)
            {
                metadata["skippedEvents"] = AgentSessionsJson.ToElement(new Dictionary<string, long>(_skipped));
            }

            var leftovers = workspace.Where(p => Array.IndexOf(WorkspaceFields, p.Key) < 0).ToDictionary(p => p.Key, p => p.Value);
            if (leftovers.Count > 0)
            {
                metadata["workspace"] = AgentSessionsJson.ToElement(leftovers);
            }

            var originalId = workspace.GetValueOrDefault("id") ?? _sessionId ?? Path.GetFileName(directory.TrimEnd(Path.DirectorySeparatorChar));
            metadata[ImportMetadata.Key] = ImportText.Provenance(FormatName, originalId, directory, ImportText.Sha256(eventsPath), notes);

            var createdAt = (workspace.GetValueOrDefault("created_at") is { } created ? workspaceReader.Time(created, "created_at") : (DateTimeOffset?)null)
                ?? _startTime
                ?? _firstEvent
                ?? throw reader.Corrupt("", "no events, and no created_at in workspace.yaml to date the session by");
            var updatedAt = workspace.GetValueOrDefault("updated_at") is { } updated ? workspaceReader.Time(updated, "updated_at") : createdAt;
            if (_lastEvent is { } lastEvent && lastEvent > updatedAt)
            {
                // workspace.yaml is rewritten only now and then; the last event is the last change.
                updatedAt = lastEvent;
            }

            var session = new Session
            {
                Id = ImportText.SessionIdFor(originalId),
                Title = workspace.GetValueOrDefault("name"),
                CreatedAt = createdAt,
                UpdatedAt = updatedAt,
                Model = _model ?? messages.LastOrDefault(m => m.Model is not null)?.Model,
                ProjectPath = workspace.GetValueOrDefault("cwd") ?? _cwd,
                Metadata = metadata,
            };

            return new SessionArchive
            {
                Session = ImportJsonReader.WithTotals(session, messages),
                Messages = messages,
                ToolExecutions = executions,
                Files = _files,
            };
        }
    }
}
