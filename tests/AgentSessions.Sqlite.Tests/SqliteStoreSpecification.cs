using AgentSessions.Specification.Tests;
using AgentSessions.Sqlite;
using AgentSessions.Storage;
using AgentSessions.Testing;

namespace AgentSessions.Sqlite.Tests;

/// <summary>The SQLite store closes the conformance suite on a real database file per test.</summary>
public sealed class SqliteStoreSpecification : SessionStoreSpecification
{
    private readonly TempDirectory _directory = TempDirectory.ForCaller();

    protected override Task<ISessionStore> OpenEmptyStoreAsync()
        => Task.FromResult<ISessionStore>(SqliteSessionStore.Open(_directory.Combine("store")));

    protected override Task CleanUpAsync()
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>The SQLite store closes the history specification.</summary>
public sealed class SqliteHistorySpecification : HistorySpecification
{
    private readonly TempDirectory _directory = TempDirectory.ForCaller();

    protected override Task<ISessionStore> OpenEmptyStoreAsync()
        => Task.FromResult<ISessionStore>(SqliteSessionStore.Open(_directory.Combine("store")));

    protected override Task CleanUpAsync()
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>The SQLite store closes the share specification.</summary>
public sealed class SqliteShareSpecification : ShareSpecification
{
    private readonly TempDirectory _directory = TempDirectory.ForCaller();

    protected override Task<ISessionStore> OpenEmptyStoreAsync()
        => Task.FromResult<ISessionStore>(SqliteSessionStore.Open(_directory.Combine("store")));

    protected override Task CleanUpAsync()
    {
        _directory.Dispose();
        return Task.CompletedTask;
    }
}
