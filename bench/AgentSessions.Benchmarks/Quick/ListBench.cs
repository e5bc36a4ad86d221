using System.Diagnostics;
using System.Globalization;
using AgentSessions.Benchmarks.Shared;
using AgentSessions.Sqlite;
using AgentSessions.Storage;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>Listing the 50 most recently updated of 100,000 sessions, unfiltered and by tag.</summary>
public static class ListBench
{
    public const int Sessions = 100_000;
    public const int TagValues = 10;
    public const int Limit = 50;
    public const double TargetMs = 5;

    private const int WarmupRounds = 30;
    private const int Rounds = 500;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(30);

    /// <summary>Store sizes for the list-time-versus-store-size series; the summary's rows are for the largest.</summary>
    public static readonly int[] Sizes = [1_000, 10_000, Sessions];

    public static async Task<IReadOnlyList<ResultRow>> RunAsync(TempRoot temp, TextWriter output, Plots plots)
    {
        IReadOnlyList<ResultRow> rows = [];
        foreach (var size in Sizes)
        {
            rows = await RunAsync(temp, output, plots, size);
        }

        return rows;
    }

    private static async Task<IReadOnlyList<ResultRow>> RunAsync(TempRoot temp, TextWriter output, Plots plots, int sessions)
    {
        output.WriteLine($"List: bulk-loading {sessions:N0} sessions...");
        var directory = temp.Directory($"list-store-{sessions}");
        await Fixtures.CreateEmptyStoreAsync(directory);
        var clock = Stopwatch.StartNew();
        Fixtures.BulkInsertSessions(new SqliteStoreOptions(directory).DatabasePath, sessions, TagValues);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  loaded in {clock.Elapsed.TotalSeconds:0.0} s"));

        await using var store = SqliteSessionStore.Open(directory);
        using var raw = new RawReader(store.Options.DatabasePath);
        var all = new SessionQuery { Limit = Limit };
        var tagged = new SessionQuery { Tag = "t7", Limit = Limit };

        var check = await store.ListAsync(tagged);
        if (check.Sessions.Count != Limit || !check.HasMore || check.Sessions.Any(s => !s.Tags.Contains("t7"))
            || (await store.ListAsync(all)).Sessions.Count != Limit || raw.NewestWithTag("t7", Limit).Count != Limit)
        {
            throw new InvalidOperationException("the list fixture does not read back as expected");
        }

        var stats = await Interleaved.MeasureAsync(
            WarmupRounds,
            sessions == Sessions ? Rounds : Rounds / 2,
            sessions == Sessions ? Budget : Budget / 4,
            () => { _ = raw.Newest(Limit); return ValueTask.CompletedTask; },
            async () => _ = await store.ListAsync(all),
            () => { _ = raw.NewestWithTag("t7", Limit); return ValueTask.CompletedTask; },
            async () => _ = await store.ListAsync(tagged));

        Report.PrintStats(output, "raw SELECT newest 50", stats[0]);
        Report.PrintStats(output, "ListAsync newest 50", stats[1]);
        Report.PrintStats(output, "raw SELECT newest 50, tag t7", stats[2]);
        Report.PrintStats(output, "ListAsync newest 50, tag t7", stats[3]);
        plots.Add("list.dat", "sessions raw_newest50_ms store_newest50_ms raw_tag_ms store_tag_ms", sessions, stats[0].MedianMs, stats[1].MedianMs, stats[2].MedianMs, stats[3].MedianMs);
        return
        [
            ResultRow.TimeTarget($"List newest {Limit} of {sessions:N0}", stats[1], "raw SELECT id, title, updated_at", stats[0], TargetMs),
            ResultRow.TimeTarget($"List newest {Limit} of {sessions:N0}, tag", stats[3], "raw SELECT, same tag filter", stats[2], TargetMs),
        ];
    }
}
