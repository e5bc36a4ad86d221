using AgentSessions.Sharing;
using Xunit;

namespace AgentSessions.Specification.Tests;

// Share links: stored, listed, revoked, opened with expiry and password rules, and dying with their session.
public abstract partial class SessionStoreSpecification
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
        // The removed session has messages and every kind of history, archived the way cleanup --archive does it.
        await Store.CreateAsync(new NewSession { Id = "old", Title = "old ünï", Tags = ["t"], CreatedAt = DateTimeOffset.UtcNow.AddDays(-90) });
        await Store.AppendAsync("old", [new NewMessage(MessageRole.User, "q 🧪"), new NewMessage(MessageRole.Assistant, [new TextPart("a"), new ToolCallPart("c1", "shell", System.Text.Json.JsonDocument.Parse("""{"cmd":"ls"}""").RootElement)]) { OutputTokens = 3 }]);
        await Store.AppendAsync("old", [new NewMessage(MessageRole.Tool, [new ToolResultPart("c1", System.Text.Json.JsonDocument.Parse("\"a.txt\"").RootElement)])]);
        await Store.CreateSnapshotAsync("old", "snap", "three in");
        await Store.AddBookmarkAsync("old", "mark", 1, "the question");
        await Store.RecordToolExecutionAsync("old", new ToolExecution { Id = "e1", ToolName = "shell", CallId = "c1", Sequence = 2, DurationMs = 4, CreatedAt = DateTimeOffset.UtcNow });
        await Store.RecordFileChangeAsync("old", new FileChange("src/a.cs", FileChangeKind.Created, DateTimeOffset.UtcNow) { Sequence = 2 });
        await Store.CreateAsync(new NewSession { Id = "kept", Pinned = true, CreatedAt = DateTimeOffset.UtcNow.AddDays(-90) });
        await Store.CreateAsync(new NewSession { Id = "newer" });
        await Store.AppendAsync("newer", [new NewMessage(MessageRole.User, "newest")]);
        var service = new ShareService(Store);
        var share = await service.CreateAsync("old", new ShareRequest());
        var keptShare = await service.CreateAsync("kept", new ShareRequest());
        var before = await StoredAsync("old");

        var plan = await Retention.PlanAsync(Store, new RetentionPolicy { Keep = 1 }, DateTimeOffset.UtcNow);
        Assert.Equal(["old"], plan.Select(s => s.Id));
        var archives = new Dictionary<string, byte[]>();
        await using (var sessions = new SessionService(Store))
        {
            foreach (var session in plan)
            {
                using var archive = new MemoryStream();
                await sessions.ExportAsync(session.Id, Formats.ExportFormat.Json, archive);
                archives[session.Id] = archive.ToArray();
                Assert.True(await Store.DeleteAsync(session.Id));
            }
        }

        await AssertDeadAsync(share, "old");

        // cleanup --archive, then importing that archive again: the session is back whole, its old links are not.
        var read = await Formats.SessionJsonFormat.ReadAsync(new MemoryStream(archives["old"]), "old.json");
        Assert.Equal(before, Canonical(read));
        await Store.ImportAsync(read);
        Assert.Equal(before, await StoredAsync("old"));
        await AssertDeadAsync(share, "old");
        Assert.Equal(ShareAccess.Granted, (await service.OpenAsync(keptShare.Token, null, DateTimeOffset.UtcNow)).Access);
    }

    /// <summary>A session as the store holds it (record, messages, history), as one comparable string.</summary>
    private async Task<string> StoredAsync(string id)
    {
        var details = await Store.GetDetailsAsync(id);
        var messages = new List<SessionMessage>();
        await foreach (var message in Store.ReadAsync(id, Storage.MessageRange.All))
        {
            messages.Add(message);
        }

        var session = (await Store.GetAsync(id))!;
        Assert.Equal(3, messages.Count);
        return Canonical(new SessionArchive { Session = session, Messages = messages, Snapshots = details.Snapshots, Bookmarks = details.Bookmarks, ToolExecutions = details.ToolExecutions, Files = details.Files });
    }

    private static string Canonical(SessionArchive archive)
    {
        // Through the model's serializer, compact, so JSON values compare by value and not by their whitespace.
        var node = System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(archive, Formats.AgentSessionsJson.Context.SessionArchive))!;
        return node.ToJsonString();
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
