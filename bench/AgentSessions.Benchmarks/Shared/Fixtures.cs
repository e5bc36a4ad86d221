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

    /// <summary>The id of the append benchmark's session of <paramref name="length"/> messages.</summary>
    public static string AppendSessionId(int length) => "len" + length;

    /// <summary>Creates the append benchmark's sessions, one per length, in one store.</summary>
    /// <remarks>
    /// A last session is created after them because the newest session's index entries sit at the right edge
    /// of the (session_row, ...) indexes, where SQLite appends without splitting pages; in a real store with many
    /// sessions, appends land inside the tree. Without it whichever session came last would look cheaper.
    /// </remarks>
    public static async Task CreateAppendSessionsAsync(ISessionStore store, IReadOnlyList<int> lengths)
    {
        foreach (var length in lengths)
        {
            await CreateSessionAsync(store, AppendSessionId(length), length);
        }

        await CreateSessionAsync(store, "tail", 10);
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
    public static void BulkInsertSessions(string databasePath, int count, int tagValues, int seed = 7, long firstRow = 1)
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
            var row = firstRow + i;
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

    /// <summary>
    /// Writes messages straight into a closed store's database in one transaction: <c>messages</c> rows with
    /// seq 1..n for each given session row, the same text into <c>messages_fts</c> (one
    /// <c>INSERT INTO messages_fts(rowid, text) SELECT ...</c>), and the sessions' <c>message_count</c> and
    /// <c>last_seq</c>. Every <paramref name="rareEvery"/>-th message (counting across the call) ends with the
    /// word <see cref="RareWord"/>, for a selective search.
    /// </summary>
    public static void BulkInsertMessages(string databasePath, IReadOnlyList<(long SessionRow, int Count)> sessions, int rareEvery = 1_000, int textOffset = 0)
    {
        var created = new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks;
        using var connection = RawSqlite.OpenDurable(databasePath);
        using var transaction = connection.BeginTransaction();
        long firstRow;
        using (var max = connection.CreateCommand())
        {
            max.Transaction = transaction;
            max.CommandText = "SELECT coalesce(max(row_id), 0) + 1 FROM messages";
            firstRow = (long)max.ExecuteScalar()!;
        }

        using var insert = RawSqlite.Prepare(
            connection,
            "INSERT INTO messages (row_id, session_row, seq, message_id, role, text, created_at) VALUES ($row, $session, $seq, $id, $role, $text, $created)",
            "$row", "$session", "$seq", "$id", "$role", "$text", "$created");
        using var totals = RawSqlite.Prepare(connection, "UPDATE sessions SET message_count = $n, last_seq = $n WHERE row_id = $session", "$n", "$session");
        insert.Transaction = totals.Transaction = transaction;
        var row = firstRow;
        var k = textOffset;
        foreach (var (sessionRow, count) in sessions)
        {
            for (var seq = 1; seq <= count; seq++, row++, k++)
            {
                var p = insert.Parameters;
                p[0].Value = row;
                p[1].Value = sessionRow;
                p[2].Value = seq;
                p[3].Value = "msg_" + row.ToString(System.Globalization.CultureInfo.InvariantCulture);
                p[4].Value = seq % 2 == 1 ? (int)MessageRole.User : (int)MessageRole.Assistant;
                p[5].Value = k % rareEvery == rareEvery - 1 ? BenchText.Get(k) + " " + RareWord : BenchText.Get(k);
                p[6].Value = created + (row * TimeSpan.TicksPerMillisecond);
                insert.ExecuteNonQuery();
            }

            totals.Parameters[0].Value = count;
            totals.Parameters[1].Value = sessionRow;
            totals.ExecuteNonQuery();
        }

        using (var fts = connection.CreateCommand())
        {
            fts.Transaction = transaction;
            fts.CommandText = "INSERT INTO messages_fts (rowid, text) SELECT row_id, text FROM messages WHERE row_id >= $first";
            fts.Parameters.AddWithValue("$first", firstRow);
            fts.ExecuteNonQuery();
        }

        transaction.Commit();
    }

    /// <summary>A word the generated texts never contain, added to one message in <c>rareEvery</c>.</summary>
    public const string RareWord = "kubernetes";

    /// <summary>Opens a store, lets it create its schema, and closes it again, so raw code can fill the tables.</summary>
    public static async Task CreateEmptyStoreAsync(string directory)
    {
        await using var store = SqliteSessionStore.Open(directory);
    }
}
