using AgentSessions.AI;
using AgentSessions.Storage;
using Microsoft.Extensions.AI;

namespace AgentSessions.Chat;

/// <summary>Options of a <see cref="ChatRunner"/>.</summary>
public sealed class ChatRunnerOptions
{
    /// <summary>About the most a deferred runner holds in memory (64 MiB); a turn past it has the held ones saved first.</summary>
    public const long MaxDeferredBytes = 64L * 1024 * 1024;

    /// <summary>How often, at most, a streamed answer is saved while it streams (default 1 second; zero = only at its end).</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Hold the turns in memory until <see cref="ChatRunner.SaveAsync"/> instead of saving them as they stream
    /// (default <see langword="false"/>). The held turns are context for the next ones all the same; the front end
    /// must call <see cref="ChatRunner.SaveAsync"/> before it leaves, or they are lost (that is what deferring means).
    /// </summary>
    public bool Deferred { get; set; }

    /// <summary>
    /// The most context to send with a request, in estimated tokens (<see cref="ChatContext"/>); beyond it the
    /// oldest turns are left out of that request, never out of the store. Null (the default): no limit.
    /// </summary>
    public long? MaxContextTokens { get; set; }
}

/// <summary>One turn as it was stored: the assistant's answer and what else the model's stream held.</summary>
/// <param name="Text">The answer's text as streamed (what the user saw).</param>
/// <param name="Messages">The messages this turn stored after the user's, in order (usually one assistant message).</param>
/// <remarks>A deferred runner stores nothing yet: its turns have no <paramref name="Messages"/> (see <see cref="Held"/>).</remarks>
public sealed record ChatTurn(string Text, IReadOnlyList<SessionMessage> Messages)
{
    /// <summary>How many messages of the context this turn's request left out to fit <see cref="ChatRunnerOptions.MaxContextTokens"/> (0: none).</summary>
    public int ContextMessagesDropped { get; init; }

    /// <summary>The user's message as stored (its id and sequence), or null when the turn is held (<see cref="ChatRunnerOptions.Deferred"/>).</summary>
    public SessionMessage? UserMessage { get; init; }

    /// <summary>How many messages the runner holds unsaved after this turn (always 0 unless <see cref="ChatRunnerOptions.Deferred"/>).</summary>
    public int Held { get; init; }

    /// <summary>The turn's last stored message (the answer), or null when the model sent nothing.</summary>
    public SessionMessage? Answer => Messages.Count == 0 ? null : Messages[^1];
}

/// <summary>
/// One chat session as a front end drives it: the whole stored transcript as context, and one turn at a time sent
/// through the persisting chat client, so the user message is durable before the model is called and the answer
/// is checkpointed while it streams. The CLI's <c>chat</c> and the RPC's <c>chat.send</c> both run turns here.
/// </summary>
/// <remarks>
/// <para>
/// With <see cref="ChatRunnerOptions.Deferred"/> the turns are held in memory instead (the core's
/// <see cref="Conversation"/> deferred appends) and written by <see cref="SaveAsync"/> in one transaction; a turn
/// cut short is held as it would have been stored, partial and marked interrupted.
/// </para>
/// <para>Not thread-safe: one turn at a time.</para>
/// </remarks>
public sealed class ChatRunner
{
    private readonly SessionService _service;
    private readonly IChatClient _client;
    private readonly ContextTrimmingChatClient? _trimmer;
    private readonly Conversation? _held;
    private readonly List<ChatMessage> _history = [];

    // Deferred: the held turns as context, in the order held (the store gets them as NewMessages in _held).
    private readonly List<ChatMessage> _heldContext = [];
    private long _lastSequence;
    private bool _stale;

    private ChatRunner(SessionService service, string sessionId, IChatClient model, ChatRunnerOptions options)
    {
        _service = service;
        SessionId = sessionId;
        MaxContextTokens = options.MaxContextTokens;
        IChatClient toModel = model;
        if (options.MaxContextTokens is { } budget)
        {
            // Inside the persisting client: that one sees the whole history (and so knows what is stored); only the
            // model gets the cut.
            toModel = _trimmer = new ContextTrimmingChatClient(model, budget);
        }

        if (options.Deferred)
        {
            _held = new Conversation(service, ChatRunnerOptions.MaxDeferredBytes);
            _client = toModel;
            return;
        }

        _client = toModel.AsBuilder()
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

    /// <summary>The context the next turn sends (the stored transcript and the turns since, held ones included).</summary>
    public IReadOnlyList<ChatMessage> History => _history;

    /// <summary>The context budget of each request (<see cref="ChatRunnerOptions.MaxContextTokens"/>), or null for none.</summary>
    public long? MaxContextTokens { get; }

    /// <summary>Whether turns are held until <see cref="SaveAsync"/> (<see cref="ChatRunnerOptions.Deferred"/>).</summary>
    public bool Deferred => _held is not null;

    /// <summary>How many messages are held unsaved (0 unless <see cref="Deferred"/>).</summary>
    public int PendingCount => _held?.PendingCount ?? 0;

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
        if (runner._held is { } held)
        {
            await held.SwitchAsync(sessionId, cancellationToken).ConfigureAwait(false);
        }

        await runner.ReloadAsync(cancellationToken).ConfigureAwait(false);
        return runner;
    }

    /// <summary>Reads the context again from the store, after something else changed the session (an undo, a restore).</summary>
    /// <remarks>Held (deferred) turns stay held, and stay the end of the context.</remarks>
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

        _history.AddRange(_heldContext);
    }

    /// <summary>
    /// Writes what the runner holds that is not stored yet, in one transaction (all or none); returns how many
    /// messages that was. A runner that saves as it streams holds nothing, and returns 0. Front ends call this
    /// before they leave (exit, a switch of session, a signal): pass <see cref="CancellationToken.None"/> when the
    /// reason for leaving is itself a cancellation.
    /// </summary>
    /// <remarks>On failure the messages stay held, so the caller can try again.</remarks>
    public async Task<int> SaveAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_held is null || await _held.SaveAsync(cancellationToken).ConfigureAwait(false) is not { } saved)
        {
            return 0;
        }

        _heldContext.Clear();
        _lastSequence = saved.Messages[^1].Sequence;
        // The context now comes from the store: the saved messages with their ids, the same text.
        _stale = true;
        return saved.Messages.Count;
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

        if (_held is not null)
        {
            return await SendHeldAsync(text, onDelta, cancellationToken).ConfigureAwait(false);
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

        // The answer is complete and stored by now: a cancellation arriving here must not report it as cut short, nor
        // leave _lastSequence behind (the next turn would list this one's answer as its own). The read is this
        // turn's few messages.
        var stored = new List<SessionMessage>();
        SessionMessage? user = null;
        await foreach (var message in _service.ReadAsync(SessionId, new MessageRange(userMessageSequence), CancellationToken.None).ConfigureAwait(false))
        {
            _lastSequence = message.Sequence;
            if (message.Role == MessageRole.User && user is null && stored.Count == 0)
            {
                user = message;
            }
            else
            {
                stored.Add(message);
            }
        }

        return new ChatTurn(streamed.ToString(), stored) { UserMessage = user, ContextMessagesDropped = _trimmer?.LastDropped ?? 0 };
    }

    /// <summary>
    /// A deferred turn: the model is called directly, and the user's message and the answer are held, as the
    /// persisting client would have stored them (partial and marked interrupted when the answer was cut short).
    /// </summary>
    private async Task<ChatTurn> SendHeldAsync(string text, Func<string, ValueTask>? onDelta, CancellationToken cancellationToken)
    {
        var held = _held!;
        var user = new ChatMessage(ChatRole.User, text) { CreatedAt = DateTimeOffset.UtcNow };
        _history.Add(user);
        var updates = new List<ChatResponseUpdate>();
        var streamed = new System.Text.StringBuilder();
        var outcome = new StreamInterruption(cancellationToken);
        try
        {
            await using var stream = _client.GetStreamingResponseAsync(_history, cancellationToken: cancellationToken).GetAsyncEnumerator(cancellationToken);
            var move = stream.MoveNextAsync;

            // Only the move is classified, as the persisting client does: a failure of onDelta is the caller's.
            while (await outcome.StepAsync(move).ConfigureAwait(false))
            {
                updates.Add(stream.Current);
                var delta = stream.Current.Text;
                if (delta.Length > 0)
                {
                    streamed.Append(delta);
                    if (onDelta is not null)
                    {
                        await onDelta(delta).ConfigureAwait(false);
                    }
                }
            }

            outcome.Completed();
        }
        finally
        {
            // Held however the turn ended, so a save on the way out (a signal's cancellation included) writes it.
            var answer = TurnMessages.FromResponse(updates.ToChatResponse(), partial: outcome.Interrupted, outcome.Reason, outcome.Error);
            var batch = new List<NewMessage>(answer.Count + 1);
            if (TurnMessages.ToStorable(user) is { } storedUser)
            {
                batch.Add(storedUser);
            }

            batch.AddRange(answer.Select(a => a.Message));
            try
            {
                held.Defer(SessionId, batch);
            }
            catch (AgentSessionsException e) when (e.Code == ErrorCode.TooLarge)
            {
                // More held than memory should keep: saving beats losing what the user typed, so the held turns are
                // written now (no token: the turn may have ended by cancellation) and this one is held after them.
                await SaveAsync(CancellationToken.None).ConfigureAwait(false);
                held.Defer(SessionId, batch);
            }

            _heldContext.Add(user);
            // A "not run" result has no response message behind it; it closes a tool call the model will see again.
            var context = answer.Select(a => a.Source ?? NotRunContext(a.Message)).ToList();
            _heldContext.AddRange(context);
            _history.AddRange(context);
        }

        return new ChatTurn(streamed.ToString(), []) { ContextMessagesDropped = _trimmer?.LastDropped ?? 0, Held = held.PendingCount };
    }

    private static ChatMessage NotRunContext(NewMessage message)
        => new(ChatRole.Tool, [.. message.Parts.OfType<ToolResultPart>().Select(r => (AIContent)new FunctionResultContent(r.CallId, r.Result))]);
}
