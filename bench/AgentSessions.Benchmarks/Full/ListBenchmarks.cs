using AgentSessions.Benchmarks.Shared;
using AgentSessions.Sqlite;
using AgentSessions.Storage;
using BenchmarkDotNet.Attributes;

namespace AgentSessions.Benchmarks.Full;

/// <summary>Listing the 50 newest of 100,000 sessions, unfiltered and by tag, against raw SELECTs.</summary>
[MemoryDiagnoser]
public class ListBenchmarks
{
    private static readonly SessionQuery All = new() { Limit = 50 };
    private static readonly SessionQuery Tagged = new() { Tag = "t7", Limit = 50 };

    private TempRoot? _temp;
    private SqliteSessionStore? _store;
    private RawReader? _raw;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _temp = TempRoot.Create();
        var directory = _temp.Directory("store");
        await Fixtures.CreateEmptyStoreAsync(directory);
        Fixtures.BulkInsertSessions(new SqliteStoreOptions(directory).DatabasePath, 100_000, tagValues: 10);
        _store = SqliteSessionStore.Open(directory);
        _raw = new RawReader(_store.Options.DatabasePath);
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _raw?.Dispose();
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        _temp?.Dispose();
    }

    [Benchmark(Baseline = true, Description = "raw SELECT newest 50")]
    public int RawNewest() => _raw!.Newest(50).Count;

    [Benchmark(Description = "ListAsync newest 50")]
    public async Task<int> List() => (await _store!.ListAsync(All)).Sessions.Count;

    [Benchmark(Description = "raw SELECT newest 50, tag")]
    public int RawNewestWithTag() => _raw!.NewestWithTag("t7", 50).Count;

    [Benchmark(Description = "ListAsync newest 50, tag")]
    public async Task<int> ListWithTag() => (await _store!.ListAsync(Tagged)).Sessions.Count;
}
