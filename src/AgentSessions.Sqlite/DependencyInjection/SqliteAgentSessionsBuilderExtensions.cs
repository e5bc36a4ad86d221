using AgentSessions.Sqlite;
using AgentSessions.Storage;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The embedded SQLite backend: <c>services.AddAgentSessions().UseSqlite(directory)</c>.</summary>
public static class SqliteAgentSessionsBuilderExtensions
{
    /// <summary>Stores sessions in a SQLite database in <paramref name="directory"/> (created 0700 if missing).</summary>
    /// <param name="builder">The builder from <c>AddAgentSessions()</c>.</param>
    /// <param name="directory">The store directory.</param>
    /// <param name="configure">Changes the options (durability, limits); the directory stays the one given.</param>
    public static AgentSessionsBuilder UseSqlite(this AgentSessionsBuilder builder, string directory, Func<SqliteStoreOptions, SqliteStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        return builder.UseStore(services => SqliteStoreProvider.OpenStore(new SqliteStoreOptions(directory), configure, services));
    }

    /// <summary>Lets <see cref="AgentSessionsBuilder.UseStoreAt"/> choose SQLite for a directory.</summary>
    public static AgentSessionsBuilder AddSqliteProvider(this AgentSessionsBuilder builder, Func<SqliteStoreOptions, SqliteStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddStoreProvider(new SqliteStoreProvider(configure));
    }
}

/// <summary>Opens SQLite stores at directory locations.</summary>
/// <param name="configure">Changes the options of every store it opens.</param>
public sealed class SqliteStoreProvider(Func<SqliteStoreOptions, SqliteStoreOptions>? configure = null) : IStoreProvider
{
    /// <inheritdoc />
    public string Describes => "a directory";

    /// <inheritdoc />
    public bool CanOpen(StoreLocation location) => location?.IsDirectory ?? false;

    /// <inheritdoc />
    public ISessionStore Open(StoreLocation location, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(location);
        return OpenStore(new SqliteStoreOptions(location.Value), configure, services);
    }

    internal static SqliteSessionStore OpenStore(SqliteStoreOptions options, Func<SqliteStoreOptions, SqliteStoreOptions>? configure, IServiceProvider services)
    {
        options = configure?.Invoke(options) ?? options;
        if (options.Logger is null && services.GetService(typeof(ILoggerFactory)) is ILoggerFactory loggers)
        {
            options = options with { Logger = loggers.CreateLogger("AgentSessions.Sqlite") };
        }

        return SqliteSessionStore.Open(options);
    }
}
