using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace AgentSessions.FakeOpenAi;

/// <summary><c>POST /v1/chat/completions</c>: one scripted reply, as a chat.completion or as chat.completion.chunk events.</summary>
public sealed partial class FakeOpenAiServer
{
    private async Task ChatCompletionsAsync(HttpContext context)
    {
        var request = (RecordedRequest)context.Items[RequestKey]!;
        if (request.Body is not { ValueKind: JsonValueKind.Object } body || !body.TryGetProperty("messages", out var messages)
            || messages.ValueKind != JsonValueKind.Array)
        {
            await ErrorAsync(context, 400, "the body must be a JSON object with a messages array", "invalid_request_error");
            return;
        }

        var reply = NextReply(request);
        if (reply.StatusCode is { } status)
        {
            await ErrorAsync(context, status, reply.Text ?? "scripted error", status >= 500 ? "server_error" : "invalid_request_error");
            return;
        }

        var answer = new Answer(request, reply);
        if (!request.Stream)
        {
            if (reply.FailAfterChunks is not null)
            {
                context.Abort();
                return;
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(answer.Completion().ToJsonString(FakeOpenAiScript.WireOptions), context.RequestAborted);
            return;
        }

        var includeUsage = body.TryGetProperty("stream_options", out var streamOptions) && streamOptions.ValueKind == JsonValueKind.Object
            && streamOptions.TryGetProperty("include_usage", out var include) && include.ValueKind == JsonValueKind.True;
        try
        {
            await StreamAsync(context, answer, reply, includeUsage);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away mid-stream (a cancelled answer): nothing left to tell it.
        }
    }

    private async Task StreamAsync(HttpContext context, Answer answer, ScriptedReply reply, bool includeUsage)
    {
        var cancellationToken = context.RequestAborted;
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        await response.StartAsync(cancellationToken);

        async Task SendAsync(string data)
        {
            await response.WriteAsync($"data: {data}\n\n", cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
        }

        await SendAsync(answer.Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" }).ToJsonString(FakeOpenAiScript.WireOptions));
        var delay = TimeSpan.FromMilliseconds(reply.ChunkDelayMs ?? _options.ChunkDelayMs);
        var sent = 0;
        foreach (var delta in answer.Deltas())
        {
            if (sent == reply.FailAfterChunks)
            {
                await FailAsync(context, reply, sent, SendAsync);
                return;
            }

            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, cancellationToken);
            }

            await SendAsync(answer.Chunk(delta).ToJsonString(FakeOpenAiScript.WireOptions));
            sent++;
        }

        if (reply.FailAfterChunks is not null)
        {
            // Fewer chunks than the failure point: break off before the finish, so the answer is never complete.
            await FailAsync(context, reply, sent, SendAsync);
            return;
        }

        await SendAsync(answer.Chunk(new JsonObject(), answer.FinishReason).ToJsonString(FakeOpenAiScript.WireOptions));
        if (includeUsage)
        {
            var last = answer.Chunk(null);
            last["usage"] = answer.Usage();
            await SendAsync(last.ToJsonString(FakeOpenAiScript.WireOptions));
        }

        await SendAsync("[DONE]");
    }

    private static async Task FailAsync(HttpContext context, ScriptedReply reply, int sent, Func<string, Task> sendAsync)
    {
        if (reply.Failure == StreamFailure.ErrorEvent)
        {
            await sendAsync(ErrorJson($"scripted failure after {sent} chunks", "server_error", 500));
            return;
        }

        // Not context.Abort() alone: it resets the connection at once, and chunks Kestrel has not yet handed to the
        // socket are lost with it (the client then fails before the headers, and its retry policy sends the request
        // again). So: let the flushed chunks reach the socket, end the sending side (the client reads them, then an
        // end of stream inside the chunked body), wait for the client to give up, and only then reset.
        var socket = context.Features.Get<IConnectionSocketFeature>()?.Socket;
        await Task.Delay(TimeSpan.FromMilliseconds(100), CancellationToken.None);
        try
        {
            socket?.Shutdown(SocketShutdown.Send);
            await Task.Delay(TimeSpan.FromSeconds(5), context.RequestAborted).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed by the client.
        }

        context.Abort();
    }

    /// <summary>One reply rendered for one request: the ids, the chunks and the counts both shapes share.</summary>
    private sealed partial class Answer(RecordedRequest request, ScriptedReply reply)
    {
        private readonly string _id = $"chatcmpl-fake-{request.Sequence}";
        private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        private readonly string _model = request.Model ?? "fake-model";

        public string FinishReason => reply.FinishReason ?? (reply.ToolCalls.Count > 0 ? "tool_calls" : "stop");

        public JsonObject Completion()
        {
            var message = new JsonObject { ["role"] = "assistant", ["content"] = reply.Text, ["refusal"] = null };
            if (reply.ToolCalls.Count > 0)
            {
                var calls = new JsonArray();
                for (var i = 0; i < reply.ToolCalls.Count; i++)
                {
                    var call = reply.ToolCalls[i];
                    calls.Add(new JsonObject
                    {
                        ["id"] = CallId(i),
                        ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = call.Arguments },
                    });
                }

                message["tool_calls"] = calls;
            }

            return new JsonObject
            {
                ["id"] = _id,
                ["object"] = "chat.completion",
                ["created"] = _created,
                ["model"] = _model,
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0,
                    ["message"] = message,
                    ["logprobs"] = null,
                    ["finish_reason"] = FinishReason,
                }),
                ["usage"] = Usage(),
            };
        }

        /// <summary>A chat.completion.chunk with one choice carrying <paramref name="delta"/>, or with no choice when it is null.</summary>
        public JsonObject Chunk(JsonObject? delta, string? finishReason = null) => new()
        {
            ["id"] = _id,
            ["object"] = "chat.completion.chunk",
            ["created"] = _created,
            ["model"] = _model,
            ["choices"] = delta is null
                ? new JsonArray()
                : new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finishReason }),
        };

        /// <summary>The content deltas, then two per tool call (its id and name, then its arguments).</summary>
        public IEnumerable<JsonObject> Deltas()
        {
            foreach (var piece in Pieces(reply.Text ?? "", reply.Chunks))
            {
                yield return new JsonObject { ["content"] = piece };
            }

            for (var i = 0; i < reply.ToolCalls.Count; i++)
            {
                var call = reply.ToolCalls[i];
                yield return new JsonObject
                {
                    ["tool_calls"] = new JsonArray(new JsonObject
                    {
                        ["index"] = i,
                        ["id"] = CallId(i),
                        ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = "" },
                    }),
                };
                yield return new JsonObject
                {
                    ["tool_calls"] = new JsonArray(new JsonObject
                    {
                        ["index"] = i,
                        ["function"] = new JsonObject { ["arguments"] = call.Arguments },
                    }),
                };
            }
        }

        public JsonObject Usage()
        {
            var prompt = reply.Usage?.PromptTokens ?? request.Messages.Sum(m => WordCount(m.Text));
            var completion = reply.Usage?.CompletionTokens
                             ?? WordCount(reply.Text ?? "") + reply.ToolCalls.Sum(c => 1 + WordCount(c.Arguments));
            return new JsonObject
            {
                ["prompt_tokens"] = prompt,
                ["completion_tokens"] = completion,
                ["total_tokens"] = prompt + completion,
            };
        }

        private string CallId(int index) => reply.ToolCalls[index].Id ?? $"call_{request.Sequence}_{index}";

        /// <summary>
        /// Words with the space before them (trailing space on the last), grouped evenly into <paramref name="chunks"/>
        /// pieces: concatenated they give back the text exactly.
        /// </summary>
        private static List<string> Pieces(string text, int? chunks)
        {
            var words = Word().Matches(text).Select(m => m.Value).ToList();
            if (words.Count == 0)
            {
                return text.Length == 0 ? [] : [text];
            }

            var end = words.Sum(w => w.Length);
            words[^1] += text[end..];
            var count = Math.Clamp(chunks ?? words.Count, 1, words.Count);
            var pieces = new List<string>(count);
            for (var i = 0; i < count; i++)
            {
                var from = i * words.Count / count;
                var to = (i + 1) * words.Count / count;
                pieces.Add(string.Concat(words.Skip(from).Take(to - from)));
            }

            return pieces;
        }

        private static int WordCount(string text) => Word().Count(text);

        [GeneratedRegex(@"\s*\S+")]
        private static partial Regex Word();
    }
}
