using System.Globalization;
using System.Text;
using AgentSessions.AI;
using AgentSessions.Benchmarks.Shared;
using AgentSessions.Chat;
using AgentSessions.FakeOpenAi;
using AgentSessions.Sqlite;
using Microsoft.Extensions.AI;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>
/// What saving a conversation as it streams costs a .NET agent: a 500-token streamed answer from the local
/// OpenAI-compatible test server through the bare Microsoft.Extensions.AI client and through the same client with
/// <c>UseAgentSessions</c> (default checkpoint interval), interleaved in one run; one durable checkpoint against a
/// raw durable commit; and a resume of 10,000 messages into <c>List&lt;ChatMessage&gt;</c> beside a raw read of
/// the same rows.
/// </summary>
/// <remarks>
/// The test server streams one word per chunk with a 2 ms pause, about 500 tokens a second: faster than hosted
/// models (which makes the fixed per-turn cost weigh more, not less), and long enough (about a second) for the
/// default 1 s interval to save one checkpoint mid-stream. A second pair with no pause shows the worst case, a
/// model as fast as the loopback socket, where the turn's two durable commits are most of the difference.
/// </remarks>
public static class ChatBench
{
    public const double MaxOverhead = 1.1;
    private const int AnswerTokens = 500;
    private const int ResumeMessages = 10_000;

    public static async Task<IReadOnlyList<ResultRow>> RunAsync(TempRoot temp, TextWriter output)
    {
        var rows = new List<ResultRow>();
        var answer = string.Join(' ', Enumerable.Range(0, AnswerTokens).Select(i => BenchText.Get(i).Split(' ')[0]));
        var directory = temp.Directory("chat");
        await using var service = new SessionService(SqliteSessionStore.Open(Path.Combine(directory, "store")), ownsStore: true);
        await service.CreateAsync(new NewSession { Id = "bench-chat" });

        foreach (var (delayMs, rounds, judged) in new[] { (2, 12, true), (0, 60, false) })
        {
            await using var server = await FakeOpenAiServer.StartAsync(new FakeOpenAiOptions
            {
                Fallback = _ => new ScriptedReply { Text = answer, ChunkDelayMs = delayMs },
            });
            using var bare = Endpoint(server).CreateClient();
            using var persisting = bare.AsBuilder().UseAgentSessions(service, o => o.DefaultSessionId = "bench-chat").Build();
            var n = 0;
            var stats = await Interleaved.MeasureAsync(
                2,
                rounds,
                TimeSpan.FromSeconds(40),
                minRounds: rounds,
                async () => await StreamAsync(bare, n++),
                async () => await StreamAsync(persisting, n++));
            var (bareStats, persistingStats) = (stats[0], stats[1]);
            var label = delayMs == 0 ? "no pause between chunks" : $"{delayMs} ms between chunks";
            Report.PrintStats(output, $"bare client, {AnswerTokens}-token streamed answer ({label})", bareStats);
            Report.PrintStats(output, $"UseAgentSessions, same answer ({label})", persistingStats);
            var name = $"UseAgentSessions over the bare client, {AnswerTokens}-token streamed answer, {label}";
            rows.Add(judged
                ? ResultRow.RatioTarget(name, persistingStats, "bare Microsoft.Extensions.AI client, same server, same run", bareStats, MaxOverhead)
                : ResultRow.Info(name, persistingStats, "bare client (worst case: the turn's fixed cost against a loopback stream)", bareStats));
        }

        rows.Add(await CheckpointAsync(service, directory, answer, output));
        rows.Add(await ResumeAsync(service, directory, output));
        return rows;
    }

    private static ChatEndpoint Endpoint(FakeOpenAiServer server) => ChatEndpoint.Resolve(server.BaseUrl, "fake-model", "bench-key");

    private static async Task StreamAsync(IChatClient client, int n)
    {
        var chunks = 0;
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, $"question {n}")]))
        {
            chunks += update.Contents.Count;
        }

        if (chunks < AnswerTokens)
        {
            throw new InvalidOperationException($"the test server streamed {chunks} parts, expected at least {AnswerTokens}");
        }
    }

    /// <summary>One checkpoint as the chat client saves it: the open partial answer replaced by a longer one, durably.</summary>
    private static async Task<ResultRow> CheckpointAsync(SessionService service, string directory, string answer, TextWriter output)
    {
        await service.CreateAsync(new NewSession { Id = "bench-checkpoint" });
        var open = (await service.AppendAsync("bench-checkpoint", [new NewMessage(MessageRole.Assistant, "...")])).Messages[^1].Id;
        using var raw = RawAppender.Open(Path.Combine(directory, "raw.db"));
        var half = answer[..(answer.Length / 2)];
        var n = 0;
        var stats = await Interleaved.MeasureAsync(
            20,
            200,
            TimeSpan.FromSeconds(20),
            () => { raw.Insert(half); return ValueTask.CompletedTask; },
            async () =>
            {
                var result = await service.ReplaceLastMessageAsync("bench-checkpoint", open, [new NewMessage(MessageRole.Assistant, half + (n++ % 10))]);
                open = result.Messages[^1].Id;
            });
        Report.PrintStats(output, "raw BEGIN/INSERT/COMMIT (half an answer)", stats[0]);
        Report.PrintStats(output, "one durable checkpoint (ReplaceLastMessageAsync)", stats[1]);
        return ResultRow.Info("One durable streaming checkpoint (half a 500-token answer)", stats[1], "raw durable commit of the same text", stats[0]);
    }

    /// <summary>A resume as ChatRunner does it (every stored message to a ChatMessage) beside a raw read of the rows.</summary>
    private static async Task<ResultRow> ResumeAsync(SessionService service, string directory, TextWriter output)
    {
        const string id = "bench-resume";
        await service.CreateAsync(new NewSession { Id = id, Model = CodingConversation.Model });
        foreach (var batch in CodingConversation.Messages(ResumeMessages / CodingConversation.MessagesPerTurn + 1).Take(ResumeMessages).Chunk(500))
        {
            await service.AppendAsync(id, batch);
        }

        using var raw = new RawReader(Path.Combine(directory, "store", SqliteStoreOptions.DatabaseFileName));
        using var unused = new ThrowingClient();
        var count = 0;
        var stats = await Interleaved.MeasureAsync(
            2,
            15,
            TimeSpan.FromSeconds(30),
            minRounds: 15,
            () => { count = raw.Messages(id).Count; return ValueTask.CompletedTask; },
            async () =>
            {
                var runner = await ChatRunner.OpenAsync(service, id, unused);
                if (runner.History.Count != count)
                {
                    throw new InvalidOperationException($"resumed {runner.History.Count} messages, the raw read {count}");
                }
            });
        Report.PrintStats(output, $"raw read of {count:N0} rows (seq, id, text)", stats[0]);
        Report.PrintStats(output, $"resume into List<ChatMessage> ({count:N0})", stats[1]);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  resume / raw read = {stats[1].MedianMs / stats[0].MedianMs:0.00}"));
        return ResultRow.Info($"Resume of {count:N0} messages into List<ChatMessage> (ChatRunner)", stats[1], "raw read of the same rows (seq, id, text)", stats[0]);
    }

    /// <summary>A model the resume measurement never calls.</summary>
    private sealed class ThrowingClient : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
            => throw new InvalidOperationException("not called");

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
            => throw new InvalidOperationException("not called");

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
