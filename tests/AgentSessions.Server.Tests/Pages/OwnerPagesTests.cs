using System.Net;
using System.Net.Sockets;
using AgentSessions.Testing;
using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;

namespace AgentSessions.Server.Tests.Pages;

/// <summary>The owner's pages (list, search, session) in a real browser.</summary>
[Collection(BrowserCollection.Name)]
public sealed class OwnerPagesTests(BrowserFixture browser, ITestOutputHelper output) : IAsyncLifetime
{
    private PageServer _server = null!;
    private IPage _page = null!;
    private readonly List<string> _dialogs = [];

    public async Task InitializeAsync()
    {
        _server = await PageServer.StartAsync(TempDirectory.ForCaller());
        _page = await browser.NewPageAsync(_dialogs);
        await _server.LogInAsync(_page);
    }

    public async Task DisposeAsync()
    {
        await _page.Context.CloseAsync();
        await _server.DisposeAsync();
    }

    private async Task<IResponse> GotoAsync(string path, int expectedStatus = 200)
    {
        var response = await _page.GotoAsync(_server.Url + path) ?? throw new InvalidOperationException("no response for " + path);
        Assert.Equal(expectedStatus, response.Status);
        return response;
    }

    [Fact]
    public async Task The_list_shows_sessions_filters_by_tag_and_pages()
    {
        await Seed.BulkAsync(_server, 30);
        var build = await Seed.BuildSessionAsync(_server);

        var response = await GotoAsync("/");
        Assert.Contains("no-store", await response.HeaderValueAsync("cache-control") ?? "", StringComparison.Ordinal);
        Assert.StartsWith("default-src 'none'", await response.HeaderValueAsync("content-security-policy") ?? "", StringComparison.Ordinal);
        Assert.Equal(25, await _page.Locator("ul.sessions > li").CountAsync());
        await Assertions.Expect(_page.Locator("a[rel=next]")).ToBeVisibleAsync();
        // The stylesheet is a file (the CSP forbids inline styles), and it applies.
        Assert.Equal("rgb(11, 92, 173)", await _page.EvaluateAsync<string>("getComputedStyle(document.querySelector('button')).backgroundColor"));
        await BrowserFixture.ScreenshotAsync(_page, "list", output);

        await _page.ClickAsync("a[rel=next]");
        await Navigation.ArrivedAsync(_page, "/[?]page=2$");
        Assert.Equal(6, await _page.Locator("ul.sessions > li").CountAsync());
        await Assertions.Expect(_page.Locator("a[rel=prev]")).ToBeVisibleAsync();

        // Tag filter, from a tag chip and from the form.
        await GotoAsync("/");
        await _page.Locator("ul.sessions a.tag", new() { HasText = "build" }).ClickAsync();
        await Navigation.ArrivedAsync(_page, "/[?]tag=build$");
        Assert.Equal(1, await _page.Locator("ul.sessions > li").CountAsync());
        await Assertions.Expect(_page.Locator("ul.sessions a.title")).ToHaveTextAsync(build.Title!);

        await GotoAsync("/");
        await _page.FillAsync("input[name=tag]", "bulk");
        await _page.ClickAsync("form.search button");
        await Navigation.ArrivedAsync(_page, "/[?]q=&tag=bulk$");
        Assert.Equal(25, await _page.Locator("ul.sessions > li").CountAsync());
    }

    [Fact]
    public async Task Search_shows_snippets_with_highlights_and_links_to_the_message()
    {
        var build = await Seed.BuildSessionAsync(_server);
        await Seed.BulkAsync(_server, 3);
        await GotoAsync("/");

        await _page.FillAsync("input[name=q]", "serially");
        await _page.ClickAsync("form.search button");
        await Navigation.ArrivedAsync(_page, "/[?]q=serially");
        var hits = _page.Locator("ul.hits > li");
        Assert.Equal(1, await hits.CountAsync());
        await Assertions.Expect(hits.Locator("mark").First).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^serially$", System.Text.RegularExpressions.RegexOptions.IgnoreCase));
        await Assertions.Expect(hits.Locator("a.title")).ToHaveAttributeAsync("href", $"/sessions/{build.Id}?from=4#m4");
        await BrowserFixture.ScreenshotAsync(_page, "search", output);

        await hits.Locator("a.title").ClickAsync();
        await Navigation.ArrivedAsync(_page, $"/sessions/{build.Id}[?]from=4#m4$");
        await Assertions.Expect(_page.Locator("#m4")).ToBeVisibleAsync();

        await GotoAsync("/?q=" + Uri.EscapeDataString("nothing-matches-this"));
        await Assertions.Expect(_page.Locator("p.empty")).ToContainTextAsync("No matches");
    }

    [Fact]
    public async Task A_long_session_page_shows_the_newest_messages_and_links_to_every_earlier_one()
    {
        const int Count = 250;
        var session = await _server.CreateSessionAsync("Long", Enumerable.Range(1, Count).Select(i => new NewMessage(i % 2 == 1 ? MessageRole.User : MessageRole.Assistant, $"message number {i}")));

        await GotoAsync($"/sessions/{session.Id}");
        var articles = _page.Locator("article.msg");
        Assert.Equal(100, await articles.CountAsync());
        await Assertions.Expect(articles.First).ToHaveAttributeAsync("id", "m151");
        await Assertions.Expect(articles.Last).ToHaveAttributeAsync("id", $"m{Count}");
        await Assertions.Expect(_page.Locator("nav.pager").First).ToContainTextAsync("messages 151–250 of 250");
        Assert.Equal(0, await _page.Locator("a[rel=next]").CountAsync());

        // Following "Earlier messages" to the start shows every message exactly once.
        var seen = new List<string>();
        while (true)
        {
            seen.InsertRange(0, await articles.EvaluateAllAsync<string[]>("list => list.map(a => a.id)"));
            var earlier = _page.Locator("a[rel=prev]").First;
            if (await earlier.CountAsync() == 0)
            {
                break;
            }

            var href = await earlier.GetAttributeAsync("href") ?? "";
            Assert.Matches($"^/sessions/{session.Id}[?]before=[0-9]+$", href);
            await earlier.ClickAsync();
            await Navigation.ArrivedAsync(_page, "[?]before=" + href.Split('=')[1] + "$");
        }

        Assert.Equal(Enumerable.Range(1, Count).Select(i => $"m{i}"), seen);
        await Assertions.Expect(_page.Locator("#m1 .md")).ToHaveTextAsync("message number 1");

        // And "Later messages" leads back up.
        await _page.Locator("a[rel=next]").First.ClickAsync();
        await Navigation.ArrivedAsync(_page, "[?]from=51$");
        await Assertions.Expect(articles.First).ToHaveAttributeAsync("id", "m51");
    }

    [Fact]
    public async Task A_session_shows_messages_markdown_tools_and_history()
    {
        var build = await Seed.BuildSessionAsync(_server);
        var fork = await _server.Store.ForkAsync(build.Id, 2, new NewSession { Title = "Try another fix" });

        await GotoAsync($"/sessions/{build.Id}");
        await Assertions.Expect(_page.Locator("h1")).ToHaveTextAsync("Fix the flaky build");
        Assert.Equal(4, await _page.Locator("article.msg").CountAsync());
        await Assertions.Expect(_page.Locator("#m1 .role")).ToHaveTextAsync("user");
        await Assertions.Expect(_page.Locator("#m1 header")).ToContainTextAsync("tokens in 42, out 0");
        await Assertions.Expect(_page.Locator("#m1 strong")).ToHaveTextAsync("flaky");
        await Assertions.Expect(_page.Locator("#m4 pre code")).ToHaveTextAsync("make -j1 test\n");
        await Assertions.Expect(_page.Locator("#m4 table td").First).ToHaveTextAsync("-j1");
        await Assertions.Expect(_page.Locator("#m4 a", new() { HasText = "the manual" })).ToHaveAttributeAsync("href", "https://www.gnu.org/software/make/manual/");

        // Tool calls and results are collapsed until asked for.
        var call = _page.Locator("#m2 details.tool-call");
        await Assertions.Expect(call.Locator("summary")).ToContainTextAsync("read_file");
        await Assertions.Expect(call.Locator("pre")).Not.ToBeVisibleAsync();
        await call.Locator("summary").ClickAsync();
        await Assertions.Expect(call.Locator("pre")).ToContainTextAsync("\"path\": \"build.sh\"");
        await Assertions.Expect(_page.Locator("#m3 details.tool-result pre")).Not.ToBeVisibleAsync();

        await Assertions.Expect(_page.Locator("#snapshots + table")).ToContainTextAsync("diagnosed");
        await Assertions.Expect(_page.Locator("#bookmarks + ul a")).ToHaveAttributeAsync("href", $"/sessions/{build.Id}?from=4#m4");
        await BrowserFixture.ScreenshotAsync(_page, "session", output);

        await _page.Locator("#forks + ul a").ClickAsync();
        await Navigation.ArrivedAsync(_page, $"/sessions/{fork.Id}$");
        await Assertions.Expect(_page.Locator("h1")).ToHaveTextAsync("Try another fix");
        await Assertions.Expect(_page.Locator("p.meta a", new() { HasText = build.Id })).ToHaveAttributeAsync("href", $"/sessions/{build.Id}");

        await GotoAsync("/sessions/no-such-session", 404);
        await GotoAsync("/sessions/" + Uri.EscapeDataString("bad id!"), 404);
    }

    [Fact]
    public async Task Hostile_content_is_shown_as_text_and_never_runs()
    {
        var hostile = await Seed.HostileSessionAsync(_server);
        await GotoAsync($"/sessions/{hostile.Id}");
        await HostileAssertions.AssertInertAsync(_page, _dialogs);
        await BrowserFixture.ScreenshotAsync(_page, "hostile-session", output);

        // The search snippet is user text too.
        await GotoAsync("/?q=pwned");
        Assert.Null(await _page.EvaluateAsync<object>("window.pwned"));
        Assert.Equal(0, await _page.Locator("main script, main [onerror]").CountAsync());
    }

    [Fact]
    public async Task A_message_after_deeply_nested_markdown_still_shows_on_the_session_page()
    {
        var nested = await Seed.DeeplyNestedSessionAsync(_server);
        await GotoAsync($"/sessions/{nested.Id}");
        await NestingAssertions.AssertWholePageAsync(_page);
    }

    [Fact]
    public async Task Owner_pages_refuse_other_hosts_and_other_machines()
    {
        await Seed.BuildSessionAsync(_server);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };

        // A page of another site re-pointed at 127.0.0.1 (DNS rebinding) arrives from loopback but names its own host:
        // refused before any login is looked at.
        foreach (var token in new[] { null, _server.ApiToken })
        {
            using var rebound = Request(_server.Url + "/", token);
            rebound.Headers.Host = "attacker.example";
            Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(rebound)).StatusCode);
        }

        using var local = Request(_server.Url.Replace("127.0.0.1", "localhost", StringComparison.Ordinal) + "/", _server.ApiToken);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(local)).StatusCode);

        // A client on another address: bind a non-loopback address of this machine, when it has one.
        var address = Dns.GetHostAddresses(Dns.GetHostName()).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            ?? System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(i => i.GetIPProperties().UnicastAddresses).Select(u => u.Address)
                .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        if (address is null)
        {
            output.WriteLine("no non-loopback IPv4 address on this machine; the remote-client case is covered by the Host check above only");
            return;
        }

        await using var remote = await PageServer.StartAsync(TempDirectory.ForCaller(), address.ToString());
        var session = await Seed.BuildSessionAsync(remote);
        var share = await remote.Shares.CreateAsync(session.Id, new Sharing.ShareRequest { Visibility = ShareVisibility.Public });
        var page = await browser.NewPageAsync();
        try
        {
            var list = await page.GotoAsync(remote.Url + "/");
            Assert.Equal(403, list!.Status);
            await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Forbidden");
            Assert.Equal(403, (await page.GotoAsync($"{remote.Url}/sessions/{session.Id}"))!.Status);
            // Share links and the public page are meant for other machines.
            Assert.Equal(200, (await page.GotoAsync($"{remote.Url}/s/{share.Token}"))!.Status);
            Assert.Equal(200, (await page.GotoAsync($"{remote.Url}/public"))!.Status);
        }
        finally
        {
            await page.Context.CloseAsync();
        }

        static HttpRequestMessage Request(string url, string? token)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (token is not null)
            {
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            }

            return request;
        }
    }
}

/// <summary>What "the page is whole" means for <see cref="Seed.DeeplyNestedSessionAsync"/>.</summary>
internal static class NestingAssertions
{
    public static async Task AssertWholePageAsync(IPage page)
    {
        // Every message, each a direct child of main (none swallowed into a hostile one's unclosed elements).
        Assert.Equal(Seed.DeeplyNested.Count * 2 + 1, await page.Locator("main > article.msg").CountAsync());
        foreach (var (name, _) in Seed.DeeplyNested)
        {
            await Assertions.Expect(page.Locator("main > article.msg").GetByText("after " + name, new() { Exact = true })).ToBeVisibleAsync();
        }

        await Assertions.Expect(page.GetByText("the end", new() { Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("footer.foot")).ToBeVisibleAsync();
        // The hostile text itself is still there to read.
        await Assertions.Expect(page.Locator("main > article.msg").First).ToContainTextAsync("deep quote");
        Assert.True(await page.EvaluateAsync<int>("Math.max(...[...document.querySelectorAll('*')].map(e => { let d = 0; for (let p = e; p; p = p.parentElement) d++; return d; }))") < 100);
    }
}

/// <summary>What "did not run" means for <see cref="Seed.HostileSessionAsync"/>.</summary>
internal static class HostileAssertions
{
    public static async Task AssertInertAsync(IPage page, List<string> dialogs)
    {
        // Give any event handler (an image's onerror) time to fire had it been created.
        await page.WaitForLoadStateAsync(LoadState.Load);
        await page.WaitForTimeoutAsync(300);
        Assert.Null(await page.EvaluateAsync<object>("window.pwned"));
        Assert.Equal("undefined", await page.EvaluateAsync<string>("typeof window.pwned"));
        Assert.Empty(dialogs);

        // Not merely blocked by the CSP: escaped, so no such elements or attributes exist at all.
        Assert.Equal(0, await page.Locator("main script").CountAsync());
        Assert.Equal(0, await page.Locator("main img").CountAsync());
        Assert.Equal(0, await page.Locator("[onerror], [onmouseover]").CountAsync());
        Assert.Equal(0, await page.Locator("main a[href]:not([href^='http']):not([href^='#']):not([href^='/'])").CountAsync());

        // And the text is there for the reader.
        await Assertions.Expect(page.GetByText(Seed.HostileScript, new() { Exact = true })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText(Seed.HostileImage, new() { Exact = true })).ToBeVisibleAsync();
        var linkMessage = page.Locator("article.msg", new() { HasText = "and <javascript:window.pwned=4>" });
        await Assertions.Expect(linkMessage).ToContainTextAsync("x and <javascript:window.pwned=4> and y and z");
        Assert.Equal(0, await linkMessage.Locator(".md a").CountAsync());
        await linkMessage.GetByText("x and", new() { Exact = false }).ClickAsync();
        await page.WaitForTimeoutAsync(100);
        Assert.Null(await page.EvaluateAsync<object>("window.pwned"));
    }
}
