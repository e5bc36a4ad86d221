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
public class AppendBenchmarks
{
    private TempRoot? _temp;
    private SqliteSessionStore? _store;
    private RawAppender? _raw;
    private int _n;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _temp = TempRoot.Create();
        _store = SqliteSessionStore.Open(_temp.Directory("store"));
        await Fixtures.CreateAppendSessionsAsync(_store, 10, 10_000);
        _raw = RawAppender.Open(Path.Combine(_temp.Directory("raw"), "raw.db"));
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

    [Benchmark(Baseline = true, Description = "raw BEGIN/INSERT/COMMIT")]
    public void RawInsert() => _raw!.Insert(BenchText.Get(_n++));

    [Benchmark(Description = "AppendAsync, session of 10")]
    public async Task AppendShort() => await _store!.AppendAsync("short", [new NewMessage(MessageRole.Assistant, BenchText.Get(_n++))]);

    [Benchmark(Description = "AppendAsync, session of 10,000")]
    public async Task AppendLong() => await _store!.AppendAsync("long", [new NewMessage(MessageRole.Assistant, BenchText.Get(_n++))]);
}
