using AgentSessions.Sqlite;
using AgentSessions.Testing;
using Xunit;
using Xunit.Abstractions;

namespace AgentSessions.Sqlite.Tests;

/// <summary>Kill a writer with SIGKILL at random moments; nothing it acknowledged may be lost or torn.</summary>
public sealed class CrashTests(ITestOutputHelper output)
{
    /// <summary>Kills per run: 100 in CI; AGENT_SESSIONS_CRASH_KILLS=1000 (or any count) for a long campaign.</summary>
    private static int Kills => int.TryParse(Environment.GetEnvironmentVariable("AGENT_SESSIONS_CRASH_KILLS"), out var n) && n > 0 ? n : 100;

    [Fact]
    public async Task Append_after_SIGKILL_keeps_every_acknowledged_message_untorn()
    {
        using var temp = TempDirectory.ForCaller();
        var store = temp.Combine("store");
        await using (var s = SqliteSessionStore.Open(store))
        {
            await s.CreateAsync(new NewSession { Id = "crash" });
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var random = new Random(20261121);
        var acknowledged = new List<(long Seq, string Tag, int Index)>();
        for (var round = 0; round < Kills; round++)
        {
            var tag = $"r{round}";
            using var child = ChildProcess.Start("append", store, "crash", "100000", tag);
            var wanted = random.Next(1, 16); // few acks per round: the kills, not the appends, are the point (and keep 100 rounds short)
            // Read acknowledgements, then kill at a random point: sometimes right after an ack, sometimes
            // a little later, while the next append is in flight.
            for (var i = 0; i < wanted; i++)
            {
                var line = child.ReadLine();
                if (line is null)
                {
                    Assert.Fail($"child exited early: {await child.Process.StandardError.ReadToEndAsync()}");
                }

                var parts = line!.Split(' ');
                acknowledged.Add((long.Parse(parts[1]), parts[2], int.Parse(parts[3])));
            }

            if (random.Next(2) == 0)
            {
                Thread.SpinWait(random.Next(1, 200_000));
            }

            child.Kill();
        }

        var stored = await AssertAcknowledgedStoredAsync(store, "crash", acknowledged);
        output.WriteLine($"{Kills} kills, {acknowledged.Count} acknowledged appends, {stored} stored, {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(acknowledged.Count >= Kills);
    }

    [Fact]
    public async Task SIGKILL_while_a_commit_is_held_loses_only_writes_that_were_never_answered()
    {
        // The window between "the writes ran" and "COMMIT returned" is a few microseconds in real use, too short for
        // random kills to hit (answering callers before COMMIT survived 100 of them). Here the child holds every
        // COMMIT 100 ms in the store's test hook and its callers stop waiting meanwhile, and each kill lands inside
        // a held commit: whatever the child printed as acknowledged by then must be in the store afterwards.
        using var temp = TempDirectory.ForCaller();
        var store = temp.Combine("store");
        await using (var s = SqliteSessionStore.Open(store))
        {
            await s.CreateAsync(new NewSession { Id = "held" });
        }

        var random = new Random(20261204);
        var acknowledged = new List<(long Seq, string Tag, int Index)>();
        var kills = Math.Min(Kills, 15);
        if (Environment.GetEnvironmentVariable("AGENT_SESSIONS_CRASH_KILLS") is not null)
        {
            kills = Kills;
        }

        for (var round = 0; round < kills; round++)
        {
            var tag = $"h{round}";
            using var child = ChildProcess.Start("held-append", store, "held", "4", "100", tag);
            var wanted = random.Next(1, 8);
            var acks = 0;
            while (true)
            {
                var line = child.ReadLine();
                if (line is null)
                {
                    Assert.Fail($"child exited early: {await child.Process.StandardError.ReadToEndAsync()}");
                }

                if (line!.StartsWith("ack ", StringComparison.Ordinal))
                {
                    acknowledged.Add(ParseAck(line));
                    acks++;
                }
                else if (line == "hold" && acks >= wanted)
                {
                    break;
                }
            }

            // Somewhere inside the held commit (100 ms): late enough for a wrong early answer to be printed.
            Thread.Sleep(random.Next(5, 50));
            child.Kill();
            // Lines printed before the kill were acknowledgements too.
            for (var line = child.ReadLine(); line is not null; line = child.ReadLine())
            {
                if (line.StartsWith("ack ", StringComparison.Ordinal))
                {
                    acknowledged.Add(ParseAck(line));
                }
            }
        }

        var stored = await AssertAcknowledgedStoredAsync(store, "held", acknowledged);
        output.WriteLine($"{kills} kills inside held commits, {acknowledged.Count} acknowledged appends, {stored} stored");
    }

    /// <summary>
    /// Reopens the store: every acknowledged message is there, in its place, byte for byte; sequences have no gaps;
    /// messages killed before their ack may be there too, none torn; totals and doctor agree. Returns the count.
    /// </summary>
    private static async Task<int> AssertAcknowledgedStoredAsync(string store, string session, List<(long Seq, string Tag, int Index)> acknowledged)
    {
        await using var reopened = SqliteSessionStore.Open(store);
        var stored = new List<SessionMessage>();
        await foreach (var m in reopened.ReadAsync(session))
        {
            stored.Add(m);
        }

        Assert.Equal(Enumerable.Range(1, stored.Count).Select(i => (long)i), stored.Select(m => m.Sequence));
        foreach (var (seq, tag, index) in acknowledged)
        {
            Assert.True(seq <= stored.Count, $"acknowledged message {seq} ({tag} {index}) is missing");
            Assert.Equal(ExpectedText(tag, index), stored[(int)seq - 1].Text);
        }

        Assert.All(stored, m =>
        {
            var head = m.Text.Split(' ');
            Assert.Equal(ExpectedText(head[0], int.Parse(head[1])), m.Text);
        });
        Assert.Equal(stored.Count, (await reopened.GetAsync(session))!.MessageCount);

        // The engine and the store's own invariants (search index, totals, sequences) agree after all that.
        var report = await reopened.CheckAsync(repair: false);
        Assert.True(report.Healthy, string.Join("; ", report.Checks.Where(c => !c.Ok).Select(c => $"{c.Name}: {c.Detail}")));
        return stored.Count;
    }

    private static (long Seq, string Tag, int Index) ParseAck(string line)
    {
        var parts = line.Split(' ');
        return (long.Parse(parts[1]), parts[2], int.Parse(parts[3]));
    }

    // Mirrors ChildText.For in AgentSessions.TestChild.
    private static string ExpectedText(string tag, int i)
    {
        var body = string.Concat(Enumerable.Repeat($"{tag}:{i};", 40 + (i % 50)));
        return $"{tag} {i} {body} end-{body.Length}";
    }
}
