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
