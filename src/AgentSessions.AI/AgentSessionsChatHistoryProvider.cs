using AgentSessions.Storage;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

namespace AgentSessions.AI;

/// <summary>
/// An Agent Framework chat history provider that keeps each agent session's conversation in an AgentSessions
/// session: wire it with <see cref="ChatClientAgentOptions.ChatHistoryProvider"/>.
/// </summary>
/// <remarks>
/// <para>
/// One instance serves every agent session. Which AgentSessions session an agent session writes to lives in the
/// agent session's <see cref="AgentSession.StateBag"/> (a <see cref="ProviderSessionState{TState}"/> under
/// <see cref="StateKey"/>), so it travels with <c>SerializeSessionAsync</c>; a new agent session gets a new id
/// (<see cref="SessionIds.NewSessionId"/>) unless <see cref="BindSession"/> named one, as
/// <see cref="AgentSessionsAgentSessionStore"/> does.
/// </para>
/// <para>
/// The history is the stored transcript, oldest first. A caller that also sends history it already has (a client
/// resending the conversation to a restored session) is not given it twice, and it is not stored twice: the
/// request's leading messages that repeat the end of the stored transcript count as stored (see
/// <see cref="AgentSessionsChatClient"/>). The request and the response of a run are appended in one transaction
/// at the end of the run, as the framework calls it; a run that fails or is cancelled still stores its request
/// messages, so what the user typed is never lost. Tool calls left without results get "not run" results before
/// the next messages.
/// </para>
/// </remarks>
public sealed class AgentSessionsChatHistoryProvider : ChatHistoryProvider
{
    /// <summary>The default <see cref="StateKey"/>.</summary>
    public const string DefaultStateKey = "agent_sessions";

    private readonly SessionService _service;
    private readonly ProviderSessionState<BoundSession> _state;
    private readonly NewSession _newSession;

    /// <summary>Creates the provider.</summary>
    /// <param name="service">The store's front door.</param>
    /// <param name="stateKey">Where in the state bag the session binding lives (change it only to run two providers in one agent session).</param>
    /// <param name="newSession">Fields of sessions the provider creates (the id is the bound one).</param>
    public AgentSessionsChatHistoryProvider(SessionService service, string stateKey = DefaultStateKey, NewSession? newSession = null)
    {
        _service = service ?? throw new ArgumentNullException(nameof(service));
        ArgumentException.ThrowIfNullOrWhiteSpace(stateKey);
        StateKey = stateKey;
        _newSession = newSession ?? new NewSession();
        _state = new ProviderSessionState<BoundSession>(_ => new BoundSession { SessionId = SessionIds.NewSessionId() }, stateKey);
    }

    /// <summary>The state bag key of the binding.</summary>
    public string StateKey { get; }

    /// <inheritdoc />
    public override IReadOnlyList<string> StateKeys => [StateKey];

    /// <summary>The AgentSessions session id an agent session writes to (binding a new one when it has none).</summary>
    public string GetSessionId(AgentSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var state = _state.GetOrInitializeState(session);
        _state.SaveState(session, state); // an initialized id must stick, or the next call would make another
        return state.SessionId;
    }

    /// <summary>Makes an agent session write to the AgentSessions session <paramref name="sessionId"/> from now on.</summary>
    public void BindSession(AgentSession session, string sessionId)
    {
        ArgumentNullException.ThrowIfNull(session);
        SessionIds.Validate(sessionId);
        _state.SaveState(session, new BoundSession { SessionId = sessionId });
    }

    /// <inheritdoc />
    protected override async ValueTask<IEnumerable<ChatMessage>> ProvideChatHistoryAsync(InvokingContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Session is null)
        {
            return [];
        }

        var sessionId = GetSessionId(context.Session);
        if (await _service.FindAsync(sessionId, cancellationToken).ConfigureAwait(false) is null)
        {
            return [];
        }

        var stored = new List<SessionMessage>();
        await foreach (var message in _service.ReadAsync(sessionId, MessageRange.All, cancellationToken).ConfigureAwait(false))
        {
            stored.Add(message);
        }

        // History the caller sends again itself is not given twice: cut the stored transcript before the part the
        // request repeats.
        var (_, cut) = TurnMessages.Overlap(context.RequestMessages.ToList(), stored);
        return stored.Take(cut).Select(m => m.ToChatMessage()).ToList();
    }

    /// <inheritdoc />
    protected override ValueTask InvokedCoreAsync(InvokedContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.InvokeException is null)
        {
            return base.InvokedCoreAsync(context, cancellationToken);
        }

        // The framework stores nothing for a failed or cancelled run; the user's messages are kept all the same.
        // The caller's token may be the one that was cancelled.
        var typed = context.RequestMessages.Where(m => m.GetAgentRequestMessageSourceType() != AgentRequestMessageSourceType.ChatHistory).ToList();
        return StoreAsync(context.Session, typed, [], CancellationToken.None);
    }

    /// <inheritdoc />
    protected override ValueTask StoreChatHistoryAsync(InvokedContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        return StoreAsync(context.Session, [.. context.RequestMessages], [.. context.ResponseMessages ?? []], cancellationToken);
    }

    private async ValueTask StoreAsync(AgentSession? agentSession, List<ChatMessage> request, List<ChatMessage> response, CancellationToken cancellationToken)
    {
        if (agentSession is null)
        {
            return;
        }

        var sessionId = GetSessionId(agentSession);
        var session = await TurnMessages.GetOrCreateAsync(_service, sessionId, _newSession, cancellationToken).ConfigureAwait(false);
        var (fresh, tail) = await TurnMessages.NotStoredYetAsync(_service, session, request, cancellationToken).ConfigureAwait(false);
        var batch = fresh.Concat(response).Select(TurnMessages.ToStorable).OfType<NewMessage>().ToList();
        if (batch.Count == 0)
        {
            return;
        }

        if (TurnMessages.CloseDanglingCalls(tail, batch, "the next request brought no result") is { } notRun)
        {
            batch.Insert(0, notRun);
        }

        await _service.AppendAsync(sessionId, batch, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What the provider keeps per agent session: the AgentSessions session it writes to.</summary>
    public sealed class BoundSession
    {
        /// <summary>The AgentSessions session id.</summary>
        public string SessionId { get; set; } = "";
    }
}
