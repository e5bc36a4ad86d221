using AgentSessions.Benchmarks.Shared;
using AgentSessions.Sqlite;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>
/// Durable append of one ~200-character message to a short and to a long session, against a raw SQLite
/// transaction that inserts one row with the same pragmas (WAL, synchronous=FULL): what the store adds on top
/// of the fsync every durable commit pays anyway, and whether that grows with the session.
/// </summary>
public static class AppendBench
{
    public const int ShortLength = 10;
    public const int LongLength = 10_000;

    private const int WarmupRounds = 20;
    private const int Rounds = 400;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(45);

    public static async Task<IReadOnlyList<ResultRow>> RunAsync(TempRoot temp, TextWriter output)
    {
        output.WriteLine($"Append: filling a store with sessions of {ShortLength} and {LongLength:N0} messages...");
        // Both sessions share one store, so the only difference between them is the session's length.
        await using var store = SqliteSessionStore.Open(temp.Directory("append-store"));
        await Fixtures.CreateAppendSessionsAsync(store, ShortLength, LongLength);

        using var raw = RawAppender.Open(Path.Combine(temp.Directory("append-raw"), "raw.db"));

        var n = 0;
        var stats = await Interleaved.MeasureAsync(
            WarmupRounds,
            Rounds,
            Budget,
            () => { raw.Insert(BenchText.Get(n++)); return ValueTask.CompletedTask; },
            async () => await store.AppendAsync("short", [new NewMessage(MessageRole.Assistant, BenchText.Get(n++))]),
            async () => await store.AppendAsync("long", [new NewMessage(MessageRole.Assistant, BenchText.Get(n++))]));
        var (rawStats, shortStats, longStats) = (stats[0], stats[1], stats[2]);

        Report.PrintStats(output, "raw BEGIN/INSERT/COMMIT", rawStats);
        Report.PrintStats(output, $"append @{ShortLength}", shortStats);
        Report.PrintStats(output, $"append @{LongLength:N0}", longStats);
        // Each measured append grows its session; say by how much, so "@10" is not taken too literally.
        output.WriteLine($"  (each session grew by {WarmupRounds + shortStats.Count} messages during the run)");

        const string Baseline = "raw BEGIN IMMEDIATE; INSERT; COMMIT";
        return
        [
            ResultRow.RatioTarget($"Durable append, session of {ShortLength}", shortStats, Baseline, rawStats, 1.2),
            ResultRow.RatioTarget($"Durable append, session of {LongLength:N0}", longStats, Baseline, rawStats, 1.2),
            ResultRow.Growth($"Append growth {LongLength:N0} vs {ShortLength}", longStats, shortStats, $"append, session of {ShortLength}", 1.3),
        ];
    }
}
