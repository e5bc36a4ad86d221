using AgentSessions.Sqlite;
using AgentSessions.Testing;

namespace AgentSessions.AI.Tests;

/// <summary>A real SQLite store in a temp directory, reopened at will to play a process restart.</summary>
public sealed class StoreFixture : IAsyncDisposable
{
    private readonly TempDirectory _directory;

    private StoreFixture(TempDirectory directory)
    {
        _directory = directory;
        Service = Open();
    }

    public SessionService Service { get; private set; }

    public static StoreFixture Create(string caller) => new(TempDirectory.ForCaller(caller));

    /// <summary>Disposes the service and its store, and opens the same directory again.</summary>
    public async Task<SessionService> RestartAsync()
    {
        await Service.DisposeAsync();
        Service = Open();
        return Service;
    }

    public async Task<List<SessionMessage>> ReadAsync(string sessionId)
    {
        var list = new List<SessionMessage>();
        await foreach (var message in Service.ReadAsync(sessionId))
        {
            list.Add(message);
        }

        return list;
    }

    public async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync();
        _directory.Dispose();
    }

    private SessionService Open() => new(SqliteSessionStore.Open(_directory.Path), ownsStore: true);
}
