using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace AgentSessions.Chat;

/// <summary>
/// Sends each request cut to a token budget (<see cref="ChatContext.Trim"/>). It sits between the persisting
/// client and the model, so the persisting client still sees, and stores against, the whole history.
/// </summary>
internal sealed class ContextTrimmingChatClient(IChatClient innerClient, long maxTokens) : DelegatingChatClient(innerClient)
{
    /// <summary>How many messages the last request left out (0: none).</summary>
    public int LastDropped { get; private set; }

    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        => base.GetResponseAsync(Trim(messages), options, cancellationToken);

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var update in base.GetStreamingResponseAsync(Trim(messages), options, cancellationToken).ConfigureAwait(false))
        {
            yield return update;
        }
    }

    private IReadOnlyList<ChatMessage> Trim(IEnumerable<ChatMessage> messages)
    {
        var (kept, dropped) = ChatContext.Trim(messages as IReadOnlyList<ChatMessage> ?? [.. messages], maxTokens);
        LastDropped = dropped;
        return kept;
    }
}
