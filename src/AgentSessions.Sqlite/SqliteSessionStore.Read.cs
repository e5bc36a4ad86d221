using System.Runtime.CompilerServices;
using System.Text.Json;
using AgentSessions.Storage;
using Microsoft.Data.Sqlite;

namespace AgentSessions.Sqlite;

public sealed partial class SqliteSessionStore
{
    /// <inheritdoc />
    public ValueTask<Session?> GetAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        return ValueTask.FromResult(Read(connection => GetSession(connection, sessionId)));
    }

    private static Session? GetSession(ReadConnection connection, string sessionId)
    {
        var command = connection.Command($"SELECT {SessionColumns} FROM sessions WHERE id = $id");
        command.Parameters.AddWithValue("$id", sessionId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadSession(reader) : null;
    }

    /// <inheritdoc />
    public IAsyncEnumerable<SessionMessage> ReadAsync(string sessionId, MessageRange range = default, CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        if (range.Limit is < 0)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"limit cannot be negative (got {range.Limit})");
        }

        return ReadCore(sessionId, range, MessageColumns, ReadMessage, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The parts column is handed over as stored (its blobs put back), never parsed into parts. SQLite checks that
    /// it and the metadata are well-formed JSON as it reads the row (<c>json_valid</c>, several times faster than
    /// a <see cref="Utf8JsonReader"/> pass over the same bytes), so a damaged row is an error here and callers can
    /// copy the bytes unchecked.
    /// </remarks>
    public IAsyncEnumerable<SessionMessageJson> ReadJsonAsync(string sessionId, MessageRange range = default, CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        if (range.Limit is < 0)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"limit cannot be negative (got {range.Limit})");
        }

        return ReadCore(sessionId, range, MessageJsonColumns, ReadMessageJson, cancellationToken);
    }

    private async IAsyncEnumerable<T> ReadCore<T>(string sessionId, MessageRange range, string columns, Func<SqliteDataReader, Func<byte[], string?>, T> read, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // One statement is one consistent snapshot: a concurrent append can neither tear the page nor be
        // half-seen. Only an empty result needs the second look that tells "no messages" from "no session".
        var connection = RentReader();
        SqliteDataReader? reader = null;
        try
        {
            var returned = 0;
            var loadBlob = BlobLoader(connection.Command(LoadBlobSql));
            try
            {
                var command = connection.Command($"""
                    SELECT {columns} FROM messages
                    WHERE session_row = (SELECT row_id FROM sessions WHERE id = $id) AND seq >= $from
                      AND seq <= (SELECT message_count FROM sessions WHERE id = $id)
                    ORDER BY seq LIMIT $limit
                    """);
                command.Parameters.AddWithValue("$id", sessionId);
                command.Parameters.AddWithValue("$from", Math.Max(1, range.FromSequence));
                command.Parameters.AddWithValue("$limit", range.Limit ?? -1);
                reader = command.ExecuteReader();
            }
            catch (SqliteException e)
            {
                throw Translate(e, _options.DatabasePath);
            }

            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                T message;
                try
                {
                    if (!reader.Read())
                    {
                        break;
                    }

                    message = read(reader, loadBlob);
                }
                catch (SqliteException e)
                {
                    throw Translate(e, _options.DatabasePath);
                }
                catch (JsonException e)
                {
                    throw DamagedRow(e, $"message {reader.GetInt64(0)} of session '{sessionId}'");
                }

                returned++;
                yield return message;
            }

            reader.Dispose();
            reader = null;
            if (returned == 0 && GetSession(connection, sessionId) is null)
            {
                throw AgentSessionsException.SessionNotFound(sessionId);
            }
        }
        finally
        {
            reader?.Dispose();
            ReturnReader(connection);
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask<SessionPage> ListAsync(SessionQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var limit = StoreRules.ValidateLimit(query.Limit, 10_000);
        if (query.Offset < 0)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"offset cannot be negative (got {query.Offset})");
        }

        var tag = query.Tag is null ? null : StoreRules.ValidateTag(query.Tag);
        if (query.ForksOf is not null)
        {
            SessionIds.Validate(query.ForksOf);
        }

        return ValueTask.FromResult(Read(connection =>
        {
            var parameters = new List<(string Name, object Value)>();
            var where = new List<string>();
            // With a tag, walk that tag's (tag, updated_at) index newest-first and join each row to its
            // session: the cost is the page size, not the number of sessions carrying the tag.
            var from = "sessions s";
            var order = "s.updated_at DESC, s.row_id DESC";
            if (tag is not null)
            {
                from = "session_tags t JOIN sessions s ON s.row_id = t.session_row";
                order = "t.updated_at DESC, t.session_row DESC";
                where.Add("t.tag = $tag");
                parameters.Add(("$tag", tag));
            }

            if (query.Pinned is { } pinned)
            {
                // A literal, so SQLite can use the partial index of pinned sessions.
                where.Add(pinned ? "s.pinned = 1" : "s.pinned = 0");
            }

            if (query.ProjectPath is not null)
            {
                where.Add("s.project_path = $project");
                parameters.Add(("$project", query.ProjectPath));
            }

            if (query.UpdatedBefore is { } before)
            {
                where.Add("s.updated_at < $before");
                parameters.Add(("$before", ToTicks(before)));
            }

            if (query.ForksOf is not null)
            {
                where.Add("s.parent_id = $parent");
                parameters.Add(("$parent", query.ForksOf));
            }

            if (query.ImportedFromSha256 is not null)
            {
                // Rare (imports only), so a scan of the sessions' metadata is fine.
                where.Add("json_extract(s.metadata, '$.importedFrom.sha256') = $sha");
                parameters.Add(("$sha", query.ImportedFromSha256));
            }

            if (!string.IsNullOrEmpty(query.TitleContains))
            {
                where.Add("instr(lower(s.title), lower($title)) > 0");
                parameters.Add(("$title", query.TitleContains));
            }

            var command = connection.Command($"""
                SELECT {QualifiedSessionColumns} FROM {from}
                {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")}
                ORDER BY {order}
                LIMIT $limit OFFSET $offset
                """);
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value);
            }

            command.Parameters.AddWithValue("$limit", limit + 1);
            command.Parameters.AddWithValue("$offset", query.Offset);
            using var reader = command.ExecuteReader();
            var sessions = new List<Session>(Math.Min(limit, 1024));
            while (reader.Read())
            {
                if (sessions.Count == limit)
                {
                    return new SessionPage(sessions, HasMore: true);
                }

                sessions.Add(ReadSession(reader));
            }

            return new SessionPage(sessions, HasMore: false);
        }));
    }

    /// <inheritdoc />
    /// <remarks>
    /// The journal mode, <c>synchronous</c> and the durability they give are read back from the connections
    /// (the writer's and a reader's), not taken from the options: a setting that did not take is shown as it is.
    /// </remarks>
    public async ValueTask<StoreInfo> GetInfoAsync(CancellationToken cancellationToken = default)
    {
        var (writer, reader) = await ReadConnectionSettingsAsync(cancellationToken).ConfigureAwait(false);
        return Read(connection =>
        {
            var command = connection.Command("""
                SELECT count(*), coalesce(sum(message_count), 0), sqlite_version(),
                       (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()),
                       (SELECT page_size FROM pragma_page_size())
                FROM sessions
                """);
            using var rows = command.ExecuteReader();
            rows.Read();
            long size = 0;
            foreach (var suffix in (ReadOnlySpan<string>)["", "-wal", "-shm"])
            {
                var file = new FileInfo(_options.DatabasePath + suffix);
                size += file.Exists ? file.Length : 0;
            }

            return new StoreInfo
            {
                Backend = "sqlite",
                Location = _options.DatabasePath,
                SchemaVersion = SchemaVersion,
                SessionCount = rows.GetInt64(0),
                MessageCount = rows.GetInt64(1),
                SizeBytes = size,
                UsedBytes = rows.GetInt64(3) * rows.GetInt64(4),
                Details = new Dictionary<string, string>
                {
                    ["sqliteVersion"] = rows.GetString(2),
                    ["journalMode"] = ConnectionSettings.Describe(writer.JournalMode, reader.JournalMode),
                    ["synchronous"] = ConnectionSettings.Describe(writer.SynchronousName, reader.SynchronousName),
                    ["durability"] = writer.Durability,
                },
            };
        });
    }

    /// <summary>
    /// <c>PRAGMA synchronous</c> and <c>PRAGMA journal_mode</c> as the writer connection and a pooled reader report
    /// them now (tests check these, not the options).
    /// </summary>
    internal async ValueTask<(ConnectionSettings Writer, ConnectionSettings Reader)> ReadConnectionSettingsAsync(CancellationToken cancellationToken = default)
    {
        // The writer is used by one caller at a time: whoever holds the write gate.
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        ConnectionSettings writer;
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            writer = ConnectionSettings.Read(_writer);
        }
        catch (SqliteException e)
        {
            throw Translate(e, _options.DatabasePath);
        }
        finally
        {
            _writeGate.Release();
        }

        return (writer, Read(connection => ConnectionSettings.Read(connection.Connection)));
    }
}
