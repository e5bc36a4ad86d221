using AgentSessions.Storage;
using Xunit;

namespace AgentSessions.Specification.Tests;

// Retention: what a cleanup plan removes (RetentionPolicy through SessionService.PlanCleanupAsync), and what it never does.
public abstract partial class SessionStoreSpecification
{
    // A fixed clock with whole milliseconds, so sessions can sit exactly on a policy's boundary.
    private static readonly DateTimeOffset RetentionNow = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    private async Task<string[]> PlanAsync(RetentionPolicy policy)
    {
        await using var service = new SessionService(Store);
        return (await service.PlanCleanupAsync(policy, RetentionNow)).Select(s => s.Id).ToArray();
    }

    private async Task SessionUpdatedAtAsync(string id, TimeSpan ago, bool pinned = false, int messages = 0)
    {
        await Store.CreateAsync(new NewSession { Id = id, Pinned = pinned, CreatedAt = RetentionNow - ago });
        if (messages > 0)
        {
            // Imported as they were, so the session keeps its last update time in the past.
            var session = (await Store.GetAsync(id))!;
            await Store.ImportAsync(new SessionArchive
            {
                Session = session,
                Messages = Enumerable.Range(1, messages).Select(i => new SessionMessage { Id = $"{id}-m{i}", Sequence = i, Role = MessageRole.User, Parts = [new TextPart($"m{i}")], CreatedAt = session.CreatedAt }).ToList(),
            }, replace: true);
        }
    }

    [Fact]
    public async Task Retention_never_plans_a_pinned_session_and_pinned_ones_do_not_count_towards_keep()
    {
        await SessionUpdatedAtAsync("pinned-ancient", TimeSpan.FromDays(900), pinned: true, messages: 2);
        await SessionUpdatedAtAsync("pinned-new", TimeSpan.FromMinutes(1), pinned: true);
        await SessionUpdatedAtAsync("u-100d", TimeSpan.FromDays(100), messages: 1);
        await SessionUpdatedAtAsync("u-50d", TimeSpan.FromDays(50), messages: 1);
        await SessionUpdatedAtAsync("u-10d", TimeSpan.FromDays(10), messages: 1);
        await SessionUpdatedAtAsync("u-1h", TimeSpan.FromHours(1), messages: 1);

        // Newest first, as listed: the first Keep unpinned sessions stay, and the pinned ones are not among them.
        Assert.Equal(["u-10d", "u-50d", "u-100d"], await PlanAsync(new RetentionPolicy { Keep = 1 }));
        Assert.Equal(["u-1h", "u-10d", "u-50d", "u-100d"], await PlanAsync(new RetentionPolicy { Keep = 0 }));
        Assert.Empty(await PlanAsync(new RetentionPolicy { Keep = 4 }));
        Assert.Equal(["u-50d", "u-100d"], await PlanAsync(new RetentionPolicy { OlderThan = TimeSpan.FromDays(30) }));
        Assert.Equal(["u-100d"], await PlanAsync(new RetentionPolicy { Keep = 3, OlderThan = TimeSpan.FromDays(30) }));
        // Keep and age together: the kept ones stay however old, the rest must be old enough as well.
        Assert.Equal(["u-10d", "u-50d", "u-100d"], await PlanAsync(new RetentionPolicy { Keep = 1, OlderThan = TimeSpan.FromDays(2) }));

        // A plan removes nothing by itself.
        Assert.Equal(6, (await Store.ListAsync(new SessionQuery())).Sessions.Count);
    }

    [Fact]
    public async Task Retention_by_age_removes_only_sessions_updated_strictly_before_the_boundary()
    {
        var age = TimeSpan.FromDays(30);
        await SessionUpdatedAtAsync("just-inside", age - TimeSpan.FromMilliseconds(1), messages: 1);
        await SessionUpdatedAtAsync("on-the-boundary", age, messages: 1);
        await SessionUpdatedAtAsync("just-outside", age + TimeSpan.FromMilliseconds(1), messages: 1);

        Assert.Equal(["just-outside"], await PlanAsync(new RetentionPolicy { OlderThan = age }));
    }

    [Fact]
    public async Task Retention_goes_by_the_last_update_so_an_old_session_written_to_again_is_kept()
    {
        await Store.CreateAsync(new NewSession { Id = "revived", CreatedAt = DateTimeOffset.UtcNow.AddDays(-400) });
        await Store.CreateAsync(new NewSession { Id = "forgotten", CreatedAt = DateTimeOffset.UtcNow.AddDays(-400) });
        await using var service = new SessionService(Store);
        var policy = new RetentionPolicy { OlderThan = TimeSpan.FromDays(30) };
        Assert.Equal(["forgotten", "revived"], (await service.PlanCleanupAsync(policy, DateTimeOffset.UtcNow)).Select(s => s.Id).Order());

        await Store.AppendAsync("revived", [new NewMessage(MessageRole.User, "back to this")]);

        Assert.Equal(["forgotten"], (await service.PlanCleanupAsync(policy, DateTimeOffset.UtcNow)).Select(s => s.Id));
    }

    [Fact]
    public async Task Retention_treats_empty_sessions_like_any_other_neither_sparing_nor_singling_them_out()
    {
        await SessionUpdatedAtAsync("empty-old", TimeSpan.FromDays(60));
        await SessionUpdatedAtAsync("full-old", TimeSpan.FromDays(61), messages: 3);
        await SessionUpdatedAtAsync("empty-new", TimeSpan.FromHours(2));
        await SessionUpdatedAtAsync("full-new", TimeSpan.FromHours(3), messages: 3);

        Assert.Equal(["empty-old", "full-old"], await PlanAsync(new RetentionPolicy { OlderThan = TimeSpan.FromDays(7) }));
        // An empty session takes a kept place like a full one.
        Assert.Equal(["full-new", "empty-old", "full-old"], await PlanAsync(new RetentionPolicy { Keep = 1 }));
    }

    [Fact]
    public async Task Retention_keeps_the_newest_across_pages_of_the_listing()
    {
        // More unpinned sessions than one page of the plan's listing (1,000), with pinned ones among them.
        const int Count = 1_005;
        var creates = Enumerable.Range(0, Count).Select(i => Task.Run(async () =>
            await Store.CreateAsync(new NewSession { Id = $"s{i:D4}", Pinned = i % 100 == 7, CreatedAt = RetentionNow.AddMinutes(-i) })));
        await Task.WhenAll(creates);
        var unpinned = Enumerable.Range(0, Count).Where(i => i % 100 != 7).Select(i => $"s{i:D4}").ToList();

        Assert.Equal(unpinned.Skip(990), await PlanAsync(new RetentionPolicy { Keep = 990 }));
        Assert.Equal(unpinned.Skip(5), await PlanAsync(new RetentionPolicy { Keep = 5 }));
        Assert.Empty(await PlanAsync(new RetentionPolicy { Keep = unpinned.Count }));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData(-1, null)]
    [InlineData(null, 0)]
    [InlineData(3, -1)]
    public async Task Retention_refuses_a_policy_without_a_sensible_limit_and_plans_nothing(int? keep, int? olderThanDays)
    {
        await SessionUpdatedAtAsync("old", TimeSpan.FromDays(365));
        var policy = new RetentionPolicy { Keep = keep, OlderThan = olderThanDays is { } days ? TimeSpan.FromDays(days) : null };

        await ThrowsCode(ErrorCode.InvalidArgument, () => PlanAsync(policy));

        Assert.NotNull(await Store.GetAsync("old"));
    }
}
