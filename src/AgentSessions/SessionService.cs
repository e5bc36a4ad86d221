using AgentSessions.Storage;

namespace AgentSessions;

/// <summary>
/// The one type front ends call: every operation on sessions, their messages, history, shares, transfers and the
/// store's health, with the product's rules applied here and nowhere else.
/// </summary>
/// <remarks>
/// <para>
/// Front ends (the CLI, the RPC and HTTP servers, the agent adapters) talk to this type, never to a store. It
/// talks to an <see cref="ISessionStore"/>, the narrow contract a backend implements. Errors are
/// <see cref="AgentSessionsException"/>s with a stable <see cref="ErrorCode"/> and a message that names no front
/// end's options; each front end adds its own hints.
/// </para>
/// <para>
/// The operations are grouped by concern in partial files: sessions, messages, history, shares, transfer and
/// maintenance. The service is thread-safe as far as its store is (the built-in stores are). It does not own the
/// store's lifetime unless created with <c>ownsStore: true</c>.
/// </para>
/// </remarks>
public sealed partial class SessionService : IAsyncDisposable
{
    private readonly bool _ownsStore;

    /// <summary>Creates a service over a store.</summary>
    /// <param name="store">The backend.</param>
    /// <param name="ownsStore">Whether disposing the service disposes the store.</param>
    public SessionService(ISessionStore store, bool ownsStore = false)
    {
        Store = store ?? throw new ArgumentNullException(nameof(store));
        _ownsStore = ownsStore;
    }

    /// <summary>The underlying store: for the core's own helpers and tests, never for front ends.</summary>
    internal ISessionStore Store { get; }

    /// <summary>Where the store keeps its data (a directory, a server), for messages and <c>info</c>.</summary>
    public string Location => Store.Location;

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _ownsStore ? Store.DisposeAsync() : ValueTask.CompletedTask;
}
