using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AgentSessions.Server.Tests.Api;
using AgentSessions.Testing;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;

namespace AgentSessions.Server.Tests.Pages;

/// <summary>
/// The owner pages need the login URL that <c>agent-sessions serve</c> prints: tried against the real process, in
/// chromium and with a plain HTTP client, since any account on the machine can reach 127.0.0.1.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class OwnerLoginTests(BrowserFixture browser, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Title = "Secret plans";
    private const string Secret = "The launch code is 4242.";
    private const string CookieName = "agent_sessions_owner";

    private TempDirectory _temp = null!;
    private ServeProcess _serve = null!;
    private string _shareToken = "";

    public async Task InitializeAsync()
    {
        _temp = TempDirectory.ForCaller();
        _serve = await ServeProcess.StartAsync("--urls", "http://127.0.0.1:0", "--store", _temp.Combine("store"));
        using var api = Api();
        await PostAsync(api, "/api/sessions", """{"id": "secret", "title": "Secret plans"}""");
        await PostAsync(api, "/api/sessions/secret/messages", $$"""{"role": "user", "content": "{{Secret}}"}""");
        using var share = JsonDocument.Parse(await PostAsync(api, "/api/sessions/secret/shares", """{"visibility": "public"}"""));
        _shareToken = share.RootElement.GetProperty("token").GetString()!;
    }

    public async Task DisposeAsync()
    {
        await _serve.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task The_printed_login_url_opens_the_sessions_once_and_serve_prints_the_next()
    {
        var loginUrl = await _serve.LoginUrlAsync(1);
        Assert.StartsWith(_serve.Url + "/login?token=", loginUrl, StringComparison.Ordinal);
        var page = await browser.NewPageAsync();
        var other = await browser.NewPageAsync();
        try
        {
            var response = await page.GotoAsync(loginUrl);
            Assert.Equal(200, response!.Status);
            // Redirected to the bare list: the token is in no page URL (nor in the history the back button walks).
            Assert.Equal(_serve.Url + "/", page.Url);
            Assert.Equal(loginUrl, response.Request.RedirectedFrom?.Url);
            await Assertions.Expect(page.Locator("ul.sessions a.title")).ToHaveTextAsync(Title);
            await page.Locator("ul.sessions a.title").ClickAsync();
            await Navigation.ArrivedAsync(page, "/sessions/secret$");
            await Assertions.Expect(page.Locator("#m1")).ToContainTextAsync(Secret);
            await BrowserFixture.ScreenshotAsync(page, "logged-in-session", output);

            var cookie = Assert.Single(await page.Context.CookiesAsync());
            Assert.Equal(CookieName, cookie.Name);
            Assert.Matches("^[A-Za-z0-9_-]{43}$", cookie.Value);
            Assert.True(cookie.HttpOnly);
            Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
            Assert.Equal("/", cookie.Path);
            Assert.Equal(-1, cookie.Expires);
            Assert.Equal("", await page.EvaluateAsync<string>("document.cookie"));
            Assert.DoesNotContain(cookie.Value, _serve.Output, StringComparison.Ordinal);

            // The same URL a second time (another account that read the scrollback): refused, nothing shown, no cookie.
            var again = await other.GotoAsync(loginUrl);
            Assert.Equal(401, again!.Status);
            await Assertions.Expect(other.Locator("h1")).ToHaveTextAsync("Login link not valid");
            await Assertions.Expect(other.Locator("main")).ToContainTextAsync("agent-sessions serve");
            Assert.DoesNotContain(Title, await other.ContentAsync(), StringComparison.Ordinal);
            Assert.Empty(await other.Context.CookiesAsync());
            Assert.Equal(401, (await other.GotoAsync(_serve.Url + "/"))!.Status);

            // Serve printed the next link when the first was used; that one works.
            var next = await _serve.LoginUrlAsync(2);
            Assert.NotEqual(loginUrl, next);
            Assert.Equal(200, (await other.GotoAsync(next))!.Status);
            await Assertions.Expect(other.Locator("ul.sessions a.title")).ToHaveTextAsync(Title);
        }
        finally
        {
            await page.Context.CloseAsync();
            await other.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task A_bare_url_answers_401_with_a_page_saying_to_open_the_printed_url()
    {
        var page = await browser.NewPageAsync();
        try
        {
            foreach (var path in new[] { "/", "/sessions/secret", "/?q=launch" })
            {
                var response = await page.GotoAsync(_serve.Url + path);
                Assert.Equal(401, response!.Status);
                await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Log in first");
                await Assertions.Expect(page.Locator("main")).ToContainTextAsync("Open the URL that agent-sessions serve printed");
                var html = await page.ContentAsync();
                Assert.DoesNotContain(Title, html, StringComparison.Ordinal);
                Assert.DoesNotContain("4242", html, StringComparison.Ordinal);
            }

            await BrowserFixture.ScreenshotAsync(page, "login-required", output);

            // A cookie of the right name with a made-up value is no login.
            await page.Context.AddCookiesAsync([new Microsoft.Playwright.Cookie { Name = CookieName, Value = ApiTokenLike(), Url = _serve.Url + "/" }]);
            Assert.Equal(401, (await page.GotoAsync(_serve.Url + "/sessions/secret"))!.Status);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Share_pages_are_the_same_with_and_without_the_owner_cookie_and_never_expose_it()
    {
        var owner = await browser.NewPageAsync();
        var stranger = await browser.NewPageAsync();
        try
        {
            Assert.Equal(200, (await owner.GotoAsync(await _serve.LoginUrlAsync(1)))!.Status);
            var cookie = Assert.Single(await owner.Context.CookiesAsync()).Value;
            foreach (var path in new[] { $"/s/{_shareToken}", "/public" })
            {
                var mine = await owner.GotoAsync(_serve.Url + path);
                var theirs = await stranger.GotoAsync(_serve.Url + path);
                Assert.Equal(200, mine!.Status);
                Assert.Equal(200, theirs!.Status);
                // The page does not depend on the cookie: a share shows the owner what it shows anyone.
                Assert.Equal(await theirs.TextAsync(), await mine.TextAsync());
                Assert.DoesNotContain(cookie, await mine.TextAsync(), StringComparison.Ordinal);
                Assert.Null(await mine.HeaderValueAsync("set-cookie"));
                // Shared content (Markdown written by others) runs in this origin: it must not be able to read the cookie.
                Assert.Equal("", await owner.EvaluateAsync<string>("document.cookie"));
            }

            await Assertions.Expect(owner.Locator("main")).ToContainTextAsync(Title);
            // No owner link on a share page leads past the login either: the cookie stays the only way in.
            Assert.Equal(0, await owner.Locator($"main a[href*='{CookieName}'], main a[href*='token=']").CountAsync());
        }
        finally
        {
            await owner.Context.CloseAsync();
            await stranger.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Owner_pages_answer_401_without_the_login_cookie_and_the_api_still_needs_its_bearer_token()
    {
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false };
        using var http = new HttpClient(handler) { BaseAddress = new Uri(_serve.Url), Timeout = TimeSpan.FromSeconds(30) };

        foreach (var path in new[] { "/", "/sessions/secret" })
        {
            using var anonymous = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            Assert.DoesNotContain(Title, await anonymous.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            using var forged = Get(path, cookie: ApiTokenLike());
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(forged)).StatusCode);
        }

        using (var unknown = await http.GetAsync("/login?token=" + ApiTokenLike()))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
            Assert.False(unknown.Headers.Contains("Set-Cookie"));
        }

        // The printed URL: a 303 to the bare list, with the cookie.
        var loginUrl = await _serve.LoginUrlAsync(1);
        string session;
        using (var login = await http.GetAsync(loginUrl))
        {
            Assert.Equal(HttpStatusCode.SeeOther, login.StatusCode);
            Assert.Equal("/", login.Headers.Location?.OriginalString);
            var setCookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
            Assert.StartsWith(CookieName + "=", setCookie, StringComparison.Ordinal);
            Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("path=/", setCookie, StringComparison.OrdinalIgnoreCase);
            session = setCookie[(CookieName.Length + 1)..].Split(';')[0];
        }

        using (var list = await http.SendAsync(Get("/", session)))
        {
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
            Assert.Contains(Title, await list.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var reused = await http.GetAsync(loginUrl))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, reused.StatusCode);
            Assert.False(reused.Headers.Contains("Set-Cookie"));
        }

        // The login cookie opens pages, not the API: that still takes the bearer token (no cross-site request can send it).
        using (var api = await http.SendAsync(Get("/api/info", session)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        }

        using (var bearer = Get("/sessions/secret"))
        {
            // The API token opens the pages too, for scripts.
            bearer.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _serve.Token);
            using var page = await http.SendAsync(bearer);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("4242", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.DoesNotContain(session, _serve.Output, StringComparison.Ordinal);
    }

    private static HttpRequestMessage Get(string path, string? cookie = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", $"{CookieName}={cookie}");
        }

        return request;
    }

    /// <summary>A random value shaped like the server's secrets (43 base64url characters).</summary>
    private static string ApiTokenLike()
        => Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private HttpClient Api()
    {
        var api = new HttpClient { BaseAddress = new Uri(_serve.Url), Timeout = TimeSpan.FromSeconds(30) };
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _serve.Token);
        return api;
    }

    private static async Task<string> PostAsync(HttpClient api, string path, string json)
    {
        using var response = await api.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"POST {path}: {(int)response.StatusCode} {body}");
        return body;
    }
}
