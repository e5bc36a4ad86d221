using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace AgentSessions.AI;

/// <summary>
/// A chat client that saves the conversation through a <see cref="SessionService"/> as it happens: the request
/// messages not stored yet before the model is called, then the answer (text, tool calls and results, reasoning,
/// usage, model, finish reason), checkpointed while it streams.
/// </summary>
/// <remarks>
/// <para>
/// Which session: <see cref="AgentSessionsChatOptionsExtensions.WithAgentSession"/> on the call's options, else
/// <see cref="AgentSessionsChatClientOptions.DefaultSessionId"/>. Which request messages are new: see
/// <see cref="AgentSessionsMetadata"/> and docs/agents.md; in short, the request's leading messages that repeat the
/// end of the stored transcript are not stored again, so a caller may send only the new messages or the whole
/// history. Stored request messages without a <see cref="ChatMessage.MessageId"/> get the stored id, and so do
/// the messages of a non-streamed response.
/// </para>
/// <para>
/// A failed or cancelled call keeps the request messages. A streamed answer is saved at most every
/// <see cref="AgentSessionsChatClientOptions.CheckpointInterval"/>, replaced by the final message when the stream
/// ends, or kept as it is and marked interrupted when the stream is cancelled, fails or is abandoned; its tool
/// calls without results then get "not run" results. A tool call a complete answer leaves open (the caller runs
/// tools itself) is closed by the next call: with the result that call brings, or with a "not run" result.
/// </para>
/// </remarks>
public sealed class AgentSessionsChatClient : DelegatingChatClient
{
    private readonly SessionService _service;
    private readonly AgentSessionsChatClientOptions _options;

    /// <summary>Wraps <paramref name="innerClient"/>.</summary>
    public AgentSessionsChatClient(IChatClient innerClient, SessionService service, AgentSessionsChatClientOptions? options = null)
        : base(innerClient)
    {
        _service = service ?? throw new ArgumentNullException(nameof(service));
        _options = options ?? new AgentSessionsChatClientOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.CheckpointInterval, TimeSpan.Zero, nameof(options));
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var request = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var sessionId = await StoreRequestAsync(request, options, cancellationToken).ConfigureAwait(false);
        var response = await base.GetResponseAsync(request, options, cancellationToken).ConfigureAwait(false);
        var stored = TurnMessages.FromResponse(response, partial: false);
        if (stored.Count > 0)
        {
            var result = await _service.AppendAsync(sessionId, [.. stored.Select(s => s.Message)], cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < stored.Count; i++)
            {
                stored[i].Source?.MessageId = result.Messages[i].Id;
            }
        }

        return response;
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var request = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var sessionId = await StoreRequestAsync(request, options, cancellationToken).ConfigureAwait(false);
        var checkpoint = new StreamCheckpoint(_service, sessionId);
        var clock = _options.TimeProvider;
        var interval = _options.CheckpointInterval;
        var last = clock.GetTimestamp();
        var updates = new List<ChatResponseUpdate>();
        var outcome = new StreamInterruption(cancellationToken);
        try
        {
            await using var stream = base.GetStreamingResponseAsync(request, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
            var move = stream.MoveNextAsync;

            // A yield cannot sit in a try with a catch, so each step that can throw runs through the outcome: the
            // move (the model's failures and the caller's cancellation) and the checkpoint's save (the caller's
            // cancellation can surface there too, and is the same cancellation).
            while (await outcome.StepAsync(move).ConfigureAwait(false))
            {
                updates.Add(stream.Current);
                if (interval > TimeSpan.Zero && clock.GetElapsedTime(last) >= interval)
                {
                    await outcome.StepAsync(async () =>
                    {
                        await checkpoint.SaveAsync(TurnMessages.FromResponse(updates.ToChatResponse(), partial: true), cancellationToken).ConfigureAwait(false);
                        return true;
                    }).ConfigureAwait(false);
                    last = clock.GetTimestamp();
                }

                yield return stream.Current;
            }

            outcome.Completed();
        }
        finally
        {
            // Runs on completion, failure, cancellation and on a consumer that stops enumerating (DisposeAsync).
            // The caller's token may be cancelled by now, and what was received must be saved all the same.
            var response = updates.ToChatResponse();
            await checkpoint.SaveAsync(TurnMessages.FromResponse(response, partial: outcome.Interrupted, outcome.Reason, outcome.Error), CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Resolves the session (creating it when allowed), closes dangling tool calls and stores the request messages not stored yet.</summary>
    private async Task<string> StoreRequestAsync(IReadOnlyList<ChatMessage> request, ChatOptions? options, CancellationToken cancellationToken)
    {
        var sessionId = options.GetAgentSession() ?? _options.DefaultSessionId
            ?? throw new InvalidOperationException($"no AgentSessions session for this call: set ChatOptions.WithAgentSession(id) or {nameof(AgentSessionsChatClientOptions)}.{nameof(AgentSessionsChatClientOptions.DefaultSessionId)}");
        var session = _options.CreateMissingSessions
            ? await TurnMessages.GetOrCreateAsync(_service, sessionId, _options.NewSession, cancellationToken).ConfigureAwait(false)
            : await _service.GetAsync(sessionId, cancellationToken).ConfigureAwait(false);

        var (fresh, tail) = await TurnMessages.NotStoredYetAsync(_service, session, request, cancellationToken).ConfigureAwait(false);
        var storable = new List<(ChatMessage Source, NewMessage Message)>();
        foreach (var message in fresh)
        {
            if (TurnMessages.ToStorable(message) is { } stored)
            {
                storable.Add((message, stored));
            }
        }

        var batch = storable.Select(s => s.Message).ToList();
        var offset = 0;
        if (storable.Count > 0 && TurnMessages.CloseDanglingCalls(tail, batch, "the next request brought no result") is { } notRun)
        {
            batch.Insert(0, notRun);
            offset = 1;
        }

        if (batch.Count > 0)
        {
            var result = await _service.AppendAsync(sessionId, batch, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < storable.Count; i++)
            {
                storable[i].Source.MessageId ??= result.Messages[i + offset].Id;
            }
        }

        return sessionId;
    }
}
