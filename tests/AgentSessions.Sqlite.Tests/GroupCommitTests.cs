using AgentSessions.Sqlite;
using AgentSessions.Storage;
using AgentSessions.Testing;
using Microsoft.Data.Sqlite;
using Xunit;

namespace AgentSessions.Sqlite.Tests;

/// <summary>
/// Writes that queue up while the writer is busy share one transaction: each is answered after that commit, and
/// each one's failure or cancellation is its own.
/// </summary>
public sealed class GroupCommitTests
{
    [Fact]
    public async Task Concurrent_appends_share_commits_and_every_one_is_stored_once_in_order()
    {
        using var temp = TempDirectory.ForCaller();
        await using var store = SqliteSessionStore.Open(temp.Path);
        await store.CreateAsync(new NewSession { Id = "shared" });
        const int Writers = 16, Appends = 40;
        for (var w = 0; w < Writers; w++)
        {
            await store.CreateAsync(new NewSession { Id = $"own{w}" });
        }

        var before = store.Commits;
        // A thread per writer: an append that finds the writer free runs synchronously, so writers sharing a
        // couple of pool threads could take turns without ever overlapping.
        var acknowledged = await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => OnOwnThread(() =>
        {
            var sequences = new List<long>();
            for (var i = 0; i < Appends; i++)
            {
                var shared = store.AppendAsync("shared", [new NewMessage(MessageRole.User, $"w{w} i{i}")]).AsTask().GetAwaiter().GetResult();
                sequences.Add(shared.Messages[0].Sequence);
                var own = store.AppendAsync($"own{w}", [new NewMessage(MessageRole.Assistant, $"w{w} i{i}")]).AsTask().GetAwaiter().GetResult();
                Assert.Equal(i + 1, own.Messages[0].Sequence);
            }

            return sequences;
        })));

        var all = acknowledged.SelectMany(s => s).Order().ToList();
        Assert.Equal(Enumerable.Range(1, Writers * Appends).Select(i => (long)i), all);
        var stored = await store.ReadAsync("shared", MessageRange.All).ToListAsync();
        Assert.Equal(Writers * Appends, stored.Count);
        for (var w = 0; w < Writers; w++)
        {
            // Each writer's own appends keep their order in the shared session.
            var mine = stored.Where(m => m.Text.StartsWith($"w{w} ", StringComparison.Ordinal)).Select(m => m.Text).ToList();
            Assert.Equal(Enumerable.Range(0, Appends).Select(i => $"w{w} i{i}"), mine);
        }

        var commits = store.Commits - before;
        Assert.True(commits < Writers * Appends * 2, $"{commits} commits for {Writers * Appends * 2} appends: none were grouped");
        Assert.True((await store.CheckAsync(repair: false)).Healthy);
    }

    [Fact]
    public async Task A_failing_write_in_a_group_fails_alone_and_a_cancelled_one_is_not_stored()
    {
        using var temp = TempDirectory.ForCaller();
        await using var store = SqliteSessionStore.Open(temp.Path);
        await store.CreateAsync(new NewSession { Id = "a" });
        await store.CreateAsync(new NewSession { Id = "b" });

        await using var held = await WriterHeld.StartAsync(store, "a");
        using var cancel = new CancellationTokenSource();
        var good1 = store.AppendAsync("a", [new NewMessage(MessageRole.User, "good one")]).AsTask();
        var missing = store.AppendAsync("no-such-session", [new NewMessage(MessageRole.User, "lost")]).AsTask();
        var duplicate = store.AppendAsync("b", [new NewMessage(MessageRole.User, "x") { Id = "dup" }, new NewMessage(MessageRole.User, "y") { Id = "dup" }]).AsTask();
        var cancelled = store.AppendAsync("b", [new NewMessage(MessageRole.User, "never")], cancel.Token).AsTask();
        var good2 = store.AppendAsync("b", [new NewMessage(MessageRole.User, "good two")]).AsTask();
        await cancel.CancelAsync();
        var commitsBefore = store.Commits;
        held.Release();

        Assert.Equal(1, (await held.First).Messages[0].Sequence);
        Assert.Equal(2, (await good1).Messages[0].Sequence);
        Assert.Equal(1, (await good2).Messages[0].Sequence);
        Assert.Equal(ErrorCode.NotFound, (await Assert.ThrowsAsync<AgentSessionsException>(() => missing)).Code);
        Assert.Equal(ErrorCode.Conflict, (await Assert.ThrowsAsync<AgentSessionsException>(() => duplicate)).Code);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(2, store.Commits - commitsBefore); // "first" alone, then the rest together

        Assert.Equal(["first", "good one"], (await store.ReadAsync("a", MessageRange.All).ToListAsync()).Select(m => m.Text));
        Assert.Equal(["good two"], (await store.ReadAsync("b", MessageRange.All).ToListAsync()).Select(m => m.Text));
        Assert.Equal(1, (await store.GetAsync("b"))!.MessageCount);
        Assert.True((await store.CheckAsync(repair: false)).Healthy);
    }

    [Fact]
    public async Task A_fork_or_an_undo_grouped_after_an_append_keeps_the_appended_message_searchable()
    {
        using var temp = TempDirectory.ForCaller();
        await using var store = SqliteSessionStore.Open(temp.Path);
        await store.CreateAsync(new NewSession { Id = "s", Title = "Forked" });
        await store.CreateAsync(new NewSession { Id = "u", Title = "Undone" });
        await store.AppendAsync("u", [new NewMessage(MessageRole.User, "question one"), new NewMessage(MessageRole.Assistant, "answer one")]);

        // In one group: an append (its message waits for the index), then a fork of that session; an append,
        // then an undo that hides it.
        await using var held = await WriterHeld.StartAsync(store, "s");
        var appended = store.AppendAsync("s", [new NewMessage(MessageRole.Assistant, "penguin facts")]).AsTask();
        var fork = store.ForkAsync("s", null, new NewSession { Id = "f", Title = "Fork" }).AsTask();
        var appendedToUndo = store.AppendAsync("u", [new NewMessage(MessageRole.User, "narwhal question")]).AsTask();
        var undo = store.UndoAsync("u").AsTask();
        var commitsBefore = store.Commits;
        held.Release();
        await Task.WhenAll(held.First, appended, fork, appendedToUndo, undo);
        Assert.Equal(2, store.Commits - commitsBefore);

        // The fork's copy outlives its original, which was still waiting when it was copied.
        Assert.True(await store.DeleteAsync("s"));
        Assert.Equal(["f"], (await SearchAsync(store, "penguin")).Select(h => h.SessionId));

        // The undone message, waiting when it was hidden, stays searchable in the fork the next append keeps it in.
        var next = await store.AppendAsync("u", [new NewMessage(MessageRole.User, "something else")]);
        Assert.NotNull(next.PreservedIn);
        Assert.Equal([next.PreservedIn], (await SearchAsync(store, "narwhal")).Select(h => h.SessionId));
        Assert.True((await store.CheckAsync(repair: false)).Healthy);
    }

    [Fact]
    public async Task A_search_whose_indexing_write_is_grouped_after_appends_finds_every_one_of_them()
    {
        using var temp = TempDirectory.ForCaller();
        await using var store = SqliteSessionStore.Open(temp.Path);
        // Titles of their own, so a session can only be found through its message, not its automatic title.
        foreach (var id in new[] { "w", "a", "b", "c" })
        {
            await store.CreateAsync(new NewSession { Id = id, Title = $"session {id}" });
        }

        await store.AppendAsync("w", [new NewMessage(MessageRole.User, "walrus zero")]); // stored, waiting for the index
        await using var held = await WriterHeld.StartAsync(store, "w");
        var appends = new[] { "a", "b", "c" }.Select(id => store.AppendAsync(id, [new NewMessage(MessageRole.User, $"walrus in {id}")]).AsTask()).ToList();

        // The search sees waiting messages and asks the writer to index them: an async iterator runs synchronously
        // up to its first pending await, so its (otherwise empty) write is queued behind the appends now.
        var search = store.SearchAsync(new SearchQuery("walrus")).GetAsyncEnumerator();
        var found = search.MoveNextAsync();
        Assert.False(found.IsCompleted);
        var commitsBefore = store.Commits;
        held.Release();
        await Task.WhenAll(appends);
        await held.First;

        var hits = new List<SearchHit>();
        for (var more = await found; more; more = await search.MoveNextAsync())
        {
            hits.Add(search.Current);
        }

        await search.DisposeAsync();
        Assert.Equal(2, store.Commits - commitsBefore); // "first" alone, then the appends and the search's indexing together
        Assert.Equal(["a", "b", "c", "w"], hits.Select(h => h.SessionId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Writes_after_dispose_throw_ObjectDisposedException_and_store_nothing()
    {
        using var temp = TempDirectory.ForCaller();
        var store = SqliteSessionStore.Open(temp.Path);
        await store.CreateAsync(new NewSession { Id = "s" });
        await store.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.AppendAsync("s", [new NewMessage(MessageRole.User, "late")]));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.CreateAsync(new NewSession { Id = "t" }));

        await using var reopened = SqliteSessionStore.Open(temp.Path);
        Assert.Equal(0, (await reopened.GetAsync("s"))!.MessageCount);
        Assert.Null(await reopened.GetAsync("t"));
    }

    [Fact]
    public async Task A_write_still_queued_when_the_store_is_disposed_is_refused_and_not_stored()
    {
        using var temp = TempDirectory.ForCaller();
        var store = SqliteSessionStore.Open(temp.Path);
        await store.CreateAsync(new NewSession { Id = "s" });
        var held = await WriterHeld.StartAsync(store, "s");
        var queued = store.AppendAsync("s", [new NewMessage(MessageRole.User, "queued")]).AsTask();

        // Disposal waits for the writer, behind the queued write; the queued write, once it gets the writer, must
        // see that the store is going away rather than write through a connection about to be closed.
        var disposing = store.DisposeAsync().AsTask();
        Assert.False(disposing.IsCompleted);
        held.Release();

        Assert.Equal(1, (await held.First).Messages[0].Sequence);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => queued);
        await disposing;
        await held.DisposeAsync();

        await using var reopened = SqliteSessionStore.Open(temp.Path);
        Assert.Equal(["first"], (await reopened.ReadAsync("s", MessageRange.All).ToListAsync()).Select(m => m.Text));
    }

    private static async Task<List<SearchHit>> SearchAsync(SqliteSessionStore store, string text)
    {
        var hits = new List<SearchHit>();
        await foreach (var hit in store.SearchAsync(new SearchQuery(text)))
        {
            hits.Add(hit);
        }

        return hits;
    }

    private static Task<T> OnOwnThread<T>(Func<T> work)
        => Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>
    /// Another connection holds SQLite's write lock, so a first append (on its own thread) waits inside the store's
    /// writer; writes made meanwhile queue behind it and run as one group once <see cref="Release"/> is called.
    /// </summary>
    private sealed class WriterHeld : IAsyncDisposable
    {
        private readonly SqliteConnection _blocker;

        private WriterHeld(SqliteConnection blocker, Task<AppendResult> first)
        {
            _blocker = blocker;
            First = first;
        }

        public Task<AppendResult> First { get; }

        public static async Task<WriterHeld> StartAsync(SqliteSessionStore store, string sessionId)
        {
            var blocker = new SqliteConnection($"Data Source={store.Location}");
            blocker.Open();
            Execute(blocker, "BEGIN IMMEDIATE");
            var retries = store.BusyRetries;
            var first = OnOwnThread(() => store.AppendAsync(sessionId, [new NewMessage(MessageRole.User, "first")]).AsTask().GetAwaiter().GetResult());
            // A busy retry means the first append has taken its batch and polls for the lock: writes made from
            // now on queue behind it. (Holding the write gate alone came a moment before it took the batch.)
            for (var waited = 0; store.BusyRetries == retries; waited += 10)
            {
                Assert.True(waited < 10_000, "the first append never reached the writer");
                await Task.Delay(10);
            }

            return new WriterHeld(blocker, first);
        }

        public void Release()
        {
            if (_blocker.IsInTransaction())
            {
                Execute(_blocker, "COMMIT");
            }
        }

        public async ValueTask DisposeAsync()
        {
            Release();
            await First.ConfigureAwait(false);
            _blocker.Dispose();
        }

        private static void Execute(SqliteConnection connection, string sql)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }
    }
}
