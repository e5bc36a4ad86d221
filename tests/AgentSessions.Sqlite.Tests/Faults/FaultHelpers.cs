using Microsoft.Data.Sqlite;

namespace AgentSessions.Sqlite.Tests.Faults;

/// <summary>Helpers shared by the fault tests: raw SQL behind the store's back, and reading everything back.</summary>
internal static class FaultHelpers
{
    /// <summary>Runs <paramref name="sql"/> on a raw connection to the store's database, as a damaged tool or disk would.</summary>
    public static void RawExec(string databasePath, string sql)
    {
        SQLitePCL.Batteries_V2.Init();
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Reads one value with <paramref name="sql"/> on a raw connection to the store's database.</summary>
    public static object? RawScalar(string databasePath, string sql)
    {
        SQLitePCL.Batteries_V2.Init();
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    public static async Task<List<SessionMessage>> ReadAllAsync(SqliteSessionStore store, string sessionId)
    {
        var list = new List<SessionMessage>();
        await foreach (var m in store.ReadAsync(sessionId))
        {
            list.Add(m);
        }

        return list;
    }

    public static string Failures(Storage.DoctorReport report)
        => string.Join("; ", report.Checks.Where(c => !c.Ok).Select(c => $"{c.Name}: {c.Detail}"));
}
