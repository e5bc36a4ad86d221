using System.Net.Http.Json;
using AgentSessions.Testing;
using Microsoft.Extensions.AI;
using Xunit;

namespace AgentSessions.FakeOpenAi.Tests;

/// <summary>The fake as a process, the way the CLI, tmux and RPC tests run it beside the tool.</summary>
public sealed class FakeOpenAiProcessTests
{
    [Fact]
    public async Task Process_prints_its_url_answers_from_its_script_and_records_to_the_file()
    {
        using var temp = TempDirectory.ForCaller();
        var script = temp.Combine("script.json");
        var record = temp.Combine("requests.jsonl");
        await File.WriteAllTextAsync(script, """{"replies": [{"text": "scripted hello", "chunks": 2}]}""");
        await using var fake = await FakeOpenAiProcess.StartAsync(["--script", script, "--record", record]);
        Assert.Matches(@"^http://127\.0\.0\.1:[1-9][0-9]*/v1$", fake.BaseUrl);
        var client = FakeModel.Client(fake.BaseUrl);
        using var cancel = new CancellationTokenSource(FakeModel.Timeout);

        var streamed = await client.GetStreamingResponseAsync("one", cancellationToken: cancel.Token).ToListAsync(cancel.Token);
        var plain = await client.GetResponseAsync([new(ChatRole.User, "one"), new(ChatRole.Assistant, "scripted hello"), new(ChatRole.User, "two")], cancellationToken: cancel.Token);

        Assert.Equal("scripted hello", streamed.ToChatResponse().Text);
        Assert.Equal(2, streamed.Count(u => u.Text.Length > 0));
        Assert.Equal("You said: two (messages: 3)", plain.Text);

        // Read while the process still runs: each request is a whole, flushed line.
        var requests = RecordedRequest.ReadJsonLines(record);
        Assert.Equal([1, 2], requests.Select(r => r.Sequence));
        Assert.True(requests[0].Stream);
        Assert.Equal(["user: one", "assistant: scripted hello", "user: two"], requests[1].Messages.Select(m => m.ToString()));
        Assert.All(requests, r => Assert.True(r.HasApiKey(FakeModel.ApiKey)));
        Assert.DoesNotContain(FakeModel.ApiKey, await File.ReadAllTextAsync(record, cancel.Token), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_takes_replies_queued_while_it_runs_and_lists_its_requests()
    {
        await using var fake = await FakeOpenAiProcess.StartAsync([]);
        using var http = new HttpClient { BaseAddress = new Uri(fake.Root), Timeout = FakeModel.Timeout };
        using var cancel = new CancellationTokenSource(FakeModel.Timeout);

        using var queued = await http.PostAsync("/_fake/replies", JsonContent.Create(new object[] { new { text = "queued one" }, new { statusCode = 401, text = "bad key" } }), cancel.Token);
        Assert.Equal(204, (int)queued.StatusCode);
        var client = FakeModel.Client(fake.BaseUrl);

        Assert.Equal("queued one", (await client.GetResponseAsync("x", cancellationToken: cancel.Token)).Text);
        await Assert.ThrowsAsync<System.ClientModel.ClientResultException>(() => client.GetResponseAsync("y", cancellationToken: cancel.Token));
        Assert.Equal("You said: z (messages: 1)", (await client.GetResponseAsync("z", cancellationToken: cancel.Token)).Text);

        var requests = await http.GetFromJsonAsync<RecordedRequest[]>("/_fake/requests", cancel.Token);
        Assert.NotNull(requests);
        Assert.Equal(["x", "y", "z"], requests.Select(r => r.Messages.Single().Text));
    }

    [Fact]
    public async Task Process_ends_when_its_stdin_closes()
    {
        await using var fake = await FakeOpenAiProcess.StartAsync([]);

        fake.Process.StandardInput.Close();

        using var cancel = new CancellationTokenSource(FakeModel.Timeout);
        await fake.Process.WaitForExitAsync(cancel.Token);
        Assert.Equal(0, fake.Process.ExitCode);
    }
}
