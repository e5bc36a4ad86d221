using AgentSessions.Sqlite;
using AgentSessions.Storage;
using AgentSessions.Testing;
using Microsoft.Data.Sqlite;
using Xunit;

namespace AgentSessions.Sqlite.Tests;

/// <summary>
/// A write that meets a busy lock many times keeps retrying in short steps and lands once the lock frees. The
/// steps grow with the attempt number (<c>Backoff</c>), so these drive the loops well past the point (about 16
/// tries) where a count going the wrong way would turn the step into a sleep forever or a thrown sleep.
/// </summary>
/// <remarks>
/// The store is disposed at the end, not with <c>await using</c>: if the writer hung, disposing would wait for it
/// forever and hide the failure behind a hung test.
/// </remarks>
public sealed class BusyRetryTests
{
    /// <summary>More retries than the five step sizes of the first 40 attempts; a wrong-way count fails by 32.</summary>
    private const int ManyRetries = 40;

    /// <summary>Only a guard against a hung writer: the writes here take well under a second.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_write_polling_a_lock_held_through_many_retries_lands_once_it_frees()
    {
        using var temp = TempDirectory.ForCaller();
        var directory = temp.Combine("store");
        // A directory where the writer-turns side file would go: turns cannot be taken (as in a read-only store
        // directory), so every poll of BEGIN IMMEDIATE goes through Backoff rather than the 1 ms turn wait.
        Directory.CreateDirectory(Path.Combine(directory, "sessions.db-writers"));
        var store = SqliteSessionStore.Open(directory);
        await store.CreateAsync(new NewSession { Id = "s" });

        using var other = new SqliteConnection($"Data Source={store.Location};Pooling=False");
        other.Open();
        Execute(other, "BEGIN IMMEDIATE");
        var before = store.BusyRetries;
        var append = OnOwnThread(() => store.AppendAsync("s", [new NewMessage(MessageRole.User, "after many polls")]).AsTask().GetAwaiter().GetResult());

        // Counted polls, not a length of time: the lock is held until the writer has retried enough.
        await WaitForRetriesAsync(store, before, append);
        Assert.False(append.IsCompleted, $"the append ended while the lock was still held: {append.Exception?.InnerException}");
        Execute(other, "COMMIT");

        var result = await append.WaitAsync(HangGuard);
        Assert.Equal(1, result.Messages[0].Sequence);
        Assert.Equal(["after many polls"], (await store.ReadAsync("s", MessageRange.All).ToListAsync()).Select(m => m.Text));
        await store.DisposeAsync();
    }

    [Fact]
    public async Task A_transaction_that_meets_a_busy_lock_many_times_runs_again_until_it_commits_once()
    {
        using var temp = TempDirectory.ForCaller();
        var store = SqliteSessionStore.Open(temp.Path);
        await store.CreateAsync(new NewSession { Id = "s" });
        var busyCommits = 0;
        // As if another process took the lock between our writes and our COMMIT (SQLITE_BUSY after BEGIN): the
        // whole transaction rolls back and runs again.
        store.BeforeCommit = _ =>
        {
            if (busyCommits < ManyRetries)
            {
                busyCommits++;
                throw new SqliteException("database is locked", 5);
            }
        };
        var before = store.BusyRetries;

        var append = OnOwnThread(() => store.AppendAsync("s", [new NewMessage(MessageRole.User, "after many rollbacks")]).AsTask().GetAwaiter().GetResult());
        var result = await append.WaitAsync(HangGuard);

        Assert.Equal(ManyRetries, busyCommits);
        Assert.Equal(ManyRetries, store.BusyRetries - before);
        Assert.Equal(1, result.Messages[0].Sequence);
        Assert.Equal(["after many rollbacks"], (await store.ReadAsync("s", MessageRange.All).ToListAsync()).Select(m => m.Text));
        Assert.Equal(1, (await store.GetAsync("s"))!.MessageCount);
        await store.DisposeAsync();
    }

    private static async Task WaitForRetriesAsync(SqliteSessionStore store, long before, Task append)
    {
        for (var waited = 0; store.BusyRetries - before < ManyRetries && !append.IsCompleted; waited += 5)
        {
            Assert.True(waited < HangGuard.TotalMilliseconds, $"the writer stopped retrying after {store.BusyRetries - before} busy answers");
            await Task.Delay(5);
        }
    }

    private static Task<T> OnOwnThread<T>(Func<T> work)
        => Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
