using System.ComponentModel;
using System.Text.Json.Serialization;

namespace AgentSessions.Mcp;

/// <summary>What <c>search_sessions</c> returns: one page of hits, best first.</summary>
/// <param name="Hits">The hits of this page.</param>
/// <param name="More">Whether more hits follow; pass <paramref name="NextCursor"/> to get them.</param>
/// <param name="NextCursor">The cursor of the next page, or null on the last page.</param>
public sealed record SearchResult(
    IReadOnlyList<SearchHitResult> Hits,
    [property: Description("Whether more hits follow (pass nextCursor as cursor to get them).")] bool More,
    [property: Description("The cursor of the next page; null on the last page.")] string? NextCursor);

/// <summary>One search hit.</summary>
/// <param name="SessionId">The session the hit is in.</param>
/// <param name="Title">The session's title.</param>
/// <param name="Seq">The matching message's position (null for a match in the title).</param>
/// <param name="Role">The matching message's role (null for a title match).</param>
/// <param name="CreatedAt">When the message was written (UTC).</param>
/// <param name="Snippet">A short plain-text excerpt around the match.</param>
public sealed record SearchHitResult(string SessionId, string? Title, long? Seq, string? Role, DateTimeOffset CreatedAt, string Snippet);

/// <summary>What <c>list_sessions</c> returns: one page of sessions, most recently updated first.</summary>
/// <param name="Sessions">The sessions of this page.</param>
/// <param name="More">Whether more sessions follow.</param>
/// <param name="NextCursor">The cursor of the next page, or null on the last page.</param>
public sealed record SessionListResult(
    IReadOnlyList<SessionSummary> Sessions,
    [property: Description("Whether more sessions follow (pass nextCursor as cursor to get them).")] bool More,
    [property: Description("The cursor of the next page; null on the last page.")] string? NextCursor);

/// <summary>A session in a list.</summary>
/// <param name="Id">The session id.</param>
/// <param name="Title">The title.</param>
/// <param name="UpdatedAt">When it last changed (UTC).</param>
/// <param name="MessageCount">How many messages it holds.</param>
/// <param name="Tags">Its tags.</param>
/// <param name="Model">The model it talked to, if known.</param>
/// <param name="Project">Its project directory, if any.</param>
public sealed record SessionSummary(string Id, string? Title, DateTimeOffset UpdatedAt, long MessageCount, IReadOnlyList<string> Tags, string? Model, string? Project);

/// <summary>What <c>read_session</c> returns: one window of a session's messages.</summary>
/// <param name="SessionId">The session id.</param>
/// <param name="Title">The title.</param>
/// <param name="Total">How many messages the session holds in all.</param>
/// <param name="Messages">The messages of this window, in order.</param>
/// <param name="More">Whether messages follow this window.</param>
/// <param name="NextFrom">The <c>from</c> of the next window, or null after the last message.</param>
public sealed record ReadResult(
    string SessionId,
    string? Title,
    [property: Description("How many messages the session holds in all.")] long Total,
    IReadOnlyList<MessageResult> Messages,
    [property: Description("Whether messages follow (pass nextFrom as from to read them).")] bool More,
    [property: Description("The 'from' of the next window; null after the last message.")] long? NextFrom);

/// <summary>A message as a model reads it: its text, with tool calls and results summarised.</summary>
/// <param name="Seq">Its position in the session (1-based).</param>
/// <param name="Role">user, assistant, system or tool.</param>
/// <param name="Author">The author or agent name, if any.</param>
/// <param name="CreatedAt">When it was written (UTC).</param>
/// <param name="Text">Its text; tool calls and results appear as one-line summaries.</param>
/// <param name="Truncated">Whether <paramref name="Text"/> was cut at the size limit.</param>
public sealed record MessageResult(long Seq, string Role, string? Author, DateTimeOffset CreatedAt, string Text, bool Truncated);

/// <summary>What <c>session_info</c> returns.</summary>
public sealed record SessionInfoResult
{
    /// <summary>The session id.</summary>
    public required string Id { get; init; }

    /// <summary>The title.</summary>
    public string? Title { get; init; }

    /// <summary>The model, if known.</summary>
    public string? Model { get; init; }

    /// <summary>The project directory, if any.</summary>
    public string? Project { get; init; }

    /// <summary>When it was created (UTC).</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it last changed (UTC).</summary>
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Its tags.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Whether it is pinned.</summary>
    public bool Pinned { get; init; }

    /// <summary>How many messages it holds.</summary>
    public long MessageCount { get; init; }

    /// <summary>Input tokens spent, over all its messages.</summary>
    public long InputTokens { get; init; }

    /// <summary>Output tokens spent, over all its messages.</summary>
    public long OutputTokens { get; init; }

    /// <summary>The session it was forked from, if any.</summary>
    public string? ParentId { get; init; }

    /// <summary>The parent's message after which it diverged, if forked.</summary>
    public long? ForkSeq { get; init; }

    /// <summary>The sessions forked from it.</summary>
    public IReadOnlyList<string> Forks { get; init; } = [];

    /// <summary>Its bookmarks.</summary>
    public IReadOnlyList<BookmarkResult> Bookmarks { get; init; } = [];

    /// <summary>The agents that took part.</summary>
    public IReadOnlyList<string> Agents { get; init; } = [];

    /// <summary>How many tool runs it recorded, by tool name (the most used first).</summary>
    public IReadOnlyList<ToolUse> ToolRuns { get; init; } = [];

    /// <summary>The files it touched (at most <see cref="SessionTools.MaxFiles"/>; see <see cref="FileCount"/>).</summary>
    public IReadOnlyList<FileResult> Files { get; init; } = [];

    /// <summary>How many files it touched in all.</summary>
    public int FileCount { get; init; }
}

/// <summary>A bookmark: a named message.</summary>
/// <param name="Name">The name.</param>
/// <param name="Seq">The message it marks.</param>
/// <param name="Note">Its note, if any.</param>
public sealed record BookmarkResult(string Name, long Seq, string? Note);

/// <summary>How often a tool ran in a session.</summary>
/// <param name="Tool">The tool's name.</param>
/// <param name="Runs">How many runs were recorded.</param>
/// <param name="Failed">How many of them failed.</param>
public sealed record ToolUse(string Tool, int Runs, int Failed);

/// <summary>A file a session touched.</summary>
/// <param name="Path">The path, as the agent reported it.</param>
/// <param name="Kind">modified or created.</param>
public sealed record FileResult(string Path, string Kind);

/// <summary>What <c>add_note</c> returns.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="MessageId">The new message's id.</param>
/// <param name="Seq">The new message's position.</param>
public sealed record NoteResult(string SessionId, string MessageId, long Seq);

/// <summary>What <c>tag</c> returns: the session's tags after the change.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="Tags">Its tags now.</param>
public sealed record TagResult(string SessionId, IReadOnlyList<string> Tags);

/// <summary>What <c>bookmark</c> returns.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="Bookmark">The bookmark set.</param>
public sealed record BookmarkSetResult(string SessionId, BookmarkResult Bookmark);

/// <summary>Source-generated metadata for the tools' parameters and results: faster start-up than reflection.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(SearchResult))]
[JsonSerializable(typeof(SessionListResult))]
[JsonSerializable(typeof(ReadResult))]
[JsonSerializable(typeof(SessionInfoResult))]
[JsonSerializable(typeof(NoteResult))]
[JsonSerializable(typeof(TagResult))]
[JsonSerializable(typeof(BookmarkSetResult))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(int?))]
[JsonSerializable(typeof(long?))]
internal sealed partial class McpToolsJsonContext : JsonSerializerContext;
