using System.Text.Json;
using AgentSessions.Storage;
using Microsoft.Data.Sqlite;

namespace AgentSessions.Sqlite;

// Snapshots, undo, redo and restore: the visible head moves within the stored messages, and the redo stack
// keeps the states it left. What each operation decides is in SessionRules; this file holds its SQL.
public sealed partial class SqliteSessionStore
{
    /// <inheritdoc />
    public ValueTask<Snapshot> CreateSnapshotAsync(string sessionId, string name, string? description = null, CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        SessionIds.Validate(name, "snapshot");
        return WriteAsync(connection =>
        {
            var (row, session, _) = ReadHead(connection, sessionId);
            var snapshot = SessionRules.NewSnapshot(session, name, description, DateTimeOffset.UtcNow);
            InsertSnapshot(connection, row, snapshot, sessionId);
            return snapshot;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<HistoryResult> RestoreAsync(string sessionId, string snapshotName, CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(snapshotName, "snapshot");
        return MoveHeadAsync(sessionId, pushRedo: true, (connection, row, _) =>
        {
            var snapshot = ReadSnapshots(connection, row).FirstOrDefault(s => s.Name == snapshotName)
                ?? throw SessionRules.NoSuchSnapshot(sessionId, snapshotName);
            return new HeadState(snapshot.MessageCount, snapshot.Title, snapshot.Tags, snapshot.Metadata);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask<HistoryResult> UndoAsync(string sessionId, CancellationToken cancellationToken = default)
        => MoveHeadAsync(sessionId, pushRedo: true, (connection, row, session) =>
        {
            using var find = connection.CreateCommand();
            find.CommandText = "SELECT max(seq) FROM messages WHERE session_row = $row AND seq <= $head AND role = $user";
            find.Parameters.AddWithValue("$row", row);
            find.Parameters.AddWithValue("$head", session.MessageCount);
            find.Parameters.AddWithValue("$user", (int)MessageRole.User);
            return SessionRules.StateOf(session) with { MessageCount = SessionRules.UndoHead(sessionId, find.ExecuteScalar() as long?) };
        }, cancellationToken);

    /// <inheritdoc />
    public ValueTask<HistoryResult> RedoAsync(string sessionId, CancellationToken cancellationToken = default)
        => MoveHeadAsync(sessionId, pushRedo: false, (connection, row, _) =>
        {
            // Pops the top of the redo stack; a failure after it (the state's messages are gone) rolls the pop back.
            using var pop = connection.CreateCommand();
            pop.CommandText = """
                DELETE FROM redo_states WHERE session_row = $row AND position = (SELECT max(position) FROM redo_states WHERE session_row = $row)
                RETURNING message_count, title, tags, metadata
                """;
            pop.Parameters.AddWithValue("$row", row);
            using var reader = pop.ExecuteReader();
            return reader.Read()
                ? new HeadState(
                    reader.GetInt64(0),
                    reader.IsDBNull(1) ? null : reader.GetString(1),
                    ParseTags(reader.GetString(2)),
                    reader.IsDBNull(3) ? EmptyMetadataDictionary : ParseMetadata(reader.GetString(3)))
                : throw SessionRules.NothingToRedo(sessionId);
        }, cancellationToken);

    /// <summary>
    /// The one skeleton of undo, redo and restore: in one transaction, read the head, ask the operation for the state
    /// to move to, keep the current state for redo when the operation steps away from it, and move.
    /// </summary>
    private ValueTask<HistoryResult> MoveHeadAsync(string sessionId, bool pushRedo, Func<SqliteConnection, long, Session, HeadState> target, CancellationToken cancellationToken)
    {
        SessionIds.Validate(sessionId);
        return WriteAsync(connection =>
        {
            var (row, session, lastSeq) = ReadHead(connection, sessionId);
            var state = target(connection, row, session);
            if (pushRedo)
            {
                PushRedoState(connection, row, session);
            }

            return MoveHead(connection, row, session, lastSeq, state);
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
    private static HistoryResult MoveHead(SqliteConnection connection, long row, Session session, long lastSeq, HeadState state)
    {
        SessionRules.CheckHeadStored(session, lastSeq, state.MessageCount);
        using var totals = connection.CreateCommand();
        totals.CommandText = $"SELECT {TokenSum("input_tokens")}, {TokenSum("output_tokens")} FROM messages WHERE session_row = $row AND seq <= $count";
        totals.Parameters.AddWithValue("$row", row);
        totals.Parameters.AddWithValue("$count", state.MessageCount);
        long input, output;
        using (var reader = totals.ExecuteReader())
        {
            reader.Read();
            input = reader.GetInt64(0);
            output = reader.GetInt64(1);
        }

        var result = SessionRules.MoveHead(session, lastSeq, state, input, output, DateTimeOffset.UtcNow);
        WriteSessionFields(connection, row, session, result.Session);
        return result;
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
}
