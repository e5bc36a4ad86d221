using AgentSessions.Storage;
using Microsoft.Data.Sqlite;

namespace AgentSessions.Sqlite;

public sealed partial class SqliteSessionStore
{
    /// <inheritdoc />
    public ValueTask<AppendResult> AppendAsync(string sessionId, IReadOnlyList<NewMessage> messages, CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, "nothing to append: the message list is empty");
        }

        // Validate, serialize and compress before taking the write lock, so the transaction holds it only for I/O.
        var prepared = new PreparedMessage[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            var text = StoreRules.ValidateMessage(message, _options.MaxMessageBytes);
            prepared[i] = PreparedMessage.Create(message.Parts, text, message.Metadata);
        }

        return WriteAsync(connection => AppendCore(connection, sessionId, messages, prepared), cancellationToken, indexesLater: true);
    }

    /// <summary>A message's columns as stored: inline parts JSON, or a compressed blob and a search prefix.</summary>
    private readonly record struct PreparedMessage(string Text, object Parts, object Metadata, List<Content.Blob>? Blobs)
    {
        public static PreparedMessage Create(IReadOnlyList<ContentPart> parts, string text, IReadOnlyDictionary<string, System.Text.Json.JsonElement> metadata)
        {
            var partsColumn = FormatParts(parts);
            var json = partsColumn as string ?? (text.Length > Content.BlobThresholdBytes / 4 ? FormatPartsAlways(parts) : null);
            if (json is not null && Content.MayBeLarge(json) && Content.Externalize(json) is var (stored, blobs))
            {
                return new PreparedMessage(Content.SearchPrefix(text), stored, FormatMetadata(metadata), blobs);
            }

            return new PreparedMessage(text, partsColumn, FormatMetadata(metadata), null);
        }
    }

    private AppendResult AppendCore(SqliteConnection connection, string sessionId, IReadOnlyList<NewMessage> messages, PreparedMessage[] prepared)
    {
        var c = _commands;
        var (before, sessionRow, lastSeq) = ReadSessionHead(sessionId);
        var count = before.MessageCount;

        // Messages an undo or restore hid are replaced by this append: keep them in a fork first, so nothing is
        // ever lost silently, then make room.
        string? preservedIn = null;
        if (lastSeq > count)
        {
            // It changes only this session's last_seq (not part of the head's Session) and the fork's own row.
            preservedIn = PreserveHiddenMessages(connection, sessionId, sessionRow, count, lastSeq);
        }

        var hasTitle = before.Title is not null;
        var now = DateTimeOffset.UtcNow;
        var stored = new SessionMessage[prepared.Length];
        long input = 0, output = 0;
        string? autoTitle = null;
        for (var i = 0; i < prepared.Length; i++)
        {
            var message = messages[i];
            stored[i] = new SessionMessage
            {
                Id = message.Id ?? SessionIds.NewMessageId(),
                Sequence = count + i + 1,
                Role = message.Role,
                Parts = message.Parts,
                AuthorName = message.AuthorName,
                CreatedAt = (message.CreatedAt ?? now).ToUniversalTime(),
                InputTokens = message.InputTokens,
                OutputTokens = message.OutputTokens,
                Model = message.Model,
                Metadata = message.Metadata,
            };

            InsertMessageRow(connection, sessionRow, stored[i], prepared[i], sessionId);
            input = StoreRules.AddTokens(input, message.InputTokens);
            output = StoreRules.AddTokens(output, message.OutputTokens);
            if (!hasTitle && autoTitle is null)
            {
                autoTitle = SessionRules.AutoTitle(before.Title, message.Role, prepared[i].Text); // a search prefix is plenty for a 60-character title
            }
        }

        // The new totals are computed here rather than read back with RETURNING: the write lock is held, so the
        // head read above is current, and an append is one statement cheaper.
        var session = before with
        {
            Title = before.Title ?? autoTitle,
            UpdatedAt = before.UpdatedAt > now ? before.UpdatedAt : now,
            MessageCount = count + prepared.Length,
            InputTokens = StoreRules.AddTokens(before.InputTokens, input),
            OutputTokens = StoreRules.AddTokens(before.OutputTokens, output),
        };
        var u = c.UpdateTotals.Parameters;
        u[0].Value = session.MessageCount;
        u[1].Value = session.InputTokens;
        u[2].Value = session.OutputTokens;
        u[3].Value = ToTicks(session.UpdatedAt);
        u[4].Value = Nullable(session.Title);
        u[5].Value = sessionRow;
        c.UpdateTotals.ExecuteNonQuery();

        if (session.Tags.Count > 0)
        {
            c.TouchTags.Parameters[0].Value = ToTicks(session.UpdatedAt);
            c.TouchTags.Parameters[1].Value = sessionRow;
            c.TouchTags.ExecuteNonQuery();
        }

        if (autoTitle is not null)
        {
            c.IndexTitle.Parameters[0].Value = sessionRow;
            c.IndexTitle.Parameters[1].Value = autoTitle;
            c.IndexTitle.ExecuteNonQuery();
        }

        // Counted here, not in the database: a count per append costs more than it tells. Other processes' waiting
        // messages are indexed by their own batches, by any other write, or by the next search.
        _appendedSinceIndexed += prepared.Length;
        if (_appendedSinceIndexed >= IndexBatch)
        {
            IndexWaitingMessages();
        }

        return new AppendResult(session, stored) { PreservedIn = preservedIn };
    }

    /// <summary>
    /// How many appended messages may wait before an append indexes them all. An indexing transaction writes a new
    /// FTS5 segment, about 7 pages, whatever it holds; a one-message append itself writes about 7 more. Waiting
    /// messages are stored and durable, only not yet searchable, and a search indexes them first, so it always
    /// sees every acknowledged message. 128 rather than 32: the segment's pages spread over four times the appends
    /// (the RPC append benchmark moved from 1.19-1.22 to 1.15-1.18 raw commits), while a search or other write
    /// that finds a full batch waiting still indexes it in a few milliseconds.
    /// </summary>
    public const int IndexBatch = 128;

    /// <summary>Messages this store appended since it last indexed what waits (only the writer touches it).</summary>
    private int _appendedSinceIndexed;

    /// <summary>Indexes every message waiting for the search index (the caller holds the write transaction).</summary>
    private void IndexWaitingMessages()
    {
        _commands.IndexWaiting.ExecuteNonQuery();
        _appendedSinceIndexed = 0;
    }

    /// <summary>The session as stored, its row and its highest sequence (the caller holds the write transaction).</summary>
    private (Session Session, long Row, long LastSeq) ReadSessionHead(string sessionId)
    {
        var head = _commands.SessionHead;
        head.Parameters[0].Value = sessionId;
        using var reader = head.ExecuteReader();
        if (!reader.Read())
        {
            throw AgentSessionsException.SessionNotFound(sessionId);
        }

        return (ReadSession(reader), reader.GetInt64(14), reader.GetInt64(15));
    }

    /// <summary>Inserts one message row, waiting to be indexed, and its blob (the caller holds the write transaction).</summary>
    private void InsertMessageRow(SqliteConnection connection, long sessionRow, SessionMessage message, PreparedMessage prepared, string sessionId)
    {
        var c = _commands;
        var p = c.InsertMessage.Parameters;
        p[0].Value = sessionRow;
        p[1].Value = message.Sequence;
        p[2].Value = message.Id;
        p[3].Value = (int)message.Role;
        p[4].Value = prepared.Text;
        p[5].Value = prepared.Parts;
        p[6].Value = Nullable(message.AuthorName);
        p[7].Value = ToTicks(message.CreatedAt);
        p[8].Value = message.InputTokens;
        p[9].Value = message.OutputTokens;
        p[10].Value = Nullable(message.Model);
        p[11].Value = prepared.Metadata;
        try
        {
            c.InsertMessage.ExecuteNonQuery();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw new AgentSessionsException(ErrorCode.Conflict, $"message id '{message.Id}' already exists in session '{sessionId}'", e);
        }

        if (prepared.Blobs is { } blobs)
        {
            var row = (long)c.LastRowId.ExecuteScalar()!;
            foreach (var blob in blobs)
            {
                StoreBlob(connection, owner: row, blob);
            }
        }
    }

    /// <summary>Stores a blob unless the same content is already there, and records its user.</summary>
    private static void StoreBlob(SqliteConnection connection, long owner, Content.Blob blob)
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO blobs (hash, size, data) VALUES ($hash, $size, $data) ON CONFLICT (hash) DO NOTHING;
            INSERT OR IGNORE INTO blob_refs (owner, hash) VALUES ($owner, $hash);
            """;
        command.Parameters.AddWithValue("$hash", blob.Hash);
        command.Parameters.AddWithValue("$size", blob.Size);
        command.Parameters.AddWithValue("$data", blob.Data);
        command.Parameters.AddWithValue("$owner", owner);
        command.ExecuteNonQuery();
    }
}
