using Microsoft.Playwright;
using Xunit;
using Xunit.Abstractions;

namespace AgentSessions.Server.Tests.Pages;

/// <summary>One headless Debian chromium, driven by Playwright, shared by the browser tests.</summary>
/// <remarks>
/// Playwright cannot download its own browsers here (no network), so the system chromium is used:
/// <c>AGENT_SESSIONS_CHROMIUM</c>, else <c>/usr/bin/chromium</c>.
/// </remarks>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>Every wait in the browser tests is bounded by this.</summary>
    public const float TimeoutMs = 15_000;

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("the browser did not start");

    /// <summary>Where screenshots go: artifacts/screenshots beside the test assembly.</summary>
    public static string ArtifactsDirectory { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "artifacts", "screenshots")).FullName;

    public static string ChromiumPath => Environment.GetEnvironmentVariable("AGENT_SESSIONS_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"chromium not found at {ChromiumPath}: the page tests drive a real browser. Install it with 'sudo apt-get install chromium' (or point AGENT_SESSIONS_CHROMIUM at one).");
        }

        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Timeout = 60_000,
            Args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }

    /// <summary>A fresh page (own cookies and storage) with bounded waits; fails the test on any dialog (alert...).</summary>
    public async Task<IPage> NewPageAsync(List<string>? dialogs = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1100, Height = 900 } });
        context.SetDefaultTimeout(TimeoutMs);
        context.SetDefaultNavigationTimeout(TimeoutMs);
        var page = await context.NewPageAsync();
        page.Dialog += async (_, dialog) =>
        {
            dialogs?.Add(dialog.Message);
            await dialog.DismissAsync();
        };
        return page;
    }

    /// <summary>Saves a full-page screenshot as a test artifact and prints where.</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name, ITestOutputHelper output)
    {
        var path = Path.Combine(ArtifactsDirectory, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true, Timeout = TimeoutMs });
        output.WriteLine($"screenshot: {path}");
        return path;
    }
}

/// <summary>Waits for a click's navigation without racing it.</summary>
internal static class Navigation
{
    /// <summary>Waits until the page's URL matches and its document has loaded (both bounded).</summary>
    /// <remarks>
    /// Polls the URL rather than waiting for a load event, which may already have fired (a fast local server,
    /// or a link with a fragment) by the time the wait starts.
    /// </remarks>
    public static async Task ArrivedAsync(IPage page, string urlPattern)
    {
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex(urlPattern), new() { Timeout = BrowserFixture.TimeoutMs });
        await page.WaitForLoadStateAsync(LoadState.Load, new() { Timeout = BrowserFixture.TimeoutMs });
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "Pages browser";
}
