using Microsoft.Data.Sqlite;

namespace AgentSessions.Benchmarks.Shared;

/// <summary>The append baseline: the least a durable one-row commit can cost through Microsoft.Data.Sqlite.</summary>
/// <remarks>Its own database file with the store's pragmas; statements are prepared once and reused, as the store does.</remarks>
public sealed class RawAppender : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _begin;
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _commit;
    private long _seq;

    private RawAppender(SqliteConnection connection)
    {
        _connection = connection;
        RawSqlite.Execute(connection, "CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, session TEXT, seq INTEGER, text TEXT)");
        _begin = RawSqlite.Prepare(connection, "BEGIN IMMEDIATE");
        _insert = RawSqlite.Prepare(connection, "INSERT INTO messages (session, seq, text) VALUES ($session, $seq, $text)", "$session", "$seq", "$text");
        _commit = RawSqlite.Prepare(connection, "COMMIT");
        _insert.Parameters[0].Value = "raw";
    }

    public static RawAppender Open(string databasePath) => new(RawSqlite.OpenDurable(databasePath));

    public void Insert(string text)
    {
        _begin.ExecuteNonQuery();
        _insert.Parameters[1].Value = ++_seq;
        _insert.Parameters[2].Value = text;
        _insert.ExecuteNonQuery();
        _commit.ExecuteNonQuery();
    }

    /// <summary>One durable transaction inserting <paramref name="count"/> rows of one session: the raw side of an import or a copy.</summary>
    /// <param name="sessionId">The rows' session.</param>
    /// <param name="count">How many rows (sequence 1..count).</param>
    /// <param name="textOffset">Where in <see cref="BenchText"/> the rows' texts start.</param>
    public void InsertSession(string sessionId, int count, int textOffset = 0)
    {
        _begin.ExecuteNonQuery();
        _insert.Parameters[0].Value = sessionId;
        for (var i = 0; i < count; i++)
        {
            _insert.Parameters[1].Value = i + 1;
            _insert.Parameters[2].Value = BenchText.Get(textOffset + i);
            _insert.ExecuteNonQuery();
        }

        _commit.ExecuteNonQuery();
        _insert.Parameters[0].Value = "raw";
    }

    public void Dispose()
    {
        _begin.Dispose();
        _insert.Dispose();
        _commit.Dispose();
        _connection.Dispose();
    }
}

/// <summary>
/// The read baselines: the same rows straight from the store's own file on a read-only connection, with only
/// the columns a caller needs and no objects beyond a tuple. The gap to the store is its mapping into
/// SessionMessage / Session records plus its snapshot transaction and checks.
/// </summary>
public sealed class RawReader : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _messages;
    private readonly SqliteCommand _page;
    private readonly SqliteCommand _newest;
    private readonly SqliteCommand _newestWithTag;

    public RawReader(string databasePath)
    {
        _connection = RawSqlite.OpenReadOnly(databasePath);
        _messages = RawSqlite.Prepare(
            _connection,
            "SELECT seq, message_id, text FROM messages WHERE session_row = (SELECT row_id FROM sessions WHERE id = $id) ORDER BY seq",
            "$id");
        _page = RawSqlite.Prepare(
            _connection,
            "SELECT seq, message_id, text FROM messages WHERE session_row = (SELECT row_id FROM sessions WHERE id = $id) AND seq >= $from ORDER BY seq LIMIT $limit",
            "$id", "$from", "$limit");
        _newest = RawSqlite.Prepare(_connection, "SELECT id, title, updated_at FROM sessions ORDER BY updated_at DESC LIMIT $limit", "$limit");
        // The same filter the store uses, so the two differ only in what they read and build, not in the plan.
        _newestWithTag = RawSqlite.Prepare(
            _connection,
            """
            SELECT s.id, s.title, s.updated_at FROM session_tags t JOIN sessions s ON s.row_id = t.session_row
            WHERE t.tag = $tag
            ORDER BY t.updated_at DESC, t.session_row DESC LIMIT $limit
            """,
            "$tag", "$limit");
    }

    public List<(long Seq, string Id, string Text)> Messages(string sessionId)
    {
        _messages.Parameters[0].Value = sessionId;
        var rows = new List<(long, string, string)>();
        using var reader = _messages.ExecuteReader();
        while (reader.Read())
        {
            rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
        }

        return rows;
    }

    public List<(long Seq, string Id, string Text)> Page(string sessionId, long from, int limit)
    {
        _page.Parameters[0].Value = sessionId;
        _page.Parameters[1].Value = from;
        _page.Parameters[2].Value = limit;
        var rows = new List<(long, string, string)>();
        using var reader = _page.ExecuteReader();
        while (reader.Read())
        {
            rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2)));
        }

        return rows;
    }

    public List<(string Id, string? Title, long UpdatedAt)> Newest(int limit)
    {
        _newest.Parameters[0].Value = limit;
        return ReadSessions(_newest);
    }

    public List<(string Id, string? Title, long UpdatedAt)> NewestWithTag(string tag, int limit)
    {
        _newestWithTag.Parameters[0].Value = tag;
        _newestWithTag.Parameters[1].Value = limit;
        return ReadSessions(_newestWithTag);
    }

    private static List<(string, string?, long)> ReadSessions(SqliteCommand command)
    {
        var rows = new List<(string, string?, long)>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            rows.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetInt64(2)));
        }

        return rows;
    }

    public void Dispose()
    {
        _messages.Dispose();
        _page.Dispose();
        _newest.Dispose();
        _newestWithTag.Dispose();
        _connection.Dispose();
    }
}
