namespace AgentSessions.Storage;

/// <summary>The storage contract every AgentSessions backend implements.</summary>
/// <remarks>
/// <para>
/// The contract is deliberately narrow and speaks the domain's words; everything else (auto-titles' rules,
/// formats, front ends) lives above it in <see cref="SessionService"/>. The conformance suite in
/// AgentSessions.Specification.Tests pins down the behaviour every implementation must share.
/// </para>
/// <para>
/// Rules common to all members: ids are validated with <see cref="SessionIds.Validate"/> before they reach a
/// query; a missing session raises <see cref="ErrorCode.NotFound"/>; an operation is atomic (it happens whole
/// or not at all); when a method returns, its change is as durable as the store's configured durability
/// promises. Implementations are safe for concurrent use from many threads, and from many processes where
/// the backend allows it.
/// </para>
/// </remarks>
public interface ISessionStore : IAsyncDisposable
{
    /// <summary>A short description of where the data lives, for <c>info</c> and error messages.</summary>
    string Location { get; }

    /// <summary>Creates a session.</summary>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.Conflict"/> when the id is taken.</exception>
    ValueTask<Session> CreateAsync(NewSession session, CancellationToken cancellationToken = default);

    /// <summary>Reads a session's fields and totals, or <see langword="null"/> when it does not exist.</summary>
    ValueTask<Session?> GetAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary>Appends messages atomically and returns them with their ids and sequence numbers.</summary>
    /// <remarks>
    /// Sequence numbers continue the session's gap-free sequence even under concurrent appends. The session's
    /// totals and <see cref="Session.UpdatedAt"/> change in the same transaction. When the session has no
    /// title, the first user message with text sets one (<see cref="SessionTitles.FromText"/>). The cost does
    /// not depend on the session's length.
    /// </remarks>
    ValueTask<AppendResult> AppendAsync(string sessionId, IReadOnlyList<NewMessage> messages, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the session's last message with <paramref name="messages"/> (the first takes its place and sequence
    /// number, the rest follow), atomically, and only while <paramref name="lastMessageId"/> is still the last message.
    /// </summary>
    /// <remarks>
    /// What a streaming writer needs to turn a checkpointed partial answer into the final one without a window in
    /// which the store holds both or neither. The session's totals are adjusted by the difference. A fork made from
    /// the partial keeps its own copy. When messages hidden by an undo or restore follow the last visible message,
    /// the replacement is refused rather than touching them. A first replacement without an id keeps the replaced
    /// message's id. The default implementation refuses: a backend that
    /// cannot do this atomically must not pretend to.
    /// </remarks>
    /// <exception cref="AgentSessionsException">
    /// <see cref="ErrorCode.Conflict"/> when the last message is not <paramref name="lastMessageId"/> (nothing changes);
    /// <see cref="ErrorCode.NotFound"/> when the session does not exist.
    /// </exception>
    ValueTask<AppendResult> ReplaceLastMessageAsync(string sessionId, string lastMessageId, IReadOnlyList<NewMessage> messages, CancellationToken cancellationToken = default)
        => throw new AgentSessionsException(ErrorCode.InvalidArgument, $"this store ({GetType().Name}) cannot replace a message");

    /// <summary>Streams a session's messages in sequence order.</summary>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.NotFound"/> when the session does not exist.</exception>
    IAsyncEnumerable<SessionMessage> ReadAsync(string sessionId, MessageRange range = default, CancellationToken cancellationToken = default);

    /// <summary>Streams a session's messages in sequence order with their content left as JSON.</summary>
    /// <remarks>
    /// The same messages as <see cref="ReadAsync"/>, for callers that write them out again without looking inside.
    /// The default converts what <see cref="ReadAsync"/> returns; a store that keeps the parts as JSON overrides
    /// it to skip building and serializing the model. Every <see cref="SessionMessageJson.PartsJson"/> and
    /// <see cref="SessionMessageJson.MetadataJson"/> handed over is well-formed JSON: callers copy it unchecked, so
    /// a store must check rows it did not build itself and fail on a damaged one.
    /// </remarks>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.NotFound"/> when the session does not exist;
    /// <see cref="ErrorCode.Corrupt"/> on a stored row whose JSON is damaged.</exception>
    IAsyncEnumerable<SessionMessageJson> ReadJsonAsync(string sessionId, MessageRange range = default, CancellationToken cancellationToken = default)
        => SessionMessageJson.FromMessages(ReadAsync(sessionId, range, cancellationToken), cancellationToken);

    /// <summary>Lists sessions, most recently updated first.</summary>
    ValueTask<SessionPage> ListAsync(SessionQuery query, CancellationToken cancellationToken = default);

    /// <summary>Changes a session's descriptive fields and returns the result.</summary>
    ValueTask<Session> UpdateAsync(string sessionId, SessionUpdate update, CancellationToken cancellationToken = default);

    /// <summary>Deletes a session and its messages; returns <see langword="false"/> when it did not exist.</summary>
    /// <remarks>
    /// Everything recorded about the session goes in the same transaction, its share links included: a link dies
    /// with the session it was made for and never reaches a later session that takes the same id.
    /// </remarks>
    ValueTask<bool> DeleteAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary>Full-text search over message text and session titles, best match first.</summary>
    IAsyncEnumerable<SearchHit> SearchAsync(SearchQuery query, CancellationToken cancellationToken = default);

    /// <summary>Writes a whole session exactly as given (ids, times, sequence numbers, history kept) in one transaction.</summary>
    /// <param name="archive">The session, its messages (numbered 1..n without gaps) and its history; totals are recomputed.</param>
    /// <param name="replace">
    /// Replace an existing session with the same id instead of failing with <see cref="ErrorCode.Conflict"/>; the
    /// replaced session is deleted as by <see cref="DeleteAsync"/>, share links and all.
    /// </param>
    /// <param name="expected">
    /// With <paramref name="replace"/>: the stored session as the caller read it. The replace happens only if the
    /// session still has that <see cref="Session.UpdatedAt"/> and <see cref="Session.MessageCount"/> inside the
    /// import's transaction; otherwise nothing is written and the import fails with <see cref="ErrorCode.Conflict"/>,
    /// so a write that came in between (an append by another process) is never replaced unseen.
    /// </param>
    /// <param name="cancellationToken">Cancels the import; nothing is written then.</param>
    ValueTask<Session> ImportAsync(SessionArchive archive, bool replace = false, Session? expected = null, CancellationToken cancellationToken = default);

    // ---- history ----

    /// <summary>Marks the session's current state (a pointer, not a copy).</summary>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.Conflict"/> when the name is taken in this session.</exception>
    ValueTask<Snapshot> CreateSnapshotAsync(string sessionId, string name, string? description = null, CancellationToken cancellationToken = default);

    /// <summary>Returns the session to a snapshot's state; the messages after it stay stored for <see cref="RedoAsync"/>.</summary>
    ValueTask<HistoryResult> RestoreAsync(string sessionId, string snapshotName, CancellationToken cancellationToken = default);

    /// <summary>Steps back one exchange: hides the last user message and everything after it (kept for redo).</summary>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.Conflict"/> when there is no user message to undo.</exception>
    ValueTask<HistoryResult> UndoAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary>Re-applies the state the last undo or restore stepped away from.</summary>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.Conflict"/> when there is nothing to redo.</exception>
    ValueTask<HistoryResult> RedoAsync(string sessionId, CancellationToken cancellationToken = default);

    /// <summary>Creates a new session holding the first <paramref name="atSequence"/> messages (default: all visible ones).</summary>
    /// <remarks>The fork records its parent and fork point; bookmarks, tool executions and file changes up to the fork point come along.</remarks>
    ValueTask<Session> ForkAsync(string sessionId, long? atSequence, NewSession fork, CancellationToken cancellationToken = default);

    /// <summary>Names a position in the session (default: its last message).</summary>
    ValueTask<Bookmark> AddBookmarkAsync(string sessionId, string name, long? atSequence = null, string? note = null, CancellationToken cancellationToken = default);

    /// <summary>Records a tool run.</summary>
    ValueTask<ToolExecution> RecordToolExecutionAsync(string sessionId, ToolExecution execution, CancellationToken cancellationToken = default);

    /// <summary>Records a file the session modified or created.</summary>
    ValueTask<FileChange> RecordFileChangeAsync(string sessionId, FileChange change, CancellationToken cancellationToken = default);

    /// <summary>Everything recorded about a session besides its messages: snapshots, bookmarks, tool runs, files, forks.</summary>
    ValueTask<SessionDetails> GetDetailsAsync(string sessionId, CancellationToken cancellationToken = default);

    // ---- share links ----

    /// <summary>Stores a share link (the caller made the token and hashed any password).</summary>
    /// <remarks>The link is bound to the session as it is now, not to its id: deleting the session deletes the link.</remarks>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.NotFound"/> when the session does not exist.</exception>
    ValueTask CreateShareAsync(Share share, CancellationToken cancellationToken = default);

    /// <summary>Finds a share link by its token, revoked ones included; <see langword="null"/> when unknown or when its session was deleted.</summary>
    ValueTask<Share?> GetShareAsync(string token, CancellationToken cancellationToken = default);

    /// <summary>Lists share links, newest first: of one session, or all; revoked ones only when asked.</summary>
    ValueTask<IReadOnlyList<Share>> ListSharesAsync(string? sessionId = null, bool includeRevoked = false, CancellationToken cancellationToken = default);

    /// <summary>Revokes a share link; returns <see langword="false"/> when it was unknown or already revoked.</summary>
    ValueTask<bool> RevokeShareAsync(string token, CancellationToken cancellationToken = default);

    // ---- store health ----

    /// <summary>Counts sessions, messages and tokens, by model and by day.</summary>
    ValueTask<StoreStats> GetStatsAsync(StatsQuery query, CancellationToken cancellationToken = default);

    /// <summary>Checks the store's integrity; with <paramref name="repair"/>, repairs what can be repaired.</summary>
    ValueTask<DoctorReport> CheckAsync(bool repair, CancellationToken cancellationToken = default);

    /// <summary>Describes the store: location, schema, counts, sizes.</summary>
    ValueTask<StoreInfo> GetInfoAsync(CancellationToken cancellationToken = default);
}
