using System.Net;
using System.Text.RegularExpressions;
using AgentSessions.Server.Http;
using AgentSessions.Sharing;
using AgentSessions.Testing;
using Microsoft.AspNetCore.Builder;
using Xunit;

namespace AgentSessions.Server.Tests.Pages;

/// <summary>Share pages page like the owner's session page, over real HTTP, and never hand out more than the link shares.</summary>
public sealed partial class SharePagingTests : IAsyncLifetime
{
    private const string Password = "correct horse battery staple";
    private const int Count = 250;

    private PageServer _server = null!;

    public async Task InitializeAsync() => _server = await PageServer.StartAsync(TempDirectory.ForCaller());

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [GeneratedRegex("<article class=\"msg [a-z]+\" id=\"m([0-9]+)\"")]
    private static partial Regex ArticleId();

    [GeneratedRegex("<a rel=\"(prev|next)\" href=\"([^\"]+)\"")]
    private static partial Regex PagerLink();

    private static long[] Ids(string html) => [.. ArticleId().Matches(html).Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture))];

    private static string? Link(string html, string rel)
        => PagerLink().Matches(html).FirstOrDefault(m => m.Groups[1].Value == rel)?.Groups[2].Value;

    private static HttpClient Client(CookieContainer? cookies = null)
        => new(new HttpClientHandler { CookieContainer = cookies ?? new CookieContainer(), UseCookies = true, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(30) };

    private Task<Session> LongSessionAsync()
        => _server.CreateSessionAsync("Long", Enumerable.Range(1, Count).Select(i => new NewMessage(i % 2 == 1 ? MessageRole.User : MessageRole.Assistant, $"message number {i}")));

    private async Task<(HttpStatusCode Status, string Html)> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(_server.Url + path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_long_share_shows_the_newest_page_and_its_links_reach_every_message_once()
    {
        var session = await LongSessionAsync();
        var share = await _server.Service.CreateShareAsync(session.Id, new ShareRequest { Visibility = ShareVisibility.Unlisted });
        using var http = Client();
        var path = $"/s/{share.Token}";

        var (status, html) = await GetAsync(http, path);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Enumerable.Range(151, 100).Select(i => (long)i), Ids(html));
        Assert.Contains("messages 151–250 of 250", html, StringComparison.Ordinal);
        Assert.Contains("<span>250 messages</span>", html, StringComparison.Ordinal);
        Assert.Null(Link(html, "next"));
        // The owner's page links; none of the owner's paths appears on a share page.
        Assert.DoesNotContain("/sessions/", html, StringComparison.Ordinal);

        var seen = new List<long>();
        var pages = 0;
        while (true)
        {
            seen.InsertRange(0, Ids(html));
            pages++;
            if (Link(html, "prev") is not { } earlier)
            {
                break;
            }

            Assert.Matches($"^{path}[?]before=[0-9]+$", earlier);
            (status, html) = await GetAsync(http, earlier);
            Assert.Equal(HttpStatusCode.OK, status);
        }

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(1, Count).Select(i => (long)i), seen);
        Assert.Contains("message number 1<", html, StringComparison.Ordinal);
        Assert.Equal($"{path}?from=51", Link(html, "next"));

        // And the later links lead back up to the newest message.
        (_, html) = await GetAsync(http, $"{path}?from=51");
        Assert.Equal(Enumerable.Range(51, 100).Select(i => (long)i), Ids(html));
        Assert.Equal($"{path}?from=151", Link(html, "next"));
        Assert.Equal($"{path}?before=51", Link(html, "prev"));
    }

    [Theory]
    [InlineData("?before=1", 0, 0)] // nothing before the first message: an empty page that links on
    [InlineData("?before=2", 1, 1)]
    [InlineData("?before=99999", 151, 250)]
    [InlineData("?from=1", 1, 100)]
    [InlineData("?from=250", 250, 250)]
    [InlineData("?from=99999", 250, 250)] // past the end: the last message, not an empty page
    [InlineData("?from=0", 151, 250)] // not a sequence number: ignored
    [InlineData("?from=-5", 151, 250)]
    [InlineData("?before=abc", 151, 250)]
    [InlineData("?from=99999999999999999999999", 151, 250)]
    [InlineData("?from=10&before=5", 10, 109)] // from wins, as on the owner's page
    public async Task Paging_parameters_stay_within_the_shared_messages(string query, int first, int last)
    {
        var session = await LongSessionAsync();
        var share = await _server.Service.CreateShareAsync(session.Id, new ShareRequest());
        using var http = Client();

        var (status, html) = await GetAsync(http, $"/s/{share.Token}{query}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(first == 0 ? [] : Enumerable.Range(first, last - first + 1).Select(i => (long)i), Ids(html));
        Assert.InRange(Ids(html).Length, 0, PageEndpoints.SessionPageMessages);
    }

    [Fact]
    public async Task Undone_messages_and_a_final_answer_only_link_never_leak_on_any_page()
    {
        var messages = Enumerable.Range(1, 110).Select(i => new NewMessage(i % 2 == 1 ? MessageRole.User : MessageRole.Assistant, $"visible {i}")).ToList();
        messages.Add(new NewMessage(MessageRole.User, "SECRET-UNDONE question"));
        messages.Add(new NewMessage(MessageRole.Assistant, "SECRET-UNDONE answer"));
        var session = await _server.CreateSessionAsync("Undone", messages);
        var undo = await _server.Service.UndoAsync(session.Id);
        Assert.Equal(110, undo.Session.MessageCount);
        Assert.Equal(2, undo.HiddenMessages);
        var history = await _server.Service.CreateShareAsync(session.Id, new ShareRequest());
        var answerOnly = await _server.Service.CreateShareAsync(session.Id, new ShareRequest { ShowHistory = false });
        using var http = Client();
        string[] queries = ["", "?from=1", "?from=100", "?from=110", "?from=111", "?from=112", "?from=500", "?before=111", "?before=113", "?before=1000", "?before=2"];

        foreach (var query in queries)
        {
            var (status, html) = await GetAsync(http, $"/s/{history.Token}{query}");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.DoesNotContain("SECRET-UNDONE", html, StringComparison.Ordinal);
            Assert.All(Ids(html), id => Assert.InRange(id, 1, 110));
            Assert.DoesNotContain("of 112", html, StringComparison.Ordinal);

            (status, html) = await GetAsync(http, $"/s/{answerOnly.Token}{query}");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.DoesNotContain("SECRET-UNDONE", html, StringComparison.Ordinal);
            // The link shares one message, the final answer, as message 1; no window reaches the history behind it.
            Assert.True(Ids(html) is [] or [1], $"{query}: {string.Join(",", Ids(html))}");
            Assert.DoesNotContain("visible 1<", html, StringComparison.Ordinal);
            Assert.Null(Link(html, "prev") is { } prev && !prev.EndsWith("before=1", StringComparison.Ordinal) ? prev : null);
            if (Ids(html) is [1])
            {
                Assert.Contains("visible 110", html, StringComparison.Ordinal);
            }
        }

        // The final answer's page on its own has no pager: one message fits.
        var (_, newest) = await GetAsync(http, $"/s/{answerOnly.Token}");
        Assert.Equal([1L], Ids(newest));
        Assert.DoesNotContain("class=\"pager\"", newest, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_private_share_unlocked_once_pages_on_with_its_cookie()
    {
        var session = await LongSessionAsync();
        var share = await _server.Service.CreateShareAsync(session.Id, new ShareRequest { Visibility = ShareVisibility.Private, Password = Password });
        var cookies = new CookieContainer();
        using var http = Client(cookies);
        var path = $"/s/{share.Token}";

        var (status, html) = await GetAsync(http, path + "?before=151");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("Password required", html, StringComparison.Ordinal);
        Assert.Empty(Ids(html));
        // The form returns to the page that was asked for.
        Assert.Contains($"action=\"{path}?before=151\"", html, StringComparison.Ordinal);

        using (var wrong = await http.PostAsync(_server.Url + path, new FormUrlEncodedContent(new Dictionary<string, string> { ["password"] = "guess" })))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.False(wrong.Headers.Contains("Set-Cookie"));
        }

        using (var right = await http.PostAsync(_server.Url + path + "?before=151", new FormUrlEncodedContent(new Dictionary<string, string> { ["password"] = Password })))
        {
            Assert.Equal(HttpStatusCode.OK, right.StatusCode);
            var setCookie = Assert.Single(right.Headers.GetValues("Set-Cookie"));
            Assert.StartsWith(ShareUnlock.CookieName + "=", setCookie, StringComparison.Ordinal);
            var attributes = setCookie.Split(';', StringSplitOptions.TrimEntries).Skip(1).Select(a => a.ToLowerInvariant()).ToList();
            Assert.Contains("httponly", attributes);
            Assert.Contains("samesite=strict", attributes);
            Assert.Contains($"path=/s/{share.Token}".ToLowerInvariant(), attributes);
            Assert.DoesNotContain(attributes, a => a.StartsWith("expires", StringComparison.Ordinal) || a.StartsWith("max-age", StringComparison.Ordinal));
            Assert.DoesNotContain("horse", setCookie, StringComparison.Ordinal);
            Assert.Equal(Enumerable.Range(51, 100).Select(i => (long)i), Ids(await right.Content.ReadAsStringAsync()));
        }

        // Every page after that, without the password.
        (status, html) = await GetAsync(http, path);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(Enumerable.Range(151, 100).Select(i => (long)i), Ids(html));
        (_, html) = await GetAsync(http, Link(html, "prev")!);
        Assert.Equal(Enumerable.Range(51, 100).Select(i => (long)i), Ids(html));

        // The cookie opens the page only: the export still asks for the password, as fork-share sends it.
        using (var export = await http.PostAsync(_server.Url + path + "/export", null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, export.StatusCode);
        }

        // Another server on the same store (as after a restart) reads the same key: the reader stays unlocked.
        var app = ServerHost.Build(new ServerOptions { StoreDirectory = _server.StoreDirectory, Urls = ["http://127.0.0.1:0"] }, _server.Service);
        await app.StartAsync();
        try
        {
            var second = app.Urls.First().TrimEnd('/');
            var value = cookies.GetCookies(new Uri(_server.Url + path))[ShareUnlock.CookieName]!.Value;
            using var request = new HttpRequestMessage(HttpMethod.Get, second + path);
            request.Headers.Add("Cookie", $"{ShareUnlock.CookieName}={value}");
            using var plain = new HttpClient();
            using var response = await plain.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(100, Ids(await response.Content.ReadAsStringAsync()).Length);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        Assert.False(PrivateFile.IsReadableByOthers(Path.Combine(_server.StoreDirectory, "share-key")));

        // Revoked: the cookie opens nothing any more.
        await _server.Service.RevokeShareAsync(share.Token);
        (status, html) = await GetAsync(http, path);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Empty(Ids(html));
    }

    [Fact]
    public async Task Forged_expired_and_other_links_cookies_are_refused()
    {
        var session = await LongSessionAsync();
        var share = await _server.Service.CreateShareAsync(session.Id, new ShareRequest { Visibility = ShareVisibility.Private, Password = Password });
        var other = await _server.Service.CreateShareAsync(session.Id, new ShareRequest { Visibility = ShareVisibility.Private, Password = Password });
        var expiredLink = await _server.InsertShareAsync(session.Id, ShareVisibility.Private, DateTimeOffset.UtcNow.AddMinutes(-1), Password);
        var key = (await File.ReadAllTextAsync(Path.Combine(_server.StoreDirectory, "share-key"))).Trim();
        var unlock = new ShareUnlock(key, TimeProvider.System);
        var valid = unlock.Issue(share);
        var (expires, mac) = (valid[..valid.IndexOf('.', StringComparison.Ordinal)], valid[(valid.IndexOf('.', StringComparison.Ordinal) + 1)..]);
        var later = (long.Parse(expires, System.Globalization.CultureInfo.InvariantCulture) + 86_400).ToString(System.Globalization.CultureInfo.InvariantCulture);

        async Task<string> WithCookie(Share link, string value, HttpStatusCode expected = HttpStatusCode.OK)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{_server.Url}/s/{link.Token}");
            request.Headers.Add("Cookie", $"{ShareUnlock.CookieName}={value}");
            using var http = new HttpClient();
            using var response = await http.SendAsync(request);
            Assert.Equal(expected, response.StatusCode);
            return await response.Content.ReadAsStringAsync();
        }

        // The genuine cookie works: the checks below fail for what they change, not for the way it is sent.
        Assert.Equal(100, Ids(await WithCookie(share, valid)).Length);

        string[] refused =
        [
            unlock.Issue(other), // another link's cookie
            expires + "." + new string('A', mac.Length), // a made-up MAC
            later + "." + mac, // a longer life under the old MAC
            new ShareUnlock(ApiTokenFile.NewToken(), TimeProvider.System).Issue(share), // another server's key
            new ShareUnlock(key, new PastTime()).Issue(share), // issued more than its lifetime ago
            mac, // no expiry
            expires + "." + mac[..^2], // a cut MAC
            expires + "." + mac + "AA",
            "",
            new string('9', 200),
        ];
        foreach (var value in refused)
        {
            var html = await WithCookie(share, value);
            Assert.Contains("Password required", html, StringComparison.Ordinal);
            Assert.Empty(Ids(html));
        }

        // The same share under a new password (a new salted hash) no longer matches the old cookie.
        Assert.False(unlock.Verify(share with { PasswordHash = ShareService.HashPassword(Password) }, valid));
        Assert.True(unlock.Verify(share, valid));

        // An expired link stays expired, cookie or not.
        await WithCookie(expiredLink, unlock.Issue(expiredLink), HttpStatusCode.Gone);
    }

    /// <summary>A clock a day behind, so what it issues has already run out.</summary>
    private sealed class PastTime : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => DateTimeOffset.UtcNow.AddDays(-1);
    }
}
