using AgentSessions.Storage;

namespace AgentSessions;

/// <summary>
/// One client's view of the store: a current session, and messages appended to it with "defer" that are held in
/// memory until they are saved. What an editor connection (RPC) or a chat front end keeps between calls.
/// </summary>
/// <remarks>
/// <para>
/// Deferred messages live only in this object until <see cref="SaveAsync"/> writes them in one transaction (all
/// or none). <see cref="SwitchAsync"/> and <see cref="CreateAsync"/> save them first, and a plain
/// <see cref="AppendAsync"/> to the current session writes them ahead of its own messages in the same
/// transaction, so the order stays the one the client sent. Deferred messages not saved before the object is
/// dropped are lost: that is what deferring means, and why it is opt-in.
/// </para>
/// <para>
/// A failed save keeps the messages pending, so nothing is lost and the client can retry or
/// <see cref="Discard"/>. Not thread-safe: one client, one conversation.
/// </para>
/// </remarks>
public sealed class Conversation
{
    /// <summary>The default for the most deferred messages held at once.</summary>
    public const int DefaultMaxPendingMessages = 10_000;

    private readonly SessionService _service;
    private readonly int _maxPendingMessages;
    private readonly long _maxPendingBytes;
    private readonly List<NewMessage> _pending = [];
    private long _pendingBytes;

    /// <summary>Creates a conversation with no current session.</summary>
    /// <param name="service">The store's front door.</param>
    /// <param name="maxPendingBytes">About how much memory deferred messages may take; beyond it the client must save.</param>
    /// <param name="maxPendingMessages">The most deferred messages held at once.</param>
    public Conversation(SessionService service, long maxPendingBytes, int maxPendingMessages = DefaultMaxPendingMessages)
    {
        _service = service ?? throw new ArgumentNullException(nameof(service));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPendingBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPendingMessages);
        _maxPendingBytes = maxPendingBytes;
        _maxPendingMessages = maxPendingMessages;
    }

    /// <summary>The current session's id, or null.</summary>
    public string? CurrentId { get; private set; }

    /// <summary>How many deferred messages wait to be saved.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>The current session as stored (deferred messages not counted), or null when there is none or it is gone.</summary>
    public async ValueTask<Session?> GetCurrentAsync(CancellationToken cancellationToken = default)
        => CurrentId is null ? null : await _service.FindAsync(CurrentId, cancellationToken).ConfigureAwait(false);

    /// <summary>Makes an existing session current, saving the old one's deferred messages first.</summary>
    /// <returns>What was saved, or null when nothing was pending.</returns>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.NotFound"/> when the session does not exist (nothing changes).</exception>
    public async ValueTask<AppendResult?> SwitchAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        // The target must exist before anything changes; then the old session's pending messages are saved,
        // and only when that worked does the current session change.
        await _service.GetAsync(sessionId, cancellationToken).ConfigureAwait(false);
        var saved = await SaveAsync(cancellationToken).ConfigureAwait(false);
        CurrentId = sessionId;
        return saved;
    }

    /// <summary>Creates a session and, when <paramref name="makeCurrent"/>, makes it current (saving the old one's deferred messages first).</summary>
    public async ValueTask<Session> CreateAsync(NewSession session, bool makeCurrent = true, CancellationToken cancellationToken = default)
    {
        if (makeCurrent)
        {
            await SaveAsync(cancellationToken).ConfigureAwait(false);
        }

        var created = await _service.CreateAsync(session, cancellationToken).ConfigureAwait(false);
        if (makeCurrent)
        {
            CurrentId = created.Id;
        }

        return created;
    }

    /// <summary>Appends durably. Deferred messages of the same session go first, in the same transaction.</summary>
    public async ValueTask<AppendResult> AppendAsync(string sessionId, IReadOnlyList<NewMessage> messages, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var flushing = sessionId == CurrentId && _pending.Count > 0;
        IReadOnlyList<NewMessage> batch = flushing ? [.. _pending, .. messages] : messages;
        var result = await _service.AppendAsync(sessionId, batch, cancellationToken).ConfigureAwait(false);
        if (flushing)
        {
            ClearPending();
        }

        return result;
    }

    /// <summary>Holds messages for the current session in memory until <see cref="SaveAsync"/>; returns how many are pending.</summary>
    /// <exception cref="AgentSessionsException">
    /// <see cref="ErrorCode.InvalidArgument"/> when <paramref name="sessionId"/> is not the current session;
    /// <see cref="ErrorCode.TooLarge"/> past the limits given at construction (nothing is added).
    /// </exception>
    public int Defer(string sessionId, IReadOnlyList<NewMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (CurrentId is null || sessionId != CurrentId)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, CurrentId is null
                ? "deferred messages are held for the current session, and there is none; switch to a session first"
                : $"deferred messages are held for the current session ('{CurrentId}') only; switch to '{sessionId}' first");
        }

        var bytes = messages.Sum(EstimateBytes);
        if (_pending.Count + messages.Count > _maxPendingMessages || _pendingBytes + bytes > _maxPendingBytes)
        {
            throw new AgentSessionsException(ErrorCode.TooLarge, $"too many deferred messages (at most {_maxPendingMessages}, {_maxPendingBytes} bytes); save them first");
        }

        _pending.AddRange(messages);
        _pendingBytes += bytes;
        return _pending.Count;
    }

    /// <summary>Writes the deferred messages to the current session in one transaction; null when there were none.</summary>
    /// <remarks>On failure the messages stay pending.</remarks>
    public async ValueTask<AppendResult?> SaveAsync(CancellationToken cancellationToken = default)
    {
        if (_pending.Count == 0 || CurrentId is null)
        {
            return null;
        }

        var result = await _service.AppendAsync(CurrentId, [.. _pending], cancellationToken).ConfigureAwait(false);
        ClearPending();
        return result;
    }

    /// <summary>Drops the deferred messages; returns how many there were.</summary>
    public int Discard()
    {
        var discarded = _pending.Count;
        ClearPending();
        return discarded;
    }

    /// <summary>Deletes a session; when it is the current one, there is no current session any more and its deferred messages are dropped.</summary>
    public async ValueTask DeleteAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        await _service.DeleteAsync(sessionId, cancellationToken).ConfigureAwait(false);
        if (sessionId == CurrentId)
        {
            // Its deferred messages have nowhere to go any more.
            CurrentId = null;
            ClearPending();
        }
    }

    private void ClearPending()
    {
        _pending.Clear();
        _pendingBytes = 0;
    }

    /// <summary>Roughly what a message weighs in memory, to bound the deferred buffer.</summary>
    private static long EstimateBytes(NewMessage message)
        => 256 + message.Parts.Sum(part => part switch
        {
            DataPart data => (long)data.Data.Length,
            ToolCallPart call => call.Name.Length + (call.Arguments?.GetRawText().Length ?? 0),
            _ => part.GetSearchText().Length * 2L,
        });
}
