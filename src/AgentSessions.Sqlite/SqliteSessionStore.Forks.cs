using AgentSessions.Storage;
using Microsoft.Data.Sqlite;

namespace AgentSessions.Sqlite;

// Forks, and the fork that keeps undone messages before an append replaces them: bulk copies of rows, and the
// release of messages (with their index entries and blob references) beyond a head.
public sealed partial class SqliteSessionStore
{
    /// <summary>
    /// Before an append replaces messages that undo or restore hid, copies the whole stored transcript into a
    /// new fork and moves the snapshots, bookmarks, tool runs and file changes beyond the head there.
    /// </summary>
    private string PreserveHiddenMessages(SqliteConnection connection, string sessionId, long row, long head, long lastSeq)
    {
        var (_, session, _) = ReadHead(connection, sessionId);
        var fork = SessionRules.UndoneMessagesFork(session, head, DateTimeOffset.UtcNow);
        var forkRow = InsertSession(connection, fork);
        CopyMessages(connection, row, forkRow, lastSeq);
        using var move = connection.CreateCommand();
        move.CommandText = """
            UPDATE snapshots SET session_row = $fork WHERE session_row = $row AND message_count > $head;
            UPDATE bookmarks SET session_row = $fork WHERE session_row = $row AND seq > $head;
            UPDATE tool_executions SET session_row = $fork WHERE session_row = $row AND seq > $head;
            UPDATE file_changes SET session_row = $fork WHERE session_row = $row AND seq > $head;
            DELETE FROM redo_states WHERE session_row = $row;
            """;
        move.Parameters.AddWithValue("$fork", forkRow);
        move.Parameters.AddWithValue("$row", row);
        move.Parameters.AddWithValue("$head", head);
        move.ExecuteNonQuery();
        CopyHistory(connection, row, forkRow, head);
        ReleaseMessages(connection, row, afterSequence: head);
        RecountSession(connection, forkRow);
        return fork.Id;
    }

    /// <inheritdoc />
    public ValueTask<Session> ForkAsync(string sessionId, long? atSequence, NewSession fork, CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        var prepared = SessionRules.PrepareFork(fork);
        return WriteAsync(connection =>
        {
            var (row, parent, _) = ReadHead(connection, sessionId);
            var created = SessionRules.NewFork(parent, atSequence, prepared, DateTimeOffset.UtcNow);
            var at = created.ForkSequence!.Value;
            var forkRow = InsertSession(connection, created);
            CopyMessages(connection, row, forkRow, at);
            CopyHistory(connection, row, forkRow, at);
            return RecountSession(connection, forkRow);
        }, cancellationToken);
    }

    /// <summary>
    /// Copies messages 1..<paramref name="upTo"/> into another session in one statement. The copies are not
    /// added to the search index: they point at the original (origin_row), indexed or waiting to be, so a search
    /// finds a message once, and a 10,000-message fork costs a bulk row copy rather than 10,000 index insertions.
    /// </summary>
    private static void CopyMessages(SqliteConnection connection, long fromRow, long toRow, long upTo)
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO messages (session_row, seq, message_id, role, text, parts, author, created_at, input_tokens, output_tokens, model, metadata, indexed, origin_row)
            SELECT $to, seq, message_id, role, text, parts, author, created_at, input_tokens, output_tokens, model, metadata, 0,
                   CASE WHEN indexed IN (1, 2) THEN row_id ELSE origin_row END
            FROM messages WHERE session_row = $from AND seq <= $upTo ORDER BY seq;
            """;
        command.Parameters.AddWithValue("$from", fromRow);
        command.Parameters.AddWithValue("$to", toRow);
        command.Parameters.AddWithValue("$upTo", upTo);
        command.ExecuteNonQuery();

        // Blob references follow the copies. Most sessions have none, so first look at the (small) range of
        // blob_refs owners the source's rows could hold before joining 10,000 rows for nothing.
        command.CommandText = """
            SELECT EXISTS (SELECT 1 FROM blob_refs WHERE owner BETWEEN
                (SELECT min(row_id) FROM messages WHERE session_row = $from) AND (SELECT max(row_id) FROM messages WHERE session_row = $from))
            """;
        if ((long)command.ExecuteScalar()! == 0)
        {
            return;
        }

        command.CommandText = """
            INSERT OR IGNORE INTO blob_refs (owner, hash)
            SELECT n.row_id, r.hash FROM messages o
            JOIN blob_refs r ON r.owner = o.row_id
            JOIN messages n ON n.session_row = $to AND n.seq = o.seq
            WHERE o.session_row = $from AND o.seq <= $upTo;
            """;
        command.ExecuteNonQuery();
    }

    /// <summary>Copies bookmarks, tool runs and file changes up to a fork point.</summary>
    private static void CopyHistory(SqliteConnection connection, long fromRow, long toRow, long upTo)
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT OR IGNORE INTO bookmarks (session_row, name, seq, note, created_at)
            SELECT $to, name, seq, note, created_at FROM bookmarks WHERE session_row = $from AND seq <= $upTo;
            INSERT OR IGNORE INTO tool_executions (session_row, exec_id, tool_name, call_id, arguments, result, result_blob, success, duration_ms, agent_name, seq, created_at)
            SELECT $to, exec_id, tool_name, call_id, arguments, result, result_blob, success, duration_ms, agent_name, seq, created_at
            FROM tool_executions WHERE session_row = $from AND (seq IS NULL OR seq <= $upTo) ORDER BY row_id;
            INSERT OR IGNORE INTO blob_refs (owner, hash)
            SELECT -row_id, result_blob FROM tool_executions WHERE session_row = $to AND result_blob IS NOT NULL;
            INSERT INTO file_changes (session_row, path, kind, agent_name, seq, at)
            SELECT $to, path, kind, agent_name, seq, at FROM file_changes WHERE session_row = $from AND (seq IS NULL OR seq <= $upTo) ORDER BY row_id;
            """;
        command.Parameters.AddWithValue("$from", fromRow);
        command.Parameters.AddWithValue("$to", toRow);
        command.Parameters.AddWithValue("$upTo", upTo);
        command.ExecuteNonQuery();
    }

    /// <summary>Sets a session's head and totals to all its stored messages and returns it.</summary>
    private static Session RecountSession(SqliteConnection connection, long row)
    {
        using var command = connection.CreateCommand();
        // One pass over the rows for all four totals.
        command.CommandText = $"""
            UPDATE sessions SET (message_count, last_seq, input_tokens, output_tokens) =
                (SELECT count(*), coalesce(max(seq), 0), {TokenSum("input_tokens")}, {TokenSum("output_tokens")} FROM messages WHERE session_row = $row)
            WHERE row_id = $row
            RETURNING {SessionColumns}
            """;
        command.Parameters.AddWithValue("$row", row);
        using var reader = command.ExecuteReader();
        reader.Read();
        return ReadSession(reader);
    }

    /// <summary>
    /// Removes a session's messages after <paramref name="afterSequence"/> with their search entries and blob
    /// references. Fork copies of those messages become indexed originals themselves first, so they stay
    /// searchable. Originals still waiting for the index (indexed = 2) hand over their copies the same way but
    /// have no index entry to remove: telling an external-content FTS5 table to delete a row it never had
    /// corrupts it.
    /// </summary>
    private static void ReleaseMessages(SqliteConnection connection, long row, long afterSequence)
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            CREATE TEMP TABLE IF NOT EXISTS released (row_id INTEGER PRIMARY KEY);
            DELETE FROM temp.released;
            INSERT INTO temp.released SELECT row_id FROM messages WHERE session_row = $row AND seq > $after AND indexed IN (1, 2);
            INSERT INTO messages_fts (rowid, text) SELECT row_id, text FROM messages WHERE origin_row IN (SELECT row_id FROM temp.released);
            UPDATE messages SET indexed = 1, origin_row = NULL WHERE origin_row IN (SELECT row_id FROM temp.released);
            INSERT INTO messages_fts (messages_fts, rowid, text) SELECT 'delete', row_id, text FROM messages WHERE row_id IN (SELECT row_id FROM temp.released) AND indexed = 1;
            DELETE FROM blob_refs WHERE owner IN (SELECT row_id FROM messages WHERE session_row = $row AND seq > $after);
            DELETE FROM blobs WHERE NOT EXISTS (SELECT 1 FROM blob_refs r WHERE r.hash = blobs.hash);
            DELETE FROM messages WHERE session_row = $row AND seq > $after;
            UPDATE sessions SET last_seq = min(last_seq, $after) WHERE row_id = $row;
            DELETE FROM temp.released;
            """;
        command.Parameters.AddWithValue("$row", row);
        command.Parameters.AddWithValue("$after", afterSequence);
        command.ExecuteNonQuery();
    }

    private static void DeleteToolExecutions(SqliteConnection connection, long row, long? afterSequence)
    {
        using var command = connection.CreateCommand();
        var where = afterSequence is null ? "session_row = $row" : "session_row = $row AND seq > $after";
        command.CommandText = $"""
            DELETE FROM blob_refs WHERE owner IN (SELECT -row_id FROM tool_executions WHERE {where});
            DELETE FROM blobs WHERE NOT EXISTS (SELECT 1 FROM blob_refs r WHERE r.hash = blobs.hash);
            DELETE FROM tool_executions WHERE {where};
            """;
        command.Parameters.AddWithValue("$row", row);
        command.Parameters.AddWithValue("$after", afterSequence ?? 0);
        command.ExecuteNonQuery();
    }
}
