using AgentSessions.Storage;
using Microsoft.Data.Sqlite;

namespace AgentSessions.Sqlite;

// Bookmarks, tool runs and file changes: rows that point at a position in a session.
public sealed partial class SqliteSessionStore
{
    /// <inheritdoc />
    public ValueTask<Bookmark> AddBookmarkAsync(string sessionId, string name, long? atSequence = null, string? note = null, CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        SessionIds.Validate(name, "bookmark");
        return WriteAsync(connection =>
        {
            var (row, session, _) = ReadHead(connection, sessionId);
            var seq = SessionRules.BookmarkPosition(session, atSequence);
            var bookmark = new Bookmark(name, seq, DateTimeOffset.UtcNow) { Note = note };
            InsertBookmark(connection, row, bookmark, sessionId);
            return bookmark;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<ToolExecution> RecordToolExecutionAsync(string sessionId, ToolExecution execution, CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        ArgumentNullException.ThrowIfNull(execution);
        var prepared = PrepareExecution(execution);
        return WriteAsync(connection =>
        {
            var (row, _, _) = ReadHead(connection, sessionId);
            InsertToolExecution(connection, row, prepared, sessionId);
            return prepared.Execution;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<FileChange> RecordFileChangeAsync(string sessionId, FileChange change, CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        SessionRules.ValidateFileChange(change);

        return WriteAsync(connection =>
        {
            var (row, _, _) = ReadHead(connection, sessionId);
            InsertFileChange(connection, row, change);
            return change;
        }, cancellationToken);
    }

    private readonly record struct PreparedExecution(ToolExecution Execution, object Result, object ResultBlob, Content.Blob? Blob);

    private static PreparedExecution PrepareExecution(ToolExecution execution)
    {
        SessionRules.ValidateToolExecution(execution);

        var result = execution.Result?.GetRawText();
        if (result is not null && Content.MayBeLarge(result) && System.Text.Encoding.UTF8.GetByteCount(result) > Content.BlobThresholdBytes)
        {
            var blob = Content.ToBlob(result);
            return new PreparedExecution(execution, DBNull.Value, blob.Hash, blob);
        }

        return new PreparedExecution(execution, Nullable(result), DBNull.Value, null);
    }

    private static void InsertToolExecution(SqliteConnection connection, long row, PreparedExecution prepared, string sessionId)
    {
        var e = prepared.Execution;
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO tool_executions (session_row, exec_id, tool_name, call_id, arguments, result, result_blob, success, duration_ms, agent_name, seq, created_at)
            VALUES ($row, $id, $tool, $call, $args, $result, $blob, $success, $duration, $agent, $seq, $created)
            RETURNING row_id
            """;
        command.Parameters.AddWithValue("$row", row);
        command.Parameters.AddWithValue("$id", e.Id);
        command.Parameters.AddWithValue("$tool", e.ToolName);
        command.Parameters.AddWithValue("$call", Nullable(e.CallId));
        command.Parameters.AddWithValue("$args", Nullable(e.Arguments?.GetRawText()));
        command.Parameters.AddWithValue("$result", prepared.Result);
        command.Parameters.AddWithValue("$blob", prepared.ResultBlob);
        command.Parameters.AddWithValue("$success", e.Success ? 1 : 0);
        command.Parameters.AddWithValue("$duration", Nullable(e.DurationMs));
        command.Parameters.AddWithValue("$agent", Nullable(e.AgentName));
        command.Parameters.AddWithValue("$seq", Nullable(e.Sequence));
        command.Parameters.AddWithValue("$created", ToTicks(e.CreatedAt));
        long executionRow;
        try
        {
            executionRow = (long)command.ExecuteScalar()!;
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 19)
        {
            throw new AgentSessionsException(ErrorCode.Conflict, $"tool execution '{e.Id}' already exists in session '{sessionId}'", ex);
        }

        if (prepared.Blob is { } blob)
        {
            // Tool runs own their blobs under negative ids, beside messages' positive row ids.
            StoreBlob(connection, owner: -executionRow, blob);
        }
    }

    private static void InsertFileChange(SqliteConnection connection, long row, FileChange change)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO file_changes (session_row, path, kind, agent_name, seq, at) VALUES ($row, $path, $kind, $agent, $seq, $at)";
        command.Parameters.AddWithValue("$row", row);
        command.Parameters.AddWithValue("$path", change.Path);
        command.Parameters.AddWithValue("$kind", (int)change.Kind);
        command.Parameters.AddWithValue("$agent", Nullable(change.AgentName));
        command.Parameters.AddWithValue("$seq", Nullable(change.Sequence));
        command.Parameters.AddWithValue("$at", ToTicks(change.At));
        command.ExecuteNonQuery();
    }

    private static void InsertBookmark(SqliteConnection connection, long row, Bookmark bookmark, string sessionId)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO bookmarks (session_row, name, seq, note, created_at) VALUES ($row, $name, $seq, $note, $created)";
        command.Parameters.AddWithValue("$row", row);
        command.Parameters.AddWithValue("$name", bookmark.Name);
        command.Parameters.AddWithValue("$seq", bookmark.Sequence);
        command.Parameters.AddWithValue("$note", Nullable(bookmark.Note));
        command.Parameters.AddWithValue("$created", ToTicks(bookmark.CreatedAt));
        try
        {
            command.ExecuteNonQuery();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw new AgentSessionsException(ErrorCode.Conflict, $"session '{sessionId}' already has a bookmark named '{bookmark.Name}'", e);
        }
    }
}
