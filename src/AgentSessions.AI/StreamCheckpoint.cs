using Microsoft.Extensions.AI;

namespace AgentSessions.AI;

/// <summary>
/// Where a streamed answer stands in the store: how many of its messages are stored for good, and the stored id
/// of the last one, still open (partial), which the next save replaces.
/// </summary>
/// <remarks>
/// A stream can hold several messages (an assistant tool call, its result, the answer): once the next one starts,
/// the earlier ones cannot change any more, so each save replaces only the open message and appends what follows
/// it, in one transaction (<see cref="SessionService.ReplaceLastMessageAsync"/>).
/// </remarks>
internal sealed class StreamCheckpoint(SessionService service, string sessionId)
{
    private string? _openId;
    private int _settled;

    public async Task SaveAsync(List<(ChatMessage? Source, NewMessage Message)> messages, CancellationToken cancellationToken)
    {
        var pending = messages.Skip(_settled).Select(m => m.Message).ToList();
        if (pending.Count == 0)
        {
            return;
        }

        Storage.AppendResult result;
        if (_openId is null)
        {
            result = await service.AppendAsync(sessionId, pending, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            try
            {
                result = await service.ReplaceLastMessageAsync(sessionId, _openId, pending, cancellationToken).ConfigureAwait(false);
            }
            catch (AgentSessionsException e) when (e.Code == ErrorCode.Conflict)
            {
                // Someone wrote to the session meanwhile: the checkpoint stays (marked partial) and the rest goes after.
                result = await service.AppendAsync(sessionId, pending, cancellationToken).ConfigureAwait(false);
            }
        }

        _settled += pending.Count - 1;
        _openId = result.Messages[^1].Id;
    }
}
