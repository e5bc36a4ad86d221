using System.ClientModel;
using System.Diagnostics;
using AgentSessions.Testing;
using Microsoft.Extensions.AI;
using Xunit;

namespace AgentSessions.FakeOpenAi.Tests;

/// <summary>The in-process fake, driven by the real OpenAI client through Microsoft.Extensions.AI.</summary>
public sealed class FakeOpenAiServerTests
{
    [Fact]
    public async Task Plain_answer_echoes_the_last_user_text_with_usage()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var cancel = new CancellationTokenSource(FakeModel.Timeout);

        var response = await FakeModel.Client(server.BaseUrl).GetResponseAsync("hello there", cancellationToken: cancel.Token);

        Assert.Equal("You said: hello there (messages: 1)", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(FakeModel.ModelName, response.ModelId);
        Assert.NotNull(response.Usage);
        Assert.Equal(2, response.Usage.InputTokenCount);
        Assert.Equal(6, response.Usage.OutputTokenCount);
        Assert.Equal(8, response.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task Streamed_answer_arrives_a_word_a_chunk_and_ends_with_usage()
    {
        await using var server = await FakeOpenAiServer.StartAsync(new FakeOpenAiOptions { Replies = [ScriptedReply.Words(20)] });
        using var cancel = new CancellationTokenSource(FakeModel.Timeout);

        var updates = await FakeModel.Client(server.BaseUrl).GetStreamingResponseAsync("count", cancellationToken: cancel.Token).ToListAsync(cancel.Token);

        Assert.Equal(20, updates.Count(u => u.Text.Length > 0));
        var response = updates.ToChatResponse();
        Assert.Equal(ScriptedReply.Words(20).Text, response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.NotNull(response.Usage);
        Assert.Equal(1, response.Usage.InputTokenCount);
        Assert.Equal(20, response.Usage.OutputTokenCount);
        var request = Assert.Single(server.ChatRequests);
        Assert.True(request.Stream);

        // The client asked for the usage chunk; the fake sent it because it was asked.
        Assert.True(request.Body!.Value.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
    }

    [Fact]
    public async Task Streamed_chunks_give_back_the_text_exactly_whitespace_included()
    {
        const string text = "  Two  spaces,\na line break\tand a tab. ";
        await using var server = await FakeOpenAiServer.StartAsync(new FakeOpenAiOptions { Replies = [ScriptedReply.Answer(text) with { Chunks = 3 }] });
        using var cancel = new CancellationTokenSource(FakeModel.Timeout);

        var updates = await FakeModel.Client(server.BaseUrl).GetStreamingResponseAsync("x", cancellationToken: cancel.Token).ToListAsync(cancel.Token);

        Assert.Equal(3, updates.Count(u => u.Text.Length > 0));
        Assert.Equal(text, string.Concat(updates.Select(u => u.Text)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Tool_call_round_runs_the_function_and_answers_from_its_result(bool streamed)
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Enqueue(ScriptedReply.CallTool("get_weather", new { city = "Paris" }));
        var ran = new List<string>();
        var weather = AIFunctionFactory.Create((string city) =>
        {
            ran.Add(city);
            return $"sunny in {city}";
        }, "get_weather", "The weather in a city.");
        using var client = FakeModel.Client(server.BaseUrl).AsBuilder().UseFunctionInvocation().Build();
        var options = new ChatOptions { Tools = [weather] };
        using var cancel = new CancellationTokenSource(FakeModel.Timeout);

        var response = streamed
            ? (await client.GetStreamingResponseAsync("weather in Paris?", options, cancel.Token).ToListAsync(cancel.Token)).ToChatResponse()
            : await client.GetResponseAsync("weather in Paris?", options, cancel.Token);

        Assert.Equal(["Paris"], ran);
        Assert.Equal("Tool said: \"sunny in Paris\" (messages: 3)", response.Text);
        var requests = server.ChatRequests;
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r => Assert.Equal(["get_weather"], r.ToolNames));
        var second = requests[1].Messages;
        Assert.Equal(["user", "assistant", "tool"], second.Select(m => m.Role));
        Assert.Equal(["get_weather"], second[1].ToolCalls);
        Assert.Equal("call_1_0", second[2].ToolCallId);
        Assert.Equal(0, server.PendingReplies);

        // The call and its result come back to the caller as well, in the response's messages.
        Assert.Contains(response.Messages.SelectMany(m => m.Contents), c => c is FunctionCallContent { Name: "get_weather", CallId: "call_1_0" });
        Assert.Contains(response.Messages.SelectMany(m => m.Contents), c => c is FunctionResultContent { CallId: "call_1_0" });
    }

    [Fact]
    public async Task Slow_mode_streams_a_500_word_answer_in_spaced_chunks()
    {
        const int delayMs = 150;
        await using var server = await FakeOpenAiServer.StartAsync();
        var client = FakeModel.Client(server.BaseUrl);
        using var cancel = new CancellationTokenSource(FakeModel.Timeout);

        // A first answer warms the connection and the JIT up, which would otherwise hold the first chunks back together.
        await client.GetStreamingResponseAsync("warm up", cancellationToken: cancel.Token).ToListAsync(cancel.Token);
        server.Enqueue(ScriptedReply.Words(500) with { Chunks = 5, ChunkDelayMs = delayMs });
        var arrivals = new List<TimeSpan>();
        var text = "";
        var clock = Stopwatch.StartNew();

        await foreach (var update in client.GetStreamingResponseAsync("talk", cancellationToken: cancel.Token))
        {
            if (update.Text.Length > 0)
            {
                arrivals.Add(clock.Elapsed);
                text += update.Text;
            }
        }

        Assert.Equal(ScriptedReply.Words(500).Text, text);
        Assert.Equal(5, arrivals.Count);

        // Each chunk waits its delay before it is sent, so the last cannot come sooner than five delays after the
        // request; and they come spread out, not in one burst (with slack for a client held up on a busy machine).
        Assert.True(arrivals[^1] >= TimeSpan.FromMilliseconds(5 * delayMs), string.Join(", ", arrivals));
        Assert.True(arrivals[^1] - arrivals[0] >= TimeSpan.FromMilliseconds(2 * delayMs), string.Join(", ", arrivals));
    }

    [Fact]
    public async Task A_client_that_cancels_a_slow_stream_leaves_the_server_answering()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Enqueue(ScriptedReply.Words(100) with { ChunkDelayMs = 50 });
        using var cancel = new CancellationTokenSource(FakeModel.Timeout);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel.Token);
        var text = "";

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in FakeModel.Client(server.BaseUrl).GetStreamingResponseAsync("go", cancellationToken: stop.Token))
            {
                text += update.Text;
                if (text.Contains("w3", StringComparison.Ordinal))
                {
                    await stop.CancelAsync();
                }
            }
        });

        Assert.StartsWith("w1 w2 w3", text, StringComparison.Ordinal);
        Assert.Equal("You said: again (messages: 1)", (await FakeModel.Client(server.BaseUrl).GetResponseAsync("again", cancellationToken: cancel.Token)).Text);
        Assert.Equal(2, server.ChatRequests.Count);
    }

    [Fact]
    public async Task A_stream_reset_midway_throws_to_the_client_after_the_first_chunks()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Enqueue(ScriptedReply.Words(10) with { FailAfterChunks = 3 });
        using var cancel = new CancellationTokenSource(FakeModel.Timeout);
        var text = "";

        // An end of stream inside the chunked body, after the chunks sent: not a retry, not a time-out.
        var error = await Assert.ThrowsAsync<HttpIOException>(async () =>
        {
            await foreach (var update in FakeModel.Client(server.BaseUrl).GetStreamingResponseAsync("go", cancellationToken: cancel.Token))
            {
                text += update.Text;
            }
        });

        Assert.Equal(HttpRequestError.ResponseEnded, error.HttpRequestError);
        Assert.Equal("w1 w2 w3", text);
        Assert.Single(server.ChatRequests);
    }

    [Fact]
    public async Task An_error_event_midway_ends_the_stream_quietly_without_a_finish_reason()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Enqueue(ScriptedReply.Words(10) with { FailAfterChunks = 2, Failure = StreamFailure.ErrorEvent });
        using var cancel = new CancellationTokenSource(FakeModel.Timeout);

        var updates = await FakeModel.Client(server.BaseUrl).GetStreamingResponseAsync("go", cancellationToken: cancel.Token).ToListAsync(cancel.Token);

        // What the OpenAI client does with such a server: no exception, so a stream that ends without a finish
        // reason is the only sign of an interrupted answer.
        Assert.Equal("w1 w2", string.Concat(updates.Select(u => u.Text)));
        Assert.All(updates, u => Assert.Null(u.FinishReason));
        Assert.Null(updates.ToChatResponse().FinishReason);
    }

    [Fact]
    public async Task A_scripted_http_error_surfaces_with_its_status()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Enqueue(ScriptedReply.Error(400, "context too long"));
        using var cancel = new CancellationTokenSource(FakeModel.Timeout);

        var error = await Assert.ThrowsAsync<ClientResultException>(() => FakeModel.Client(server.BaseUrl).GetResponseAsync("x", cancellationToken: cancel.Token));

        Assert.Equal(400, error.Status);
        Assert.Contains("context too long", error.Message, StringComparison.Ordinal);

        // A 4xx is not retried: one request, and the next one is answered again.
        Assert.Single(server.ChatRequests);
        Assert.Equal("You said: y (messages: 1)", (await FakeModel.Client(server.BaseUrl).GetResponseAsync("y", cancellationToken: cancel.Token)).Text);
    }

    [Fact]
    public async Task The_client_retries_a_503_and_a_reset_plain_request_each_retry_taking_the_next_reply()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Enqueue(ScriptedReply.Error(503, "overloaded"), ScriptedReply.Answer("never sent") with { FailAfterChunks = 0 }, ScriptedReply.Answer("third time"));
        using var cancel = new CancellationTokenSource(FakeModel.Timeout);

        var response = await FakeModel.Client(server.BaseUrl).GetResponseAsync("x", cancellationToken: cancel.Token);

        Assert.Equal("third time", response.Text);
        Assert.Equal(3, server.ChatRequests.Count);
        Assert.Single(server.ChatRequests.Select(r => r.Body!.Value.GetRawText()).Distinct());
    }

    [Fact]
    public async Task Recorded_requests_hold_the_whole_context_in_order_and_the_key_only_as_a_hash()
    {
        using var temp = TempDirectory.ForCaller();
        var record = temp.Combine("requests.jsonl");
        await using var server = await FakeOpenAiServer.StartAsync(new FakeOpenAiOptions { RecordPath = record });
        using var cancel = new CancellationTokenSource(FakeModel.Timeout);
        List<ChatMessage> history =
        [
            new(ChatRole.System, "Be brief."),
            new(ChatRole.User, "Let us plan the project."),
            new(ChatRole.Assistant, "Sure: what first?"),
            new(ChatRole.User, "What were we discussing?"),
        ];

        var response = await FakeModel.Client(server.BaseUrl).GetResponseAsync(history, cancellationToken: cancel.Token);

        Assert.Equal("You said: What were we discussing? (messages: 4)", response.Text);
        var request = Assert.Single(server.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Equal(FakeModel.ModelName, request.Model);
        Assert.Equal(
            ["system: Be brief.", "user: Let us plan the project.", "assistant: Sure: what first?", "user: What were we discussing?"],
            request.Messages.Select(m => m.ToString()));
        Assert.True(request.HasAuthorization);
        Assert.True(request.HasApiKey(FakeModel.ApiKey));
        Assert.False(request.HasApiKey("sk-another"));
        Assert.Equal("<redacted>", request.Headers["Authorization"]);

        // The file holds the same request, and nowhere the key itself.
        var fromFile = Assert.Single(RecordedRequest.ReadJsonLines(record));
        Assert.Equal(request.Messages.Select(m => m.ToString()), fromFile.Messages.Select(m => m.ToString()));
        Assert.True(fromFile.HasApiKey(FakeModel.ApiKey));
        Assert.DoesNotContain(FakeModel.ApiKey, await File.ReadAllTextAsync(record, cancel.Token), StringComparison.Ordinal);
        Assert.DoesNotContain(FakeModel.ApiKey, request.ToJsonLine(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fallback_answers_when_the_queue_is_empty_and_queued_replies_go_first()
    {
        await using var server = await FakeOpenAiServer.StartAsync(new FakeOpenAiOptions
        {
            Replies = [ScriptedReply.Answer("first")],
            Fallback = request => ScriptedReply.Answer($"fallback #{request.Sequence}"),
        });
        var client = FakeModel.Client(server.BaseUrl);
        using var cancel = new CancellationTokenSource(FakeModel.Timeout);

        Assert.Equal("first", (await client.GetResponseAsync("a", cancellationToken: cancel.Token)).Text);
        Assert.Equal("fallback #2", (await client.GetResponseAsync("b", cancellationToken: cancel.Token)).Text);
    }

    [Fact]
    public async Task Models_lists_the_configured_ids()
    {
        await using var server = await FakeOpenAiServer.StartAsync(new FakeOpenAiOptions { Models = ["fake-model", "fake-large"] });
        using var cancel = new CancellationTokenSource(FakeModel.Timeout);

        var models = await FakeModel.OpenAi(server.BaseUrl).GetOpenAIModelClient().GetModelsAsync(cancel.Token);

        Assert.Equal(["fake-model", "fake-large"], models.Value.Select(m => m.Id));
        Assert.Equal("GET", Assert.Single(server.Requests).Method);
    }

    [Fact]
    public async Task Script_files_take_tool_arguments_as_objects_and_a_default_chunk_delay()
    {
        using var temp = TempDirectory.ForCaller();
        var path = temp.Combine("script.json");
        await File.WriteAllTextAsync(path, """
            {
              "chunkDelayMs": 5,
              "replies": [
                {"toolCalls": [{"name": "lookup", "arguments": {"q": "x", "n": 2}}]},
                {"text": "done", "failure": "errorEvent", "usage": {"promptTokens": 7, "completionTokens": 9}}
              ]
            }
            """);

        var options = FakeOpenAiScript.Load(path);

        Assert.Equal(5, options.ChunkDelayMs);
        Assert.Equal(2, options.Replies.Count);
        Assert.Equal("""{"q": "x", "n": 2}""", options.Replies[0].ToolCalls[0].Arguments);
        Assert.Equal(StreamFailure.ErrorEvent, options.Replies[1].Failure);
        Assert.Equal(new ScriptedUsage(7, 9), options.Replies[1].Usage);

        await File.WriteAllTextAsync(path, "{ not json");
        Assert.Throws<InvalidDataException>(() => FakeOpenAiScript.Load(path));
    }
}
