using Xunit;

namespace AgentSessions.AI.Tests;

/// <summary>A fresh SQLite store per test, in its own temp directory.</summary>
public abstract class StoreTests : IAsyncLifetime
{
    protected StoreFixture Store { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Store = StoreFixture.Create(GetType().Name);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Store.DisposeAsync();
}
