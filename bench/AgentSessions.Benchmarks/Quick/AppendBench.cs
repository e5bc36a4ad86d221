using System.Globalization;
using AgentSessions.Benchmarks.Shared;
using AgentSessions.Sqlite;
using AgentSessions.Storage;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>
/// Durable append of one ~200-character message to sessions of 10, 1,000 and 10,000 messages, against (a) a raw
/// SQLite transaction that inserts one row with the same pragmas (WAL, synchronous=FULL): what the store adds on
/// top of the fsync every durable commit pays anyway, and whether that grows with the session; and (b) the way
/// the systems we replace save: the whole session rewritten as a JSON file (temp file, fsync, rename).
/// </summary>
public static class AppendBench
{
    public static readonly int[] Lengths = [10, 1_000, 10_000];

    private const int WarmupRounds = 20;
    private const int Rounds = 400;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(45);

    private const int JsonWarmupRounds = 3;
    private const int JsonRounds = 200;
    private static readonly TimeSpan JsonBudget = TimeSpan.FromSeconds(6);

    public static async Task<IReadOnlyList<ResultRow>> RunAsync(TempRoot temp, TextWriter output, Plots plots)
    {
        output.WriteLine($"Append: filling a store with sessions of {string.Join(", ", Lengths.Select(l => l.ToString("N0", CultureInfo.InvariantCulture)))} messages...");
        // All sessions share one store, so the only difference between them is the session's length.
        await using var store = SqliteSessionStore.Open(temp.Directory("append-store"));
        await Fixtures.CreateAppendSessionsAsync(store, Lengths);

        using var raw = RawAppender.Open(Path.Combine(temp.Directory("append-raw"), "raw.db"));

        var n = 0;
        var operations = new List<Func<ValueTask>> { () => { raw.Insert(BenchText.Get(n++)); return ValueTask.CompletedTask; } };
        foreach (var length in Lengths)
        {
            var id = Fixtures.AppendSessionId(length);
            operations.Add(async () => await store.AppendAsync(id, [new NewMessage(MessageRole.Assistant, BenchText.Get(n++))]));
        }

        var stats = await Interleaved.MeasureAsync(WarmupRounds, Rounds, Budget, operations.ToArray());
        var rawStats = stats[0];
        Report.PrintStats(output, "raw BEGIN/INSERT/COMMIT", rawStats);
        for (var i = 0; i < Lengths.Length; i++)
        {
            Report.PrintStats(output, $"append @{Lengths[i]:N0}", stats[i + 1]);
        }

        // Each measured append grows its session; say by how much, so "@10" is not taken too literally.
        output.WriteLine($"  (each session grew by {WarmupRounds + rawStats.Count} messages during the run)");

        // The JSON-file rewrite, interleaved with more store appends at the same length (its own rounds: at
        // 10,000 messages one rewrite takes tens of milliseconds).
        var jsonDir = temp.Directory("append-json");
        var jsonStats = new Stats[Lengths.Length];
        var storeAgain = new Stats[Lengths.Length];
        for (var i = 0; i < Lengths.Length; i++)
        {
            var id = Fixtures.AppendSessionId(Lengths[i]);
            var messages = new List<SessionMessage>();
            await foreach (var message in store.ReadAsync(id, new MessageRange(1, Lengths[i])))
            {
                messages.Add(message);
            }

            var saver = new JsonFileSaver(Path.Combine(jsonDir, $"session-{Lengths[i]}.json"), messages);
            var pair = await Interleaved.MeasureAsync(
                JsonWarmupRounds,
                JsonRounds,
                JsonBudget,
                () => { saver.Save(BenchText.Get(n++)); return ValueTask.CompletedTask; },
                async () => await store.AppendAsync(id, [new NewMessage(MessageRole.Assistant, BenchText.Get(n++))]));
            jsonStats[i] = pair[0];
            storeAgain[i] = pair[1];
            Report.PrintStats(output, $"JSON file rewrite @{Lengths[i]:N0}", jsonStats[i]);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    store append beside it: median {pair[1].MedianMs:0.000} ms, JSON/store = {pair[0].MedianMs / pair[1].MedianMs:0.0}x"));
            plots.Add("append.dat", "session_length raw_commit_ms store_append_ms json_rewrite_ms", Lengths[i], rawStats.MedianMs, stats[i + 1].MedianMs, jsonStats[i].MedianMs);
        }

        const string Baseline = "raw BEGIN IMMEDIATE; INSERT; COMMIT";
        var rows = new List<ResultRow>();
        for (var i = 0; i < Lengths.Length; i++)
        {
            rows.Add(ResultRow.RatioTarget($"Durable append, session of {Lengths[i]:N0}", stats[i + 1], Baseline, rawStats, 1.2));
        }

        rows.Add(ResultRow.Growth($"Append growth {Lengths[^1]:N0} vs {Lengths[0]}", stats[^1], stats[1], $"append, session of {Lengths[0]}", 1.3));
        for (var i = 0; i < Lengths.Length; i++)
        {
            // Ratio printed as JSON rewrite / store append: how many times slower the old way is.
            var s = storeAgain[i];
            rows.Add(new ResultRow(
                $"JSON-file rewrite per save, session of {Lengths[i]:N0}",
                jsonStats[i],
                "store append (same rounds)",
                s,
                jsonStats[i].MedianMs / s.MedianMs,
                "shown: JSON / store",
                true));
        }

        return rows;
    }
}
