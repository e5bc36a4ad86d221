using AgentSessions.Storage;

namespace AgentSessions.Sqlite;

/// <summary>How hard the store works to keep an acknowledged write.</summary>
public enum SqliteDurability
{
    /// <summary>
    /// The default. <c>synchronous=FULL</c> in WAL mode: every commit is fsynced to the write-ahead log before the
    /// append returns, so an acknowledged append survives a process crash and a power loss. Costs one fsync per
    /// transaction (batch messages with one append call to share it).
    /// </summary>
    Full,

    /// <summary>
    /// <c>synchronous=NORMAL</c> in WAL mode: an acknowledged append survives a process crash; after a power loss
    /// or an OS crash the last transactions before the last checkpoint may be rolled back (never torn). Faster on
    /// disks with slow fsync.
    /// </summary>
    Normal,
}

/// <summary>Settings of a <see cref="SqliteSessionStore"/>: the common <see cref="StoreOptions"/> and SQLite's own.</summary>
public sealed record SqliteStoreOptions : StoreOptions
{
    /// <summary>The file name of the database inside the store directory.</summary>
    public const string DatabaseFileName = "sessions.db";

    /// <summary>Creates options for a store directory.</summary>
    public SqliteStoreOptions(string directory)
    {
        if (string.IsNullOrWhiteSpace(directory))
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, "the store directory is empty");
        }

        Directory = Path.GetFullPath(directory);
    }

    /// <summary>The store directory (created 0700 when missing). The database is <see cref="DatabaseFileName"/> inside it.</summary>
    public string Directory { get; }

    /// <summary>The database file.</summary>
    public string DatabasePath => Path.Combine(Directory, DatabaseFileName);

    /// <summary>Durability of acknowledged writes. Default: <see cref="SqliteDurability.Full"/>.</summary>
    public SqliteDurability Durability { get; init; } = SqliteDurability.Full;

    /// <summary>How long a write waits for another process's write to finish before failing. Default: 30 seconds.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The largest the database file may grow, in bytes, or <see langword="null"/> (the default) for no limit
    /// but the disk's. Every connection the store opens sets <c>PRAGMA max_page_count</c> to this size divided by
    /// the page size (rounded down); a write that would grow the database past it fails with
    /// <see cref="ErrorCode.StoreFull"/> and changes nothing, exactly as a full disk does. A limit below the
    /// current size does not shrink the file: it only stops further growth. The limit is not stored in the file;
    /// reopen with a larger one (or none) to write again.
    /// </summary>
    public long? MaxSizeBytes
    {
        get => _maxSizeBytes;
        init
        {
            if (value is <= 0)
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, $"the store size limit must be positive (got {value})");
            }

            _maxSizeBytes = value;
        }
    }

    private readonly long? _maxSizeBytes;

    /// <summary>The default store directory (see <see cref="StoreLocation.DefaultDirectory"/>).</summary>
    public static string DefaultDirectory() => StoreLocation.DefaultDirectory();
}
