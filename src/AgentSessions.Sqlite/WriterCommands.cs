using Microsoft.Data.Sqlite;

namespace AgentSessions.Sqlite;

/// <summary>
/// The writer connection's hot statements, created once so SQLite prepares them once: an append then costs
/// a few statement resets and binds, not a parse per call.
/// </summary>
internal sealed class WriterCommands : IDisposable
{
    public WriterCommands(SqliteConnection connection)
    {
        Begin = Create(connection, "BEGIN IMMEDIATE");
        Commit = Create(connection, "COMMIT");
        Rollback = Create(connection, "ROLLBACK");
        Savepoint = Create(connection, "SAVEPOINT write");
        Release = Create(connection, "RELEASE write");
        RollbackToSavepoint = Create(connection, "ROLLBACK TO write");
        SessionHead = Create(
            connection,
            "SELECT id, title, created_at, updated_at, model, project_path, tags, pinned, parent_id, fork_seq, metadata, message_count, input_tokens, output_tokens, row_id, last_seq FROM sessions WHERE id = $id",
            "$id");
        InsertMessage = Create(
            connection,
            """
            INSERT INTO messages (session_row, seq, message_id, role, text, parts, author, created_at, input_tokens, output_tokens, model, metadata, indexed)
            VALUES ($session, $seq, $id, $role, $text, $parts, $author, $created, $input, $output, $model, $metadata, 2)
            """,
            "$session", "$seq", "$id", "$role", "$text", "$parts", "$author", "$created", "$input", "$output", "$model", "$metadata");
        LastRowId = Create(connection, "SELECT last_insert_rowid()");
        CountWaiting = Create(connection, "SELECT count(*) FROM messages WHERE indexed = 2");
        IndexWaiting = Create(
            connection,
            """
            INSERT INTO messages_fts (rowid, text) SELECT row_id, text FROM messages WHERE indexed = 2;
            UPDATE messages SET indexed = 1 WHERE indexed = 2;
            """);
        UpdateTotals = Create(
            connection,
            """
            UPDATE sessions SET message_count = $count, last_seq = $count, input_tokens = $input, output_tokens = $output,
                                updated_at = $updated, title = $title
            WHERE row_id = $session
            """,
            "$count", "$input", "$output", "$updated", "$title", "$session");
        IndexTitle = Create(connection, "INSERT INTO titles_fts (rowid, title) VALUES ($session, $title)", "$session", "$title");
        TouchTags = Create(connection, "UPDATE session_tags SET updated_at = $updated WHERE session_row = $session", "$updated", "$session");
    }

    public SqliteCommand Begin { get; }

    public SqliteCommand Commit { get; }

    public SqliteCommand Rollback { get; }

    /// <summary>Opens the savepoint that holds one write of a group commit.</summary>
    public SqliteCommand Savepoint { get; }

    public SqliteCommand Release { get; }

    public SqliteCommand RollbackToSavepoint { get; }

    public SqliteCommand SessionHead { get; }

    public SqliteCommand InsertMessage { get; }

    /// <summary>The row id of the message just inserted (needed only for its blobs).</summary>
    public SqliteCommand LastRowId { get; }

    /// <summary>How many stored messages wait to be indexed for search (a count over a small partial index).</summary>
    public SqliteCommand CountWaiting { get; }

    /// <summary>Indexes every waiting message, in one FTS5 segment.</summary>
    public SqliteCommand IndexWaiting { get; }

    public SqliteCommand UpdateTotals { get; }

    public SqliteCommand IndexTitle { get; }

    /// <summary>Keeps session_tags.updated_at equal to sessions.updated_at.</summary>
    public SqliteCommand TouchTags { get; }

    private static SqliteCommand Create(SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        return command;
    }

    public void Dispose()
    {
        foreach (var command in new[] { Begin, Commit, Rollback, Savepoint, Release, RollbackToSavepoint, SessionHead, InsertMessage, LastRowId, CountWaiting, IndexWaiting, UpdateTotals, IndexTitle, TouchTags })
        {
            command.Dispose();
        }
    }
}
