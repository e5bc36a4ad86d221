using Microsoft.Data.Sqlite;

namespace AgentSessions.Benchmarks.Shared;

/// <summary>Plain Microsoft.Data.Sqlite connections for the baselines and for fast fixture loading.</summary>
public static class RawSqlite
{
    // The same provider the store uses; initializing it twice is harmless, and this way a baseline can run
    // before any store has been opened.
    static RawSqlite() => SQLitePCL.Batteries_V2.Init();

    /// <summary>
    /// Opens a read-write connection with the store's pragmas (busy_timeout, synchronous=FULL, WAL), so the
    /// baseline pays the same fsync per commit as the store's default durability.
    /// </summary>
    public static SqliteConnection OpenDurable(string databasePath)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
        }.ToString());
        connection.Open();
        Execute(connection, "PRAGMA busy_timeout = 30000; PRAGMA synchronous = FULL;");
        Execute(connection, "PRAGMA journal_mode = WAL;");
        return connection;
    }

    /// <summary>Opens a read-only connection (what a reader of the store's file would use).</summary>
    public static SqliteConnection OpenReadOnly(string databasePath)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadOnly,
            Cache = SqliteCacheMode.Private,
            Pooling = false,
        }.ToString());
        connection.Open();
        return connection;
    }

    public static string SqliteVersion()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sqlite_version()";
        return (string)command.ExecuteScalar()!;
    }

    public static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Creates a command with named parameters and prepares it once, to be reused across iterations.</summary>
    public static SqliteCommand Prepare(SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        command.Prepare();
        return command;
    }
}
