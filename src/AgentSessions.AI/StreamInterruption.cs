namespace AgentSessions.AI;

/// <summary>
/// Why a streamed answer stopped, as <see cref="AgentSessionsMetadata.Interrupted"/> records it: a stream that is
/// neither completed nor stopped by a step that threw was left by its caller (<c>"abandoned"</c>).
/// </summary>
/// <remarks>
/// Each step of the stream that can throw (the move to the next update, a checkpoint's save) runs through
/// <see cref="StepAsync{T}"/>: the caller's cancellation is <c>"cancelled"</c> wherever it surfaces, anything else
/// <c>"failed"</c>. What the caller does with an update between steps is not classified: a failure there is the
/// caller walking away. One rule for the persisting client and the chat engine's deferred turns.
/// </remarks>
internal sealed class StreamInterruption(CancellationToken cancellationToken)
{
    /// <summary><see cref="AgentSessionsMetadata.Cancelled"/>, <see cref="AgentSessionsMetadata.Failed"/>, <see cref="AgentSessionsMetadata.Abandoned"/>, or null once completed.</summary>
    public string? Reason { get; private set; } = AgentSessionsMetadata.Abandoned;

    /// <summary>What failed the stream, for <see cref="AgentSessionsMetadata.Failed"/>.</summary>
    public Exception? Error { get; private set; }

    /// <summary>Whether the stream stopped early (it is not <see cref="Completed"/>).</summary>
    public bool Interrupted => Reason is not null;

    /// <summary>The stream ended normally.</summary>
    public void Completed() => (Reason, Error) = (null, null);

    /// <summary>Runs one step, recording why the stream stopped if the step throws (it throws on all the same).</summary>
    public async ValueTask<T> StepAsync<T>(Func<ValueTask<T>> step)
    {
        try
        {
            return await step().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Reason = AgentSessionsMetadata.Cancelled;
            throw;
        }
        catch (Exception e)
        {
            (Reason, Error) = (AgentSessionsMetadata.Failed, e);
            throw;
        }
    }
}
