using System.ComponentModel;
using AgentSessions.Storage;
using ModelContextProtocol.Server;

namespace AgentSessions.Mcp;

/// <summary>The read tools: search, list, read and describe the store's sessions. Always offered.</summary>
/// <remarks>
/// Every result is sized for a model's context: pages with a "more" flag and a cursor, message texts cut at
/// <see cref="MaxMessageChars"/>, a read window cut at <see cref="MaxReadChars"/>. Bad arguments throw
/// <see cref="AgentSessionsException"/>, which <see cref="ToolErrors"/> turns into a tool error the model can read.
/// </remarks>
[McpServerToolType]
public sealed class SessionTools(SessionService service)
{
    /// <summary>The most characters of one message's text <c>read_session</c> returns.</summary>
    public const int MaxMessageChars = 4_000;

    /// <summary>The most characters of message text one <c>read_session</c> call returns (at least one message).</summary>
    public const int MaxReadChars = 60_000;

    /// <summary>The most files <c>session_info</c> lists.</summary>
    public const int MaxFiles = 100;

    /// <summary>Full-text search over every stored message.</summary>
    [McpServerTool(Name = "search_sessions", Title = "Search past sessions", ReadOnly = true, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("Full-text search over the messages of every stored agent session, best match first. Every word must match; a trailing * makes a word a prefix; \"quoted words\" match as a phrase. Returns short snippets with the session id and message position (seq): read the context with read_session. Paged: pass nextCursor as cursor for more.")]
    public async Task<SearchResult> SearchSessions(
        [Description("The words to find (at most 1,000 characters).")] string query,
        [Description("How many hits to return, 1 to 50 (default 10).")] int limit = 10,
        [Description("The nextCursor of the previous page; leave out for the first page.")] string? cursor = null,
        [Description("Only sessions with this tag.")] string? tag = null,
        [Description("Only messages of this role: user, assistant, system or tool.")] string? role = null,
        [Description("Only this session (its id).")] string? sessionId = null,
        [Description("Only messages written at or after this time (ISO 8601, e.g. 2026-01-31 or 2026-01-31T12:00:00Z).")] DateTimeOffset? since = null,
        CancellationToken cancellationToken = default)
    {
        Paging.Limit(limit, 50);
        var offset = Paging.Offset(cursor, Paging.MaxSearchDepth - limit);
        var search = new SearchQuery(query ?? throw Paging.Invalid("'query' is required"))
        {
            // One more than the page, to know whether another page follows.
            Limit = offset + limit + 1,
            Tag = tag,
            Role = role is null ? null : MessageRoles.Parse(role),
            SessionId = sessionId is null ? null : SessionIds.Validate(sessionId),
            Since = since,
        };

        var hits = new List<SearchHitResult>(limit);
        var seen = 0;
        await foreach (var hit in service.SearchAsync(search, cancellationToken).ConfigureAwait(false))
        {
            if (seen++ < offset)
            {
                continue;
            }

            if (hits.Count == limit)
            {
                return new SearchResult(hits, More: true, Paging.Next(offset + limit < Paging.MaxSearchDepth, offset + limit));
            }

            hits.Add(new SearchHitResult(hit.SessionId, hit.SessionTitle, hit.Sequence, hit.Role?.ToWireName(), hit.CreatedAt, hit.Snippet));
        }

        return new SearchResult(hits, More: false, NextCursor: null);
    }

    /// <summary>Lists sessions, most recently updated first.</summary>
    [McpServerTool(Name = "list_sessions", Title = "List past sessions", ReadOnly = true, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("Lists the stored agent sessions, most recently updated first, with title, size, tags, model and project. Filter by tag, project directory or title text. Paged: pass nextCursor as cursor for more.")]
    public async Task<SessionListResult> ListSessions(
        [Description("How many sessions to return, 1 to 100 (default 20).")] int limit = 20,
        [Description("The nextCursor of the previous page; leave out for the first page.")] string? cursor = null,
        [Description("Only sessions with this tag.")] string? tag = null,
        [Description("Only sessions of this project directory (an absolute path, or relative to the server's working directory).")] string? project = null,
        [Description("Only sessions whose title contains this text.")] string? title = null,
        CancellationToken cancellationToken = default)
    {
        Paging.Limit(limit, 100);
        var offset = Paging.Offset(cursor, Paging.MaxListOffset);
        var page = await service.ListAsync(new SessionQuery
        {
            Limit = limit,
            Offset = offset,
            Tag = tag,
            ProjectPath = project is null ? null : ProjectPath(project),
            TitleContains = title,
        }, cancellationToken).ConfigureAwait(false);

        var sessions = page.Sessions.Select(s => new SessionSummary(s.Id, s.Title, s.UpdatedAt, s.MessageCount, s.Tags, s.Model, s.ProjectPath)).ToList();
        var more = page.HasMore && offset + limit <= Paging.MaxListOffset;
        return new SessionListResult(sessions, more, Paging.Next(more, offset + limit));
    }

    /// <summary>Reads a window of a session's messages.</summary>
    [McpServerTool(Name = "read_session", Title = "Read a past session", ReadOnly = true, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("Reads the messages of one session in order, from a position (seq) or after a bookmark, a window at a time. Long texts are cut (truncated: true) and tool calls and results are summarised in one line each; the whole session is also the resource agent-sessions://session/{id}. Pass nextFrom as from to read on.")]
    public async Task<ReadResult> ReadSession(
        [Description("The session id (from search_sessions or list_sessions).")] string sessionId,
        [Description("The first message to return, by position (seq, 1-based; default 1).")] long from = 1,
        [Description("How many messages to return, 1 to 200 (default 50); fewer when their text is long.")] int limit = 50,
        [Description("Start after the message this bookmark names (see session_info); combines with from, the later wins.")] string? sinceBookmark = null,
        CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        Paging.Limit(limit, 200);
        if (from < 1)
        {
            throw Paging.Invalid($"'from' must be 1 or more; got {from}");
        }

        var session = await service.GetAsync(sessionId, cancellationToken).ConfigureAwait(false);
        if (sinceBookmark is not null)
        {
            var details = await service.GetDetailsAsync(sessionId, cancellationToken).ConfigureAwait(false);
            var bookmark = details.Bookmarks.FirstOrDefault(b => b.Name == sinceBookmark)
                ?? throw new AgentSessionsException(ErrorCode.NotFound, $"session '{sessionId}' has no bookmark {Paging.Quote(sinceBookmark)}; session_info lists its bookmarks");
            from = Math.Max(from, bookmark.Sequence + 1);
        }

        var messages = new List<MessageResult>();
        var budget = MaxReadChars;
        long? nextFrom = null;
        await foreach (var message in service.ReadAsync(sessionId, new MessageRange(from, limit), cancellationToken).ConfigureAwait(false))
        {
            var (text, truncated) = MessageSummary.Of(message, MaxMessageChars);
            if (messages.Count > 0 && text.Length > budget)
            {
                nextFrom = message.Sequence;
                break;
            }

            budget -= text.Length;
            messages.Add(new MessageResult(message.Sequence, message.Role.ToWireName(), message.AuthorName, message.CreatedAt, text, truncated));
        }

        if (nextFrom is null && messages.Count > 0 && messages[^1].Seq < session.MessageCount)
        {
            nextFrom = messages[^1].Seq + 1;
        }

        return new ReadResult(session.Id, session.Title, session.MessageCount, messages, nextFrom is not null, nextFrom);
    }

    /// <summary>Describes one session: its fields, lineage, bookmarks, tool use and files.</summary>
    [McpServerTool(Name = "session_info", Title = "Describe a past session", ReadOnly = true, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("Describes one session without its messages: title, model, project, tags, message count, tokens spent, lineage (parent and forks), bookmarks, agents, tool runs by tool, and the files it modified or created.")]
    public async Task<SessionInfoResult> SessionInfo(
        [Description("The session id (from search_sessions or list_sessions).")] string sessionId,
        CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        var session = await service.GetAsync(sessionId, cancellationToken).ConfigureAwait(false);
        var details = await service.GetDetailsAsync(sessionId, cancellationToken).ConfigureAwait(false);
        return new SessionInfoResult
        {
            Id = session.Id,
            Title = session.Title,
            Model = session.Model,
            Project = session.ProjectPath,
            CreatedAt = session.CreatedAt,
            UpdatedAt = session.UpdatedAt,
            Tags = session.Tags,
            Pinned = session.Pinned,
            MessageCount = session.MessageCount,
            InputTokens = session.InputTokens,
            OutputTokens = session.OutputTokens,
            ParentId = session.ParentId,
            ForkSeq = session.ForkSequence,
            Forks = details.Forks,
            Bookmarks = [.. details.Bookmarks.Select(b => new BookmarkResult(b.Name, b.Sequence, b.Note))],
            Agents = details.AgentsUsed,
            ToolRuns = [.. details.ToolExecutions
                .GroupBy(t => t.ToolName, StringComparer.Ordinal)
                .Select(g => new ToolUse(g.Key, g.Count(), g.Count(t => !t.Success)))
                .OrderByDescending(u => u.Runs).ThenBy(u => u.Tool, StringComparer.Ordinal)],
            // The latest change of each path, in the order the paths were first touched.
            Files = [.. details.Files
                .GroupBy(f => f.Path, StringComparer.Ordinal)
                .Take(MaxFiles)
                .Select(g => new FileResult(g.Key, g.Any(f => f.Kind == FileChangeKind.Created) ? "created" : "modified"))],
            FileCount = details.Files.Select(f => f.Path).Distinct(StringComparer.Ordinal).Count(),
        };
    }

    /// <summary>A project path as the store keeps it: absolute (relative ones against the server's directory).</summary>
    internal static string ProjectPath(string project)
    {
        try
        {
            return Path.GetFullPath(project);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw Paging.Invalid($"'project' {Paging.Quote(project)} is not a path: {e.Message}");
        }
    }
}
