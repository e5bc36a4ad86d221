using System.Text.Json;
using AgentSessions.Storage;
using Microsoft.Data.Sqlite;

namespace AgentSessions.Sqlite;

public sealed partial class SqliteSessionStore
{
    /// <inheritdoc />
    public ValueTask<Session> CreateAsync(NewSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        var id = session.Id is null ? SessionIds.NewSessionId() : SessionIds.Validate(session.Id);
        if (session.ParentId is not null)
        {
            SessionIds.Validate(session.ParentId, "parent session");
        }

        var tags = StoreRules.NormalizeTags(session.Tags);
        var now = (session.CreatedAt ?? DateTimeOffset.UtcNow).ToUniversalTime();
        var created = new Session
        {
            Id = id,
            Title = string.IsNullOrWhiteSpace(session.Title) ? null : session.Title.Trim(),
            CreatedAt = now,
            UpdatedAt = now,
            Model = session.Model,
            ProjectPath = session.ProjectPath,
            Tags = tags,
            Pinned = session.Pinned,
            ParentId = session.ParentId,
            ForkSequence = session.ForkSequence,
            Metadata = session.Metadata,
        };
        return WriteAsync(connection =>
        {
            InsertSession(connection, created);
            return created;
        }, cancellationToken);
    }

    private static long InsertSession(SqliteConnection connection, Session session)
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO sessions (id, title, created_at, updated_at, model, project_path, tags, pinned, parent_id, fork_seq, metadata, message_count, last_seq, input_tokens, output_tokens)
            VALUES ($id, $title, $created, $updated, $model, $project, $tags, $pinned, $parent, $fork, $metadata, $count, $count, $input, $output)
            RETURNING row_id
            """;
        command.Parameters.AddWithValue("$id", session.Id);
        command.Parameters.AddWithValue("$title", Nullable(session.Title));
        command.Parameters.AddWithValue("$created", ToTicks(session.CreatedAt));
        command.Parameters.AddWithValue("$updated", ToTicks(session.UpdatedAt));
        command.Parameters.AddWithValue("$model", Nullable(session.Model));
        command.Parameters.AddWithValue("$project", Nullable(session.ProjectPath));
        command.Parameters.AddWithValue("$tags", FormatTags(session.Tags));
        command.Parameters.AddWithValue("$pinned", session.Pinned ? 1 : 0);
        command.Parameters.AddWithValue("$parent", Nullable(session.ParentId));
        command.Parameters.AddWithValue("$fork", Nullable(session.ForkSequence));
        command.Parameters.AddWithValue("$metadata", FormatMetadata(session.Metadata));
        command.Parameters.AddWithValue("$count", session.MessageCount);
        command.Parameters.AddWithValue("$input", session.InputTokens);
        command.Parameters.AddWithValue("$output", session.OutputTokens);
        long row;
        try
        {
            row = (long)command.ExecuteScalar()!;
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw new AgentSessionsException(ErrorCode.Conflict, $"a session with id '{session.Id}' already exists", e);
        }

        SetTagRows(connection, row, session.Tags, [], ToTicks(session.UpdatedAt));
        if (session.Title is not null)
        {
            IndexTitle(connection, row, session.Title, insert: true);
        }

        return row;
    }

    /// <summary>Applies tag changes to session_tags and stamps every remaining tag row with the session's update time.</summary>
    private static void SetTagRows(SqliteConnection connection, long sessionRow, IEnumerable<string> add, IEnumerable<string> remove, long updatedTicks)
    {
        using var command = connection.CreateCommand();
        var tag = command.Parameters.Add(new SqliteParameter { ParameterName = "$tag" });
        command.Parameters.AddWithValue("$row", sessionRow);
        command.Parameters.AddWithValue("$updated", updatedTicks);
        command.CommandText = "DELETE FROM session_tags WHERE tag = $tag AND session_row = $row";
        foreach (var t in remove)
        {
            tag.Value = t;
            command.ExecuteNonQuery();
        }

        command.CommandText = "INSERT OR IGNORE INTO session_tags (tag, session_row, updated_at) VALUES ($tag, $row, $updated)";
        foreach (var t in add)
        {
            tag.Value = t;
            command.ExecuteNonQuery();
        }

        command.CommandText = "UPDATE session_tags SET updated_at = $updated WHERE session_row = $row";
        command.ExecuteNonQuery();
    }

    private static void IndexTitle(SqliteConnection connection, long sessionRow, string title, bool insert)
    {
        using var command = connection.CreateCommand();
        // External-content FTS5 tables are told about removals with the old value and the 'delete' command.
        command.CommandText = insert
            ? "INSERT INTO titles_fts (rowid, title) VALUES ($row, $title)"
            : "INSERT INTO titles_fts (titles_fts, rowid, title) VALUES ('delete', $row, $title)";
        command.Parameters.AddWithValue("$row", sessionRow);
        command.Parameters.AddWithValue("$title", title);
        command.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public ValueTask<Session> UpdateAsync(string sessionId, SessionUpdate update, CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        var prepared = SessionRules.PrepareUpdate(update);
        return WriteAsync(connection =>
        {
            var (row, current, _) = ReadHead(connection, sessionId);
            var updated = SessionRules.ApplyUpdate(current, prepared, DateTimeOffset.UtcNow);
            WriteSessionFields(connection, row, current, updated);
            return updated;
        }, cancellationToken);
    }

    /// <summary>Reads a session's row id, fields and highest stored sequence number, or fails with NotFound.</summary>
    private static (long Row, Session Session, long LastSeq) ReadHead(SqliteConnection connection, string sessionId)
    {
        using var head = connection.CreateCommand();
        head.CommandText = $"SELECT row_id, last_seq, {SessionColumns} FROM sessions WHERE id = $id";
        head.Parameters.AddWithValue("$id", sessionId);
        using var reader = head.ExecuteReader();
        return reader.Read()
            ? (reader.GetInt64(0), ReadSession(reader, 2), reader.GetInt64(1))
            : throw AgentSessionsException.SessionNotFound(sessionId);
    }

    /// <summary>
    /// Writes a session's changed fields and keeps what depends on them in step: the tag index (with the
    /// update time) and the title's search entry.
    /// </summary>
    private static void WriteSessionFields(SqliteConnection connection, long row, Session current, Session updated)
    {
        using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                UPDATE sessions SET title = $title, pinned = $pinned, model = $model, tags = $tags, metadata = $metadata, updated_at = $updated,
                    message_count = $count, input_tokens = $input, output_tokens = $output
                WHERE row_id = $row
                """;
            command.Parameters.AddWithValue("$title", Nullable(updated.Title));
            command.Parameters.AddWithValue("$pinned", updated.Pinned ? 1 : 0);
            command.Parameters.AddWithValue("$model", Nullable(updated.Model));
            command.Parameters.AddWithValue("$tags", FormatTags(updated.Tags));
            command.Parameters.AddWithValue("$metadata", FormatMetadata(updated.Metadata));
            command.Parameters.AddWithValue("$updated", ToTicks(updated.UpdatedAt));
            command.Parameters.AddWithValue("$count", updated.MessageCount);
            command.Parameters.AddWithValue("$input", updated.InputTokens);
            command.Parameters.AddWithValue("$output", updated.OutputTokens);
            command.Parameters.AddWithValue("$row", row);
            command.ExecuteNonQuery();
        }

        SetTagRows(connection, row, updated.Tags.Except(current.Tags, StringComparer.Ordinal), current.Tags.Except(updated.Tags, StringComparer.Ordinal), ToTicks(updated.UpdatedAt));
        if (updated.Title != current.Title)
        {
            if (current.Title is not null)
            {
                IndexTitle(connection, row, current.Title, insert: false);
            }

            if (updated.Title is not null)
            {
                IndexTitle(connection, row, updated.Title, insert: true);
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> DeleteAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        return WriteAsync(connection => DeleteCore(connection, sessionId), cancellationToken);
    }

    private static bool DeleteCore(SqliteConnection connection, string sessionId)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT row_id, title FROM sessions WHERE id = $id";
        command.Parameters.AddWithValue("$id", sessionId);
        long row;
        string? title;
        using (var reader = command.ExecuteReader())
        {
            if (!reader.Read())
            {
                return false;
            }

            row = reader.GetInt64(0);
            title = reader.IsDBNull(1) ? null : reader.GetString(1);
        }

        if (title is not null)
        {
            IndexTitle(connection, row, title, insert: false);
        }

        ReleaseMessages(connection, row, afterSequence: 0);
        command.Parameters.Clear();
        command.Parameters.AddWithValue("$row", row);
        command.CommandText = """
            DELETE FROM session_tags WHERE session_row = $row;
            DELETE FROM snapshots WHERE session_row = $row;
            DELETE FROM redo_states WHERE session_row = $row;
            DELETE FROM bookmarks WHERE session_row = $row;
            DELETE FROM file_changes WHERE session_row = $row;
            DELETE FROM shares WHERE session_row = $row;
            """;
        command.ExecuteNonQuery();
        DeleteToolExecutions(connection, row, afterSequence: null);
        command.CommandText = "DELETE FROM sessions WHERE row_id = $row";
        command.ExecuteNonQuery();
        return true;
    }

    /// <inheritdoc />
    public ValueTask<Session> ImportAsync(SessionArchive archive, bool replace = false, Session? expected = null, CancellationToken cancellationToken = default)
    {
        var imported = SessionRules.PrepareImport(archive, _options.MaxMessageBytes, out var texts);

        // Everything is validated and prepared first: the write transaction then runs without the caller's work.
        var prepared = new PreparedMessage[texts.Length];
        for (var i = 0; i < texts.Length; i++)
        {
            prepared[i] = PreparedMessage.Create(archive.Messages[i].Parts, texts[i], archive.Messages[i].Metadata);
        }

        var executions = archive.ToolExecutions.Select(PrepareExecution).ToList();
        return WriteAsync(connection =>
        {
            if (replace)
            {
                if (expected is not null)
                {
                    // Read under the write lock: what the caller compared is still what would be replaced, or nothing is.
                    var head = _commands.SessionHead;
                    head.Parameters[0].Value = imported.Id;
                    Session? current;
                    using (var reader = head.ExecuteReader())
                    {
                        current = reader.Read() ? ReadSession(reader) : null;
                    }

                    if (current is null || current.UpdatedAt != expected.UpdatedAt || current.MessageCount != expected.MessageCount)
                    {
                        throw new AgentSessionsException(ErrorCode.Conflict, $"session '{imported.Id}' changed since it was read (it was written to or deleted meanwhile); nothing was replaced");
                    }
                }

                DeleteCore(connection, imported.Id);
            }

            var row = InsertSession(connection, imported);
            for (var i = 0; i < prepared.Length; i++)
            {
                InsertMessageRow(connection, row, archive.Messages[i], prepared[i], imported.Id);
            }

            IndexWaitingMessages();

            foreach (var snapshot in archive.Snapshots)
            {
                InsertSnapshot(connection, row, snapshot, imported.Id);
            }

            foreach (var bookmark in archive.Bookmarks)
            {
                InsertBookmark(connection, row, bookmark, imported.Id);
            }

            foreach (var execution in executions)
            {
                InsertToolExecution(connection, row, execution, imported.Id);
            }

            foreach (var change in archive.Files)
            {
                InsertFileChange(connection, row, change);
            }

            return imported;
        }, cancellationToken);
    }
}
