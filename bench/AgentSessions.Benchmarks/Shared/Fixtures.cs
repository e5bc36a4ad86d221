using AgentSessions.Sqlite;
using AgentSessions.Storage;

namespace AgentSessions.Benchmarks.Shared;

/// <summary>Builds the data the measurements run against, as fast as the store allows.</summary>
public static class Fixtures
{
    /// <summary>Messages per fill transaction: one fsync per 500 messages instead of one per message.</summary>
    public const int FillBatch = 500;

    /// <summary>Creates a titled session (so no append pays for an auto-title) holding <paramref name="messages"/> messages.</summary>
    public static async Task CreateSessionAsync(ISessionStore store, string sessionId, int messages)
    {
        await store.CreateAsync(new NewSession { Id = sessionId, Title = "bench " + sessionId });
        for (var done = 0; done < messages; done += FillBatch)
        {
            var batch = new NewMessage[Math.Min(FillBatch, messages - done)];
            for (var i = 0; i < batch.Length; i++)
            {
                var n = done + i;
                batch[i] = new NewMessage(n % 2 == 0 ? MessageRole.User : MessageRole.Assistant, BenchText.Get(n));
            }

            await store.AppendAsync(sessionId, batch);
        }
    }

    /// <summary>Creates the append benchmark's sessions "short" and "long" in one store.</summary>
    /// <remarks>
    /// A third session is created after them because the newest session's index entries sit at the right edge
    /// of the (session_row, ...) indexes, where SQLite appends without splitting pages; in a real store with many
    /// sessions, appends land inside the tree. Without it whichever session came last would look cheaper.
    /// </remarks>
    public static async Task CreateAppendSessionsAsync(ISessionStore store, int shortLength, int longLength)
    {
        await CreateSessionAsync(store, "short", shortLength);
        await CreateSessionAsync(store, "long", longLength);
        await CreateSessionAsync(store, "tail", shortLength);
    }

    /// <summary>
    /// Writes <paramref name="count"/> sessions straight into a closed store's database in one transaction
    /// (seconds, where 100,000 durable CreateAsync calls would take minutes), filling every table and index that
    /// CreateAsync fills: sessions, session_tags and titles_fts.
    /// </summary>
    /// <remarks>
    /// updated_at values are distinct and shuffled against row_id, so "newest first" has to use the
    /// sessions_by_update index rather than happening to match insertion order. Session i carries tag
    /// t(i mod <paramref name="tagValues"/>).
    /// </remarks>
    public static void BulkInsertSessions(string databasePath, int count, int tagValues, int seed = 7)
    {
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var order = Enumerable.Range(0, count).ToArray();
        new Random(seed).Shuffle(order);

        using var connection = RawSqlite.OpenDurable(databasePath);
        using var transaction = connection.BeginTransaction();
        using var insertSession = RawSqlite.Prepare(
            connection,
            """
            INSERT INTO sessions (row_id, id, title, created_at, updated_at, tags, pinned, message_count)
            VALUES ($row, $id, $title, $created, $updated, $tags, $pinned, 0)
            """,
            "$row", "$id", "$title", "$created", "$updated", "$tags", "$pinned");
        using var insertTag = RawSqlite.Prepare(connection, "INSERT INTO session_tags (tag, session_row, updated_at) VALUES ($tag, $row, $updated)", "$tag", "$row", "$updated");
        using var indexTitle = RawSqlite.Prepare(connection, "INSERT INTO titles_fts (rowid, title) VALUES ($row, $title)", "$row", "$title");
        insertSession.Transaction = insertTag.Transaction = indexTitle.Transaction = transaction;

        var tags = Enumerable.Range(0, tagValues).Select(t => "t" + t).ToArray();
        var tagJson = tags.Select(t => $"[\"{t}\"]").ToArray();
        for (var i = 0; i < count; i++)
        {
            var row = i + 1L;
            var created = start.AddSeconds(i);
            var updated = start.AddSeconds(count + order[i]); // always after every creation time, all distinct
            var title = BenchText.Title(i);
            var p = insertSession.Parameters;
            p[0].Value = row;
            p[1].Value = SessionIds.NewId("session", created);
            p[2].Value = title;
            p[3].Value = created.UtcTicks;
            p[4].Value = updated.UtcTicks;
            p[5].Value = tagJson[i % tagValues];
            p[6].Value = i % 50 == 0 ? 1 : 0;
            insertSession.ExecuteNonQuery();

            insertTag.Parameters[0].Value = tags[i % tagValues];
            insertTag.Parameters[1].Value = row;
            insertTag.Parameters[2].Value = updated.UtcTicks;
            insertTag.ExecuteNonQuery();

            indexTitle.Parameters[0].Value = row;
            indexTitle.Parameters[1].Value = title;
            indexTitle.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    /// <summary>Opens a store, lets it create its schema, and closes it again, so raw code can fill the tables.</summary>
    public static async Task CreateEmptyStoreAsync(string directory)
    {
        await using var store = SqliteSessionStore.Open(directory);
    }
}
