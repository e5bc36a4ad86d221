using System.Text.Json;
using AgentSessions.Storage;
using Microsoft.Data.Sqlite;

namespace AgentSessions.Sqlite;

// Everything recorded about a session besides its messages, read in one pass for show, the API and session.load.
public sealed partial class SqliteSessionStore
{
    /// <inheritdoc />
    public ValueTask<SessionDetails> GetDetailsAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        return ValueTask.FromResult(Read(reader =>
        {
            var connection = reader.Connection;
            var (row, session, lastSeq) = ReadHead(connection, sessionId);
            var details = new SessionDetails
            {
                Snapshots = ReadSnapshots(connection, row),
                Bookmarks = ReadList(connection, "SELECT name, seq, note, created_at FROM bookmarks WHERE session_row = $row ORDER BY seq, name", row,
                    r => new Bookmark(r.GetString(0), r.GetInt64(1), FromTicks(r.GetInt64(3))) { Note = r.IsDBNull(2) ? null : r.GetString(2) }),
                ToolExecutions = ReadList(connection, """
                    SELECT exec_id, tool_name, call_id, arguments, result, success, duration_ms, agent_name, seq, created_at,
                           CASE WHEN result_blob IS NULL THEN NULL ELSE (SELECT data FROM blobs WHERE hash = result_blob) END,
                           CASE WHEN result_blob IS NULL THEN NULL ELSE (SELECT size FROM blobs WHERE hash = result_blob) END
                    FROM tool_executions WHERE session_row = $row ORDER BY row_id
                    """, row, ReadToolExecution),
                Files = ReadList(connection, "SELECT path, kind, agent_name, seq, at FROM file_changes WHERE session_row = $row ORDER BY row_id", row,
                    r => new FileChange(r.GetString(0), (FileChangeKind)r.GetInt32(1), FromTicks(r.GetInt64(4)))
                    {
                        AgentName = r.IsDBNull(2) ? null : r.GetString(2),
                        Sequence = r.IsDBNull(3) ? null : r.GetInt64(3),
                    }),
                Forks = ReadList(connection, "SELECT id FROM sessions WHERE parent_id = (SELECT id FROM sessions WHERE row_id = $row) ORDER BY created_at, row_id", row, r => r.GetString(0)),
                HiddenMessages = lastSeq - session.MessageCount,
                CanRedo = ReadList(connection, "SELECT 1 FROM redo_states WHERE session_row = $row LIMIT 1", row, _ => true).Count > 0,
                AgentsUsed = ReadList(connection, """
                    SELECT author FROM messages WHERE session_row = $row AND author IS NOT NULL AND seq <= (SELECT message_count FROM sessions WHERE row_id = $row)
                    UNION SELECT agent_name FROM tool_executions WHERE session_row = $row AND agent_name IS NOT NULL
                    UNION SELECT agent_name FROM file_changes WHERE session_row = $row AND agent_name IS NOT NULL
                    ORDER BY 1
                    """, row, r => r.GetString(0)),
            };
            return details;
        }));
    }

    private static ToolExecution ReadToolExecution(SqliteDataReader r)
    {
        var result = !r.IsDBNull(4) ? r.GetString(4) : !r.IsDBNull(10) ? Content.FromBlob((byte[])r.GetValue(10), r.GetInt64(11)) : null;
        return new ToolExecution
        {
            Id = r.GetString(0),
            ToolName = r.GetString(1),
            CallId = r.IsDBNull(2) ? null : r.GetString(2),
            Arguments = r.IsDBNull(3) ? null : JsonDocument.Parse(r.GetString(3)).RootElement.Clone(),
            Result = result is null ? null : JsonDocument.Parse(result).RootElement.Clone(),
            Success = r.GetInt64(5) != 0,
            DurationMs = r.IsDBNull(6) ? null : r.GetInt64(6),
            AgentName = r.IsDBNull(7) ? null : r.GetString(7),
            Sequence = r.IsDBNull(8) ? null : r.GetInt64(8),
            CreatedAt = FromTicks(r.GetInt64(9)),
        };
    }

    private static List<T> ReadList<T>(SqliteConnection connection, string sql, long row, Func<SqliteDataReader, T> read)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$row", row);
        using var reader = command.ExecuteReader();
        var list = new List<T>();
        while (reader.Read())
        {
            list.Add(read(reader));
        }

        return list;
    }
}
