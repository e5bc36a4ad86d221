using AgentSessions.Sqlite;
using AgentSessions.Storage;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Sqlite.Tests;

/// <summary>
/// The SQLite store's bounded ranking: when more than <see cref="SqliteSessionStore.RankWindow"/> messages match,
/// only the newest are ranked, unless the query asks for every match; filters apply before the bound.
/// </summary>
public sealed class SqliteSearchTests
{
    [Fact]
    public async Task Hits_with_equal_scores_keep_one_order_so_a_longer_list_extends_a_shorter_one()
    {
        // Paging by offset (the MCP server's cursors) asks for the first N, then the first N + M hits: the first N
        // must be the same both times, or a page repeats hits and skips others. Equal scores are the common case
        // (messages of one template); the merge with title hits used an unstable sort, which scrambled ties.
        using var temp = TempDirectory.ForCaller();
        await using var store = SqliteSessionStore.Open(temp.Path);
        await store.CreateAsync(new NewSession { Id = "ties", Title = "many" });
        await store.AppendAsync("ties", [.. Enumerable.Range(1, 25).Select(i => new NewMessage(MessageRole.User, $"okapi number {i}"))]);

        var all = await SearchAsync(store, new SearchQuery("okapi") { Limit = 25 });
        Assert.Equal(25, all.Select(h => h.Sequence).Distinct().Count());
        foreach (var limit in new[] { 1, 5, 10, 11, 21 })
        {
            var shorter = await SearchAsync(store, new SearchQuery("okapi") { Limit = limit });
            Assert.Equal(all.Take(limit).Select(h => h.Sequence), shorter.Select(h => h.Sequence));
        }
    }

    [Fact]
    public async Task Very_common_words_rank_the_newest_matches_and_exhaustive_ranks_them_all()
    {
        using var temp = TempDirectory.ForCaller();
        await using var store = SqliteSessionStore.Open(temp.Path);

        // The best match by far (the word five times in a short message) is stored first, then more than a
        // window's worth of weaker matches in another session.
        await store.CreateAsync(new NewSession { Id = "old", Title = "Earlier work" });
        await store.AppendAsync("old", [new NewMessage(MessageRole.User, "timeout timeout timeout timeout timeout")]);
        await store.CreateAsync(new NewSession { Id = "new" });
        var filler = Enumerable.Range(0, SqliteSessionStore.RankWindow + 100)
            .Select(i => new NewMessage(MessageRole.Assistant, $"the request {i} ended in a timeout after waiting on the network for a while"))
            .ToList();
        foreach (var batch in filler.Chunk(1_000))
        {
            await store.AppendAsync("new", batch);
        }

        var bounded = await SearchAsync(store, new SearchQuery("timeout") { Limit = 5 });
        Assert.Equal(5, bounded.Count);
        Assert.All(bounded, hit => Assert.Equal("new", hit.SessionId));
        Assert.All(bounded, hit => Assert.Contains("timeout", hit.Snippet, StringComparison.Ordinal));

        var exhaustive = await SearchAsync(store, new SearchQuery("timeout") { Limit = 5, Exhaustive = true });
        Assert.Equal(("old", 1L), (exhaustive[0].SessionId, exhaustive[0].Sequence));
        Assert.Equal([new TextRange(0, 7), new TextRange(8, 7), new TextRange(16, 7), new TextRange(24, 7), new TextRange(32, 7)], exhaustive[0].Highlights);

        // A filter narrows the matches before the bound, so an older session's match is still found by it.
        var inOld = await SearchAsync(store, new SearchQuery("timeout") { SessionId = "old" });
        Assert.Equal(("old", 1L), (Assert.Single(inOld).SessionId, inOld[0].Sequence));
        var byUser = await SearchAsync(store, new SearchQuery("timeout") { Role = MessageRole.User });
        Assert.Equal("old", Assert.Single(byUser).SessionId);
    }

    [Fact]
    public async Task Below_the_window_the_ranking_is_exact_and_every_hit_has_its_own_snippet()
    {
        using var temp = TempDirectory.ForCaller();
        await using var store = SqliteSessionStore.Open(temp.Path);
        await store.CreateAsync(new NewSession { Id = "s" });
        await store.AppendAsync("s", [
            new NewMessage(MessageRole.User, "parser parser parser"),
            new NewMessage(MessageRole.Assistant, "the parser failed on line three of the configuration file we were given"),
            new NewMessage(MessageRole.User, "parser parser"),
        ]);

        var hits = await SearchAsync(store, new SearchQuery("parser") { Role = MessageRole.User });
        var exhaustive = await SearchAsync(store, new SearchQuery("parser") { Role = MessageRole.User, Exhaustive = true });

        Assert.Equal([1L, 3L], hits.Select(h => h.Sequence));
        Assert.Equal(hits.Select(h => (h.Sequence, h.Score, h.Snippet)), exhaustive.Select(h => (h.Sequence, h.Score, h.Snippet)));
        Assert.Equal(["parser parser parser", "parser parser"], hits.Select(h => h.Snippet));
        Assert.True(hits[0].Score > hits[1].Score);
    }

    [Fact]
    public async Task A_long_message_snippet_is_the_window_with_the_most_different_words_cut_with_ellipses()
    {
        using var temp = TempDirectory.ForCaller();
        await using var store = SqliteSessionStore.Open(temp.Path);
        await store.CreateAsync(new NewSession { Id = "long" });
        static string Filler(int n) => string.Join(' ', Enumerable.Range(0, n).Select(i => $"w{i}"));
        await store.AppendAsync("long", [new NewMessage(MessageRole.Assistant,
            $"Gecko at the start. {Filler(40)} then a gecko and an iguana side by side, {Filler(40)} and a last gecko.")]);

        var hit = Assert.Single(await SearchAsync(store, new SearchQuery("gecko iguana")));

        // The one window holding both words wins over the earlier and later lone geckos, centred on the pair.
        Assert.StartsWith("…", hit.Snippet, StringComparison.Ordinal);
        Assert.EndsWith("…", hit.Snippet, StringComparison.Ordinal);
        Assert.Contains("then a gecko and an iguana side by side", hit.Snippet, StringComparison.Ordinal);
        Assert.Equal(24, hit.Snippet.Trim('…').Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(["gecko", "iguana"], hit.Highlights.Select(r => hit.Snippet.Substring(r.Start, r.Length)));

        // A window at the very start keeps the text before its first token and needs no leading ellipsis.
        var start = Assert.Single(await SearchAsync(store, new SearchQuery("start")));
        Assert.StartsWith("Gecko at the start. w0 w1", start.Snippet, StringComparison.Ordinal);
        Assert.EndsWith("…", start.Snippet, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Appends_wait_for_the_index_in_batches_and_a_search_from_any_process_sees_them()
    {
        using var temp = TempDirectory.ForCaller();
        await using var writer = SqliteSessionStore.Open(temp.Path);
        await using var other = SqliteSessionStore.Open(temp.Path); // another process, as far as SQLite is concerned
        await writer.CreateAsync(new NewSession { Id = "s", Title = "Indexing" });
        for (var i = 1; i < SqliteSessionStore.IndexBatch; i++)
        {
            await writer.AppendAsync("s", [new NewMessage(MessageRole.User, $"zebra number {i}")]);
        }

        var dbPath = writer.Location;
        Assert.Equal(SqliteSessionStore.IndexBatch - 1, Scalar(dbPath, "SELECT count(*) FROM messages WHERE indexed = 2"));
        Assert.Equal(0, Scalar(dbPath, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'zebra'"));
        Assert.True((await other.CheckAsync(repair: false)).Healthy, "waiting messages are not a problem for doctor");

        // The other store's search indexes what waits before it reads.
        Assert.Equal(20, (await SearchAsync(other, new SearchQuery("zebra"))).Count);
        Assert.Equal(SqliteSessionStore.IndexBatch - 1, (await SearchAsync(other, new SearchQuery("zebra") { Limit = SqliteSessionStore.IndexBatch })).Count);
        Assert.Equal(0, Scalar(dbPath, "SELECT count(*) FROM messages WHERE indexed = 2"));

        // The writer's IndexBatch-th append indexes everything that waits, its own and others'.
        await other.AppendAsync("s", [new NewMessage(MessageRole.Assistant, "okapi from the other store")]);
        await writer.AppendAsync("s", [new NewMessage(MessageRole.Assistant, "okapi from the writer")]);
        Assert.Equal(0, Scalar(dbPath, "SELECT count(*) FROM messages WHERE indexed = 2"));
        Assert.Equal(2, Scalar(dbPath, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'okapi'"));
        Assert.Equal(SqliteSessionStore.IndexBatch + 1, (await writer.GetAsync("s"))!.MessageCount);
    }

    [Fact]
    public async Task Deletes_forks_and_undo_with_waiting_messages_keep_the_index_exact()
    {
        using var temp = TempDirectory.ForCaller();
        await using var store = SqliteSessionStore.Open(temp.Path);
        await store.CreateAsync(new NewSession { Id = "gone", Title = "Gone" });
        await store.CreateAsync(new NewSession { Id = "kept", Title = "Kept" });
        await store.AppendAsync("gone", [new NewMessage(MessageRole.User, "walrus one"), new NewMessage(MessageRole.Assistant, "walrus two")]);
        await store.AppendAsync("kept", [new NewMessage(MessageRole.User, "walrus three"), new NewMessage(MessageRole.Assistant, "walrus four")]);

        // A delete indexes the waiting rows first, then removes its own from the index.
        Assert.True(await store.DeleteAsync("gone"));
        Assert.Equal(["walrus three", "walrus four"], (await SearchAsync(store, new SearchQuery("walrus"))).Select(h => h.Snippet).Order(StringComparer.Ordinal).Reverse());

        // Undo, then an append while the undone message still waits: the fork that keeps it must be searchable.
        await store.AppendAsync("kept", [new NewMessage(MessageRole.User, "narwhal question"), new NewMessage(MessageRole.Assistant, "narwhal answer")]);
        await store.UndoAsync("kept");
        var result = await store.AppendAsync("kept", [new NewMessage(MessageRole.User, "a different question")]);
        Assert.NotNull(result.PreservedIn);
        var narwhals = await SearchAsync(store, new SearchQuery("narwhal"));
        Assert.Equal([result.PreservedIn, result.PreservedIn], narwhals.Select(h => h.SessionId));

        // A fork of waiting messages: found once, in the original session, and still found after the original goes.
        await store.AppendAsync("kept", [new NewMessage(MessageRole.Assistant, "penguin facts")]);
        var fork = await store.ForkAsync("kept", null, new NewSession { Id = "fork" });
        Assert.Equal(["kept"], (await SearchAsync(store, new SearchQuery("penguin"))).Select(h => h.SessionId));
        await store.DeleteAsync("kept");
        Assert.Equal([fork.Id], (await SearchAsync(store, new SearchQuery("penguin"))).Select(h => h.SessionId));

        Assert.True((await store.CheckAsync(repair: false)).Healthy);
    }

    [Fact]
    public async Task A_search_answers_from_the_index_when_the_store_cannot_be_written_to_index_what_waits()
    {
        using var temp = TempDirectory.ForCaller();
        await using var store = SqliteSessionStore.Open(new SqliteStoreOptions(temp.Path) { BusyTimeout = TimeSpan.FromMilliseconds(300) });
        await store.CreateAsync(new NewSession { Id = "s", Title = "Locked" });
        await store.AppendAsync("s", [new NewMessage(MessageRole.User, "indexed lemur")]);
        Assert.Single(await SearchAsync(store, new SearchQuery("lemur"))); // indexes it
        await store.AppendAsync("s", [new NewMessage(MessageRole.User, "waiting lemur")]);

        using var other = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={store.Location}");
        other.Open();
        using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            begin.ExecuteNonQuery();
            var locked = await SearchAsync(store, new SearchQuery("lemur"));
            Assert.Equal(["indexed lemur"], locked.Select(h => h.Snippet));
            begin.CommandText = "COMMIT";
            begin.ExecuteNonQuery();
        }

        Assert.Equal(2, (await SearchAsync(store, new SearchQuery("lemur"))).Count);
    }

    private static long Scalar(string databasePath, string sql)
    {
        using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={databasePath};Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    private static async Task<List<SearchHit>> SearchAsync(ISessionStore store, SearchQuery query)
    {
        var hits = new List<SearchHit>();
        await foreach (var hit in store.SearchAsync(query))
        {
            hits.Add(hit);
        }

        return hits;
    }
}
