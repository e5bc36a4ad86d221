using AgentSessions.Storage;

namespace AgentSessions;

public sealed partial class SessionService
{
    /// <summary>Appends one message; answered only once it is durable.</summary>
    public async ValueTask<SessionMessage> AppendAsync(string sessionId, NewMessage message, CancellationToken cancellationToken = default)
        => (await Store.AppendAsync(sessionId, [message], cancellationToken).ConfigureAwait(false)).Messages[0];

    /// <summary>Appends several messages atomically (all or none), in order; answered only once they are durable.</summary>
    public ValueTask<AppendResult> AppendAsync(string sessionId, IReadOnlyList<NewMessage> messages, CancellationToken cancellationToken = default)
        => Store.AppendAsync(sessionId, messages, cancellationToken);

    /// <summary>
    /// Replaces the last message with <paramref name="messages"/> in one transaction, only while its id is still
    /// <paramref name="lastMessageId"/>: how a streamed answer's checkpoint becomes the final answer.
    /// </summary>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.Conflict"/> when another message is last by now (nothing changes).</exception>
    public ValueTask<AppendResult> ReplaceLastMessageAsync(string sessionId, string lastMessageId, IReadOnlyList<NewMessage> messages, CancellationToken cancellationToken = default)
        => Store.ReplaceLastMessageAsync(sessionId, lastMessageId, messages, cancellationToken);

    /// <summary>Streams messages in sequence order.</summary>
    public IAsyncEnumerable<SessionMessage> ReadAsync(string sessionId, MessageRange range = default, CancellationToken cancellationToken = default)
        => Store.ReadAsync(sessionId, range, cancellationToken);

    /// <summary>Streams messages with their content left as JSON (see <see cref="ISessionStore.ReadJsonAsync"/>).</summary>
    public IAsyncEnumerable<SessionMessageJson> ReadJsonAsync(string sessionId, MessageRange range = default, CancellationToken cancellationToken = default)
        => Store.ReadJsonAsync(sessionId, range, cancellationToken);

    /// <summary>A session's history and records: snapshots, bookmarks, forks, tool runs, files, redo state.</summary>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.NotFound"/> when the session does not exist.</exception>
    public ValueTask<SessionDetails> GetDetailsAsync(string sessionId, CancellationToken cancellationToken = default)
        => Store.GetDetailsAsync(sessionId, cancellationToken);

    /// <summary>Records a tool run of a session.</summary>
    public ValueTask<ToolExecution> RecordToolExecutionAsync(string sessionId, ToolExecution execution, CancellationToken cancellationToken = default)
        => Store.RecordToolExecutionAsync(sessionId, execution, cancellationToken);

    /// <summary>Records a file the session touched.</summary>
    public ValueTask<FileChange> RecordFileChangeAsync(string sessionId, FileChange change, CancellationToken cancellationToken = default)
        => Store.RecordFileChangeAsync(sessionId, change, cancellationToken);
}
