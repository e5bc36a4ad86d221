using System.Text.Json;
using AgentSessions.Server.Http;
using AgentSessions.Sharing;
using AgentSessions.Sqlite;
using AgentSessions.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace AgentSessions.Server.Tests.Pages;

/// <summary>The real server, in-process, on a real loopback socket, over a SQLite store in a temp directory.</summary>
internal sealed class PageServer : IAsyncDisposable
{
    private readonly TempDirectory _temp;
    private readonly WebApplication _app;

    private PageServer(TempDirectory temp, SqliteSessionStore store, WebApplication app, string url)
    {
        _temp = temp;
        Store = store;
        _app = app;
        Url = url;
        Service = new SessionService(store);
        Shares = new ShareService(store);
    }

    /// <summary>The bound address, without a trailing slash.</summary>
    public string Url { get; }

    /// <summary>The API's bearer token (it opens the owner pages too).</summary>
    public string ApiToken => _app.Services.GetRequiredService<ServerOptions>().ApiToken!;

    /// <summary>A fresh one-time login URL for the owner pages, as <c>serve</c> prints one.</summary>
    public string NewLoginUrl() => _app.Services.GetRequiredService<OwnerLogin>().NewLoginUrl(Url);

    /// <summary>Logs <paramref name="page"/>'s browser context in to the owner pages through a login URL.</summary>
    public async Task LogInAsync(Microsoft.Playwright.IPage page)
    {
        var response = await page.GotoAsync(NewLoginUrl());
        if (response?.Status != 200 || page.Url != Url + "/")
        {
            throw new InvalidOperationException($"logging in ended at {page.Url} with {response?.Status}");
        }
    }

    /// <summary>The store directory (where <c>server.json</c> goes).</summary>
    public string StoreDirectory => _temp.Combine("store");

    public SqliteSessionStore Store { get; }

    public SessionService Service { get; }

    public ShareService Shares { get; }

    public TempDirectory Temp => _temp;

    public static async Task<PageServer> StartAsync(TempDirectory temp, string host = "127.0.0.1")
    {
        var directory = temp.Combine("store");
        var store = SqliteSessionStore.Open(directory);
        var app = ServerHost.Build(new ServerOptions { StoreDirectory = directory, Urls = [$"http://{host}:0"], AllowRemote = host != "127.0.0.1" }, new SessionService(store));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await app.StartAsync(timeout.Token);
        var url = app.Urls.First().TrimEnd('/');
        return new PageServer(temp, store, app, url);
    }

    /// <summary>Writes the note a running <c>agent-sessions serve</c> leaves, so the CLI prints full links.</summary>
    public void WriteServerInfo()
        => File.WriteAllText(Path.Combine(StoreDirectory, "server.json"), JsonSerializer.Serialize(new Dictionary<string, string> { ["url"] = Url }));

    public async Task<Session> CreateSessionAsync(string title, IEnumerable<NewMessage> messages, IReadOnlyList<string>? tags = null)
    {
        var session = await Service.CreateAsync(new NewSession { Title = title, Tags = tags ?? [], Model = "gpt-test" });
        var list = messages.ToList();
        if (list.Count > 0)
        {
            await Service.AppendAsync(session.Id, list);
        }

        return (await Store.GetAsync(session.Id))!;
    }

    /// <summary>A share inserted directly, for states the service will not create (an expiry in the past).</summary>
    public async Task<Share> InsertShareAsync(string sessionId, ShareVisibility visibility, DateTimeOffset? expiresAt, string? password = null)
    {
        var share = new Share
        {
            Token = ShareService.NewToken(),
            SessionId = sessionId,
            Visibility = visibility,
            PasswordHash = password is null ? null : ShareService.HashPassword(password),
            ExpiresAt = expiresAt,
            CreatedAt = DateTimeOffset.UtcNow.AddDays(-2),
        };
        await Store.CreateShareAsync(share);
        return share;
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
        await Store.DisposeAsync();
        _temp.Dispose();
    }
}
