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

    public static async Task<IReadOnlyList<ResultRow>> RunAsync(TempRoot temp, TextWriter output)
    {
        output.WriteLine($"List: bulk-loading {Sessions:N0} sessions...");
        var directory = temp.Directory("list-store");
        await Fixtures.CreateEmptyStoreAsync(directory);
        var clock = Stopwatch.StartNew();
        Fixtures.BulkInsertSessions(new SqliteStoreOptions(directory).DatabasePath, Sessions, TagValues);
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
            Rounds,
            Budget,
            () => { _ = raw.Newest(Limit); return ValueTask.CompletedTask; },
            async () => _ = await store.ListAsync(all),
            () => { _ = raw.NewestWithTag("t7", Limit); return ValueTask.CompletedTask; },
            async () => _ = await store.ListAsync(tagged));

        Report.PrintStats(output, "raw SELECT newest 50", stats[0]);
        Report.PrintStats(output, "ListAsync newest 50", stats[1]);
        Report.PrintStats(output, "raw SELECT newest 50, tag t7", stats[2]);
        Report.PrintStats(output, "ListAsync newest 50, tag t7", stats[3]);
        return
        [
            ResultRow.TimeTarget($"List newest {Limit} of {Sessions:N0}", stats[1], "raw SELECT id, title, updated_at", stats[0], TargetMs),
            ResultRow.TimeTarget($"List newest {Limit} of {Sessions:N0}, tag", stats[3], "raw SELECT, same tag filter", stats[2], TargetMs),
        ];
    }
}
