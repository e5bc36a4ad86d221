using AgentSessions.Benchmarks.Shared;
using AgentSessions.Sqlite;
using BenchmarkDotNet.Attributes;

namespace AgentSessions.Benchmarks.Full;

/// <summary>
/// What every full-mode class shares: a temp root, a store in it, a raw baseline object, and their cleanup.
/// </summary>
/// <typeparam name="TRaw">The raw baseline the class compares against.</typeparam>
public abstract class StoreBenchmark<TRaw>
    where TRaw : class, IDisposable
{
    private TempRoot? _temp;

    protected TempRoot Temp => _temp ??= TempRoot.Create();

    protected SqliteSessionStore? Store { get; set; }

    protected TRaw? Raw { get; set; }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        Raw?.Dispose();
        if (Store is not null)
        {
            await Store.DisposeAsync();
        }

        _temp?.Dispose();
    }
}
