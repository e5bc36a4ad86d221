using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace AgentSessions.AI.Tests;

/// <summary>One scripted model answer: its updates, and what happens around them.</summary>
public sealed class ScriptedTurn
{
    public required IReadOnlyList<ChatResponseUpdate> Updates { get; init; }

    /// <summary>Throw this after that many updates (the model or the network failing midway).</summary>
    public (int After, Exception Error)? FailAfter { get; init; }

    /// <summary>A text answer in chunks, with usage, model and finish reason, as a provider streams it.</summary>
    public static ScriptedTurn Text(params string[] chunks) => new()
    {
        Updates =
        [
            .. chunks.Select(c => new ChatResponseUpdate(ChatRole.Assistant, c) { MessageId = "resp-msg", ResponseId = "resp-1", ModelId = "scripted-1" }),
            new ChatResponseUpdate
            {
                Role = ChatRole.Assistant,
                MessageId = "resp-msg",
                FinishReason = ChatFinishReason.Stop,
                Contents = [new UsageContent(new UsageDetails { InputTokenCount = 11, OutputTokenCount = chunks.Length })],
            },
        ],
    };

    /// <summary>An assistant message asking for one tool call.</summary>
    public static ScriptedTurn Call(string callId, string name, Dictionary<string, object?> arguments) => new()
    {
        Updates =
        [
            new ChatResponseUpdate(ChatRole.Assistant, [new FunctionCallContent(callId, name, arguments)])
            {
                MessageId = "call-msg",
                ModelId = "scripted-1",
                FinishReason = ChatFinishReason.ToolCalls,
            },
        ],
    };
}

/// <summary>
/// A model that answers from a script and records every request it receives (a copy of the messages), so tests
/// can check what the model was sent. Before each update it awaits <see cref="BeforeUpdate"/>, where a test
/// advances its clock, looks into the store, or cancels.
/// </summary>
public sealed class ScriptedChatClient(params ScriptedTurn[] turns) : IChatClient
{
    private readonly Queue<ScriptedTurn> _turns = new(turns);

    public List<List<ChatMessage>> Requests { get; } = [];

    /// <summary>Called with the index of the update about to be sent.</summary>
    public Func<int, Task>? BeforeUpdate { get; set; }

    /// <summary>
    /// Called with the index of the update being yielded, after the cancellation check: what a test does here
    /// (cancel the caller's token, say) first shows in what the caller does with that update, not in this stream.
    /// </summary>
    public Action<int>? WhileYielding { get; set; }

    public void Enqueue(params ScriptedTurn[] turns)
    {
        foreach (var turn in turns)
        {
            _turns.Enqueue(turn);
        }
    }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken))
        {
            updates.Add(update);
        }

        return updates.ToChatResponse();
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Requests.Add([.. messages.Select(m => m.Clone())]);
        if (!_turns.TryDequeue(out var turn))
        {
            throw new InvalidOperationException("the script has no more turns");
        }

        for (var i = 0; i < turn.Updates.Count; i++)
        {
            if (BeforeUpdate is { } hook)
            {
                await hook(i);
            }

            cancellationToken.ThrowIfCancellationRequested();
            if (turn.FailAfter is { } fail && fail.After == i)
            {
                throw fail.Error;
            }

            WhileYielding?.Invoke(i);
            yield return turn.Updates[i];
        }

        if (turn.FailAfter is { } late && late.After >= turn.Updates.Count)
        {
            throw late.Error;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}

/// <summary>A clock that moves only when told, for checkpoint timing without sleeping.</summary>
public sealed class ManualClock : TimeProvider
{
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
