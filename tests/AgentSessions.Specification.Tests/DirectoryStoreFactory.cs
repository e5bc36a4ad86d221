using AgentSessions.Storage;
using AgentSessions.Testing;

namespace AgentSessions.Specification.Tests;

/// <summary>Stores that live in a directory: each opened in a fresh directory of its own, all removed on dispose.</summary>
/// <param name="open">Opens (creating it) the store kept in the directory it is given, which does not exist yet.</param>
public sealed class DirectoryStoreFactory(Func<string, ISessionStore> open) : ISessionStoreFactory
{
    private readonly TempDirectory _root = TempDirectory.ForCaller("spec");
    private int _count;

    /// <inheritdoc />
    public ValueTask<ISessionStore> OpenEmptyStoreAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(open(_root.Combine($"store-{Interlocked.Increment(ref _count)}")));
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _root.Dispose();
        return ValueTask.CompletedTask;
    }
}
