using AgentSessions.Benchmarks.Shared;
using AgentSessions.Sqlite;
using AgentSessions.Storage;
using BenchmarkDotNet.Attributes;

namespace AgentSessions.Benchmarks.Full;

/// <summary>Loading a whole 1,000-message session, against a raw SELECT of the same rows.</summary>
[MemoryDiagnoser]
public class LoadBenchmarks : StoreBenchmark<RawReader>
{

    [GlobalSetup]
    public async Task SetupAsync()
    {
        Store = SqliteSessionStore.Open(Temp.Directory("store"));
        await Fixtures.CreateSessionAsync(Store, "load", 1_000);
        Raw = new RawReader(Store.Options.DatabasePath);
    }

    [Benchmark(Baseline = true, Description = "raw SELECT seq, message_id, text")]
    public int RawSelect() => Raw!.Messages("load").Count;

    [Benchmark(Description = "ReadAsync 1,000 messages")]
    public async Task<int> Load()
    {
        var messages = new List<SessionMessage>();
        await foreach (var message in Store!.ReadAsync("load", MessageRange.All))
        {
            messages.Add(message);
        }

        return messages.Count;
    }
}
