using AgentSessions.Sharing;
using Xunit;

namespace AgentSessions.Specification.Tests;

/// <summary>Share links: stored, listed, revoked, and opened with expiry and password rules.</summary>
public abstract class ShareSpecification : SessionStoreSpecificationBase
{
    [Fact]
    public async Task A_share_is_stored_listed_opened_and_revoked()
    {
        await Store.CreateAsync(new NewSession { Id = "shared" });
        var service = new ShareService(Store);

        var share = await service.CreateAsync("shared", new ShareRequest { Visibility = ShareVisibility.Public, ShowHistory = false, AllowFork = false });

        Assert.True(ShareService.IsWellFormedToken(share.Token));
        Assert.Equal(43, share.Token.Length);
        var stored = await Store.GetShareAsync(share.Token);
        Assert.Equal(share with { }, stored);
        Assert.Equal([share.Token], (await Store.ListSharesAsync("shared")).Select(s => s.Token));
        Assert.Equal(ShareAccess.Granted, (await service.OpenAsync(share.Token, null, DateTimeOffset.UtcNow)).Access);

        Assert.True(await Store.RevokeShareAsync(share.Token));
        Assert.False(await Store.RevokeShareAsync(share.Token));
        Assert.Equal(ShareAccess.NotFound, (await service.OpenAsync(share.Token, null, DateTimeOffset.UtcNow)).Access);
        Assert.Empty(await Store.ListSharesAsync());
        Assert.Single(await Store.ListSharesAsync(includeRevoked: true));
    }

    [Fact]
    public async Task Private_shares_need_the_right_password_and_expired_ones_say_so()
    {
        await Store.CreateAsync(new NewSession { Id = "secret" });
        var service = new ShareService(Store);

        var share = await service.CreateAsync("secret", new ShareRequest { Visibility = ShareVisibility.Private, Password = "correct horse", ExpiresIn = TimeSpan.FromDays(7) });

        Assert.StartsWith("pbkdf2-sha256$600000$", share.PasswordHash, StringComparison.Ordinal);
        Assert.DoesNotContain("correct horse", share.PasswordHash, StringComparison.Ordinal);
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(ShareAccess.PasswordRequired, (await service.OpenAsync(share.Token, null, now)).Access);
        Assert.Equal(ShareAccess.WrongPassword, (await service.OpenAsync(share.Token, "wrong", now)).Access);
        Assert.Equal(ShareAccess.Granted, (await service.OpenAsync(share.Token, "correct horse", now)).Access);
        Assert.Equal(ShareAccess.Expired, (await service.OpenAsync(share.Token, "correct horse", now.AddDays(8))).Access);
        Assert.Equal(ShareAccess.NotFound, (await service.OpenAsync("not-a-token", null, now)).Access);
        Assert.Equal(ShareAccess.NotFound, (await service.OpenAsync(ShareService.NewToken(), null, now)).Access);
    }

    [Fact]
    public async Task Share_requests_that_make_no_sense_are_refused()
    {
        await Store.CreateAsync(new NewSession { Id = "s" });
        var service = new ShareService(Store);

        Assert.Equal(ErrorCode.InvalidArgument, (await Assert.ThrowsAsync<AgentSessionsException>(() => service.CreateAsync("s", new ShareRequest { Visibility = ShareVisibility.Private }))).Code);
        Assert.Equal(ErrorCode.InvalidArgument, (await Assert.ThrowsAsync<AgentSessionsException>(() => service.CreateAsync("s", new ShareRequest { Password = "x" }))).Code);
        Assert.Equal(ErrorCode.NotFound, (await Assert.ThrowsAsync<AgentSessionsException>(() => service.CreateAsync("missing", new ShareRequest()))).Code);
        Assert.Empty(await Store.ListSharesAsync());
    }

    // ---- a share dies with its session ----

    /// <summary>Asserts the link is gone for good: the store does not know it and opening it finds nothing.</summary>
    private async Task AssertDeadAsync(Share share, string sessionId)
    {
        Assert.Null(await Store.GetShareAsync(share.Token));
        Assert.Equal(ShareAccess.NotFound, (await new ShareService(Store).OpenAsync(share.Token, null, DateTimeOffset.UtcNow)).Access);
        Assert.DoesNotContain(share.Token, (await Store.ListSharesAsync(sessionId, includeRevoked: true)).Select(s => s.Token));
        Assert.DoesNotContain(share.Token, (await Store.ListSharesAsync(includeRevoked: true)).Select(s => s.Token));
    }

    [Fact]
    public async Task Deleting_a_session_kills_its_links_even_when_a_new_session_takes_its_id()
    {
        await Store.CreateAsync(new NewSession { Id = "reused", Title = "the one that was shared" });
        await Store.CreateAsync(new NewSession { Id = "bystander" });
        var service = new ShareService(Store);
        var share = await service.CreateAsync("reused", new ShareRequest());
        var other = await service.CreateAsync("bystander", new ShareRequest());

        Assert.True(await Store.DeleteAsync("reused"));
        await AssertDeadAsync(share, "reused");

        // A new session under the same id (and, in SQLite, quite possibly the same row number) is not the shared one.
        await Store.CreateAsync(new NewSession { Id = "reused", Title = "somebody else's" });
        await AssertDeadAsync(share, "reused");
        Assert.Equal(ShareAccess.Granted, (await service.OpenAsync(other.Token, null, DateTimeOffset.UtcNow)).Access);

        // Links made for the new session work as usual.
        var fresh = await service.CreateAsync("reused", new ShareRequest());
        Assert.Equal(ShareAccess.Granted, (await service.OpenAsync(fresh.Token, null, DateTimeOffset.UtcNow)).Access);
        Assert.Equal([fresh.Token], (await Store.ListSharesAsync("reused", includeRevoked: true)).Select(s => s.Token));
    }

    [Fact]
    public async Task Replacing_a_session_by_import_kills_the_links_to_the_replaced_one()
    {
        var original = await Store.CreateAsync(new NewSession { Id = "imported", Title = "before" });
        await Store.AppendAsync("imported", [new NewMessage(MessageRole.User, "first version")]);
        var share = await new ShareService(Store).CreateAsync("imported", new ShareRequest { ShowHistory = false });

        var replacement = new SessionArchive
        {
            Session = original with { Title = "after" },
            Messages = [new SessionMessage { Id = "m1", Sequence = 1, Role = MessageRole.User, Parts = [new TextPart("second version")], CreatedAt = original.CreatedAt }],
        };
        await Store.ImportAsync(replacement, replace: true);

        Assert.Equal("after", (await Store.GetAsync("imported"))!.Title);
        await AssertDeadAsync(share, "imported");
    }

    [Fact]
    public async Task A_retention_cleanup_kills_the_links_of_what_it_removes_and_an_archive_brought_back_does_not_revive_them()
    {
        var old = await Store.CreateAsync(new NewSession { Id = "old", CreatedAt = DateTimeOffset.UtcNow.AddDays(-90) });
        await Store.CreateAsync(new NewSession { Id = "kept", Pinned = true, CreatedAt = DateTimeOffset.UtcNow.AddDays(-90) });
        var service = new ShareService(Store);
        var share = await service.CreateAsync("old", new ShareRequest());
        var keptShare = await service.CreateAsync("kept", new ShareRequest());

        var plan = await Retention.PlanAsync(Store, new RetentionPolicy { OlderThan = TimeSpan.FromDays(30) }, DateTimeOffset.UtcNow);
        Assert.Equal(["old"], plan.Select(s => s.Id));
        foreach (var session in plan)
        {
            Assert.True(await Store.DeleteAsync(session.Id));
        }

        await AssertDeadAsync(share, "old");

        // cleanup --archive, then importing that archive again: the session is back, its old links are not.
        await Store.ImportAsync(new SessionArchive { Session = old, Messages = [] });
        await AssertDeadAsync(share, "old");
        Assert.Equal(ShareAccess.Granted, (await service.OpenAsync(keptShare.Token, null, DateTimeOffset.UtcNow)).Access);
    }

    [Fact]
    public void Password_hashes_are_salted_and_verified_in_constant_time()
    {
        var a = ShareService.HashPassword("pw");
        var b = ShareService.HashPassword("pw");

        Assert.NotEqual(a, b);
        Assert.True(ShareService.VerifyPassword("pw", a));
        Assert.False(ShareService.VerifyPassword("pW", a));
        Assert.False(ShareService.VerifyPassword("pw", "sha256$abc"));
        Assert.False(ShareService.VerifyPassword("pw", null));
    }
}
