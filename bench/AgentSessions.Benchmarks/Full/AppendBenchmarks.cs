using AgentSessions.Benchmarks.Shared;
using AgentSessions.Sqlite;
using BenchmarkDotNet.Attributes;

namespace AgentSessions.Benchmarks.Full;

/// <summary>Durable append of one message at two session lengths, against a raw one-row durable commit.</summary>
/// <remarks>
/// Every invocation commits and fsyncs, so the sessions grow by as many messages as BenchmarkDotNet invokes
/// (thousands): the long session stays long, the short one does not stay at 10. The quick mode, with its fixed
/// iteration count, is the closer measure of "a session of 10".
/// </remarks>
[MemoryDiagnoser]
public class AppendBenchmarks : StoreBenchmark<RawAppender>
{
    private int _n;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        Store = SqliteSessionStore.Open(Temp.Directory("store"));
        await Fixtures.CreateAppendSessionsAsync(Store, [10, 10_000]);
        Raw = RawAppender.Open(Path.Combine(Temp.Directory("raw"), "raw.db"));
    }

    [Benchmark(Baseline = true, Description = "raw BEGIN/INSERT/COMMIT")]
    public void RawInsert() => Raw!.Insert(BenchText.Get(_n++));

    [Benchmark(Description = "AppendAsync, session of 10")]
    public async Task AppendShort() => await Store!.AppendAsync(Fixtures.AppendSessionId(10), [new NewMessage(MessageRole.Assistant, BenchText.Get(_n++))]);

    [Benchmark(Description = "AppendAsync, session of 10,000")]
    public async Task AppendLong() => await Store!.AppendAsync(Fixtures.AppendSessionId(10_000), [new NewMessage(MessageRole.Assistant, BenchText.Get(_n++))]);
}
