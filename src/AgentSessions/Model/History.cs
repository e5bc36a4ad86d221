using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentSessions;

/// <summary>A named mark of a session's state: a pointer to its first <see cref="MessageCount"/> messages plus its fields.</summary>
/// <remarks>A snapshot copies no messages; restoring it moves the session's head back and keeps later messages for redo.</remarks>
public sealed record Snapshot
{
    /// <summary>The name, unique within the session (follows the id rules).</summary>
    public required string Name { get; init; }

    /// <summary>An optional description.</summary>
    public string? Description { get; init; }

    /// <summary>How many messages the session had.</summary>
    public required long MessageCount { get; init; }

    /// <summary>The title at the time.</summary>
    public string? Title { get; init; }

    /// <summary>The tags at the time.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>The metadata at the time.</summary>
    public IReadOnlyDictionary<string, JsonElement> Metadata { get; init; } = EmptyMetadata.Instance;

    /// <summary>When the snapshot was taken (UTC).</summary>
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A named position in a session.</summary>
/// <param name="Name">The name, unique within the session (follows the id rules).</param>
/// <param name="Sequence">The message it marks.</param>
/// <param name="CreatedAt">When it was set (UTC).</param>
public sealed record Bookmark(string Name, long Sequence, DateTimeOffset CreatedAt)
{
    /// <summary>An optional note.</summary>
    public string? Note { get; init; }
}

/// <summary>One run of a tool: what was asked, what came back, how long it took.</summary>
public sealed record ToolExecution
{
    /// <summary>The execution id, unique within the session.</summary>
    public required string Id { get; init; }

    /// <summary>The tool's name.</summary>
    public required string ToolName { get; init; }

    /// <summary>The tool-call id (<see cref="ToolCallPart.CallId"/>) that asked for this run, if any.</summary>
    public string? CallId { get; init; }

    /// <summary>The arguments as JSON.</summary>
    public JsonElement? Arguments { get; init; }

    /// <summary>The result as JSON (a JSON string for text).</summary>
    public JsonElement? Result { get; init; }

    /// <summary>Whether the run succeeded.</summary>
    public bool Success { get; init; } = true;

    /// <summary>How long it ran, in milliseconds, if known.</summary>
    public long? DurationMs { get; init; }

    /// <summary>The agent that ran it, if known.</summary>
    public string? AgentName { get; init; }

    /// <summary>The message (sequence number) the run belongs to, if known.</summary>
    public long? Sequence { get; init; }

    /// <summary>When it ran (UTC).</summary>
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>What happened to a file during a session (<c>modified</c> or <c>created</c> in JSON).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FileChangeKind>))]
public enum FileChangeKind
{
    /// <summary>An existing file was changed.</summary>
    [JsonStringEnumMemberName("modified")]
    Modified,

    /// <summary>A new file was written.</summary>
    [JsonStringEnumMemberName("created")]
    Created,
}

/// <summary>A file the session modified or created.</summary>
/// <param name="Path">The file path, as the agent reported it.</param>
/// <param name="Kind">Modified or created.</param>
/// <param name="At">When (UTC).</param>
public sealed record FileChange(string Path, FileChangeKind Kind, DateTimeOffset At)
{
    /// <summary>The agent that changed it, if known.</summary>
    public string? AgentName { get; init; }

    /// <summary>The message (sequence number) it belongs to, if known.</summary>
    public long? Sequence { get; init; }
}

/// <summary>
/// A whole session with everything recorded about it: the unit of export, import and retention archives.
/// </summary>
public sealed record SessionArchive
{
    /// <summary>The session's fields (totals are recomputed from <see cref="Messages"/> on import).</summary>
    public required Session Session { get; init; }

    /// <summary>The messages, numbered 1..n without gaps.</summary>
    public required IReadOnlyList<SessionMessage> Messages { get; init; }

    /// <summary>Snapshots, oldest first.</summary>
    public IReadOnlyList<Snapshot> Snapshots { get; init; } = [];

    /// <summary>Bookmarks, by position.</summary>
    public IReadOnlyList<Bookmark> Bookmarks { get; init; } = [];

    /// <summary>Tool executions, in order.</summary>
    public IReadOnlyList<ToolExecution> ToolExecutions { get; init; } = [];

    /// <summary>Files modified and created, in order.</summary>
    public IReadOnlyList<FileChange> Files { get; init; } = [];
}
