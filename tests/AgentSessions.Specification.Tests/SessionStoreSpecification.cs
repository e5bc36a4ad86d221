using System.Text.Json;
using AgentSessions.Formats;
using AgentSessions.Storage;
using Xunit;

namespace AgentSessions.Specification.Tests;

/// <summary>
/// The behaviour every <see cref="ISessionStore"/> must share, split by concern into partial files (sessions,
/// messages, concurrency, cancellation, search, history, tool runs, shares, retention, transfer, maintenance).
/// </summary>
/// <remarks>
/// A backend closes it with one sealed class that hands the constructor a factory of fresh, empty stores:
/// <code>public sealed class FileStoreSpecification() : SessionStoreSpecification(new DirectoryStoreFactory(FileStore.Open));</code>
/// Each test gets its own factory and its own store; nothing here knows what kind of store it is.
/// </remarks>
public abstract partial class SessionStoreSpecification : IAsyncLifetime
{
    private readonly ISessionStoreFactory _stores;
    private readonly List<ISessionStore> _opened = [];
    private ISessionStore? _store;

    /// <summary>Takes the factory this test's stores come from; the test disposes it when it ends.</summary>
    protected SessionStoreSpecification(ISessionStoreFactory stores)
    {
        ArgumentNullException.ThrowIfNull(stores);
        _stores = stores;
    }

    /// <summary>The fresh, empty store the test runs on.</summary>
    protected ISessionStore Store => _store ?? throw new InvalidOperationException("store not opened");

    /// <summary>Opens another fresh, empty store, independent of <see cref="Store"/>; disposed with it after the test.</summary>
    protected async Task<ISessionStore> OpenAnotherStoreAsync()
    {
        var store = await _stores.OpenEmptyStoreAsync();
        _opened.Add(store);
        return store;
    }

    /// <inheritdoc />
    public async Task InitializeAsync() => _store = await OpenAnotherStoreAsync();

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        // Stores first: a factory removes what they live in (files, a schema) only once nothing holds it open.
        foreach (var store in _opened)
        {
            await store.DisposeAsync();
        }

        await _stores.DisposeAsync();
    }

    private static async Task<AgentSessionsException> ThrowsCode(ErrorCode code, Func<Task> action)
    {
        var e = await Assert.ThrowsAsync<AgentSessionsException>(action);
        Assert.Equal(code, e.Code);
        return e;
    }

    /// <summary>Every message of a session (or a range of it), in order.</summary>
    protected async Task<List<SessionMessage>> ReadAllAsync(string id, MessageRange range = default)
    {
        var list = new List<SessionMessage>();
        await foreach (var m in Store.ReadAsync(id, range))
        {
            list.Add(m);
        }

        return list;
    }

    /// <summary>Collects an async stream.</summary>
    protected static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    /// <summary>Parses a JSON value that outlives its document.</summary>
    protected static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    /// <summary>Compares parts by their serialized form, so JSON payloads compare by value.</summary>
    private sealed class PartComparer : IEqualityComparer<ContentPart>
    {
        public bool Equals(ContentPart? x, ContentPart? y)
            => JsonSerializer.Serialize(x, AgentSessionsJson.Context.ContentPart) == JsonSerializer.Serialize(y, AgentSessionsJson.Context.ContentPart);

        public int GetHashCode(ContentPart obj) => 0;
    }
}
