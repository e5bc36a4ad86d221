using AgentSessions.Sqlite;
using AgentSessions.Storage;
using AgentSessions.Testing;
using Xunit;
using Xunit.Abstractions;

namespace AgentSessions.Sqlite.Tests.Faults;

/// <summary>
/// Four writer processes that also read (list, search, read) while two reader processes loop over the same store,
/// once on one shared session and once on a session each. Zero errors, gap-free sequences, exact totals, a healthy doctor.
/// </summary>
/// <remarks>
/// Every append is fsynced (durability Full), so 4 × 1,000 appends take too long for every CI run: the default is
/// 4 × 250; AGENT_SESSIONS_LONG=1 runs the full 4 × 1,000.
/// </remarks>
public sealed class ConcurrentProcessFaultTests(ITestOutputHelper output)
{
    private const int Writers = 4, Readers = 2;

    private static int Appends => Environment.GetEnvironmentVariable("AGENT_SESSIONS_LONG") is { Length: > 0 } and not "0" ? 1000 : 250;

    [Fact]
    public Task Writers_and_readers_share_one_session() => RunAsync(shared: true);

    [Fact]
    public Task Writers_and_readers_use_a_session_each() => RunAsync(shared: false);

    private async Task RunAsync(bool shared)
    {
        using var temp = TempDirectory.ForCaller();
        var store = temp.Combine("store");
        var sessions = shared ? ["shared"] : Enumerable.Range(0, Writers).Select(p => $"own{p}").ToArray();
        await using (var s = SqliteSessionStore.Open(store))
        {
            foreach (var id in sessions)
            {
                // Titled: an untitled session trips the doctor's title-index check on its own (see
                // CorruptionTests.An_untitled_session_passes_doctor), which is not what this test is about.
                await s.CreateAsync(new NewSession { Id = id, Title = $"session {id}" });
            }
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var stop = temp.Combine("stop");
        var readers = Enumerable.Range(0, Readers).Select(r => ChildProcess.Start("reader", store, sessions[r % sessions.Length], stop)).ToList();
        var writers = Enumerable.Range(0, Writers).Select(p => ChildProcess.Start("mixed", store, sessions[p % sessions.Length], Appends.ToString(), $"p{p}")).ToList();
        var written = await Task.WhenAll(writers.Select(c => c.WaitAsync(TimeSpan.FromMinutes(5))));
        await File.WriteAllTextAsync(stop, "");
        var read = await Task.WhenAll(readers.Select(c => c.WaitAsync(TimeSpan.FromMinutes(1))));
        writers.Concat(readers).ToList().ForEach(c => c.Dispose());
        output.WriteLine($"{Writers} × {Appends} appends in {clock.Elapsed.TotalSeconds:F1} s; reader rounds: {string.Join(", ", read.Select(r => r.Stdout.Trim()))}");

        Assert.All(written.Concat(read), r =>
        {
            Assert.True(r.ExitCode == 0, $"child failed ({r.ExitCode}): {r.Stderr}");
            Assert.Equal("", r.Stderr);
        });
        Assert.All(read, r => Assert.Matches(@"^rounds [1-9]\d*$", r.Stdout.Trim()));

        await using var reopened = SqliteSessionStore.Open(store);
        var bySession = new Dictionary<string, List<SessionMessage>>();
        foreach (var id in sessions)
        {
            var messages = await FaultHelpers.ReadAllAsync(reopened, id);
            bySession[id] = messages;
            Assert.Equal(Enumerable.Range(1, messages.Count).Select(i => (long)i), messages.Select(m => m.Sequence));
            var session = (await reopened.GetAsync(id))!;
            Assert.Equal(messages.Count, session.MessageCount);
            Assert.Equal(messages.Sum(m => m.InputTokens), session.InputTokens);
            Assert.Equal(messages.Sum(m => m.OutputTokens), session.OutputTokens);
        }

        var all = bySession.Values.SelectMany(m => m).ToList();
        Assert.Equal(Writers * Appends, all.Count);
        for (var p = 0; p < Writers; p++)
        {
            // Each writer's messages are all there, in its order, with the tokens it sent.
            var own = bySession[sessions[p % sessions.Length]].Where(m => m.Text.StartsWith($"p{p} ", StringComparison.Ordinal)).ToList();
            Assert.Equal(Enumerable.Range(0, Appends), own.Select(m => int.Parse(m.Text.Split(' ')[1])));
            Assert.All(own, m => Assert.Equal(2 * m.InputTokens, m.OutputTokens));
        }

        // Every acknowledged sequence number is the one stored for that text.
        for (var p = 0; p < Writers; p++)
        {
            var messages = bySession[sessions[p % sessions.Length]];
            foreach (var line in written[p].Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = line.Split(' ');
                Assert.StartsWith($"{parts[2]} {parts[3]} ", messages[(int)long.Parse(parts[1]) - 1].Text, StringComparison.Ordinal);
            }
        }

        long expectedInput = Writers * (long)Appends * (Appends - 1) / 2;
        var stats = await reopened.GetStatsAsync(new StatsQuery());
        Assert.Equal(Writers * Appends, stats.Messages);
        Assert.Equal(expectedInput, stats.InputTokens);
        Assert.Equal(2 * expectedInput, stats.OutputTokens);
        var report = await reopened.CheckAsync(repair: false);
        Assert.True(report.Healthy, FaultHelpers.Failures(report));
        Assert.True(report.Checks.All(c => c.Ok), FaultHelpers.Failures(report));
    }
}
