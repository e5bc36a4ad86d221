using AgentSessions.Storage;
using Xunit;

namespace AgentSessions.Specification.Tests;

// Concurrency: many callers appending at once through the contract, to one session and across several.
public abstract partial class SessionStoreSpecification
{
    private const int Appenders = 8;
    private const int AppendsEach = 50;

    /// <summary>What one appender was told about one of its messages.</summary>
    private sealed record Reported(int Appender, int Append, string SessionId, long Sequence, string Text);

    /// <summary>
    /// Runs <see cref="Appenders"/> callers on their own threads, each making <see cref="AppendsEach"/> appends to
    /// the session <paramref name="target"/> names; every fifth append is a batch of two. Returns what each was told.
    /// </summary>
    private async Task<List<Reported>> AppendConcurrentlyAsync(Func<int, int, string> target)
    {
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workers = Enumerable.Range(0, Appenders).Select(appender => Task.Run(async () =>
        {
            var told = new List<Reported>();
            await start.Task;
            for (var i = 0; i < AppendsEach; i++)
            {
                var sessionId = target(appender, i);
                var texts = Enumerable.Range(0, i % 5 == 4 ? 2 : 1).Select(part => $"a{appender}-{i}-{part}").ToList();
                var result = await Store.AppendAsync(sessionId, texts.Select(text => new NewMessage(MessageRole.User, text) { InputTokens = 1 }).ToList());
                Assert.Equal(texts, result.Messages.Select(m => m.Text));
                told.AddRange(result.Messages.Select(m => new Reported(appender, i, sessionId, m.Sequence, m.Text)));
            }

            return told;
        })).ToList();

        // Released together, so the appends really overlap instead of the first worker finishing before the last starts.
        start.SetResult();
        return (await Task.WhenAll(workers)).SelectMany(t => t).ToList();
    }

    /// <summary>Checks one session against what its appenders were told: gap-free, each message once, each caller's order kept.</summary>
    private async Task AssertStoredAsReportedAsync(string sessionId, IReadOnlyList<Reported> told)
    {
        var stored = await ReadAllAsync(sessionId);

        Assert.Equal(Enumerable.Range(1, told.Count).Select(i => (long)i), stored.Select(m => m.Sequence));
        Assert.Equal(told.Count, stored.Select(m => m.Text).Distinct(StringComparer.Ordinal).Count());
        // Each message sits where its caller was told it is.
        Assert.Equal(
            told.OrderBy(r => r.Sequence).Select(r => (r.Sequence, r.Text)),
            stored.Select(m => (m.Sequence, m.Text)));
        foreach (var mine in told.GroupBy(r => r.Appender))
        {
            // One caller's messages come back in the order it appended them, and a batch stays together.
            var order = mine.OrderBy(r => r.Append).ThenBy(r => r.Text, StringComparer.Ordinal).Select(r => r.Sequence).ToList();
            Assert.Equal(order.Order(), order);
            foreach (var batch in mine.GroupBy(r => r.Append).Where(b => b.Count() > 1))
            {
                var sequences = batch.Select(r => r.Sequence).Order().ToList();
                Assert.Equal(Enumerable.Range(0, sequences.Count).Select(k => sequences[0] + k), sequences);
            }
        }

        var session = (await Store.GetAsync(sessionId))!;
        Assert.Equal(told.Count, session.MessageCount);
        Assert.Equal(told.Count, session.InputTokens); // no lost update of the totals
    }

    [Fact]
    public async Task Many_concurrent_appenders_to_one_session_get_gap_free_numbers_each_message_once_in_each_callers_order()
    {
        await Store.CreateAsync(new NewSession { Id = "busy" });

        var told = await AppendConcurrentlyAsync((_, _) => "busy");

        Assert.Equal(Appenders * AppendsEach * 6 / 5, told.Count);
        await AssertStoredAsReportedAsync("busy", told);
    }

    [Fact]
    public async Task Many_concurrent_appenders_across_sessions_keep_every_session_gap_free_and_to_itself()
    {
        const int Sessions = 4;
        for (var s = 0; s < Sessions; s++)
        {
            await Store.CreateAsync(new NewSession { Id = $"busy-{s}" });
        }

        // Each caller moves from session to session, so every session has every caller in it, interleaved.
        var told = await AppendConcurrentlyAsync((appender, i) => $"busy-{(appender + i) % Sessions}");

        foreach (var session in told.GroupBy(r => r.SessionId))
        {
            await AssertStoredAsReportedAsync(session.Key, session.ToList());
        }

        Assert.Equal(Sessions, told.Select(r => r.SessionId).Distinct().Count());
        var stats = await Store.GetStatsAsync(new StatsQuery());
        Assert.Equal(told.Count, stats.Messages);
        Assert.Equal(told.Count, stats.InputTokens);
    }
}
