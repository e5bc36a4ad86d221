using System.Diagnostics;
using System.Globalization;
using AgentSessions.Benchmarks.Shared;
using AgentSessions.Sqlite;
using AgentSessions.Storage;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>
/// Loading (resuming) a session of 1,000, 10,000 and 100,000 messages, whole and paged (the last 50, the way a
/// chat UI opens a conversation at its end), against raw SELECTs of the same rows.
/// </summary>
public static class LoadBench
{
    public static readonly int[] Lengths = [1_000, 10_000, 100_000];
    public const int Page = 50;
    public const double TargetMs = 1.5;

    public static async Task<IReadOnlyList<ResultRow>> RunAsync(TempRoot temp, TextWriter output, Plots plots)
    {
        output.WriteLine($"Load: bulk-loading sessions of {string.Join(", ", Lengths.Select(l => l.ToString("N0", CultureInfo.InvariantCulture)))} messages...");
        var directory = temp.Directory("load-store");
        await using (var setup = SqliteSessionStore.Open(directory))
        {
            foreach (var length in Lengths)
            {
                await setup.CreateAsync(new NewSession { Id = Id(length), Title = "bench " + length });
            }

            // A session after them, so none of the measured ones sits at the right edge of the indexes.
            await setup.CreateAsync(new NewSession { Id = "tail", Title = "tail" });
        }

        var clock = Stopwatch.StartNew();
        // Session rows are 1..n in creation order.
        Fixtures.BulkInsertMessages(new SqliteStoreOptions(directory).DatabasePath, Lengths.Select((l, i) => ((long)i + 1, l)).ToArray());
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  loaded in {clock.Elapsed.TotalSeconds:0.0} s"));

        await using var store = SqliteSessionStore.Open(directory);
        using var raw = new RawReader(store.Options.DatabasePath);
        var rows = new List<ResultRow>();
        foreach (var length in Lengths)
        {
            var id = Id(length);
            var last = new MessageRange(length - Page + 1, Page);

            // Check once that both sides read what they claim to, so a fast number cannot come from an empty read.
            var whole = await LoadAsync(store, id, MessageRange.All);
            var page = await LoadAsync(store, id, last);
            if (whole.Count != length || raw.Messages(id).Count != length || page.Count != Page || page[^1].Sequence != length || raw.Page(id, length - Page + 1, Page).Count != Page)
            {
                throw new InvalidOperationException($"expected {length} messages, the store read {whole.Count}");
            }

            var (warmup, rounds, budget, minRounds) = length switch
            {
                <= 1_000 => (30, 1_000, TimeSpan.FromSeconds(15), Interleaved.MinRounds),
                <= 10_000 => (5, 200, TimeSpan.FromSeconds(5), Interleaved.MinRounds),
                _ => (2, 60, TimeSpan.FromSeconds(6), 15),
            };
            var stats = await Interleaved.MeasureAsync(
                warmup,
                rounds,
                budget,
                minRounds,
                () => { _ = raw.Messages(id); return ValueTask.CompletedTask; },
                async () => _ = await LoadAsync(store, id, MessageRange.All),
                () => { _ = raw.Page(id, length - Page + 1, Page); return ValueTask.CompletedTask; },
                async () => _ = await LoadAsync(store, id, last));

            Report.PrintStats(output, $"raw SELECT all of {length:N0}", stats[0]);
            Report.PrintStats(output, $"ReadAsync all of {length:N0}", stats[1]);
            Report.PrintStats(output, $"raw SELECT last {Page} of {length:N0}", stats[2]);
            Report.PrintStats(output, $"ReadAsync last {Page} of {length:N0}", stats[3]);
            plots.Add("load.dat", "session_length raw_whole_ms store_whole_ms raw_last50_ms store_last50_ms", length, stats[0].MedianMs, stats[1].MedianMs, stats[2].MedianMs, stats[3].MedianMs);

            rows.Add(length == 1_000
                ? ResultRow.TimeTarget($"Load {length:N0}-message session", stats[1], "raw SELECT of the same rows", stats[0], TargetMs)
                : ResultRow.Info($"Load {length:N0}-message session", stats[1], "raw SELECT of the same rows", stats[0]));
            rows.Add(ResultRow.Info($"Load last {Page} of {length:N0} (MessageRange)", stats[3], "raw SELECT ... LIMIT 50, same rows", stats[2]));
        }

        return rows;
    }

    private static string Id(int length) => "load" + length.ToString(CultureInfo.InvariantCulture);

    private static async Task<List<SessionMessage>> LoadAsync(ISessionStore store, string id, MessageRange range)
    {
        var messages = new List<SessionMessage>();
        await foreach (var message in store.ReadAsync(id, range))
        {
            messages.Add(message);
        }

        return messages;
    }
}
