using AgentSessions.Benchmarks.Shared;
using AgentSessions.Sqlite;
using AgentSessions.Storage;
using BenchmarkDotNet.Attributes;

namespace AgentSessions.Benchmarks.Full;

/// <summary>Loading a whole 1,000-message session, against a raw SELECT of the same rows.</summary>
[MemoryDiagnoser]
public class LoadBenchmarks
{
    private TempRoot? _temp;
    private SqliteSessionStore? _store;
    private RawReader? _raw;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _temp = TempRoot.Create();
        _store = SqliteSessionStore.Open(_temp.Directory("store"));
        await Fixtures.CreateSessionAsync(_store, "load", 1_000);
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

    [Benchmark(Baseline = true, Description = "raw SELECT seq, message_id, text")]
    public int RawSelect() => _raw!.Messages("load").Count;

    [Benchmark(Description = "ReadAsync 1,000 messages")]
    public async Task<int> Load()
    {
        var messages = new List<SessionMessage>();
        await foreach (var message in _store!.ReadAsync("load", MessageRange.All))
        {
            messages.Add(message);
        }

        return messages.Count;
    }
}
