using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AgentSessions.Sharing;
using AgentSessions.Testing;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;

namespace AgentSessions.Server.Tests.Pages;

/// <summary>Share links and the public page in a real browser, plus the export that fork-share uses.</summary>
[Collection(BrowserCollection.Name)]
public sealed class SharePagesTests(BrowserFixture browser, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Password = "correct horse battery staple";

    private PageServer _server = null!;
    private IPage _page = null!;
    private readonly List<string> _dialogs = [];

    public async Task InitializeAsync()
    {
        _server = await PageServer.StartAsync(TempDirectory.ForCaller());
        _page = await browser.NewPageAsync(_dialogs);
    }

    public async Task DisposeAsync()
    {
        await _page.Context.CloseAsync();
        await _server.DisposeAsync();
    }

    private async Task<IResponse> GotoAsync(string path, int expectedStatus)
    {
        var response = await _page.GotoAsync(_server.Url + path) ?? throw new InvalidOperationException("no response for " + path);
        Assert.Equal(expectedStatus, response.Status);
        return response;
    }

    /// <summary>Submits the password form and returns the response to the POST, once its page has replaced the form's.</summary>
    private async Task<IResponse> SubmitPasswordAsync(string password)
    {
        await _page.FillAsync("form.password input[name=password]", password);
        // Mark the current document so the wait below can tell when the answer's document has replaced it.
        await _page.EvaluateAsync("window.previousDocument = true");
        var response = await _page.RunAndWaitForResponseAsync(
            () => _page.ClickAsync("form.password button"),
            r => r.Request.Method == "POST" && r.Request.ResourceType == "document",
            new() { Timeout = BrowserFixture.TimeoutMs });
        // Poll with EvaluateAsync rather than WaitForFunctionAsync: the latter evaluates a string predicate, which
        // the page's Content-Security-Policy (no 'unsafe-eval') may refuse.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (await _page.EvaluateAsync<bool>("window.previousDocument === undefined && document.readyState === 'complete'"))
                {
                    break;
                }
            }
            catch (PlaywrightException) when (clock.ElapsedMilliseconds < BrowserFixture.TimeoutMs)
            {
                // The old document went away mid-evaluation; the new one is coming.
            }

            if (clock.ElapsedMilliseconds > BrowserFixture.TimeoutMs)
            {
                throw new TimeoutException("the password form's answer never replaced the page");
            }

            await Task.Delay(50);
        }

        return response;
    }

    [Fact]
    public async Task A_public_share_is_listed_and_opens_with_how_to_fork()
    {
        var session = await Seed.BuildSessionAsync(_server);
        var other = await _server.CreateSessionAsync("Unlisted one", [new NewMessage(MessageRole.User, "hi")]);
        var share = await _server.Shares.CreateAsync(session.Id, new ShareRequest { Visibility = ShareVisibility.Public });
        await _server.Shares.CreateAsync(other.Id, new ShareRequest { Visibility = ShareVisibility.Unlisted });
        var expired = await _server.InsertShareAsync(other.Id, ShareVisibility.Public, DateTimeOffset.UtcNow.AddHours(-1));
        var revoked = await _server.Shares.CreateAsync(other.Id, new ShareRequest { Visibility = ShareVisibility.Public });
        await _server.Store.RevokeShareAsync(revoked.Token);

        await GotoAsync("/public", 200);
        var items = _page.Locator("ul.public > li");
        Assert.Equal(1, await items.CountAsync());
        await Assertions.Expect(items.Locator("a.title")).ToHaveTextAsync("Fix the flaky build");
        Assert.DoesNotContain(expired.Token, await _page.ContentAsync(), StringComparison.Ordinal);
        await BrowserFixture.ScreenshotAsync(_page, "public", output);

        await items.Locator("a.title").ClickAsync();
        await Navigation.ArrivedAsync(_page, $"/s/{share.Token}$");
        await Assertions.Expect(_page.Locator("h1")).ToHaveTextAsync("Fix the flaky build");
        Assert.Equal(4, await _page.Locator("article.msg").CountAsync());
        await Assertions.Expect(_page.Locator("section.fork pre")).ToHaveTextAsync($"agent-sessions fork-share {_server.Url}/s/{share.Token}");
        // Owner-only links (snapshots, forks, the list) are not on a share page.
        Assert.Equal(0, await _page.Locator("a[href='/'], #snapshots, #forks").CountAsync());
        await BrowserFixture.ScreenshotAsync(_page, "share-public", output);
    }

    [Fact]
    public async Task An_unlisted_share_without_fork_or_history_shows_only_the_final_answer()
    {
        var session = await Seed.BuildSessionAsync(_server);
        var share = await _server.Shares.CreateAsync(session.Id, new ShareRequest { AllowFork = false, ShowHistory = false });

        await GotoAsync($"/s/{share.Token}", 200);
        await Assertions.Expect(_page.Locator("h1")).ToHaveTextAsync("Fix the flaky build");
        Assert.Equal(1, await _page.Locator("article.msg").CountAsync());
        await Assertions.Expect(_page.Locator("article.msg")).ToContainTextAsync("The race is in make -j");
        Assert.Equal(0, await _page.Locator("details").CountAsync());
        Assert.DoesNotContain("build.sh", await _page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await _page.Locator("section.fork").CountAsync());
        Assert.Equal("noindex, nofollow", await _page.Locator("meta[name=robots]").GetAttributeAsync("content"));
        await BrowserFixture.ScreenshotAsync(_page, "share-no-history", output);
    }

    [Fact]
    public async Task A_private_share_asks_for_the_password_and_refuses_a_wrong_one()
    {
        var session = await Seed.BuildSessionAsync(_server);
        var share = await _server.Shares.CreateAsync(session.Id, new ShareRequest { Visibility = ShareVisibility.Private, Password = Password });

        await GotoAsync($"/s/{share.Token}", 200);
        await Assertions.Expect(_page.Locator("h1")).ToHaveTextAsync("Password required");
        Assert.Equal(0, await _page.Locator("article.msg").CountAsync());
        Assert.Equal("post", await _page.Locator("form.password").GetAttributeAsync("method"));
        await BrowserFixture.ScreenshotAsync(_page, "share-private-form", output);

        var wrong = await SubmitPasswordAsync("guess");
        Assert.Equal(401, wrong.Status);
        await Assertions.Expect(_page.Locator(".error-text")).ToHaveTextAsync("Wrong password. Try again.");
        Assert.Equal(0, await _page.Locator("article.msg").CountAsync());
        await BrowserFixture.ScreenshotAsync(_page, "share-private-wrong", output);

        var right = await SubmitPasswordAsync(Password);
        Assert.Equal(200, right.Status);
        Assert.Equal("POST", right.Request.Method);
        await Assertions.Expect(_page.Locator("h1")).ToHaveTextAsync("Fix the flaky build");
        Assert.Equal(4, await _page.Locator("article.msg").CountAsync());
        // The password never appears in a URL or in the page.
        Assert.DoesNotContain("horse", _page.Url, StringComparison.Ordinal);
        Assert.DoesNotContain("horse", await _page.ContentAsync(), StringComparison.Ordinal);
        await Assertions.Expect(_page.Locator("section.fork pre")).ToContainTextAsync("--password");
        await BrowserFixture.ScreenshotAsync(_page, "share-private-open", output);

        // The browser stays unlocked for this link (the cookie, HttpOnly, for its path only), and only for it.
        await GotoAsync($"/s/{share.Token}?from=2", 200);
        await Assertions.Expect(_page.Locator("h1")).ToHaveTextAsync("Fix the flaky build");
        await Assertions.Expect(_page.Locator("article.msg").First).ToHaveAttributeAsync("id", "m2");
        var cookie = Assert.Single(await _page.Context.CookiesAsync([_server.Url + $"/s/{share.Token}"]));
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.Equal($"/s/{share.Token}", cookie.Path);
        var other = await _server.Shares.CreateAsync(session.Id, new ShareRequest { Visibility = ShareVisibility.Private, Password = Password });
        await GotoAsync($"/s/{other.Token}", 200);
        await Assertions.Expect(_page.Locator("h1")).ToHaveTextAsync("Password required");

        // A password in the query string is ignored.
        await _page.Context.ClearCookiesAsync();
        await GotoAsync($"/s/{share.Token}?password={Uri.EscapeDataString(Password)}", 200);
        await Assertions.Expect(_page.Locator("h1")).ToHaveTextAsync("Password required");
    }

    [Fact]
    public async Task Repeated_wrong_passwords_are_rate_limited_per_link_and_client()
    {
        var session = await Seed.BuildSessionAsync(_server);
        var share = await _server.Shares.CreateAsync(session.Id, new ShareRequest { Visibility = ShareVisibility.Private, Password = Password });
        var other = await _server.Shares.CreateAsync(session.Id, new ShareRequest { Visibility = ShareVisibility.Private, Password = Password });

        await GotoAsync($"/s/{share.Token}", 200);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(401, (await SubmitPasswordAsync($"wrong-{i}")).Status);
        }

        var limited = await SubmitPasswordAsync(Password);
        Assert.Equal(429, limited.Status);
        var retryAfter = int.Parse(await limited.HeaderValueAsync("retry-after") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 300);
        await Assertions.Expect(_page.Locator("h1")).ToHaveTextAsync("Too many attempts");
        await BrowserFixture.ScreenshotAsync(_page, "share-rate-limited", output);

        // The export shares the limit; another link is not affected.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        var export = await http.PostAsJsonAsync($"{_server.Url}/s/{share.Token}/export", new { password = Password });
        Assert.Equal(HttpStatusCode.TooManyRequests, export.StatusCode);
        Assert.NotNull(export.Headers.RetryAfter);
        await GotoAsync($"/s/{other.Token}", 200);
        Assert.Equal(200, (await SubmitPasswordAsync(Password)).Status);
    }

    [Fact]
    public async Task Expired_revoked_and_unknown_links_answer_410_and_404()
    {
        var session = await Seed.BuildSessionAsync(_server);
        var expired = await _server.InsertShareAsync(session.Id, ShareVisibility.Unlisted, DateTimeOffset.UtcNow.AddMinutes(-1));
        var revoked = await _server.Shares.CreateAsync(session.Id, new ShareRequest());
        await _server.Store.RevokeShareAsync(revoked.Token);

        await GotoAsync($"/s/{expired.Token}", 410);
        await Assertions.Expect(_page.Locator("h1")).ToHaveTextAsync("Link expired");
        await BrowserFixture.ScreenshotAsync(_page, "share-expired", output);

        await GotoAsync($"/s/{revoked.Token}", 404);
        await Assertions.Expect(_page.Locator("h1")).ToHaveTextAsync("Link not found");
        await BrowserFixture.ScreenshotAsync(_page, "share-revoked", output);
        await GotoAsync($"/s/{ShareService.NewToken()}", 404);
        await GotoAsync("/s/short", 404);

        // The session deleted under a live link: gone too.
        var live = await _server.Shares.CreateAsync(session.Id, new ShareRequest());
        await _server.Service.DeleteAsync(session.Id);
        await GotoAsync($"/s/{live.Token}", 404);
    }

    [Fact]
    public async Task Hostile_content_is_inert_on_share_pages_too()
    {
        var hostile = await Seed.HostileSessionAsync(_server);
        var share = await _server.Shares.CreateAsync(hostile.Id, new ShareRequest { Visibility = ShareVisibility.Public });
        await GotoAsync($"/s/{share.Token}", 200);
        await HostileAssertions.AssertInertAsync(_page, _dialogs);
        await BrowserFixture.ScreenshotAsync(_page, "share-hostile", output);
    }

    [Fact]
    public async Task A_message_after_deeply_nested_markdown_still_shows_on_the_share_page()
    {
        var nested = await Seed.DeeplyNestedSessionAsync(_server);
        var share = await _server.Shares.CreateAsync(nested.Id, new ShareRequest { Visibility = ShareVisibility.Unlisted });
        await GotoAsync($"/s/{share.Token}", 200);
        await NestingAssertions.AssertWholePageAsync(_page);
    }

    [Fact]
    public async Task The_export_follows_the_link_rules()
    {
        var session = await Seed.BuildSessionAsync(_server);
        var open = await _server.Shares.CreateAsync(session.Id, new ShareRequest());
        var noFork = await _server.Shares.CreateAsync(session.Id, new ShareRequest { AllowFork = false });
        var secret = await _server.Shares.CreateAsync(session.Id, new ShareRequest { Visibility = ShareVisibility.Private, Password = Password });
        var answerOnly = await _server.Shares.CreateAsync(session.Id, new ShareRequest { ShowHistory = false });
        var expired = await _server.InsertShareAsync(session.Id, ShareVisibility.Unlisted, DateTimeOffset.UtcNow.AddDays(-1));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        string Export(Share s) => $"{_server.Url}/s/{s.Token}/export";

        var ok = await http.PostAsync(Export(open), null);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("application/json", ok.Content.Headers.ContentType?.MediaType);
        var json = JsonDocument.Parse(await ok.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(SharedView.SessionId, json.GetProperty("session").GetProperty("id").GetString());
        Assert.Equal(4, json.GetProperty("messages").GetArrayLength());

        var refused = await http.PostAsync(Export(noFork), null);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("does not allow forking", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsync(Export(secret), null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsJsonAsync(Export(secret), new { password = "nope" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsync(Export(secret) + "?password=" + Uri.EscapeDataString(Password), null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsJsonAsync(Export(secret), new { password = Password })).StatusCode);
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["password"] = Password });
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync(Export(secret), form)).StatusCode);

        // A link without history hands out no more than its page shows.
        var partial = JsonDocument.Parse(await (await http.PostAsync(Export(answerOnly), null)).Content.ReadAsStringAsync()).RootElement;
        var messages = partial.GetProperty("messages");
        Assert.Equal(1, messages.GetArrayLength());
        Assert.Equal(1, messages[0].GetProperty("seq").GetInt64());
        Assert.Contains("make -j1 test", messages[0].GetRawText(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.Gone, (await http.PostAsync(Export(expired), null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync($"{_server.Url}/s/{ShareService.NewToken()}/export", null)).StatusCode);

        // In the browser: the fork box's button downloads the export.
        await GotoAsync($"/s/{open.Token}", 200);
        var download = await _page.RunAndWaitForDownloadAsync(() => _page.ClickAsync("section.fork button"), new() { Timeout = BrowserFixture.TimeoutMs });
        Assert.Equal($"{SharedView.SessionId}.json", download.SuggestedFilename);
    }
}
