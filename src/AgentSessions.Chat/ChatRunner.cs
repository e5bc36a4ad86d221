using AgentSessions.AI;
using AgentSessions.Storage;
using Microsoft.Extensions.AI;

namespace AgentSessions.Chat;

/// <summary>Options of a <see cref="ChatRunner"/>.</summary>
public sealed class ChatRunnerOptions
{
    /// <summary>How often, at most, a streamed answer is saved while it streams (default 1 second; zero = only at its end).</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>One turn as it was stored: the assistant's answer and what else the model's stream held.</summary>
/// <param name="Text">The answer's text as streamed (what the user saw).</param>
/// <param name="Messages">The messages this turn stored after the user's, in order (usually one assistant message).</param>
public sealed record ChatTurn(string Text, IReadOnlyList<SessionMessage> Messages)
{
    /// <summary>The turn's last stored message (the answer), or null when the model sent nothing.</summary>
    public SessionMessage? Answer => Messages.Count == 0 ? null : Messages[^1];
}

/// <summary>
/// One chat session as a front end drives it: the whole stored transcript as context, and one turn at a time sent
/// through the persisting chat client, so the user message is durable before the model is called and the answer
/// is checkpointed while it streams. The CLI's <c>chat</c> and the RPC's <c>chat.send</c> both run turns here.
/// </summary>
/// <remarks>Not thread-safe: one turn at a time.</remarks>
public sealed class ChatRunner
{
    private readonly SessionService _service;
    private readonly IChatClient _client;
    private readonly List<ChatMessage> _history = [];
    private long _lastSequence;
    private bool _stale;

    private ChatRunner(SessionService service, string sessionId, IChatClient model, ChatRunnerOptions options)
    {
        _service = service;
        SessionId = sessionId;
        _client = model.AsBuilder()
            .UseAgentSessions(service, o =>
            {
                o.DefaultSessionId = sessionId;
                // The session exists by now; one that vanished meanwhile is an error, not a silent new one.
                o.CreateMissingSessions = false;
                o.CheckpointInterval = options.CheckpointInterval;
            })
            .Build();
    }

    /// <summary>The session the turns go to.</summary>
    public string SessionId { get; }

    /// <summary>The context the next turn sends (the stored transcript and the turns since).</summary>
    public IReadOnlyList<ChatMessage> History => _history;

    /// <summary>Opens a runner on an existing session, its stored transcript loaded as the context.</summary>
    /// <param name="service">The store's front door.</param>
    /// <param name="sessionId">The session (it must exist).</param>
    /// <param name="model">The bare client of the model (see <see cref="ChatEndpoint.CreateClient"/>); the runner adds the persistence.</param>
    /// <param name="options">Options, or null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the load.</param>
    public static async Task<ChatRunner> OpenAsync(
        SessionService service, string sessionId, IChatClient model, ChatRunnerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(model);
        await service.GetAsync(sessionId, cancellationToken).ConfigureAwait(false);
        var runner = new ChatRunner(service, sessionId, model, options ?? new ChatRunnerOptions());
        await runner.ReloadAsync(cancellationToken).ConfigureAwait(false);
        return runner;
    }

    /// <summary>Reads the context again from the store, after something else changed the session (an undo, a restore).</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken = default)
    {
        _history.Clear();
        _lastSequence = 0;
        _stale = false;
        await foreach (var message in _service.ReadAsync(SessionId, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            _history.Add(message.ToChatMessage());
            _lastSequence = message.Sequence;
        }
    }

    /// <summary>
    /// Writes what the runner holds that is not stored yet; returns how many messages that was. Every turn is
    /// stored as it streams, so today there is never anything left: front ends call this before they leave
    /// (exit, a switch of session, a signal) so that a runner that holds messages back has its chance.
    /// </summary>
    public Task<int> SaveAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(0);
    }

    /// <summary>
    /// Runs one turn: stores <paramref name="text"/> as the user's message, streams the answer to
    /// <paramref name="onDelta"/> as it comes, and returns what was stored.
    /// </summary>
    /// <remarks>
    /// Cancelling <paramref name="cancellationToken"/> stops the answer: what streamed so far stays stored, marked
    /// interrupted, and the method throws <see cref="OperationCanceledException"/>. A model failure is thrown as it
    /// came, with the user's message (and any partial answer) stored. Either way the context stays the store's.
    /// </remarks>
    public async Task<ChatTurn> SendAsync(string text, Func<string, ValueTask>? onDelta = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        if (_stale)
        {
            await ReloadAsync(cancellationToken).ConfigureAwait(false);
        }

        _history.Add(new ChatMessage(ChatRole.User, text));
        var updates = new List<ChatResponseUpdate>();
        var streamed = new System.Text.StringBuilder();
        var userMessageSequence = _lastSequence + 1;
        try
        {
            await foreach (var update in _client.GetStreamingResponseAsync(_history, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                updates.Add(update);
                var delta = update.Text;
                if (delta.Length > 0)
                {
                    streamed.Append(delta);
                    if (onDelta is not null)
                    {
                        await onDelta(delta).ConfigureAwait(false);
                    }
                }
            }
        }
        catch
        {
            // What reached the store (the user's message, a partial answer, "not run" results) is known only there:
            // the next turn reads the context again rather than guess it.
            _stale = true;
            throw;
        }

        _history.AddMessages(updates);

        var stored = new List<SessionMessage>();
        await foreach (var message in _service.ReadAsync(SessionId, new MessageRange(userMessageSequence), cancellationToken).ConfigureAwait(false))
        {
            _lastSequence = message.Sequence;
            if (message.Role != MessageRole.User || stored.Count > 0)
            {
                stored.Add(message);
            }
        }

        return new ChatTurn(streamed.ToString(), stored);
    }
}
