using AgentSessions.Specification.Tests;
using AgentSessions.Sqlite;
using AgentSessions.Storage;

namespace AgentSessions.Sqlite.Tests;

// The SQLite store closes every specification on a real database file in the test's own directory.

/// <summary>The SQLite store closes the session specification.</summary>
public sealed class SqliteStoreSpecification : SessionStoreSpecification
{
    protected override Task<ISessionStore> OpenEmptyStoreAsync() => Task.FromResult<ISessionStore>(SqliteSessionStore.Open(Directory.Combine("store")));
}

/// <summary>The SQLite store closes the history specification.</summary>
public sealed class SqliteHistorySpecification : HistorySpecification
{
    protected override Task<ISessionStore> OpenEmptyStoreAsync() => Task.FromResult<ISessionStore>(SqliteSessionStore.Open(Directory.Combine("store")));
}

/// <summary>The SQLite store closes the share specification.</summary>
public sealed class SqliteShareSpecification : ShareSpecification
{
    protected override Task<ISessionStore> OpenEmptyStoreAsync() => Task.FromResult<ISessionStore>(SqliteSessionStore.Open(Directory.Combine("store")));
}
