using System.Text.Json;
using AgentSessions.Storage;
using Xunit;

namespace AgentSessions.Specification.Tests;

// Maintenance: stats, info, content stored once, and the store's own checks.
public abstract partial class SessionStoreSpecification
{
    [Fact]
    public async Task Stats_count_tokens_by_model_and_by_day()
    {
        await Store.CreateAsync(new NewSession { Id = "st1", Model = "big" });
        await Store.CreateAsync(new NewSession { Id = "st2" });
        var day1 = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
        var day2 = day1.AddDays(1);
        await Store.AppendAsync("st1", [
            new NewMessage(MessageRole.User, "q") { InputTokens = 5, CreatedAt = day1 },
            new NewMessage(MessageRole.Assistant, "a") { OutputTokens = 7, Model = "small", CreatedAt = day2 },
        ]);
        await Store.AppendAsync("st2", [new NewMessage(MessageRole.User, "q") { InputTokens = 1, CreatedAt = day2 }]);

        var stats = await Store.GetStatsAsync(new StatsQuery());

        Assert.Equal(2, stats.Sessions);
        Assert.Equal(3, stats.Messages);
        Assert.Equal((6L, 7L), (stats.InputTokens, stats.OutputTokens));
        Assert.Equal([new TokenUsage("(unknown)", 1, 1, 0), new TokenUsage("big", 1, 5, 0), new TokenUsage("small", 1, 0, 7)], stats.ByModel);
        Assert.Equal([new TokenUsage("2026-11-01", 1, 5, 0), new TokenUsage("2026-11-02", 2, 1, 7)], stats.ByDay);
        Assert.Equal(2, (await Store.GetStatsAsync(new StatsQuery { Since = day2 })).Messages);
    }

    [Fact]
    public async Task Identical_large_contents_are_stored_once_and_read_back_exactly()
    {
        await Store.CreateAsync(new NewSession { Id = "dedup" });
        var random = new Random(7);
        var lines = Enumerable.Range(0, 20_000).Select(i => $"{i:D6} {random.Next():x8} src/file{random.Next(100)}.cs: warning CS{random.Next(9999):D4}");
        var output = string.Join('\n', lines); // about 1 MB of tool output
        var before = (await Store.GetInfoAsync()).UsedBytes;

        for (var i = 0; i < 30; i++)
        {
            await Store.AppendAsync("dedup", [new NewMessage(MessageRole.Tool, [new ToolResultPart($"c{i}", JsonSerializer.SerializeToElement(output))])]);
        }

        var messages = await ReadAllAsync("dedup");
        Assert.Equal(30, messages.Count);
        Assert.All(messages, m => Assert.Equal(output, ((ToolResultPart)m.Parts[0]).Result!.Value.GetString()));
        var after = (await Store.GetInfoAsync()).UsedBytes;
        if (before is not null && after is not null)
        {
            // 30 MB of content; stored once and compressed it must stay well under 5 MB, search prefixes included.
            Assert.True(after - before < 5 * 1024 * 1024, $"store grew by {after - before} bytes");
        }

        Assert.Single(await ToListAsync(Store.SearchAsync(new SearchQuery("000001") { Limit = 100 })).ContinueWith(t => t.Result.Select(h => h.SessionId).Distinct().ToList()));
        await Store.DeleteAsync("dedup");
        Assert.True((await Store.CheckAsync(repair: false)).Healthy);
    }

    [Fact]
    public async Task A_healthy_store_passes_every_check()
    {
        await ConversationAsync("h", 2);
        await Store.ForkAsync("h", 2, new NewSession());
        var report = await Store.CheckAsync(repair: false);
        Assert.True(report.Healthy, string.Join("\n", report.Checks.Select(c => $"{c.Name}: {c.Detail}")));
        Assert.True(report.Checks.Count >= 4);
    }

    [Fact]
    public async Task Info_counts_sessions_and_messages()
    {
        await Store.CreateAsync(new NewSession { Id = "i1" });
        await Store.CreateAsync(new NewSession { Id = "i2" });
        await Store.AppendAsync("i1", [new NewMessage(MessageRole.User, "a"), new NewMessage(MessageRole.User, "b")]);

        var info = await Store.GetInfoAsync();

        Assert.Equal(2, info.SessionCount);
        Assert.Equal(2, info.MessageCount);
        Assert.Equal(Store.Location, info.Location);
    }
}
