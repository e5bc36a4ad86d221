using System.Collections.Concurrent;
using AgentSessions.Storage;
using Xunit;

namespace AgentSessions.Specification.Tests;

// Cancellation: a write whose token is cancelled happens whole or not at all, and the caller is told which.
public abstract partial class SessionStoreSpecification
{
    /// <summary>Everything a test can see of a session, as one comparable string.</summary>
    private async Task<string> VisibleStateAsync(string id)
    {
        var session = await Store.GetAsync(id);
        if (session is null)
        {
            return "(none)";
        }

        var details = await Store.GetDetailsAsync(id);
        var messages = await ReadAllAsync(id);
        return string.Join('\n',
        [
            $"{session.Title}|{string.Join(',', session.Tags)}|{session.Pinned}|{session.MessageCount}|{session.InputTokens}|{session.UpdatedAt.UtcTicks}",
            string.Join(',', messages.Select(m => $"{m.Sequence}:{m.Text}")),
            $"snapshots {details.Snapshots.Count}, bookmarks {details.Bookmarks.Count}, tools {details.ToolExecutions.Count}, files {details.Files.Count}, forks {details.Forks.Count}, hidden {details.HiddenMessages}",
        ]);
    }

    [Fact]
    public async Task A_write_whose_token_is_already_cancelled_throws_and_changes_nothing()
    {
        await Store.CreateAsync(new NewSession { Id = "calm", Title = "before", Tags = ["t"] });
        await Store.AppendAsync("calm", [new NewMessage(MessageRole.User, "question"), new NewMessage(MessageRole.Assistant, "answer")]);
        var before = await VisibleStateAsync("calm");
        var sessions = (await Store.ListAsync(new SessionQuery())).Sessions.Select(s => s.Id).ToList();
        var archive = new SessionArchive { Session = (await Store.GetAsync("calm"))! with { Id = "calm-copy" }, Messages = await ReadAllAsync("calm") };
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var token = cancelled.Token;
        var now = DateTimeOffset.UtcNow;

        var writes = new (string Name, Func<Task> Write)[]
        {
            ("create", async () => await Store.CreateAsync(new NewSession { Id = "never" }, token)),
            ("append", async () => await Store.AppendAsync("calm", [new NewMessage(MessageRole.User, "lost")], token)),
            ("update", async () => await Store.UpdateAsync("calm", new SessionUpdate { Title = "after", AddTags = ["u"], Pinned = true }, token)),
            ("delete", async () => await Store.DeleteAsync("calm", token)),
            ("import", async () => await Store.ImportAsync(archive, replace: false, cancellationToken: token)),
            ("import replace", async () => await Store.ImportAsync(archive with { Session = archive.Session with { Id = "calm" }, Messages = archive.Messages.Take(1).ToList() }, replace: true, cancellationToken: token)),
            ("snapshot", async () => await Store.CreateSnapshotAsync("calm", "snap", cancellationToken: token)),
            ("undo", async () => await Store.UndoAsync("calm", token)),
            ("fork", async () => await Store.ForkAsync("calm", 1, new NewSession { Id = "never-fork" }, token)),
            ("bookmark", async () => await Store.AddBookmarkAsync("calm", "mark", 1, cancellationToken: token)),
            ("tool run", async () => await Store.RecordToolExecutionAsync("calm", new ToolExecution { Id = "e1", ToolName = "ls", CreatedAt = now }, token)),
            ("file change", async () => await Store.RecordFileChangeAsync("calm", new FileChange("a.txt", FileChangeKind.Created, now), token)),
        };

        foreach (var (name, write) in writes)
        {
            var e = await Record.ExceptionAsync(write);
            Assert.True(e is OperationCanceledException, $"{name}: expected OperationCanceledException, got {e?.GetType().Name ?? "success"}");
            Assert.Equal(before, await VisibleStateAsync("calm"));
        }

        Assert.Equal(sessions, (await Store.ListAsync(new SessionQuery())).Sessions.Select(s => s.Id));
        Assert.Equal("(none)", await VisibleStateAsync("calm-copy"));
        // The store is unharmed: the next write goes through and numbers on.
        Assert.Equal(3, (await Store.AppendAsync("calm", [new NewMessage(MessageRole.User, "next")])).Messages[0].Sequence);
    }

    [Fact]
    public async Task An_append_cancelled_while_it_waits_behind_others_is_stored_whole_and_reported_or_not_stored_at_all()
    {
        await Store.CreateAsync(new NewSession { Id = "queue" });
        const int Attempts = 150;
        const int BatchSize = 3;

        // Other callers keep the store busy, so the cancelled appends are queued behind theirs or in their group.
        using var stop = new CancellationTokenSource();
        var others = new ConcurrentBag<AppendResult>();
        var busy = Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                others.Add(await Store.AppendAsync("queue", [new NewMessage(MessageRole.Assistant, $"other-{worker}-{i}")]));
            }
        })).ToList();

        var random = new Random(12);
        var outcomes = new List<(int Attempt, AppendResult? Stored, bool WasWaiting)>();
        try
        {
            for (var attempt = 0; attempt < Attempts; attempt++)
            {
                using var cancel = new CancellationTokenSource();
                var batch = Enumerable.Range(0, BatchSize).Select(part => new NewMessage(MessageRole.User, $"try-{attempt}-{part}") { InputTokens = 1 }).ToList();
                var pending = Store.AppendAsync("queue", batch, cancel.Token);
                var waiting = !pending.IsCompleted;
                // Cancel at once, or a moment later: still queued, taken into another caller's group, or done.
                var delay = random.Next(4);
                if (delay == 0)
                {
                    await cancel.CancelAsync();
                }
                else
                {
                    cancel.CancelAfter(TimeSpan.FromMilliseconds(delay));
                }

                try
                {
                    outcomes.Add((attempt, await pending, waiting));
                }
                catch (OperationCanceledException)
                {
                    outcomes.Add((attempt, null, waiting));
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(busy);
        }

        var stored = await ReadAllAsync("queue");
        Assert.Equal(Enumerable.Range(1, stored.Count).Select(i => (long)i), stored.Select(m => m.Sequence));
        Assert.Equal(stored.Count, stored.Select(m => m.Text).Distinct(StringComparer.Ordinal).Count());
        foreach (var (attempt, result, _) in outcomes)
        {
            var mine = stored.Where(m => m.Text.StartsWith($"try-{attempt}-", StringComparison.Ordinal)).ToList();
            if (result is null)
            {
                Assert.True(mine.Count == 0, $"append {attempt} was reported cancelled, but {mine.Count} of its {BatchSize} messages are stored");
            }
            else
            {
                // Reported, so stored whole, together, where the caller was told.
                Assert.Equal(result.Messages.Select(m => (m.Sequence, m.Text)), mine.Select(m => (m.Sequence, m.Text)));
                Assert.Equal(BatchSize, mine.Count);
                Assert.Equal(mine[0].Sequence + BatchSize - 1, mine[^1].Sequence);
            }
        }

        Assert.All(others, r => Assert.Equal(r.Messages[0].Text, stored[(int)r.Messages[0].Sequence - 1].Text));
        var session = (await Store.GetAsync("queue"))!;
        Assert.Equal(stored.Count, session.MessageCount);
        Assert.Equal(outcomes.Count(o => o.Stored is not null) * BatchSize, session.InputTokens);
        // Without appends that were still waiting when cancelled, this test would have seen nothing of what it is for.
        Assert.True(outcomes.Any(o => o.WasWaiting), "every append finished before it could be cancelled; the test needs writes that wait");
        Assert.Contains(outcomes, o => o.Stored is null);
    }
}
