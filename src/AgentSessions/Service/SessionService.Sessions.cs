using AgentSessions.Storage;

namespace AgentSessions;

public sealed partial class SessionService
{
    /// <summary>Creates a session.</summary>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.Conflict"/> when the id is taken; <see cref="ErrorCode.InvalidArgument"/> for a bad id or field.</exception>
    public ValueTask<Session> CreateAsync(NewSession session, CancellationToken cancellationToken = default)
        => Store.CreateAsync(session, cancellationToken);

    /// <summary>Reads a session, failing with <see cref="ErrorCode.NotFound"/> when it does not exist.</summary>
    public async ValueTask<Session> GetAsync(string sessionId, CancellationToken cancellationToken = default)
        => await Store.GetAsync(sessionId, cancellationToken).ConfigureAwait(false)
            ?? throw AgentSessionsException.SessionNotFound(sessionId);

    /// <summary>Reads a session, or null when it does not exist.</summary>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.InvalidArgument"/> for a malformed id.</exception>
    public ValueTask<Session?> FindAsync(string sessionId, CancellationToken cancellationToken = default)
        => Store.GetAsync(sessionId, cancellationToken);

    /// <summary>Lists sessions, newest update first, one page at a time.</summary>
    public ValueTask<SessionPage> ListAsync(SessionQuery query, CancellationToken cancellationToken = default)
        => Store.ListAsync(query, cancellationToken);

    /// <summary>Changes a session's fields in one step (title, tags, pin, model, metadata); null fields stay.</summary>
    /// <remarks>A title is trimmed and must have visible text and no control characters; the store applies the update
    /// through <see cref="Storage.SessionRules.PrepareUpdate"/>, which checks it.</remarks>
    public ValueTask<Session> UpdateAsync(string sessionId, SessionUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        return Store.UpdateAsync(sessionId, update, cancellationToken);
    }

    /// <summary>Renames a session.</summary>
    public ValueTask<Session> RenameAsync(string sessionId, string title, CancellationToken cancellationToken = default)
        => Store.UpdateAsync(sessionId, new SessionUpdate { Title = SessionTitles.ValidateTitle(title) }, cancellationToken);

    /// <summary>Adds and removes tags.</summary>
    public ValueTask<Session> TagAsync(string sessionId, IReadOnlyList<string> add, IReadOnlyList<string> remove, CancellationToken cancellationToken = default)
        => Store.UpdateAsync(sessionId, new SessionUpdate { AddTags = add, RemoveTags = remove }, cancellationToken);

    /// <summary>Pins or unpins a session.</summary>
    public ValueTask<Session> PinAsync(string sessionId, bool pinned, CancellationToken cancellationToken = default)
        => Store.UpdateAsync(sessionId, new SessionUpdate { Pinned = pinned }, cancellationToken);

    /// <summary>Deletes a session and everything it owns.</summary>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.NotFound"/> when it does not exist.</exception>
    public async ValueTask DeleteAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        if (!await Store.DeleteAsync(sessionId, cancellationToken).ConfigureAwait(false))
        {
            throw AgentSessionsException.SessionNotFound(sessionId);
        }
    }

    /// <summary>Full-text search over messages, best match first, bounded in cost.</summary>
    public IAsyncEnumerable<SearchHit> SearchAsync(SearchQuery query, CancellationToken cancellationToken = default)
        => Store.SearchAsync(query, cancellationToken);
}
