using System.Text.Json;

namespace AgentSessions;

/// <summary>A stored conversation: its descriptive fields and running totals, without its messages.</summary>
public sealed record Session
{
    /// <summary>The session id (see <see cref="SessionIds"/> for the rules).</summary>
    public required string Id { get; init; }

    /// <summary>The title, or <see langword="null"/> until one is set or derived from the first user message.</summary>
    public string? Title { get; init; }

    /// <summary>When the session was created (UTC).</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the session last changed: a message appended, or a field updated (UTC).</summary>
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The model the session talks to, if known.</summary>
    public string? Model { get; init; }

    /// <summary>The project (working directory) the session belongs to, if any.</summary>
    public string? ProjectPath { get; init; }

    /// <summary>The tags, sorted ordinally, without duplicates.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Whether the session is pinned (pinned sessions are never removed by retention).</summary>
    public bool Pinned { get; init; }

    /// <summary>The session this one was forked from, if any.</summary>
    public string? ParentId { get; init; }

    /// <summary>The sequence number in the parent after which this session diverged, if forked.</summary>
    public long? ForkSequence { get; init; }

    /// <summary>Free metadata for the application's own use.</summary>
    public IReadOnlyDictionary<string, JsonElement> Metadata { get; init; } = EmptyMetadata.Instance;

    /// <summary>The number of messages.</summary>
    public long MessageCount { get; init; }

    /// <summary>The sum of the messages' input tokens.</summary>
    public long InputTokens { get; init; }

    /// <summary>The sum of the messages' output tokens.</summary>
    public long OutputTokens { get; init; }
}

/// <summary>What a caller provides to create a session; everything but the id's rules is optional.</summary>
public sealed record NewSession
{
    /// <summary>A custom id, or <see langword="null"/> to generate one with <see cref="SessionIds.NewSessionId"/>.</summary>
    public string? Id { get; init; }

    /// <summary>The title; <see langword="null"/> lets the store derive one from the first user message.</summary>
    public string? Title { get; init; }

    /// <summary>The model.</summary>
    public string? Model { get; init; }

    /// <summary>The project path.</summary>
    public string? ProjectPath { get; init; }

    /// <summary>Initial tags.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Whether the session starts pinned.</summary>
    public bool Pinned { get; init; }

    /// <summary>Parent session, for forks and imports that record lineage.</summary>
    public string? ParentId { get; init; }

    /// <summary>Fork point in the parent.</summary>
    public long? ForkSequence { get; init; }

    /// <summary>Free metadata.</summary>
    public IReadOnlyDictionary<string, JsonElement> Metadata { get; init; } = EmptyMetadata.Instance;

    /// <summary>Creation time; <see langword="null"/> means now. Importers set it to keep the original.</summary>
    public DateTimeOffset? CreatedAt { get; init; }
}

/// <summary>A change to a session's descriptive fields; <see langword="null"/> members are left as they are.</summary>
public sealed record SessionUpdate
{
    /// <summary>A new title.</summary>
    public string? Title { get; init; }

    /// <summary>Pin or unpin.</summary>
    public bool? Pinned { get; init; }

    /// <summary>Tags to add.</summary>
    public IReadOnlyList<string> AddTags { get; init; } = [];

    /// <summary>Tags to remove (removing an absent tag is not an error).</summary>
    public IReadOnlyList<string> RemoveTags { get; init; } = [];

    /// <summary>A new model.</summary>
    public string? Model { get; init; }

    /// <summary>Metadata entries to set (a JSON null value removes the key).</summary>
    public IReadOnlyDictionary<string, JsonElement>? Metadata { get; init; }
}

internal static class EmptyMetadata
{
    public static readonly IReadOnlyDictionary<string, JsonElement> Instance = new Dictionary<string, JsonElement>();
}
