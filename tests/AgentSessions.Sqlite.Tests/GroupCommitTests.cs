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

        // Another connection holds the write lock, so the first append waits inside the writer and the next ones
        // queue behind it; when the lock goes, they run as one group.
        using var blocker = new SqliteConnection($"Data Source={store.Location}");
        blocker.Open();
        using (var begin = blocker.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            begin.ExecuteNonQuery();
        }

        var first = OnOwnThread(() => store.AppendAsync("a", [new NewMessage(MessageRole.User, "first")]).AsTask().GetAwaiter().GetResult());
        for (var waited = 0; !store.WriterBusy; waited += 10)
        {
            Assert.True(waited < 10_000, "the first append never reached the writer");
            await Task.Delay(10);
        }

        using var cancel = new CancellationTokenSource();
        var good1 = store.AppendAsync("a", [new NewMessage(MessageRole.User, "good one")]).AsTask();
        var missing = store.AppendAsync("no-such-session", [new NewMessage(MessageRole.User, "lost")]).AsTask();
        var duplicate = store.AppendAsync("b", [new NewMessage(MessageRole.User, "x") { Id = "dup" }, new NewMessage(MessageRole.User, "y") { Id = "dup" }]).AsTask();
        var cancelled = store.AppendAsync("b", [new NewMessage(MessageRole.User, "never")], cancel.Token).AsTask();
        var good2 = store.AppendAsync("b", [new NewMessage(MessageRole.User, "good two")]).AsTask();
        await cancel.CancelAsync();
        var commitsBefore = store.Commits;
        using (var commit = blocker.CreateCommand())
        {
            commit.CommandText = "COMMIT";
            commit.ExecuteNonQuery();
        }

        Assert.Equal(1, (await first).Messages[0].Sequence);
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

    private static Task<T> OnOwnThread<T>(Func<T> work)
        => Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
