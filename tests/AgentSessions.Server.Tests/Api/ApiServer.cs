using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AgentSessions.Import;
using AgentSessions.Server.Http;
using AgentSessions.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace AgentSessions.Server.Tests.Api;

/// <summary>The real server on a real loopback socket (port 0), in this process, over a fresh SQLite store.</summary>
internal sealed class ApiServer : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private ApiServer(WebApplication app, SqliteSessionStore store, string url, string token, string storeDirectory)
    {
        App = app;
        Store = store;
        Url = url;
        Token = token;
        StoreDirectory = storeDirectory;
        Client = new HttpClient { BaseAddress = new Uri(url), Timeout = Timeout };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Anonymous = new HttpClient { BaseAddress = new Uri(url), Timeout = Timeout };
    }

    public WebApplication App { get; }

    public SqliteSessionStore Store { get; }

    public string Url { get; }

    public string Token { get; }

    public string StoreDirectory { get; }

    /// <summary>Sends the token.</summary>
    public HttpClient Client { get; }

    /// <summary>Sends no token.</summary>
    public HttpClient Anonymous { get; }

    public static async Task<ApiServer> StartAsync(string storeDirectory, Func<ServerOptions, ServerOptions>? configure = null)
    {
        var store = SqliteSessionStore.Open(new SqliteStoreOptions(storeDirectory) { Durability = SqliteDurability.Normal });
        var options = new ServerOptions { StoreDirectory = storeDirectory, Urls = ["http://127.0.0.1:0"] };
        options = configure?.Invoke(options) ?? options;
        WebApplication app;
        try
        {
            // Every format, as the CLI's serve wires it: the import tests read other systems' files too.
            app = ServerHost.Build(options, new SessionService(store, Importers.All));
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }

        using var timeout = new CancellationTokenSource(Timeout);
        await app.StartAsync(timeout.Token);
        var url = Assert.Single(ServerHost.BoundUrls(app));
        Assert.Equal(url, Assert.Single(app.Urls));
        Assert.StartsWith("http://127.0.0.1:", url, StringComparison.Ordinal);
        Assert.NotEqual(0, new Uri(url).Port);
        return new ApiServer(app, store, url, app.Services.GetRequiredService<ServerOptions>().ApiToken!, storeDirectory);
    }

    public async Task<JsonElement> JsonAsync(HttpMethod method, string path, object? body = null, int expected = 200)
    {
        using var response = await SendAsync(method, path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expected, $"{method} {path}: expected {expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public Task<JsonElement> GetAsync(string path, int expected = 200) => JsonAsync(HttpMethod.Get, path, null, expected);

    public Task<JsonElement> PostAsync(string path, object? body = null, int expected = 200) => JsonAsync(HttpMethod.Post, path, body, expected);

    /// <summary>Asserts the error shape: the status, <c>{"error": {"code", "message"}}</c>, and no stack trace.</summary>
    public async Task<string> ErrorAsync(HttpMethod method, string path, object? body, int status, string code)
    {
        var error = await JsonAsync(method, path, body, status);
        var inner = error.GetProperty("error");
        Assert.Equal(code, inner.GetProperty("code").GetString());
        var message = inner.GetProperty("message").GetString()!;
        Assert.False(string.IsNullOrWhiteSpace(message));
        Assert.DoesNotContain("   at ", message, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", message, StringComparison.Ordinal);
        return message;
    }

    /// <summary>A body is an object (sent as JSON) or a string (sent as it is).</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Content = body switch
        {
            null => null,
            string text => new StringContent(text, Encoding.UTF8, "application/json"),
            byte[] bytes => new ByteArrayContent(bytes),
            _ => new StringContent(JsonSerializer.Serialize(body, JsonOptions), Encoding.UTF8, "application/json"),
        };
        return await Client.SendAsync(request);
    }

    public async Task<string> CreateSessionAsync(object? body = null)
        => (await PostAsync("/api/sessions", body ?? new { }, 201)).GetProperty("id").GetString()!;

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Anonymous.Dispose();
        using var timeout = new CancellationTokenSource(Timeout);
        await App.StopAsync(timeout.Token);
        await App.DisposeAsync();
        await Store.DisposeAsync();
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);
}
