using AgentSessions.Sqlite;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Sqlite.Tests;

/// <summary>Several real processes sharing one store file.</summary>
public sealed class MultiProcessTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Processes_appending_to_one_session_at_once_get_a_gap_free_sequence_without_errors()
    {
        using var temp = TempDirectory.ForCaller();
        var store = temp.Combine("store");
        await using (var s = SqliteSessionStore.Open(store))
        {
            await s.CreateAsync(new NewSession { Id = "shared" });
        }

        const int Processes = 4, Appends = 150;
        var children = Enumerable.Range(0, Processes).Select(p => ChildProcess.Start("append", store, "shared", Appends.ToString(), $"p{p}")).ToList();
        var results = await Task.WhenAll(children.Select(c => c.WaitAsync(TimeSpan.FromMinutes(3))));
        children.ForEach(c => c.Dispose());

        Assert.All(results, r =>
        {
            Assert.True(r.ExitCode == 0, $"child failed ({r.ExitCode}): {r.Stderr}");
            Assert.Equal("", r.Stderr);
        });
        await using var reopened = SqliteSessionStore.Open(store);
        var messages = new List<SessionMessage>();
        await foreach (var m in reopened.ReadAsync("shared"))
        {
            messages.Add(m);
        }

        Assert.Equal(Enumerable.Range(1, Processes * Appends).Select(i => (long)i), messages.Select(m => m.Sequence));
        for (var p = 0; p < Processes; p++)
        {
            // Each process's own messages keep their order.
            var own = messages.Where(m => m.Text.StartsWith($"p{p} ", StringComparison.Ordinal)).Select(m => int.Parse(m.Text.Split(' ')[1])).ToList();
            Assert.Equal(Enumerable.Range(0, Appends), own);
        }

        // Every acknowledged sequence number is the one stored for that text.
        long longestMicros = 0;
        foreach (var line in results.SelectMany(r => r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)))
        {
            var parts = line.Split(' ');
            var seq = long.Parse(parts[1]);
            Assert.StartsWith($"{parts[2]} {parts[3]} ", messages[(int)seq - 1].Text, StringComparison.Ordinal);
            longestMicros = Math.Max(longestMicros, long.Parse(parts[4]));
        }

        // Reported, not asserted (timings on a shared 2-core machine are noise): the quick benchmark judges it.
        output.WriteLine($"{Processes} processes x {Appends} appends; the longest single append took {longestMicros / 1000.0:0.0} ms");

        Assert.Equal(Processes * Appends, (await reopened.GetAsync("shared"))!.MessageCount);
    }

    [Fact]
    public async Task Processes_creating_sessions_in_the_same_instant_never_collide()
    {
        using var temp = TempDirectory.ForCaller();
        var store = temp.Combine("store");
        await using (SqliteSessionStore.Open(store))
        {
        }

        var children = Enumerable.Range(0, 4).Select(_ => ChildProcess.Start("create", store, "200")).ToList();
        var results = await Task.WhenAll(children.Select(c => c.WaitAsync(TimeSpan.FromMinutes(3))));
        children.ForEach(c => c.Dispose());

        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.Stderr));
        var ids = results.SelectMany(r => r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)).Select(l => l[3..]).ToList();
        Assert.Equal(800, ids.Count);
        Assert.Equal(800, ids.Distinct().Count());
        await using var reopened = SqliteSessionStore.Open(store);
        Assert.Equal(800, (await reopened.GetInfoAsync()).SessionCount);
    }
}
