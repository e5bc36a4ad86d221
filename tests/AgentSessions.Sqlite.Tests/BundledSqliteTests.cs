using AgentSessions.Sqlite;
using AgentSessions.Testing;
using Microsoft.Data.Sqlite;
using Xunit;

namespace AgentSessions.Sqlite.Tests;

/// <summary>
/// The SQLite engine the store ships with (SQLitePCLRaw 3's bundle) and the features the schema needs from it. The
/// store's own tests fail too if FTS5 or the JSON functions were missing, but far from the cause; these say it
/// in one line.
/// </summary>
public sealed class BundledSqliteTests
{
    [Fact]
    public async Task Info_reports_the_bundled_sqlite_version_3_5x()
    {
        using var temp = TempDirectory.ForCaller();
        await using var store = SqliteSessionStore.Open(temp.Combine("store"));

        var version = (await store.GetInfoAsync()).Details["sqliteVersion"];

        Assert.StartsWith("3.5", version, StringComparison.Ordinal);
    }

    [Fact]
    public void The_bundled_sqlite_has_fts5_and_the_json_functions()
    {
        SQLitePCL.Batteries_V2.Init();
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();

        // Full-text search: messages_fts and titles_fts are FTS5 tables with this tokenizer and prefix queries.
        Exec(connection, "CREATE VIRTUAL TABLE t USING fts5 (body, tokenize = 'unicode61 remove_diacritics 2'); INSERT INTO t VALUES ('Durable appènds')");
        Assert.Equal(1L, Scalar(connection, "SELECT count(*) FROM t WHERE t MATCH 'append*'"));

        // The JSON functions: json_valid checks each row as it is read; json_each and json_extract serve tags and imports.
        Assert.Equal(1L, Scalar(connection, """SELECT json_valid('{"a":[1,2]}')"""));
        Assert.Equal(0L, Scalar(connection, """SELECT json_valid('{"a":')"""));
        Assert.Equal(2L, Scalar(connection, """SELECT count(*) FROM json_each('["x","y"]')"""));
        Assert.Equal("h", Scalar(connection, """SELECT json_extract('{"importedFrom":{"sha256":"h"}}', '$.importedFrom.sha256')"""));
    }

    private static void Exec(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
