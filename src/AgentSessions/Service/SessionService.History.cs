using AgentSessions.Storage;

namespace AgentSessions;

public sealed partial class SessionService
{
    /// <summary>Names the session's current state so that it can be restored later.</summary>
    public ValueTask<Snapshot> CreateSnapshotAsync(string sessionId, string name, string? description = null, CancellationToken cancellationToken = default)
        => Store.CreateSnapshotAsync(sessionId, name, description, cancellationToken);

    /// <summary>Brings the session back to a snapshot; redo steps forward again.</summary>
    public ValueTask<HistoryResult> RestoreAsync(string sessionId, string snapshotName, CancellationToken cancellationToken = default)
        => Store.RestoreAsync(sessionId, snapshotName, cancellationToken);

    /// <summary>Steps back one exchange: the last user message and what followed.</summary>
    public ValueTask<HistoryResult> UndoAsync(string sessionId, CancellationToken cancellationToken = default)
        => Store.UndoAsync(sessionId, cancellationToken);

    /// <summary>Re-applies what the last undo or restore stepped away from.</summary>
    public ValueTask<HistoryResult> RedoAsync(string sessionId, CancellationToken cancellationToken = default)
        => Store.RedoAsync(sessionId, cancellationToken);

    /// <summary>Copies a session up to a message (default: all) into a new session that records its origin.</summary>
    public ValueTask<Session> ForkAsync(string sessionId, long? atSequence, NewSession fork, CancellationToken cancellationToken = default)
        => Store.ForkAsync(sessionId, atSequence, fork, cancellationToken);

    /// <summary>Names a message of the session (default: the last one).</summary>
    public ValueTask<Bookmark> AddBookmarkAsync(string sessionId, string name, long? atSequence = null, string? note = null, CancellationToken cancellationToken = default)
        => Store.AddBookmarkAsync(sessionId, name, atSequence, note, cancellationToken);
}
