namespace AgentSessions.Storage;

/// <summary>A range of messages by sequence number.</summary>
/// <param name="FromSequence">The first sequence number to return (1 and below mean the start).</param>
/// <param name="Limit">The most messages to return; <see langword="null"/> for all.</param>
public readonly record struct MessageRange(long FromSequence = 1, int? Limit = null)
{
    /// <summary>Every message.</summary>
    public static MessageRange All => default;
}

/// <summary>What <see cref="ISessionStore.AppendAsync"/> returns.</summary>
/// <param name="Session">The session after the append (totals, title, update time).</param>
/// <param name="Messages">The appended messages with their ids and sequence numbers.</param>
public sealed record AppendResult(Session Session, IReadOnlyList<SessionMessage> Messages)
{
    /// <summary>
    /// When the append replaced messages that an undo or restore had hidden, the id of the fork that now holds
    /// them (with the snapshots and bookmarks that pointed at them); otherwise <see langword="null"/>.
    /// </summary>
    public string? PreservedIn { get; init; }
}

/// <summary>Filters and paging for <see cref="ISessionStore.ListAsync"/>.</summary>
public sealed record SessionQuery
{
    /// <summary>The most sessions to return (default 50, at most 10,000).</summary>
    public int Limit { get; init; } = 50;

    /// <summary>How many matching sessions to skip, for paging.</summary>
    public int Offset { get; init; }

    /// <summary>Only sessions carrying this tag.</summary>
    public string? Tag { get; init; }

    /// <summary>Only pinned (true) or only unpinned (false) sessions.</summary>
    public bool? Pinned { get; init; }

    /// <summary>Only sessions of this project path (exact match).</summary>
    public string? ProjectPath { get; init; }

    /// <summary>Only sessions whose title contains this text (case-insensitive for ASCII).</summary>
    public string? TitleContains { get; init; }

    /// <summary>Only sessions last updated before this time.</summary>
    public DateTimeOffset? UpdatedBefore { get; init; }

    /// <summary>Only forks of this session.</summary>
    public string? ForksOf { get; init; }

    /// <summary>Only sessions imported from a file with this SHA-256 (hex), as recorded under <c>importedFrom</c>.</summary>
    public string? ImportedFromSha256 { get; init; }
}

/// <summary>One page of <see cref="ISessionStore.ListAsync"/>.</summary>
/// <param name="Sessions">The sessions, most recently updated first.</param>
/// <param name="HasMore">Whether a next page exists.</param>
public sealed record SessionPage(IReadOnlyList<Session> Sessions, bool HasMore);

/// <summary>A full-text search.</summary>
/// <param name="Text">
/// Words to find. Every word must match (a trailing <c>*</c> makes a word a prefix); a phrase can be quoted.
/// Operators of the underlying engine are not interpreted, so user input is always safe to pass. A repeated term
/// counts once; more than <see cref="SearchTerms.MaxTerms"/> different terms or <see cref="SearchTerms.MaxTextLength"/>
/// characters are refused (see <see cref="SearchTerms.Parse"/>).
/// </param>
public sealed record SearchQuery(string Text)
{
    /// <summary>The most hits to return (default 20, at most 1,000).</summary>
    public int Limit { get; init; } = 20;

    /// <summary>Only sessions carrying this tag.</summary>
    public string? Tag { get; init; }

    /// <summary>Only messages of this role (title hits are then excluded).</summary>
    public MessageRole? Role { get; init; }

    /// <summary>Only messages created at or after this time (title hits: sessions updated since).</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Only this session.</summary>
    public string? SessionId { get; init; }

    /// <summary>
    /// Rank every match by relevance, however many there are. By default a store may rank only the most
    /// recently stored matches when a query matches very many messages (the SQLite store: the newest 5,000), which
    /// keeps a search for common words fast in a large store; set this to reach the best of older matches too.
    /// </summary>
    public bool Exhaustive { get; init; }
}

/// <summary>One search result.</summary>
public sealed record SearchHit
{
    /// <summary>The session the hit belongs to.</summary>
    public required string SessionId { get; init; }

    /// <summary>That session's title.</summary>
    public string? SessionTitle { get; init; }

    /// <summary>The matching message's sequence number (<c>seq</c> in JSON), or <see langword="null"/> for a match in the title.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("seq")]
    public long? Sequence { get; init; }

    /// <summary>The matching message's role, or <see langword="null"/> for a title match.</summary>
    public MessageRole? Role { get; init; }

    /// <summary>The matching message's (or, for a title hit, the session's update) time.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>A short excerpt around the match, as plain text.</summary>
    public required string Snippet { get; init; }

    /// <summary>The matched ranges within <see cref="Snippet"/>, in order.</summary>
    public IReadOnlyList<TextRange> Highlights { get; init; } = [];

    /// <summary>The relevance score; higher is better. Comparable only within one result list.</summary>
    public double Score { get; init; }
}

/// <summary>A range of characters in a string.</summary>
/// <param name="Start">The zero-based start index.</param>
/// <param name="Length">The number of characters.</param>
public readonly record struct TextRange(int Start, int Length);

/// <summary>A description of a store, for <c>info</c>.</summary>
public sealed record StoreInfo
{
    /// <summary>The backend's name (<c>sqlite</c>, <c>postgresql</c>...).</summary>
    public required string Backend { get; init; }

    /// <summary>Where the data lives.</summary>
    public required string Location { get; init; }

    /// <summary>The schema version in use.</summary>
    public required int SchemaVersion { get; init; }

    /// <summary>The number of sessions.</summary>
    public long SessionCount { get; init; }

    /// <summary>The number of messages in all sessions.</summary>
    public long MessageCount { get; init; }

    /// <summary>Bytes used on disk (journal files included), where the backend can tell.</summary>
    public long? SizeBytes { get; init; }

    /// <summary>Bytes the data itself occupies (no free pages, no journal), where the backend can tell.</summary>
    public long? UsedBytes { get; init; }

    /// <summary>Backend-specific facts (engine version, durability mode...).</summary>
    public IReadOnlyDictionary<string, string> Details { get; init; } = new Dictionary<string, string>();
}

/// <summary>What undo, redo and restore return.</summary>
/// <param name="Session">The session after the change.</param>
/// <param name="HiddenMessages">How many stored messages now sit after the head, kept for redo.</param>
public sealed record HistoryResult(Session Session, long HiddenMessages);

/// <summary>Everything recorded about a session besides its messages.</summary>
public sealed record SessionDetails
{
    /// <summary>Snapshots, oldest first.</summary>
    public IReadOnlyList<Snapshot> Snapshots { get; init; } = [];

    /// <summary>Bookmarks, by position.</summary>
    public IReadOnlyList<Bookmark> Bookmarks { get; init; } = [];

    /// <summary>Tool runs, in order.</summary>
    public IReadOnlyList<ToolExecution> ToolExecutions { get; init; } = [];

    /// <summary>Files modified or created, in order.</summary>
    public IReadOnlyList<FileChange> Files { get; init; } = [];

    /// <summary>The ids of sessions forked from this one.</summary>
    public IReadOnlyList<string> Forks { get; init; } = [];

    /// <summary>Messages stored after the head, kept for redo.</summary>
    public long HiddenMessages { get; init; }

    /// <summary>Whether <see cref="ISessionStore.RedoAsync"/> has something to re-apply.</summary>
    public bool CanRedo { get; init; }

    /// <summary>Agents seen in the session: message authors, tool runners, file changers.</summary>
    public IReadOnlyList<string> AgentsUsed { get; init; } = [];
}

/// <summary>Filters for <see cref="ISessionStore.GetStatsAsync"/>.</summary>
public sealed record StatsQuery
{
    /// <summary>Only messages created at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }
}

/// <summary>Counts over the store.</summary>
public sealed record StoreStats
{
    /// <summary>Sessions.</summary>
    public long Sessions { get; init; }

    /// <summary>Visible messages.</summary>
    public long Messages { get; init; }

    /// <summary>Input tokens.</summary>
    public long InputTokens { get; init; }

    /// <summary>Output tokens.</summary>
    public long OutputTokens { get; init; }

    /// <summary>Per model (messages without a model use the session's model, else "(unknown)").</summary>
    public IReadOnlyList<TokenUsage> ByModel { get; init; } = [];

    /// <summary>Per UTC day (<c>yyyy-MM-dd</c>), oldest first.</summary>
    public IReadOnlyList<TokenUsage> ByDay { get; init; } = [];
}

/// <summary>Messages and tokens for one model or one day.</summary>
/// <param name="Key">The model or the day.</param>
/// <param name="Messages">Messages.</param>
/// <param name="InputTokens">Input tokens.</param>
/// <param name="OutputTokens">Output tokens.</param>
public sealed record TokenUsage(string Key, long Messages, long InputTokens, long OutputTokens);

/// <summary>What <see cref="ISessionStore.CheckAsync"/> found and did.</summary>
public sealed record DoctorReport
{
    /// <summary>Each check, in order.</summary>
    public required IReadOnlyList<DoctorCheck> Checks { get; init; }

    /// <summary>Whether every check passed (after repairs, when asked).</summary>
    public bool Healthy => Checks.All(c => c.Ok || c.Repaired);
}

/// <summary>One integrity check.</summary>
/// <param name="Name">What was checked.</param>
/// <param name="Ok">Whether it passed.</param>
/// <param name="Detail">What was found.</param>
/// <param name="Repaired">Whether a failure was repaired.</param>
public sealed record DoctorCheck(string Name, bool Ok, string Detail, bool Repaired = false)
{
    /// <summary>Whether a check with repair would fix what this one found.</summary>
    public bool Repairable { get; init; }
}
