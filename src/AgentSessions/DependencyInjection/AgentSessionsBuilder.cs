using AgentSessions;
using AgentSessions.Formats.Import;
using AgentSessions.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Store-neutral settings of the session service.</summary>
public sealed class AgentSessionsOptions
{
    /// <summary>
    /// Where the store is when a backend is chosen by location (<see cref="AgentSessionsBuilder.UseStoreAt"/>):
    /// a directory or a server URL; null for <c>$AGENT_SESSIONS_STORE</c> or the default directory.
    /// </summary>
    public string? Store { get; set; }
}

/// <summary>
/// Chooses the backend of the session service in a host's container: <c>services.AddAgentSessions().UseSqlite(dir)</c>.
/// Each backend adds its own <c>Use...</c> extension method; front ends resolve <see cref="SessionService"/> only.
/// </summary>
public sealed class AgentSessionsBuilder
{
    internal AgentSessionsBuilder(IServiceCollection services) => Services = services;

    /// <summary>The container being configured.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Uses the store a factory opens (what each backend's <c>Use...</c> calls). The container owns the store: it is
    /// created on first use of <see cref="SessionService"/> and disposed with the container.
    /// </summary>
    /// <exception cref="InvalidOperationException">A backend was already chosen.</exception>
    public AgentSessionsBuilder UseStore(Func<IServiceProvider, ISessionStore> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        if (Services.Any(d => d.ServiceType == typeof(ISessionStore)))
        {
            throw new InvalidOperationException("AddAgentSessions() already has a store; call one Use... method only");
        }

        Services.AddSingleton<ISessionStore>(factory);
        return this;
    }

    /// <summary>
    /// Uses the backend that serves <see cref="AgentSessionsOptions.Store"/> (or the located default), among those
    /// a backend registered with <see cref="AddStoreProvider"/>: how the CLI and the servers choose a store without
    /// naming a backend in their code.
    /// </summary>
    public AgentSessionsBuilder UseStoreAt(string? location = null)
    {
        if (location is not null)
        {
            Services.Configure<AgentSessionsOptions>(o => o.Store = location);
        }

        return UseStore(provider =>
        {
            var at = StoreLocation.Resolve(provider.GetRequiredService<IOptions<AgentSessionsOptions>>().Value.Store);
            return StoreProviders.Open(at, [.. provider.GetServices<IStoreProvider>()], provider);
        });
    }

    /// <summary>Registers a backend that <see cref="UseStoreAt"/> may choose.</summary>
    public AgentSessionsBuilder AddStoreProvider(IStoreProvider provider)
    {
        ArgumentNullException.ThrowIfNull(provider);
        Services.AddSingleton(provider);
        return this;
    }

    /// <summary>
    /// Adds a reader of a session format to what <see cref="SessionService.ImportAsync"/> detects. Importers are
    /// tried in the order they were added; with none added the service reads our own format only
    /// (<see cref="SessionImportService.Default"/>). Adding an importer of a type already added does nothing.
    /// The readers of other systems' formats come from the AgentSessions.Import package (<c>AddImporters()</c>).
    /// </summary>
    public AgentSessionsBuilder AddImporter(ISessionImporter importer)
    {
        ArgumentNullException.ThrowIfNull(importer);
        // By type, so AddImporters() twice (say, by two libraries of one host) does not detect a format twice.
        Services.TryAddEnumerable(ServiceDescriptor.Singleton(typeof(ISessionImporter), importer));
        return this;
    }
}

/// <summary>Chooses among backends by location: what <see cref="AgentSessionsBuilder.UseStoreAt"/> and the CLI both do.</summary>
public static class StoreProviders
{
    /// <summary>Opens the store at <paramref name="location"/> with the first provider that takes it.</summary>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.InvalidArgument"/> (with <see cref="ErrorHint.ChooseStore"/>) when none does.</exception>
    public static ISessionStore Open(StoreLocation location, IReadOnlyList<IStoreProvider> providers, IServiceProvider? services = null)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(providers);
        var chosen = providers.FirstOrDefault(p => p.CanOpen(location))
            ?? throw new AgentSessionsException(ErrorCode.InvalidArgument, providers.Count == 0
                ? "no store backend is registered; add one (for example UseSqlite)"
                : $"no backend of this build opens '{location}'; a store is {string.Join(" or ", providers.Select(p => p.Describes))}", ErrorHint.ChooseStore);
        return chosen.Open(location, services ?? EmptyServices.Instance);
    }

    private sealed class EmptyServices : IServiceProvider
    {
        public static readonly EmptyServices Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}

/// <summary>A backend that opens stores at the locations it recognises.</summary>
public interface IStoreProvider
{
    /// <summary>What locations it takes, for error messages ("a directory", "a postgresql:// URL").</summary>
    string Describes { get; }

    /// <summary>Whether it opens stores at <paramref name="location"/>.</summary>
    bool CanOpen(StoreLocation location);

    /// <summary>Opens the store (creating it when it is new).</summary>
    ISessionStore Open(StoreLocation location, IServiceProvider services);
}

/// <summary>Registers the session service: <c>services.AddAgentSessions(o => ...).UseSqlite(directory)</c>.</summary>
public static class AgentSessionsServiceCollectionExtensions
{
    /// <summary>Adds <see cref="SessionService"/> (a singleton over the chosen store) and its options.</summary>
    public static AgentSessionsBuilder AddAgentSessions(this IServiceCollection services, Action<AgentSessionsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<AgentSessionsOptions>();
        if (configure is not null)
        {
            services.Configure(configure);
        }

        // The container disposes the store (a singleton it created); the service only borrows it.
        services.TryAddSingleton(provider =>
        {
            var store = provider.GetService<ISessionStore>()
                ?? throw new InvalidOperationException("AddAgentSessions() needs a store: call UseSqlite(...) or another backend's Use... method");
            var importers = provider.GetServices<ISessionImporter>().ToList();
            return importers.Count == 0 ? new SessionService(store) : new SessionService(store, importers);
        });
        return new AgentSessionsBuilder(services);
    }
}
