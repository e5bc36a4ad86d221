using System.Net;
using System.Text.Json;
using AgentSessions.Sqlite;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Server.Tests.Pages;

/// <summary>share, shares, unshare and fork-share run as processes against the in-process server.</summary>
public sealed class ShareCliTests : IAsyncLifetime
{
    private PageServer _server = null!;
    private CliRunner _owner = null!;
    private CliRunner _reader = null!;
    private TempDirectory _readerStore = null!;

    // Plain text, so the links and messages the tests look for are not split by colour codes.
    private static readonly Dictionary<string, string?> Plain = new() { ["NO_COLOR"] = "1" };

    public async Task InitializeAsync()
    {
        _server = await PageServer.StartAsync(TempDirectory.ForCaller());
        _owner = new CliRunner(_server.StoreDirectory) { Environment = Plain };
        _readerStore = TempDirectory.ForCaller();
        _reader = new CliRunner(_readerStore.Path) { Environment = Plain };
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _readerStore.Dispose();
    }

    private static void AssertCleanError(CliRunner.Result result, int exitCode, string expected)
    {
        Assert.True(result.ExitCode == exitCode, result.ToString());
        Assert.StartsWith("agent-sessions: error: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Share_prints_a_working_link_and_shares_and_unshare_manage_it()
    {
        var session = await Seed.BuildSessionAsync(_server);

        // No server.json (the in-process server records one on start, as serve does): the path, and how to get a full link.
        File.Delete(Path.Combine(_server.StoreDirectory, "server.json"));
        var pathOnly = await _owner.RunAsync("share", session.Id);
        Assert.True(pathOnly.ExitCode == 0, pathOnly.ToString());
        Assert.Matches("^/s/[A-Za-z0-9_-]{43}$", pathOnly.Stdout.Trim());
        Assert.Contains("agent-sessions serve", pathOnly.Stderr, StringComparison.Ordinal);

        var explicitBase = await _owner.OkAsync("share", session.Id, "--base-url", "https://sessions.example.org/");
        Assert.StartsWith("https://sessions.example.org/s/", explicitBase, StringComparison.Ordinal);

        _server.WriteServerInfo();
        var url = await _owner.OkAsync("share", session.Id, "--visibility", "public", "--expires", "7d", "--no-history");
        Assert.StartsWith(_server.Url + "/s/", url, StringComparison.Ordinal);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        var page = await http.GetStringAsync(url);
        Assert.Contains("Final answer", page, StringComparison.Ordinal);

        var token = url[(url.LastIndexOf('/') + 1)..];
        var stored = await _server.Store.GetShareAsync(token);
        Assert.NotNull(stored);
        Assert.Equal(ShareVisibility.Public, stored.Visibility);
        Assert.False(stored.ShowHistory);
        Assert.True(stored.AllowFork);
        Assert.InRange(stored.ExpiresAt!.Value, DateTimeOffset.UtcNow.AddDays(6.9), DateTimeOffset.UtcNow.AddDays(7.1));

        var list = JsonDocument.Parse(await _owner.OkAsync("shares", session.Id, "--json")).RootElement;
        Assert.Equal(3, list.GetArrayLength());
        var listed = list.EnumerateArray().Single(s => s.GetProperty("token").GetString() == token);
        Assert.Equal("public", listed.GetProperty("visibility").GetString());
        Assert.Equal(url, listed.GetProperty("url").GetString());
        Assert.Equal("active", listed.GetProperty("state").GetString());
        Assert.DoesNotContain("pbkdf2", list.GetRawText(), StringComparison.Ordinal);
        var table = await _owner.OkAsync("shares");
        Assert.Contains(token, table, StringComparison.Ordinal);

        await _owner.OkAsync("unshare", url);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(url)).StatusCode);
        AssertCleanError(await _owner.RunAsync("unshare", token), 3, "no active share link");
        AssertCleanError(await _owner.RunAsync("unshare", "not-a-token"), 3, "no active share link");
        Assert.Equal(2, JsonDocument.Parse(await _owner.OkAsync("shares", session.Id, "--json")).RootElement.GetArrayLength());
        Assert.Equal("revoked", JsonDocument.Parse(await _owner.OkAsync("shares", "--all", "--json")).RootElement.EnumerateArray()
            .Single(s => s.GetProperty("token").GetString() == token).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Share_refuses_bad_requests_clearly()
    {
        var session = await Seed.BuildSessionAsync(_server);
        AssertCleanError(await _owner.RunAsync("share", session.Id, "--visibility", "private"), 2, "needs a password");
        AssertCleanError(await _owner.RunAsync("share", session.Id, "--password", "p"), 2, "only private shares take a password");
        AssertCleanError(await _owner.RunAsync("share", session.Id, "--expires", "soon"), 2, "cannot read --expires 'soon'");
        AssertCleanError(await _owner.RunAsync("share", "no-such-session"), 3, "not found");
    }

    [Fact]
    public async Task Fork_share_copies_what_the_link_shows_as_a_new_session_with_its_lineage()
    {
        var session = await Seed.BuildSessionAsync(_server);
        await _server.Store.UpdateAsync(session.Id, new SessionUpdate { Metadata = new Dictionary<string, JsonElement> { ["apiKey"] = JsonSerializer.SerializeToElement("sk-owner-only") } });
        _server.WriteServerInfo();
        var url = await _owner.OkAsync("share", session.Id);

        var forkId = await _reader.OkAsync("fork-share", url);
        Assert.NotEqual(session.Id, forkId);
        await using (var store = SqliteSessionStore.Open(_readerStore.Path))
        {
            var fork = await store.GetAsync(forkId);
            Assert.NotNull(fork);
            Assert.Equal("Fix the flaky build", fork.Title);
            Assert.Equal(4, fork.MessageCount);
            Assert.Null(fork.ParentId);
            var lineage = Assert.Single(fork.Metadata);
            Assert.Equal("forkedFrom", lineage.Key);
            Assert.Equal(url, lineage.Value.GetProperty("url").GetString());
            Assert.False(lineage.Value.TryGetProperty("sessionId", out _));

            // Only what the share page shows comes along: not the owner's metadata, tags, model or history.
            Assert.Empty(fork.Tags);
            Assert.Null(fork.Model);
            Assert.Null(fork.ProjectPath);
            var details = await store.GetDetailsAsync(forkId);
            Assert.Empty(details.Snapshots);
            Assert.Empty(details.Bookmarks);
            var messages = new List<SessionMessage>();
            await foreach (var message in store.ReadAsync(forkId))
            {
                messages.Add(message);
            }

            Assert.Equal(["m1", "m2", "m3", "m4"], messages.Select(m => m.Id));
            Assert.Equal("read_file", messages[1].Parts.OfType<ToolCallPart>().Single().Name);
        }

        // Forking twice makes two sessions, never a conflict.
        var again = await _reader.OkAsync("fork-share", url);
        Assert.NotEqual(forkId, again);
    }

    [Fact]
    public async Task Fork_share_of_a_private_link_needs_the_password_and_keeps_it_out_of_the_lineage()
    {
        var session = await Seed.BuildSessionAsync(_server);
        _server.WriteServerInfo();
        var url = await _owner.OkAsync("share", session.Id, "--visibility", "private", "--password", "s3cret pass");

        AssertCleanError(await _reader.RunAsync("fork-share", url), 2, "private: add --password");
        AssertCleanError(await _reader.RunAsync("fork-share", url, "--password", "wrong"), 2, "wrong password");

        // Credentials pasted into the URL are not stored in the lineage.
        var withUserInfo = url.Replace("http://", "http://someone:s3cret@", StringComparison.Ordinal) + "?password=s3cret#top";
        var forkId = await _reader.OkAsync("fork-share", withUserInfo, "--password", "s3cret pass");
        await using var store = SqliteSessionStore.Open(_readerStore.Path);
        var fork = await store.GetAsync(forkId);
        Assert.Equal(url, fork!.Metadata["forkedFrom"].GetProperty("url").GetString());
        Assert.DoesNotContain("s3cret", fork.Metadata["forkedFrom"].GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fork_share_explains_each_refusal()
    {
        var session = await Seed.BuildSessionAsync(_server);
        _server.WriteServerInfo();
        var noFork = await _owner.OkAsync("share", session.Id, "--no-fork");
        var revoked = await _owner.OkAsync("share", session.Id);
        await _owner.OkAsync("unshare", revoked);
        var expired = await _server.InsertShareAsync(session.Id, ShareVisibility.Unlisted, DateTimeOffset.UtcNow.AddHours(-1));
        var secret = await _server.Shares.CreateAsync(session.Id, new Sharing.ShareRequest { Visibility = ShareVisibility.Private, Password = "pw" });

        AssertCleanError(await _reader.RunAsync("fork-share", noFork), 1, "does not allow forking");
        AssertCleanError(await _reader.RunAsync("fork-share", revoked), 3, "revoked or never existed");
        AssertCleanError(await _reader.RunAsync("fork-share", $"{_server.Url}/s/{expired.Token}"), 3, "has expired");
        AssertCleanError(await _reader.RunAsync("fork-share", "not a url"), 2, "is not a share link");
        AssertCleanError(await _reader.RunAsync("fork-share", $"{_server.Url}/sessions/{session.Id}"), 2, "is not a share link");

        for (var i = 0; i < 5; i++)
        {
            AssertCleanError(await _reader.RunAsync("fork-share", $"{_server.Url}/s/{secret.Token}", "--password", "bad"), 2, "wrong password");
        }

        AssertCleanError(await _reader.RunAsync("fork-share", $"{_server.Url}/s/{secret.Token}", "--password", "pw"), 1, "too many wrong passwords");

        // Nothing was imported by any of these.
        await using var store = SqliteSessionStore.Open(_readerStore.Path);
        Assert.Empty((await store.ListAsync(new Storage.SessionQuery())).Sessions);
    }
}
