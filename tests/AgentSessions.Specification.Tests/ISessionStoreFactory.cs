using AgentSessions.Storage;

namespace AgentSessions.Specification.Tests;

/// <summary>Makes the fresh, empty stores the conformance suite runs on: the one thing a backend supplies to it.</summary>
/// <remarks>
/// The suite makes one factory per test and disposes it after the test, once every store it opened is disposed.
/// A file-based backend can use <see cref="DirectoryStoreFactory"/>; a server-based one (PostgreSQL) makes a schema or
/// database per store here and drops it in <see cref="IAsyncDisposable.DisposeAsync"/>.
/// </remarks>
public interface ISessionStoreFactory : IAsyncDisposable
{
    /// <summary>Opens a new, empty store that shares nothing with any other store this factory or another made.</summary>
    ValueTask<ISessionStore> OpenEmptyStoreAsync(CancellationToken cancellationToken = default);
}
