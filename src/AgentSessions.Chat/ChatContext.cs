using System.Text.Json;
using Microsoft.Extensions.AI;

namespace AgentSessions.Chat;

/// <summary>
/// How big a context is, and how it is cut down to a budget for one request: the oldest turns go first, and only
/// from what is sent, never from the store.
/// </summary>
/// <remarks>
/// <para>
/// Tokens are estimated, not counted: a model's tokenizer is the model's own, and a front end that talks to any
/// OpenAI-compatible endpoint does not have it. The estimate is one token per four characters of a message's text,
/// reasoning, tool-call name and arguments (as JSON) and tool results (as JSON), rounded up, plus
/// <see cref="TokensPerMessage"/> for the message's framing; an image or other data counts
/// <see cref="TokensPerData"/>. For English prose this is close to what OpenAI-style tokenizers give; for code
/// and other scripts it can be off either way, so a budget should leave some margin.
/// </para>
/// <para>
/// A turn is a user message and everything up to the next one (the answer, tool calls and their results), so
/// dropping whole turns never separates a tool call from its result. System messages are always kept, where they
/// are. The last turn (the one being asked) is always sent, even when it alone is over the budget: the model then
/// answers or refuses, which says more than an empty request would.
/// </para>
/// </remarks>
public static class ChatContext
{
    /// <summary>What a message's framing (role, separators) is taken to cost, in tokens.</summary>
    public const int TokensPerMessage = 4;

    /// <summary>What an image, file or other data part is taken to cost, in tokens.</summary>
    public const int TokensPerData = 256;

    // Arguments go to the model as compact JSON; the AI library's defaults indent, which would count the layout.
    private static readonly JsonSerializerOptions CompactJson = new(AIJsonUtilities.DefaultOptions) { WriteIndented = false };

    /// <summary>The estimated size of <paramref name="messages"/> in tokens (see the remarks of <see cref="ChatContext"/>).</summary>
    public static long EstimateTokens(IEnumerable<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return messages.Sum(EstimateTokens);
    }

    /// <summary>The estimated size of one message in tokens.</summary>
    public static long EstimateTokens(ChatMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        long characters = 0;
        long data = 0;
        foreach (var content in message.Contents)
        {
            switch (content)
            {
                case TextContent text: characters += text.Text.Length; break;
                case TextReasoningContent reasoning: characters += reasoning.Text.Length; break;
                case FunctionCallContent call: characters += call.Name.Length + JsonLength(call.Arguments); break;
                case FunctionResultContent result: characters += JsonLength(result.Result); break;
                case DataContent or UriContent: data += TokensPerData; break;
                default: break; // usage and other bookkeeping: never sent as context
            }
        }

        return TokensPerMessage + ((characters + 3) / 4) + data;
    }

    /// <summary>
    /// <paramref name="messages"/> cut to about <paramref name="maxTokens"/>: the oldest turns left out until the
    /// estimate fits, system messages and the last turn always kept, order unchanged.
    /// </summary>
    /// <returns>What to send, and how many messages were left out (0: the list itself, untouched).</returns>
    public static (IReadOnlyList<ChatMessage> Messages, int Dropped) Trim(IReadOnlyList<ChatMessage> messages, long maxTokens)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTokens);
        var sizes = messages.Select(EstimateTokens).ToArray();
        var total = sizes.Sum();
        if (total <= maxTokens)
        {
            return (messages, 0);
        }

        // The turn each message belongs to (-1: a system message, never dropped). Messages before the first user
        // message (a greeting, an imported preamble) form turn 0 with it.
        var turnOf = new int[messages.Count];
        var turn = 0;
        var seenUser = false;
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i].Role == ChatRole.System)
            {
                turnOf[i] = -1;
                continue;
            }

            if (messages[i].Role == ChatRole.User)
            {
                turn += seenUser ? 1 : 0;
                seenUser = true;
            }

            turnOf[i] = turn;
        }

        var turnSizes = new long[turn + 1];
        for (var i = 0; i < messages.Count; i++)
        {
            if (turnOf[i] >= 0)
            {
                turnSizes[turnOf[i]] += sizes[i];
            }
        }

        var firstKept = 0;
        while (total > maxTokens && firstKept < turn)
        {
            total -= turnSizes[firstKept++];
        }

        var kept = new List<ChatMessage>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            if (turnOf[i] == -1 || turnOf[i] >= firstKept)
            {
                kept.Add(messages[i]);
            }
        }

        return (kept, messages.Count - kept.Count);
    }

    private static long JsonLength(object? value) => value switch
    {
        null => 0,
        string text => text.Length,
        JsonElement element => element.GetRawText().Length,
        _ => JsonSerializer.Serialize(value, CompactJson).Length,
    };
}
