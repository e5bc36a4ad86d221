using AgentSessions.Formats.Import;
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
    private readonly ISessionImporter[] _importers;

    /// <summary>Creates a service over a store that imports our own format only (<see cref="SessionImportService.Default"/>).</summary>
    /// <param name="store">The backend.</param>
    /// <param name="ownsStore">Whether disposing the service disposes the store.</param>
    public SessionService(ISessionStore store, bool ownsStore = false)
        : this(store, SessionImportService.Default, ownsStore)
    {
    }

    /// <summary>Creates a service over a store that imports the formats <paramref name="importers"/> read.</summary>
    /// <param name="store">The backend.</param>
    /// <param name="importers">
    /// The readers <see cref="ImportAsync"/> detects formats with, tried in this order (the first that can read a
    /// file reads it). The readers of other systems' formats are in the AgentSessions.Import package
    /// (<c>AgentSessions.Import.Importers.All</c>).
    /// </param>
    /// <param name="ownsStore">Whether disposing the service disposes the store.</param>
    public SessionService(ISessionStore store, IReadOnlyList<ISessionImporter> importers, bool ownsStore = false)
    {
        Store = store ?? throw new ArgumentNullException(nameof(store));
        ArgumentNullException.ThrowIfNull(importers);
        // A copy: the caller's list may change later, and detection order must not change under a running import.
        _importers = [.. importers];
        if (_importers.Any(i => i is null))
        {
            throw new ArgumentException("the list of importers holds a null", nameof(importers));
        }

        _ownsStore = ownsStore;
    }

    /// <summary>The underlying store: for the core's own helpers and tests, never for front ends.</summary>
    internal ISessionStore Store { get; }

    /// <summary>Where the store keeps its data (a directory, a server), for messages and <c>info</c>.</summary>
    public string Location => Store.Location;

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _ownsStore ? Store.DisposeAsync() : ValueTask.CompletedTask;
}
