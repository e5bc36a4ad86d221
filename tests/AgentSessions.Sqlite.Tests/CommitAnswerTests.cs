using AgentSessions.Sqlite;
using AgentSessions.Storage;
using AgentSessions.Testing;
using Xunit;
using Xunit.Abstractions;

namespace AgentSessions.Sqlite.Tests;

/// <summary>
/// A write is answered only after the COMMIT that holds it, and a commit that fails fails every write in it.
/// The store's <see cref="SqliteSessionStore.BeforeCommit"/> hook holds a group's COMMIT (or fails it) so the tests
/// can look at the callers at that moment instead of hoping to catch it.
/// </summary>
public sealed class CommitAnswerTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Writes_in_a_held_commit_stay_unanswered_even_for_callers_that_stop_waiting_until_it_finishes()
    {
        using var temp = TempDirectory.ForCaller();
        await using var store = SqliteSessionStore.Open(temp.Path);
        await using var other = SqliteSessionStore.Open(temp.Path); // another process's view, through its own connections
        await store.CreateAsync(new NewSession { Id = "s" });
        using var commits = new HeldCommits(store);

        // A first append holds the writer in its COMMIT; eight more queue behind it and form the next group.
        var first = Task.Factory.StartNew(() => store.AppendAsync("s", [new NewMessage(MessageRole.User, "first")]).AsTask().GetAwaiter().GetResult(), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.Equal(1, await commits.NextAsync());
        var tokens = Enumerable.Range(0, 8).Select(_ => new CancellationTokenSource()).ToList();
        var queued = tokens.Select((t, i) => store.AppendAsync("s", [new NewMessage(MessageRole.User, $"queued {i}")], t.Token).AsTask()).ToList();
        commits.Release();
        Assert.Equal(1, (await first).Messages[0].Sequence);

        // Their COMMIT is held now: every write in it has run. Callers who stop waiting (a client that hung up, a
        // timeout) are past the point of withdrawing; they must hear the outcome, and not before it exists.
        Assert.Equal(8, await commits.NextAsync());
        foreach (var t in tokens)
        {
            await t.CancelAsync();
        }

        await Task.Delay(100); // room for a wrong early answer to arrive; a right one cannot, whatever the delay
        Assert.All(queued, task => Assert.False(task.IsCompleted, "a write was answered before its COMMIT"));
        Assert.Equal(1, (await other.GetAsync("s"))!.MessageCount);

        commits.Release();
        var results = await Task.WhenAll(queued).WaitAsync(Patience);
        Assert.Equal(Enumerable.Range(2, 8).Select(i => (long)i), results.Select(r => r.Messages[0].Sequence).Order());
        Assert.Equal(9, (await other.ReadAsync("s", MessageRange.All).ToListAsync()).Count);
        tokens.ForEach(t => t.Dispose());
    }

    [Fact]
    public async Task A_failed_commit_fails_every_write_in_its_group_and_stores_none_of_them()
    {
        using var temp = TempDirectory.ForCaller();
        await using var store = SqliteSessionStore.Open(temp.Path);
        await store.CreateAsync(new NewSession { Id = "a" });
        await store.CreateAsync(new NewSession { Id = "b" });
        using var commits = new HeldCommits(store);

        var first = Task.Factory.StartNew(() => store.AppendAsync("a", [new NewMessage(MessageRole.User, "first")]).AsTask().GetAwaiter().GetResult(), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.Equal(1, await commits.NextAsync());
        // A group of appends, a create and a tag change; the create and the tag change are not appends, so the
        // group also indexes the waiting messages before them.
        var appends = Enumerable.Range(0, 6).Select(i => store.AppendAsync(i % 2 == 0 ? "a" : "b", [new NewMessage(MessageRole.User, $"doomed {i}")]).AsTask()).ToList();
        var create = store.CreateAsync(new NewSession { Id = "c" }).AsTask();
        var tag = store.UpdateAsync("b", new SessionUpdate { AddTags = ["doomed"] }).AsTask();
        commits.Release();
        await first;

        Assert.Equal(8, await commits.NextAsync());
        commits.FailNext(new IOException("disk gone"));
        commits.Release();

        foreach (var task in appends.Cast<Task>().Append(create).Append(tag))
        {
            var e = await Assert.ThrowsAnyAsync<Exception>(() => task.WaitAsync(Patience));
            Assert.Equal("disk gone", e.Message);
        }

        Assert.Equal(["first"], (await store.ReadAsync("a", MessageRange.All).ToListAsync()).Select(m => m.Text));
        Assert.Empty(await store.ReadAsync("b", MessageRange.All).ToListAsync());
        Assert.Null(await store.GetAsync("c"));
        Assert.Empty((await store.GetAsync("b"))!.Tags);

        // The writer is fine afterwards.
        commits.Dispose();
        Assert.Equal(2, (await store.AppendAsync("a", [new NewMessage(MessageRole.User, "after")])).Messages[0].Sequence);
        Assert.True((await store.CheckAsync(repair: false)).Healthy);
    }

    [Fact]
    public async Task Filling_the_store_during_a_group_commit_never_reports_a_write_stored_that_is_not()
    {
        using var temp = TempDirectory.ForCaller();
        var options = new SqliteStoreOptions(temp.Combine("store")) { MaxSizeBytes = 1024 * 1024 };
        await using (var full = SqliteSessionStore.Open(options))
        {
            await full.CreateAsync(new NewSession { Id = "a" });
            await full.CreateAsync(new NewSession { Id = "b" });
            var filled = false;
            for (var i = 0; i < 1_000 && !filled; i++)
            {
                try
                {
                    await full.AppendAsync("a", [new NewMessage(MessageRole.User, Filler($"fill {i}", 8_000))]);
                }
                catch (AgentSessionsException e) when (e.Code == ErrorCode.StoreFull)
                {
                    filled = true;
                }
            }

            Assert.True(filled, "1,000 appends of 8 KB fit in 1 MiB");
        }

        // Reopened with room for a few more appends, but not for the whole group that comes next. (Deleting to
        // make room would not do: a delete first indexes the waiting messages, and that fails on a full store.)
        await using var store = SqliteSessionStore.Open(options with { MaxSizeBytes = options.MaxSizeBytes + (100 * 1024) });
        using var commits = new HeldCommits(store);
        var first = Task.Factory.StartNew(() => store.AppendAsync("b", [new NewMessage(MessageRole.User, "first")]).AsTask().GetAwaiter().GetResult(), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.Equal(1, await commits.NextAsync());
        var group = Enumerable.Range(0, 32).Select(i => store.AppendAsync("b", [new NewMessage(MessageRole.User, Filler($"group {i}", 8_000))]).AsTask()).ToList();
        commits.Dispose(); // release, and let every later commit through
        await first;

        var answered = new List<string>();
        var failed = 0;
        foreach (var (task, i) in group.Select((t, i) => (t, i)))
        {
            try
            {
                await task.WaitAsync(Patience);
                answered.Add($"group {i}");
            }
            catch (AgentSessionsException e)
            {
                Assert.Equal(ErrorCode.StoreFull, e.Code);
                failed++;
            }
        }

        output.WriteLine($"{answered.Count} of the group stored, {failed} failed with StoreFull");
        Assert.True(failed > 0, "the group fit: the test did not fill the store");
        var stored = (await store.ReadAsync("b", MessageRange.All).ToListAsync()).Skip(1).Select(m => m.Text.Split(' ')[0] + " " + m.Text.Split(' ')[1]).ToList();
        // Exactly the writes reported stored are stored: none lost after a success, none kept after a failure.
        Assert.Equal(answered.Order(StringComparer.Ordinal), stored.Order(StringComparer.Ordinal));
        Assert.Equal(1 + answered.Count, (await store.GetAsync("b"))!.MessageCount);
        Assert.True((await store.CheckAsync(repair: false)).Healthy);
    }

    private static string Filler(string head, int length)
    {
        // Distinct text, so neither content dedup nor compression keeps the file small.
        var random = new Random(head.GetHashCode(StringComparison.Ordinal));
        var body = new char[length];
        for (var i = 0; i < length; i++)
        {
            body[i] = (char)('a' + random.Next(26));
        }

        return $"{head} {new string(body)}";
    }

    /// <summary>
    /// Installs <see cref="SqliteSessionStore.BeforeCommit"/>: each COMMIT waits there until <see cref="Release"/>
    /// (or <see cref="Dispose"/>, which lets every later one through), and <see cref="NextAsync"/> waits for the
    /// next one to arrive and returns how many writes it carries.
    /// </summary>
    private sealed class HeldCommits : IDisposable
    {
        private readonly SqliteSessionStore _store;
        private readonly SemaphoreSlim _arrived = new(0);
        private readonly SemaphoreSlim _released = new(0);
        private volatile bool _open;
        private int _writes;
        private Exception? _fail;

        public HeldCommits(SqliteSessionStore store)
        {
            _store = store;
            store.BeforeCommit = writes =>
            {
                if (_open)
                {
                    return;
                }

                Volatile.Write(ref _writes, writes);
                _arrived.Release();
                if (!_released.Wait(Patience))
                {
                    throw new TimeoutException("the test never released the commit");
                }

                if (Interlocked.Exchange(ref _fail, null) is { } fail)
                {
                    throw fail;
                }
            };
        }

        public async Task<int> NextAsync()
        {
            Assert.True(await _arrived.WaitAsync(Patience), "no commit arrived");
            return Volatile.Read(ref _writes);
        }

        public void Release() => _released.Release();

        public void FailNext(Exception e) => _fail = e;

        public void Dispose()
        {
            if (!_open)
            {
                _open = true;
                _store.BeforeCommit = null;
                _released.Release(1000);
            }
        }
    }
}
