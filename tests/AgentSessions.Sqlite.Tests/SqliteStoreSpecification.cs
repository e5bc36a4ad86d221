using AgentSessions.Specification.Tests;

namespace AgentSessions.Sqlite.Tests;

/// <summary>The SQLite store closes the conformance suite, each test on a real database file in a directory of its own.</summary>
public sealed class SqliteStoreSpecification() : SessionStoreSpecification(new DirectoryStoreFactory(SqliteSessionStore.Open));
