using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using AgentSessions.Server.Http;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Server.Tests.Api;

/// <summary>The server's own files (token, server.json) and where it agrees to listen.</summary>
public sealed class ApiHostTests
{
    private const int Timeout = 60_000;

    [Fact(Timeout = Timeout)]
    public async Task The_token_is_generated_0600_and_reused_on_the_next_start()
    {
        using var dir = TempDirectory.ForCaller();
        string first;
        await using (var server = await ApiServer.StartAsync(dir.Path))
        {
            first = server.Token;
            Assert.Matches("^[A-Za-z0-9_-]{43}$", first);
            Assert.Equal(first, (await File.ReadAllTextAsync(Path.Combine(dir.Path, "api-token"))).Trim());
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir.Path, "api-token")));
            }

            Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
        }

        await using (var again = await ApiServer.StartAsync(dir.Path))
        {
            Assert.Equal(first, again.Token);
            using var response = await again.Client.GetAsync("/api/info");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // Another store, another token.
        using var other = TempDirectory.ForCaller();
        await using var third = await ApiServer.StartAsync(other.Path);
        Assert.NotEqual(first, third.Token);
    }

    [Fact(Timeout = Timeout)]
    public async Task A_given_token_is_used_and_no_file_is_written()
    {
        using var dir = TempDirectory.ForCaller();
        var token = ApiTokenFile.NewToken();
        await using var server = await ApiServer.StartAsync(dir.Path, o => o with { ApiToken = token });
        Assert.Equal(token, server.Token);
        Assert.False(File.Exists(Path.Combine(dir.Path, "api-token")));
        using var response = await server.Client.GetAsync("/api/info");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact(Timeout = Timeout)]
    public async Task Unusable_token_files_are_refused_with_a_clear_error()
    {
        using var dir = TempDirectory.ForCaller();
        var path = Path.Combine(dir.Path, "api-token");
        await File.WriteAllTextAsync(path, "short\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        var malformed = Assert.Throws<AgentSessionsException>(() => ApiTokenFile.LoadOrCreate(path));
        Assert.Equal(ErrorCode.Corrupt, malformed.Code);
        Assert.Contains("delete it", malformed.Message, StringComparison.Ordinal);

        if (!OperatingSystem.IsWindows())
        {
            await File.WriteAllTextAsync(path, ApiTokenFile.NewToken());
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
            var exposed = Assert.Throws<AgentSessionsException>(() => ApiTokenFile.LoadOrCreate(path));
            Assert.Contains("other users", exposed.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<AgentSessionsException>(() => ApiServer.StartAsync(dir.Path));
        }
    }

    [Fact]
    public void Tokens_compare_exactly()
    {
        var token = ApiTokenFile.NewToken();
        Assert.True(ApiTokenFile.Matches(token, token));
        Assert.False(ApiTokenFile.Matches(token[..^1], token));
        Assert.False(ApiTokenFile.Matches(token + "a", token));
        Assert.False(ApiTokenFile.Matches(null, token));
        Assert.False(ApiTokenFile.Matches("", token));
        Assert.NotEqual(ApiTokenFile.NewToken(), ApiTokenFile.NewToken());
    }

    [Fact(Timeout = Timeout)]
    public async Task Server_json_records_the_bound_url_while_running()
    {
        using var dir = TempDirectory.ForCaller();
        var path = Path.Combine(dir.Path, "server.json");
        await using (var server = await ApiServer.StartAsync(dir.Path))
        {
            var info = JsonDocument.Parse(await File.ReadAllTextAsync(path)).RootElement;
            Assert.Equal(server.Url, info.GetProperty("url").GetString());
            Assert.Equal(Environment.ProcessId, info.GetProperty("pid").GetInt32());
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }
        }

        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData("http://127.0.0.1:0", true)]
    [InlineData("http://127.0.0.1:8765", true)]
    [InlineData("http://127.0.0.2:8765", true)]
    [InlineData("http://[::1]:0", true)]
    [InlineData("http://localhost:8765", true)]
    [InlineData("https://localhost:8765", true)]
    [InlineData("http://0.0.0.0:8765", false)]
    [InlineData("http://[::]:8765", false)]
    [InlineData("http://*:8765", false)]
    [InlineData("http://+:8765", false)]
    [InlineData("http://192.168.1.10:8765", false)]
    [InlineData("http://example.com:8765", false)]
    [InlineData("http://localhost.example.com:8765", false)]
    [InlineData("ftp://127.0.0.1:21", false)]
    [InlineData("not a url", false)]
    public void Only_loopback_urls_count_as_loopback(string url, bool loopback) => Assert.Equal(loopback, ServerHost.IsLoopbackUrl(url));

    [Theory(Timeout = Timeout)]
    [InlineData("http://0.0.0.0:0")]
    [InlineData("http://*:0")]
    [InlineData("http://example.com:0")]
    public async Task Non_loopback_urls_are_refused_without_allow_remote(string url)
    {
        using var dir = TempDirectory.ForCaller();
        var error = await Assert.ThrowsAsync<AgentSessionsException>(() => ApiServer.StartAsync(dir.Path, o => o with { Urls = [url] }));
        Assert.Equal(ErrorCode.InvalidArgument, error.Code);
        Assert.Contains("--allow-remote", error.Message, StringComparison.Ordinal);
        // Refused before anything was written.
        Assert.False(File.Exists(Path.Combine(dir.Path, "api-token")));
    }

    [Fact(Timeout = Timeout)]
    public async Task Localhost_with_port_0_is_refused_up_front()
    {
        using var dir = TempDirectory.ForCaller();
        var error = await Assert.ThrowsAsync<AgentSessionsException>(() => ApiServer.StartAsync(dir.Path, o => o with { Urls = ["http://localhost:0"] }));
        Assert.Contains("127.0.0.1:0", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = Timeout)]
    public async Task Allow_remote_binds_every_interface_and_still_needs_the_token()
    {
        using var dir = TempDirectory.ForCaller();
        var store = Sqlite.SqliteSessionStore.Open(dir.Path);
        await using var _ = store;
        var app = ServerHost.Build(new ServerOptions { StoreDirectory = dir.Path, Urls = ["http://0.0.0.0:0"], AllowRemote = true }, new SessionService(store));
        await using (app)
        {
            using var timeout = new CancellationTokenSource(ApiServer.Timeout);
            await app.StartAsync(timeout.Token);
            var port = new Uri(Assert.Single(ServerHost.BoundUrls(app)).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)).Port;
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = ApiServer.Timeout };
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/info")).StatusCode);
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await File.ReadAllTextAsync(Path.Combine(dir.Path, "api-token"))).Trim());
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/info")).StatusCode);
            await app.StopAsync(timeout.Token);
        }
    }
}
