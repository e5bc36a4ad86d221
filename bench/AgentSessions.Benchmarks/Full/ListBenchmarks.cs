using AgentSessions.Benchmarks.Shared;
using AgentSessions.Sqlite;
using AgentSessions.Storage;
using BenchmarkDotNet.Attributes;

namespace AgentSessions.Benchmarks.Full;

/// <summary>Listing the 50 newest of 100,000 sessions, unfiltered and by tag, against raw SELECTs.</summary>
[MemoryDiagnoser]
public class ListBenchmarks : StoreBenchmark<RawReader>
{
    private static readonly SessionQuery All = new() { Limit = 50 };
    private static readonly SessionQuery Tagged = new() { Tag = "t7", Limit = 50 };


    [GlobalSetup]
    public async Task SetupAsync()
    {
        var directory = Temp.Directory("store");
        await Fixtures.CreateEmptyStoreAsync(directory);
        Fixtures.BulkInsertSessions(new SqliteStoreOptions(directory).DatabasePath, 100_000, tagValues: 10);
        Store = SqliteSessionStore.Open(directory);
        Raw = new RawReader(Store.Options.DatabasePath);
    }

    [Benchmark(Baseline = true, Description = "raw SELECT newest 50")]
    public int RawNewest() => Raw!.Newest(50).Count;

    [Benchmark(Description = "ListAsync newest 50")]
    public async Task<int> List() => (await Store!.ListAsync(All)).Sessions.Count;

    [Benchmark(Description = "raw SELECT newest 50, tag")]
    public int RawNewestWithTag() => Raw!.NewestWithTag("t7", 50).Count;

    [Benchmark(Description = "ListAsync newest 50, tag")]
    public async Task<int> ListWithTag() => (await Store!.ListAsync(Tagged)).Sessions.Count;
}
