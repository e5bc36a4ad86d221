using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AgentSessions.Server.Tests.Api;
using AgentSessions.Server.Tests.Rpc;
using AgentSessions.Sqlite;
using AgentSessions.Testing;
using Xunit;
using Xunit.Abstractions;

namespace AgentSessions.Server.Tests;

/// <summary>
/// SIGKILL of the built tool at random moments, through each acknowledgement a user relies on: <c>add</c> exiting 0,
/// an <c>rpc</c> response, a 2xx from <c>serve</c>. Whatever was acknowledged must be stored afterwards; what was cut
/// short may be there or not, whole.
/// </summary>
public sealed class AcknowledgedKillTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Kills per front end: a few in CI (each kill starts the tool again); AGENT_SESSIONS_CRASH_KILLS for more.</summary>
    private static int Kills(int ci)
        => int.TryParse(Environment.GetEnvironmentVariable("AGENT_SESSIONS_CRASH_KILLS"), out var n) && n > 0 ? n : ci;

    [Fact]
    public async Task Every_add_that_exited_zero_is_stored_after_kills_at_random_moments()
    {
        using var temp = TempDirectory.ForCaller();
        var store = temp.Combine("store");
        await CreateSessionAsync(store);
        var random = new Random(20261204);
        var acknowledged = new List<string>();
        var kills = Kills(20);
        var killed = 0;
        for (var round = 0; round < kills; round++)
        {
            // Two at once, so a kill also lands while the other waits for the write lock or runs its commit.
            var texts = new[] { $"cli {round} a", $"cli {round} b" };
            var processes = texts.Select(text => Process.Start(BuiltTool.StartInfo(["add", "k", "--role", "user", "--content", text, "--store", store]))!).ToList();
            // The tool needs a few hundred milliseconds to start on a busy machine; kill anywhere in its life.
            Thread.Sleep(random.Next(0, 900));
            foreach (var (process, text) in processes.Zip(texts))
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    killed++;
                }

                await process.WaitForExitAsync().WaitAsync(Patience);
                if (process.ExitCode == 0)
                {
                    acknowledged.Add(text);
                }

                process.Dispose();
            }
        }

        var stored = await AssertStoredAsync(store, acknowledged, "cli ");
        output.WriteLine($"{2 * kills} adds, {killed} killed, {acknowledged.Count} exited 0, {stored} stored");
        Assert.True(killed > 0, "no add was ever killed: the test killed nothing");
    }

    [Fact]
    public async Task Every_answered_rpc_append_is_stored_after_kills_at_random_moments()
    {
        using var temp = TempDirectory.ForCaller();
        var store = temp.Combine("store");
        await CreateSessionAsync(store);
        var random = new Random(20261205);
        var acknowledged = new List<string>();
        var kills = Kills(15);
        for (var round = 0; round < kills; round++)
        {
            await using var rpc = RpcProcess.Start(store); // disposed (killed) even when an assertion fails
            var wanted = random.Next(0, 6);
            for (var i = 0; i < wanted; i++)
            {
                var text = $"rpc {round} {i}";
                await rpc.ResultAsync("session.append", new { id = "k", role = "user", content = text });
                acknowledged.Add(text);
            }

            // One more in flight (sometimes not sent yet), then the kill; a response read afterwards still counts.
            var pending = $"rpc {round} pending";
            if (random.Next(3) > 0)
            {
                await rpc.SendFrameAsync(RpcProcess.Request(1_000_000 + round, "session.append", new { id = "k", role = "user", content = pending }));
                Thread.Sleep(random.Next(0, 80));
            }

            await rpc.KillAsync();
            try
            {
                while (await rpc.ReadOrEndAsync(Patience) is { } response)
                {
                    if (response.TryGetProperty("result", out _) && response.GetProperty("id").GetInt32() == 1_000_000 + round)
                    {
                        acknowledged.Add(pending);
                    }
                }
            }
            catch (Xunit.Sdk.XunitException)
            {
                // A response torn by the kill acknowledges nothing.
            }
            catch (EndOfStreamException)
            {
            }
        }

        var stored = await AssertStoredAsync(store, acknowledged, "rpc ");
        output.WriteLine($"{kills} kills, {acknowledged.Count} answered appends, {stored} stored");
    }

    [Fact]
    public async Task Every_append_answered_2xx_over_http_is_stored_after_kills_at_random_moments()
    {
        using var temp = TempDirectory.ForCaller();
        var store = temp.Combine("store");
        await CreateSessionAsync(store);
        var random = new Random(20261206);
        var acknowledged = new List<string>();
        var kills = Kills(10);
        for (var round = 0; round < kills; round++)
        {
            await using var serve = await ServeProcess.StartAsync("--urls", "http://127.0.0.1:0", "--store", store);
            using var client = new HttpClient { BaseAddress = new Uri(serve.Url), Timeout = Patience };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", serve.Token);
            var wanted = random.Next(0, 6);
            for (var i = 0; i < wanted; i++)
            {
                var text = $"http {round} {i}";
                using var response = await PostAsync(client, text);
                Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                acknowledged.Add(text);
            }

            // Two more in flight when the kill comes; one that got its 2xx first counts.
            var pending = Enumerable.Range(0, 2).Select(i => $"http {round} pending {i}").ToList();
            var inFlight = pending.Select(text => PostAsync(client, text)).ToList();
            Thread.Sleep(random.Next(0, 120));
            serve.Process.Kill(entireProcessTree: true);
            foreach (var (task, text) in inFlight.Zip(pending))
            {
                try
                {
                    using var response = await task;
                    if (response.IsSuccessStatusCode)
                    {
                        acknowledged.Add(text);
                    }
                }
                catch (HttpRequestException)
                {
                    // The connection died with the server: no answer, no promise.
                }
            }
        }

        var stored = await AssertStoredAsync(store, acknowledged, "http ");
        output.WriteLine($"{kills} kills, {acknowledged.Count} appends answered 2xx, {stored} stored");
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string text)
        => client.PostAsync("/api/sessions/k/messages", new StringContent(JsonSerializer.Serialize(new { role = "user", content = text }), Encoding.UTF8, "application/json"));

    private static async Task CreateSessionAsync(string store)
    {
        await using var s = SqliteSessionStore.Open(store);
        await s.CreateAsync(new NewSession { Id = "k" });
    }

    /// <summary>Every acknowledged text is stored exactly once; the rest are whole messages of this test; doctor is happy.</summary>
    private static async Task<int> AssertStoredAsync(string store, List<string> acknowledged, string prefix)
    {
        await using var s = SqliteSessionStore.Open(store);
        var stored = new List<SessionMessage>();
        await foreach (var m in s.ReadAsync("k"))
        {
            stored.Add(m);
        }

        Assert.Equal(Enumerable.Range(1, stored.Count).Select(i => (long)i), stored.Select(m => m.Sequence));
        var texts = stored.Select(m => m.Text).ToList();
        foreach (var text in acknowledged)
        {
            Assert.True(texts.Count(t => t == text) == 1, $"acknowledged '{text}' is stored {texts.Count(t => t == text)} times");
        }

        Assert.All(texts, t => Assert.StartsWith(prefix, t, StringComparison.Ordinal));
        Assert.Equal(stored.Count, (await s.GetAsync("k"))!.MessageCount);
        var report = await s.CheckAsync(repair: false);
        Assert.True(report.Healthy, string.Join("; ", report.Checks.Where(c => !c.Ok).Select(c => $"{c.Name}: {c.Detail}")));
        return stored.Count;
    }
}
