using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Server.Tests.Api;

/// <summary><c>agent-sessions serve</c> as a process, the way a user (or an editor) starts it.</summary>
public sealed class ServeProcessTests
{
    private const int Timeout = 120_000;

    [Fact(Timeout = Timeout)]
    public async Task Serve_prints_the_url_and_token_and_answers_on_them()
    {
        using var dir = TempDirectory.ForCaller();
        var store = dir.Combine("store");
        string token;
        await using (var serve = await ServeProcess.StartAsync("--urls", "http://127.0.0.1:0", "--store", store))
        {
            token = serve.Token;
            Assert.Matches(@"^http://127\.0\.0\.1:\d+$", serve.Url);
            Assert.DoesNotMatch(":0$", serve.Url);
            Assert.Contains(Path.Combine(store, "api-token"), serve.Output, StringComparison.Ordinal);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(store, "api-token")));
            }

            Assert.True(File.Exists(Path.Combine(store, "server.json")));

            using var client = new HttpClient { BaseAddress = new Uri(serve.Url), Timeout = TimeSpan.FromSeconds(30) };
            using (var anonymous = await client.GetAsync("/api/info"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
                Assert.Equal("Bearer", Assert.Single(anonymous.Headers.WwwAuthenticate).Scheme);
                Assert.True(anonymous.Headers.Contains("Content-Security-Policy"));
            }

            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using (var created = await client.PostAsync("/api/sessions", new StringContent("""{"id": "proc", "title": "From a process"}""", Encoding.UTF8, "application/json")))
            {
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            }

            using var info = await client.GetAsync("/api/info");
            Assert.Equal(HttpStatusCode.OK, info.StatusCode);
            Assert.Contains("\"sessionCount\":1", await info.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        // The next start reuses the token, and the session is still there.
        await using (var again = await ServeProcess.StartAsync("--urls", "http://127.0.0.1:0", "--store", store))
        {
            Assert.Equal(token, again.Token);
            Assert.Contains("read from", again.Output, StringComparison.Ordinal);
            using var client = new HttpClient { BaseAddress = new Uri(again.Url), Timeout = TimeSpan.FromSeconds(30) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var session = await client.GetAsync("/api/sessions/proc");
            Assert.Equal(HttpStatusCode.OK, session.StatusCode);
        }
    }

    [Fact(Timeout = Timeout)]
    public async Task Sigterm_stops_the_server_cleanly_and_removes_server_json()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var dir = TempDirectory.ForCaller();
        await using var serve = await ServeProcess.StartAsync("--urls", "http://127.0.0.1:0", "--store", dir.Path);
        Assert.True(File.Exists(Path.Combine(dir.Path, "server.json")));
        Assert.Equal(0, SendSignal(serve.Process.Id, 15));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await serve.Process.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, serve.Process.ExitCode);
        Assert.False(File.Exists(Path.Combine(dir.Path, "server.json")));
    }

    [Theory(Timeout = Timeout)]
    [InlineData("http://0.0.0.0:0")]
    [InlineData("http://192.168.1.10:8765")]
    public async Task Serve_refuses_a_non_loopback_url_without_allow_remote(string url)
    {
        using var dir = TempDirectory.ForCaller();
        var (exit, stdout, stderr) = await ServeProcess.RunToEndAsync("serve", "--urls", url, "--store", dir.Path);
        Assert.Equal(2, exit);
        Assert.Contains("--allow-remote", stderr, StringComparison.Ordinal);
        Assert.Contains("not a loopback address", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("listening on", stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir.Path, "api-token")));
    }

    // Process.Kill only sends SIGKILL; a clean stop needs the SIGTERM a service manager sends.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
