using System.Text.Json;
using AgentSessions.Formats;
using AgentSessions.Storage;
using Microsoft.Data.Sqlite;

namespace AgentSessions.Sqlite;

public sealed partial class SqliteSessionStore
{
    // ---- snapshots, undo, redo, restore ----

    /// <inheritdoc />
    public ValueTask<Snapshot> CreateSnapshotAsync(string sessionId, string name, string? description = null, CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        SessionIds.Validate(name, "snapshot");
        return WriteAsync(connection =>
        {
            var (row, session, _) = ReadHead(connection, sessionId);
            var snapshot = new Snapshot
            {
                Name = name,
                Description = description,
                MessageCount = session.MessageCount,
                Title = session.Title,
                Tags = session.Tags,
                Metadata = session.Metadata,
                CreatedAt = DateTimeOffset.UtcNow,
            };
            InsertSnapshot(connection, row, snapshot, sessionId);
            return snapshot;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<HistoryResult> RestoreAsync(string sessionId, string snapshotName, CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        SessionIds.Validate(snapshotName, "snapshot");
        return WriteAsync(connection =>
        {
            var (row, session, lastSeq) = ReadHead(connection, sessionId);
            var snapshot = ReadSnapshots(connection, row).FirstOrDefault(s => s.Name == snapshotName)
                ?? throw new AgentSessionsException(ErrorCode.NotFound, $"session '{sessionId}' has no snapshot '{snapshotName}'; run 'agent-sessions snapshots {sessionId}' to list them");
            PushRedoState(connection, row, session);
            return MoveHead(connection, row, session, lastSeq, snapshot.MessageCount, snapshot.Title, snapshot.Tags, snapshot.Metadata);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<HistoryResult> UndoAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        return WriteAsync(connection =>
        {
            var (row, session, lastSeq) = ReadHead(connection, sessionId);
            using var find = connection.CreateCommand();
            find.CommandText = "SELECT max(seq) FROM messages WHERE session_row = $row AND seq <= $head AND role = $user";
            find.Parameters.AddWithValue("$row", row);
            find.Parameters.AddWithValue("$head", session.MessageCount);
            find.Parameters.AddWithValue("$user", (int)MessageRole.User);
            if (find.ExecuteScalar() is not long lastUser)
            {
                throw new AgentSessionsException(ErrorCode.Conflict, $"nothing to undo in '{sessionId}': it has no user message");
            }

            PushRedoState(connection, row, session);
            return MoveHead(connection, row, session, lastSeq, lastUser - 1, session.Title, session.Tags, session.Metadata);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<HistoryResult> RedoAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        return WriteAsync(connection =>
        {
            var (row, session, lastSeq) = ReadHead(connection, sessionId);
            using var top = connection.CreateCommand();
            top.CommandText = "SELECT position, message_count, title, tags, metadata FROM redo_states WHERE session_row = $row ORDER BY position DESC LIMIT 1";
            top.Parameters.AddWithValue("$row", row);
            long position, count;
            string? title;
            IReadOnlyList<string> tags;
            IReadOnlyDictionary<string, JsonElement> metadata;
            using (var reader = top.ExecuteReader())
            {
                if (!reader.Read())
                {
                    throw new AgentSessionsException(ErrorCode.Conflict, $"nothing to redo in '{sessionId}'");
                }

                position = reader.GetInt64(0);
                count = reader.GetInt64(1);
                title = reader.IsDBNull(2) ? null : reader.GetString(2);
                tags = ParseTags(reader.GetString(3));
                metadata = reader.IsDBNull(4) ? EmptyMetadataDictionary : ParseMetadata(reader.GetString(4));
            }

            using var pop = connection.CreateCommand();
            pop.CommandText = "DELETE FROM redo_states WHERE session_row = $row AND position = $position";
            pop.Parameters.AddWithValue("$row", row);
            pop.Parameters.AddWithValue("$position", position);
            pop.ExecuteNonQuery();
            return MoveHead(connection, row, session, lastSeq, count, title, tags, metadata);
        }, cancellationToken);
    }

    private static void PushRedoState(SqliteConnection connection, long row, Session session)
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO redo_states (session_row, position, message_count, title, tags, metadata)
            VALUES ($row, coalesce((SELECT max(position) FROM redo_states WHERE session_row = $row), 0) + 1, $count, $title, $tags, $metadata)
            """;
        command.Parameters.AddWithValue("$row", row);
        command.Parameters.AddWithValue("$count", session.MessageCount);
        command.Parameters.AddWithValue("$title", Nullable(session.Title));
        command.Parameters.AddWithValue("$tags", FormatTags(session.Tags));
        command.Parameters.AddWithValue("$metadata", FormatMetadata(session.Metadata));
        command.ExecuteNonQuery();
    }

    /// <summary>Moves the visible head within the stored messages and sets the fields; totals follow the head.</summary>
    private static HistoryResult MoveHead(SqliteConnection connection, long row, Session session, long lastSeq, long count, string? title, IReadOnlyList<string> tags, IReadOnlyDictionary<string, JsonElement> metadata)
    {
        if (count > lastSeq)
        {
            throw new AgentSessionsException(ErrorCode.Conflict, $"session '{session.Id}' no longer holds message {count}");
        }

        using var totals = connection.CreateCommand();
        totals.CommandText = $"SELECT {TokenSum("input_tokens")}, {TokenSum("output_tokens")} FROM messages WHERE session_row = $row AND seq <= $count";
        totals.Parameters.AddWithValue("$row", row);
        totals.Parameters.AddWithValue("$count", count);
        long input, output;
        using (var reader = totals.ExecuteReader())
        {
            reader.Read();
            input = reader.GetInt64(0);
            output = reader.GetInt64(1);
        }

        var updated = session with
        {
            MessageCount = count,
            InputTokens = input,
            OutputTokens = output,
            Title = title,
            Tags = tags,
            Metadata = metadata,
            UpdatedAt = Max(session.UpdatedAt, DateTimeOffset.UtcNow),
        };
        WriteSessionFields(connection, row, session, updated);
        return new HistoryResult(updated, lastSeq - count);
    }

    /// <summary>
    /// Before an append replaces messages that undo or restore hid, copies the whole stored transcript into a
    /// new fork and moves the snapshots, bookmarks, tool runs and file changes beyond the head there.
    /// </summary>
    private string PreserveHiddenMessages(SqliteConnection connection, string sessionId, long row, long head, long lastSeq)
    {
        var (_, session, _) = ReadHead(connection, sessionId);
        var now = DateTimeOffset.UtcNow;
        var fork = new Session
        {
            Id = SessionIds.NewSessionId(),
            Title = $"Undone messages of {session.Title ?? session.Id}",
            CreatedAt = now,
            UpdatedAt = now,
            Model = session.Model,
            ProjectPath = session.ProjectPath,
            Tags = session.Tags,
            ParentId = session.Id,
            ForkSequence = head,
            Metadata = session.Metadata,
        };
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

    // ---- forks ----

    /// <inheritdoc />
    public ValueTask<Session> ForkAsync(string sessionId, long? atSequence, NewSession fork, CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        ArgumentNullException.ThrowIfNull(fork);
        var forkId = fork.Id is null ? SessionIds.NewSessionId() : SessionIds.Validate(fork.Id);
        var tags = fork.Tags.Count > 0 ? StoreRules.NormalizeTags(fork.Tags) : null;
        return WriteAsync(connection =>
        {
            var (row, parent, _) = ReadHead(connection, sessionId);
            var at = atSequence ?? parent.MessageCount;
            if (at < 0 || at > parent.MessageCount)
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, $"cannot fork '{sessionId}' at message {at}: it has {parent.MessageCount} messages");
            }

            var now = DateTimeOffset.UtcNow;
            var created = new Session
            {
                Id = forkId,
                Title = fork.Title ?? (parent.Title is null ? null : $"{parent.Title} (fork)"),
                CreatedAt = now,
                UpdatedAt = now,
                Model = fork.Model ?? parent.Model,
                ProjectPath = fork.ProjectPath ?? parent.ProjectPath,
                Tags = tags ?? parent.Tags,
                ParentId = parent.Id,
                ForkSequence = at,
                Metadata = fork.Metadata.Count > 0 ? fork.Metadata : parent.Metadata,
            };
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

    // ---- bookmarks, tool runs, files ----

    /// <inheritdoc />
    public ValueTask<Bookmark> AddBookmarkAsync(string sessionId, string name, long? atSequence = null, string? note = null, CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        SessionIds.Validate(name, "bookmark");
        return WriteAsync(connection =>
        {
            var (row, session, _) = ReadHead(connection, sessionId);
            var seq = atSequence ?? session.MessageCount;
            if (seq < 1 || seq > session.MessageCount)
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, $"cannot bookmark message {seq} of '{sessionId}': it has {session.MessageCount} messages");
            }

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
        ArgumentNullException.ThrowIfNull(change);
        if (string.IsNullOrWhiteSpace(change.Path) || change.Path.Any(char.IsControl) || !Enum.IsDefined(change.Kind))
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, "a file change needs a path without control characters and a kind (modified or created)");
        }

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
        SessionIds.Validate(execution.Id, "tool execution");
        if (string.IsNullOrWhiteSpace(execution.ToolName))
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"tool execution '{execution.Id}' has no tool name");
        }

        if (execution.DurationMs is < 0)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"tool execution '{execution.Id}' has a negative duration");
        }

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

    private static void InsertSnapshot(SqliteConnection connection, long row, Snapshot snapshot, string sessionId)
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO snapshots (session_row, name, description, message_count, title, tags, metadata, created_at)
            VALUES ($row, $name, $description, $count, $title, $tags, $metadata, $created)
            """;
        command.Parameters.AddWithValue("$row", row);
        command.Parameters.AddWithValue("$name", snapshot.Name);
        command.Parameters.AddWithValue("$description", Nullable(snapshot.Description));
        command.Parameters.AddWithValue("$count", snapshot.MessageCount);
        command.Parameters.AddWithValue("$title", Nullable(snapshot.Title));
        command.Parameters.AddWithValue("$tags", FormatTags(snapshot.Tags));
        command.Parameters.AddWithValue("$metadata", FormatMetadata(snapshot.Metadata));
        command.Parameters.AddWithValue("$created", ToTicks(snapshot.CreatedAt));
        try
        {
            command.ExecuteNonQuery();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw new AgentSessionsException(ErrorCode.Conflict, $"session '{sessionId}' already has a snapshot named '{snapshot.Name}'", e);
        }
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

    // ---- details ----

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

    private static List<Snapshot> ReadSnapshots(SqliteConnection connection, long row)
        => ReadList(connection, "SELECT name, description, message_count, title, tags, metadata, created_at FROM snapshots WHERE session_row = $row ORDER BY created_at, name", row,
            r => new Snapshot
            {
                Name = r.GetString(0),
                Description = r.IsDBNull(1) ? null : r.GetString(1),
                MessageCount = r.GetInt64(2),
                Title = r.IsDBNull(3) ? null : r.GetString(3),
                Tags = ParseTags(r.GetString(4)),
                Metadata = r.IsDBNull(5) ? EmptyMetadataDictionary : ParseMetadata(r.GetString(5)),
                CreatedAt = FromTicks(r.GetInt64(6)),
            });

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
