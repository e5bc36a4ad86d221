using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using AgentSessions.Storage;
using Microsoft.Data.Sqlite;

namespace AgentSessions.Sqlite;

/// <summary>The embedded SQLite store: one database file in WAL mode, shared safely by many processes.</summary>
/// <remarks>
/// <para>
/// Writes go through one connection per store instance, serialized in-process by a semaphore and across
/// processes by <c>BEGIN IMMEDIATE</c> with a busy timeout; a write that still meets <c>SQLITE_BUSY</c> is retried
/// until <see cref="SqliteStoreOptions.BusyTimeout"/>, so callers never see "database is locked". Reads use a small
/// pool of separate connections and never block writers (WAL).
/// </para>
/// <para>
/// Microsoft.Data.Sqlite's async methods run synchronously, so this type does its I/O synchronously and returns
/// completed tasks rather than pretending otherwise; transactions are kept short instead.
/// </para>
/// </remarks>
public sealed partial class SqliteSessionStore : ISessionStore
{
    private const int MaxPooledReaders = 4;

    /// <summary>The page cache of each read connection, in KiB (SQLite's default is 2,000).</summary>
    private const int ReaderCacheKiB = 32 * 1024;

    private readonly SqliteStoreOptions _options;
    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly ConcurrentQueue<WriteRequest> _writeQueue = new();
    private readonly ConcurrentBag<ReadConnection> _readers = [];
    private readonly WriterCommands _commands;
    private readonly WriterTurns _turns;
    private int _disposed;

    static SqliteSessionStore() => SQLitePCL.Batteries_V2.Init();

    private SqliteSessionStore(SqliteStoreOptions options, string connectionString, SqliteConnection writer)
    {
        _options = options;
        _connectionString = connectionString;
        _writer = writer;
        _commands = new WriterCommands(writer);
        _turns = WriterTurns.Open(options.DatabasePath);
    }

    /// <inheritdoc />
    public string Location => _options.DatabasePath;

    /// <summary>The options the store was opened with.</summary>
    public SqliteStoreOptions Options => _options;

    /// <summary>Opens (creating and migrating when needed) the store in <paramref name="directory"/>.</summary>
    public static SqliteSessionStore Open(string directory) => Open(new SqliteStoreOptions(directory));

    /// <summary>Opens (creating and migrating when needed) a store.</summary>
    /// <exception cref="AgentSessionsException">
    /// <see cref="ErrorCode.UnsupportedVersion"/> when a newer AgentSessions wrote the store;
    /// <see cref="ErrorCode.Corrupt"/> when the file is not an AgentSessions database.
    /// </exception>
    public static SqliteSessionStore Open(SqliteStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        PrepareFiles(options);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = options.DatabasePath,
            Mode = SqliteOpenMode.ReadWrite,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        }.ToString();

        SqliteConnection? writer = null;
        try
        {
            writer = OpenConnection(connectionString, options, isWriter: true);
            Migrate(writer, options);
            RestrictSideFiles(options);
            return new SqliteSessionStore(options, connectionString, writer);
        }
        catch (SqliteException e)
        {
            writer?.Dispose();
            throw Translate(e, options.DatabasePath);
        }
        catch
        {
            writer?.Dispose();
            throw;
        }
    }

    private static void PrepareFiles(SqliteStoreOptions options)
    {
        const UnixFileMode OwnerOnlyDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        try
        {
            if (!Directory.Exists(options.Directory))
            {
                if (OperatingSystem.IsWindows())
                {
                    Directory.CreateDirectory(options.Directory);
                }
                else
                {
                    Directory.CreateDirectory(options.Directory, OwnerOnlyDirectory);
                }
            }

            if (!File.Exists(options.DatabasePath))
            {
                // Create the file ourselves so it is 0600 from its first byte; SQLite gives its -wal and -shm
                // files the database file's permissions.
                var create = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }

                try
                {
                    using var _ = new FileStream(options.DatabasePath, create);
                }
                catch (IOException) when (File.Exists(options.DatabasePath))
                {
                    // Another process created it first: fine.
                }
            }
        }
        catch (UnauthorizedAccessException e)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"cannot use store directory '{options.Directory}': permission denied", ErrorHint.ChooseStore, e);
        }
        catch (IOException e)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"cannot use store directory '{options.Directory}': {e.Message}", e);
        }
    }

    private static void RestrictSideFiles(SqliteStoreOptions options)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        foreach (var suffix in (ReadOnlySpan<string>)["", "-wal", "-shm"])
        {
            var path = options.DatabasePath + suffix;
            try
            {
                if (File.Exists(path) && (File.GetUnixFileMode(path) & ~(UnixFileMode.UserRead | UnixFileMode.UserWrite)) != 0)
                {
                    File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }
            }
            catch (UnauthorizedAccessException)
            {
                // Owned by someone else (a shared team directory, say): leave the owner's choice alone.
            }
        }
    }

    private static SqliteConnection OpenConnection(string connectionString, SqliteStoreOptions options, bool isWriter)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            using var command = connection.CreateCommand();
            var synchronous = options.Durability == SqliteDurability.Full ? "FULL" : "NORMAL";
            // One statement per command. In a batch, ExecuteNonQuery stops at the first statement that answers
            // with a row ("PRAGMA busy_timeout = N" answers with N) and runs the rest while disposing its reader,
            // which swallows their errors: "PRAGMA synchronous = ;" (a mutant) went unnoticed, every test passing
            // on SQLite's default, and the pragmas after it were silently not set.
            foreach (var pragma in (ReadOnlySpan<string>)[
                $"PRAGMA busy_timeout = {(long)options.BusyTimeout.TotalMilliseconds}",
                $"PRAGMA synchronous = {synchronous}",
                "PRAGMA foreign_keys = OFF",
                "PRAGMA temp_store = MEMORY"])
            {
                command.CommandText = pragma;
                command.ExecuteNonQuery();
            }

            if (options.MaxSizeBytes is { } maxSize)
            {
                LimitSize(connection, maxSize);
            }

            if (!isWriter)
            {
                // SQLite's default page cache is 2 MiB: reading a long session (a 10,000-message coding session
                // is about 18 MiB of pages, text and parts) evicted its own pages on every load, so each load read
                // them all from the OS again. 32 MiB (allocated only as pages are read, and reset when another
                // connection writes) keeps such a session in memory from one load to the next.
                command.CommandText = $"PRAGMA cache_size = -{ReaderCacheKiB}";
                command.ExecuteNonQuery();
            }

            if (isWriter)
            {
                // Switching to WAL needs a brief exclusive lock; several processes may race here on a new store.
                ExecuteWithBusyRetry(connection, "PRAGMA journal_mode = WAL;", options.BusyTimeout);
                // No busy handler on the writer: BeginImmediate waits for the lock itself, in short steps.
                command.CommandText = "PRAGMA busy_timeout = 0";
                command.ExecuteNonQuery();
            }

            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Caps the database at <paramref name="maxSize"/> bytes for this connection (see <see cref="SqliteStoreOptions.MaxSizeBytes"/>).</summary>
    private static void LimitSize(SqliteConnection connection, long maxSize)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA page_size";
        var pageSize = (long)command.ExecuteScalar()!;
        // At least one page, so a new empty file can still be given its header.
        command.CommandText = $"PRAGMA max_page_count = {Math.Max(1, maxSize / pageSize)}";
        command.ExecuteScalar();
    }

    private static void ExecuteWithBusyRetry(SqliteConnection connection, string sql, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var command = connection.CreateCommand();
                command.CommandText = sql;
                command.ExecuteNonQuery();
                return;
            }
            catch (SqliteException e) when (IsBusy(e) && clock.Elapsed < timeout)
            {
                Backoff(attempt);
            }
        }
    }

    private ReadConnection RentReader()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _readers.TryTake(out var connection) ? connection : new ReadConnection(OpenConnection(_connectionString, _options, isWriter: false));
    }

    private void ReturnReader(ReadConnection connection)
    {
        if (Volatile.Read(ref _disposed) == 0 && _readers.Count < MaxPooledReaders)
        {
            _readers.Add(connection);
        }
        else
        {
            connection.Dispose();
        }
    }

    /// <summary>Runs <paramref name="work"/> on a pooled read connection, translating SQLite errors.</summary>
    private T Read<T>(Func<ReadConnection, T> work)
    {
        var connection = RentReader();
        try
        {
            return work(connection);
        }
        catch (SqliteException e)
        {
            throw Translate(e, _options.DatabasePath);
        }
        catch (JsonException e)
        {
            throw DamagedRow(e, "a stored row");
        }
        finally
        {
            ReturnReader(connection);
        }
    }

    /// <summary>A row whose stored JSON no longer parses: the file's pages are fine, its content is not.</summary>
    private AgentSessionsException DamagedRow(JsonException e, string what)
        => new(ErrorCode.Corrupt, $"{what} in '{_options.DatabasePath}' is damaged: its stored JSON does not parse ({e.Message.TrimEnd('.')}); export what still reads, or restore a backup", ErrorHint.RunDoctor, e);

    private void Rollback()
    {
        try
        {
            if (!_writer.IsInTransaction())
            {
                return;
            }

            _commands.Rollback.ExecuteNonQuery();
        }
        catch (SqliteException)
        {
            // The transaction is already gone (SQLite rolls back on some errors by itself).
        }
    }

    /// <summary>
    /// Waits before retrying a busy lock: 1-2 ms at first, a millisecond more every eight tries, never over 10 ms,
    /// with jitter so that waiting processes do not retry in step. Short steps let concurrent writers interleave:
    /// a lock held for one append (a few milliseconds) is taken by a waiter within a step or two of its release.
    /// </summary>
    private static void Backoff(int attempt)
        => Thread.Sleep(Math.Min(9, 1 + (attempt / 8)) + Random.Shared.Next(0, 2));

    private static bool IsBusy(SqliteException e) => (e.SqliteErrorCode & 0xFF) is 5 or 6; // SQLITE_BUSY, SQLITE_LOCKED

    internal static AgentSessionsException Translate(SqliteException e, string path) => (e.SqliteErrorCode & 0xFF) switch
    {
        5 or 6 => new AgentSessionsException(ErrorCode.Busy, $"the store at '{path}' stayed locked by another process; try again, or check for a stuck process", e),
        13 => new AgentSessionsException(ErrorCode.StoreFull, $"the store at '{path}' is full (no space left on the device or the size limit was reached); free some space and try again", e),
        11 or 26 => new AgentSessionsException(ErrorCode.Corrupt, $"'{path}' is damaged or is not an agent-sessions database ({e.Message.TrimEnd('.')})", e),
        19 => new AgentSessionsException(ErrorCode.Conflict, $"the change conflicts with data already in the store ({e.Message.TrimEnd('.')})", e),
        14 or 8 or 23 => new AgentSessionsException(ErrorCode.InvalidArgument, $"cannot open or write '{path}': {e.Message.TrimEnd('.')}; check the path and its permissions", e),
        _ => new AgentSessionsException(ErrorCode.Corrupt, $"store error at '{path}': {e.Message.TrimEnd('.')}", e),
    };

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _writeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            _commands.Dispose();
            _writer.Dispose();
            _turns.Dispose();
            while (_readers.TryTake(out var reader))
            {
                reader.Dispose();
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }
}

internal static class SqliteConnectionExtensions
{
    // sqlite3_get_autocommit is 0 while a transaction is open.
    public static bool IsInTransaction(this SqliteConnection connection)
        => SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) == 0;
}
