using AgentSessions.Sqlite;
using AgentSessions.Testing;
using Xunit;
using Xunit.Abstractions;

namespace AgentSessions.Sqlite.Tests.Faults;

/// <summary>A store that runs out of room (<see cref="SqliteStoreOptions.MaxSizeBytes"/> stands in for a full disk).</summary>
public sealed class DiskFullTests(ITestOutputHelper output)
{
    private const long Limit = 2 * 1024 * 1024;

    [Fact]
    public async Task Appending_past_the_size_limit_fails_with_StoreFull_and_keeps_everything_before()
    {
        using var temp = TempDirectory.ForCaller();
        var options = new SqliteStoreOptions(temp.Combine("store")) { MaxSizeBytes = Limit };
        var appended = new List<(string Session, long Seq, string Text)>();
        AgentSessionsException? full = null;
        await using (var store = SqliteSessionStore.Open(options))
        {
            await store.CreateAsync(new NewSession { Id = "a" });
            await store.CreateAsync(new NewSession { Id = "b" });
            for (var i = 0; i < 10_000 && full is null; i++)
            {
                var session = i % 2 == 0 ? "a" : "b";
                // Distinct text, so content dedup cannot keep the file small; 2 KiB per message.
                var text = $"message {i} " + string.Concat(Enumerable.Range(0, 200).Select(k => $"{i * 7919 + k:x8} "));
                try
                {
                    var result = await store.AppendAsync(session, [new NewMessage(MessageRole.User, text) { InputTokens = 3 }]);
                    appended.Add((session, result.Messages[0].Sequence, text));
                }
                catch (AgentSessionsException e)
                {
                    full = e;
                }
            }

            Assert.NotNull(full);
            Assert.Equal(ErrorCode.StoreFull, full!.Code);
            Assert.Contains("full", full.Message, StringComparison.Ordinal);
            Assert.Contains(options.DatabasePath, full.Message, StringComparison.Ordinal);
            output.WriteLine($"{appended.Count} appends before: {full.Message}");
            Assert.True(appended.Count > 100, $"only {appended.Count} appends fit in {Limit} bytes");

            // The failed append changed nothing, and the store still reads while full.
            await AssertIntactAsync(store, appended);
            var again = await Assert.ThrowsAsync<AgentSessionsException>(async () => await store.AppendAsync("a", [new NewMessage(MessageRole.User, new string('x', 100_000))]));
            Assert.Equal(ErrorCode.StoreFull, again.Code);
        }

        Assert.True(new FileInfo(options.DatabasePath).Length <= Limit, $"the file grew to {new FileInfo(options.DatabasePath).Length} bytes");

        // Reopened without the limit: appends work again and nothing was lost.
        await using (var store = SqliteSessionStore.Open(options with { MaxSizeBytes = null }))
        {
            await AssertIntactAsync(store, appended);
            var result = await store.AppendAsync("a", [new NewMessage(MessageRole.User, new string('y', 200_000))]);
            Assert.Equal(appended.Count(m => m.Session == "a") + 1, result.Messages[0].Sequence);
            var report = await store.CheckAsync(repair: false);
            Assert.True(report.Healthy, FaultHelpers.Failures(report));
        }
    }

    [Fact]
    public async Task Reopening_with_a_larger_limit_makes_room_again()
    {
        using var temp = TempDirectory.ForCaller();
        var options = new SqliteStoreOptions(temp.Combine("store")) { MaxSizeBytes = Limit };
        await using (var store = SqliteSessionStore.Open(options))
        {
            await store.CreateAsync(new NewSession { Id = "a" });
            var e = await Assert.ThrowsAsync<AgentSessionsException>(async () =>
            {
                for (var i = 0; ; i++)
                {
                    await store.AppendAsync("a", [new NewMessage(MessageRole.User, $"{i} " + string.Concat(Enumerable.Range(0, 2000).Select(k => (char)('a' + ((i * 31 + k * k) % 26)))))]);
                }
            });
            Assert.Equal(ErrorCode.StoreFull, e.Code);
        }

        await using (var store = SqliteSessionStore.Open(options with { MaxSizeBytes = 2 * Limit }))
        {
            var before = (await store.GetAsync("a"))!.MessageCount;
            await store.AppendAsync("a", [new NewMessage(MessageRole.User, "room again")]);
            Assert.Equal(before + 1, (await store.GetAsync("a"))!.MessageCount);
            Assert.Equal(before + 1, (await FaultHelpers.ReadAllAsync(store, "a")).Count);
        }
    }

    [Fact]
    public void A_size_limit_must_be_positive()
    {
        var e = Assert.Throws<AgentSessionsException>(() => new SqliteStoreOptions("/tmp/x") { MaxSizeBytes = 0 });
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
    }

    private static async Task AssertIntactAsync(SqliteSessionStore store, List<(string Session, long Seq, string Text)> appended)
    {
        foreach (var group in appended.GroupBy(m => m.Session))
        {
            var stored = await FaultHelpers.ReadAllAsync(store, group.Key);
            Assert.Equal(group.Select(m => m.Seq), stored.Select(m => m.Sequence));
            Assert.Equal(group.Select(m => m.Text), stored.Select(m => m.Text));
            var session = (await store.GetAsync(group.Key))!;
            Assert.Equal(group.Count(), session.MessageCount);
            Assert.Equal(3L * group.Count(), session.InputTokens);
        }
    }
}
