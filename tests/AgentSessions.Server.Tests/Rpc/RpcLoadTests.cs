using System.Text.Json;
using System.Text.Json.Nodes;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Server.Tests.Rpc;

/// <summary>session.load's compact form and its streamed ($/progress) form, through a real process and its pipes.</summary>
public sealed class RpcLoadTests
{
    /// <summary>Messages with every part kind and every optional field, as a client sends them (in the export format's canonical form: <c>isError</c> is always written).</summary>
    private static readonly JsonArray Sent = JsonNode.Parse("""
        [
          {"role":"user","content":"plain \"quoted\" <b>&amp;</b> `tick` émojis 🎉\nline two\ttab \u0001"},
          {"role":"assistant","authorName":"coder-agent","model":"claude-x","inputTokens":120,"outputTokens":45,"metadata":{"latencyMs":812,"tags":["a"]},
           "parts":[
             {"type":"text","text":"Let me look."},
             {"type":"reasoning","text":"thinking…","protectedData":"opaque-signature"},
             {"type":"toolCall","callId":"call_1","name":"read_file","arguments":{"path":"/etc/hosts","lines":[1,2],"deep":{"x":null}}},
             {"type":"toolCall","callId":"call_0","name":"now"},
             {"type":"data","data":"AAEC/w==","mediaType":"image/png","name":"pixel.png"},
             {"type":"data","data":"3q2+7w==","mediaType":"application/octet-stream"},
             {"type":"uri","uri":"https://example.com/a?b=c","mediaType":"text/html"}
           ]},
          {"role":"tool","parts":[
             {"type":"toolResult","callId":"call_1","result":"127.0.0.1 localhost","isError":false},
             {"type":"toolResult","callId":"call_2","result":{"code":2,"why":["x"]},"isError":true}
           ]},
          {"role":"tool","parts":[{"type":"toolResult","callId":"call_3","result":"BIG_Y","isError":false}]},
          {"role":"system","content":"BIG_Z"},
          {"role":"assistant","parts":[{"type":"reasoning","text":"only reasoning"}],"outputTokens":3}
        ]
        """.Replace("BIG_Y", new string('y', 20_000), StringComparison.Ordinal).Replace("BIG_Z", new string('z', 20_000), StringComparison.Ordinal))!.AsArray();

    [Fact]
    public async Task Compact_load_round_trips_every_part_kind_and_field_exactly()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);
        await rpc.ResultAsync("session.create", new { id = "c" });
        await rpc.ResultAsync("session.append", new { messages = Sent });

        var full = await rpc.ResultAsync("session.load", new { id = "c" });
        var compact = await rpc.ResultAsync("session.load", new { id = "c", compact = true });

        // The session's fields and history are the same in both forms; only the messages differ.
        var head = full.EnumerateObject().Where(p => p.Name != "messages").Select(p => p.Name).ToList();
        Assert.Equal(head, compact.EnumerateObject().Where(p => p.Name != "messages").Select(p => p.Name));
        foreach (var name in head)
        {
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(full.GetProperty(name).GetRawText()), JsonNode.Parse(compact.GetProperty(name).GetRawText())), name);
        }

        var fullMessages = full.GetProperty("messages").EnumerateArray().ToList();
        var compactMessages = compact.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(Sent.Count, compactMessages.Count);
        for (var i = 0; i < Sent.Count; i++)
        {
            var sent = Sent[i]!.AsObject();
            var message = JsonNode.Parse(compactMessages[i].GetRawText())!.AsObject();

            // The parts are exactly what was sent (content given as text is one text part).
            var parts = sent["parts"] ?? new JsonArray(new JsonObject { ["type"] = "text", ["text"] = sent["content"]!.GetValue<string>() });
            Assert.True(JsonNode.DeepEquals(parts, message["parts"]), $"message {i + 1}: {message["parts"]!.ToJsonString()}");
            Assert.Equal(sent["role"]!.GetValue<string>(), message["role"]!.GetValue<string>());
            Assert.Equal(i + 1, message["seq"]!.GetValue<long>());
            Assert.True(JsonNode.DeepEquals(sent["authorName"], message["authorName"]));
            Assert.True(JsonNode.DeepEquals(sent["model"], message["model"]));
            Assert.True(JsonNode.DeepEquals(sent["inputTokens"], message["inputTokens"]));
            Assert.True(JsonNode.DeepEquals(sent["outputTokens"], message["outputTokens"]));
            Assert.True(JsonNode.DeepEquals(sent["metadata"], message["metadata"]));

            // And it is the full form without "text" and without the fields that hold their defaults.
            var expected = JsonNode.Parse(fullMessages[i].GetRawText())!.AsObject();
            expected.Remove("text");
            foreach (var name in new[] { "inputTokens", "outputTokens" })
            {
                if (expected[name]!.GetValue<long>() == 0)
                {
                    expected.Remove(name);
                }
            }

            if (expected["metadata"] is JsonObject { Count: 0 })
            {
                expected.Remove("metadata");
            }

            Assert.True(JsonNode.DeepEquals(expected, message), $"message {i + 1}:\n{expected.ToJsonString()}\n{message.ToJsonString()}");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Streamed_load_sends_every_message_exactly_once_in_order(bool compact)
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);
        await rpc.ResultAsync("session.create", new { id = "s", title = "streamed" });
        // About 1.2 MB of messages: many chunks of 64 KiB.
        var messages = Enumerable.Range(1, 1_200).Select(i => new { role = i % 2 == 0 ? "assistant" : "user", content = $"message {i} " + new string((char)('a' + (i % 26)), 1_000) }).ToArray();
        await rpc.ResultAsync("session.append", new { messages });

        var (whole, wholeChunks) = await StreamedLoadAsync(rpc, new Dictionary<string, object> { ["id"] = "s", ["compact"] = compact, ["partialResultToken"] = "tok-1" }, "\"tok-1\"");
        Assert.Equal(Enumerable.Range(1, 1_200).Select(i => (long)i), whole.Seqs);
        Assert.True(wholeChunks > 10, $"{wholeChunks} chunks");
        Assert.Equal($"message 7 {new string('h', 1_000)}", whole.Texts[6]);
        Assert.Equal("streamed", whole.Result.GetProperty("title").GetString());
        Assert.Equal(1_200, whole.Result.GetProperty("messageCount").GetInt64());
        Assert.Equal(0, whole.Result.GetProperty("messages").GetArrayLength());

        // A range, with an integer token.
        var (page, _) = await StreamedLoadAsync(rpc, new Dictionary<string, object> { ["id"] = "s", ["compact"] = compact, ["from"] = 101, ["limit"] = 350, ["partialResultToken"] = 42 }, "42");
        Assert.Equal(Enumerable.Range(101, 350).Select(i => (long)i), page.Seqs);

        // Nothing to stream: no notification, just the response.
        await rpc.ResultAsync("session.create", new { id = "empty" });
        var (empty, emptyChunks) = await StreamedLoadAsync(rpc, new Dictionary<string, object> { ["id"] = "empty", ["compact"] = compact, ["partialResultToken"] = "e" }, "\"e\"");
        Assert.Empty(empty.Seqs);
        Assert.Equal(0, emptyChunks);

        // A failure before any message is read is a plain error response, with nothing streamed first.
        await rpc.SendFrameAsync(RpcProcess.Request(500, "session.load", new Dictionary<string, object> { ["id"] = "missing", ["compact"] = compact, ["partialResultToken"] = "m" }));
        var error = await rpc.ReadAsync();
        Assert.Equal(500, error.GetProperty("id").GetInt32());
        Assert.Equal(-32001, error.GetProperty("error").GetProperty("code").GetInt32());

        await rpc.ErrorAsync(-32602, "session.load", new Dictionary<string, object> { ["id"] = "s", ["partialResultToken"] = new { no = 1 } });
    }

    [Fact]
    public async Task A_damaged_stored_row_is_a_corrupt_error_and_never_a_broken_frame()
    {
        using var store = TempDirectory.ForCaller();
        await using (var rpc = RpcProcess.Start(store.Path))
        {
            await rpc.ResultAsync("session.create", new { id = "d" });
            await rpc.ResultAsync("session.append", new { messages = Sent });
        }

        // Cut the end off one message's stored parts, and damage another one's metadata, behind the store's back.
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(store.Path, "sessions.db")};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE messages SET parts = substr(parts, 1, length(parts) - 2) WHERE seq = 3; UPDATE messages SET metadata = '{\"latencyMs\":' WHERE seq = 2";
            Assert.Equal(2, command.ExecuteNonQuery());
        }

        await using var again = RpcProcess.Start(store.Path);
        foreach (var (from, seq) in new[] { (1L, 2), (3L, 3) })
        {
            var error = await again.ErrorAsync(-32005, "session.load", new { id = "d", compact = true, from });
            Assert.Contains($"message {seq}", error.GetProperty("message").GetString(), StringComparison.Ordinal);

            // Streamed, every frame before the error parses (ReadAsync fails on one that does not), then the error.
            await again.SendFrameAsync(RpcProcess.Request(700 + seq, "session.load", new Dictionary<string, object> { ["id"] = "d", ["compact"] = true, ["from"] = from, ["partialResultToken"] = "x" }));
            JsonElement frame;
            while ((frame = await again.ReadAsync()).TryGetProperty("method", out _))
            {
            }

            Assert.Equal(700 + seq, frame.GetProperty("id").GetInt32());
            Assert.Equal(-32005, frame.GetProperty("error").GetProperty("code").GetInt32());
        }

        // The rows after the damage still load, and the server goes on answering.
        var rest = await again.ResultAsync("session.load", new { id = "d", compact = true, from = 4 });
        Assert.Equal(Sent.Count - 3, rest.GetProperty("messages").GetArrayLength());
    }

    private sealed record Streamed(List<long> Seqs, List<string> Texts, JsonElement Result);

    /// <summary>Sends one session.load and reads its $/progress chunks up to the response, checking each chunk's token.</summary>
    private static async Task<(Streamed Load, int Chunks)> StreamedLoadAsync(RpcProcess rpc, Dictionary<string, object> parameters, string tokenJson)
    {
        var id = 1_000 + parameters.Count + parameters.GetHashCode() % 1_000;
        await rpc.SendFrameAsync(RpcProcess.Request(id, "session.load", parameters));
        var seqs = new List<long>();
        var texts = new List<string>();
        var chunks = 0;
        while (true)
        {
            var frame = await rpc.ReadAsync();
            if (frame.TryGetProperty("method", out var method))
            {
                Assert.Equal("$/progress", method.GetString());
                Assert.False(frame.TryGetProperty("id", out _));
                var p = frame.GetProperty("params");
                Assert.Equal(tokenJson, p.GetProperty("token").GetRawText());
                var chunk = p.GetProperty("value").GetProperty("messages");
                Assert.True(chunk.GetArrayLength() > 0);
                foreach (var message in chunk.EnumerateArray())
                {
                    seqs.Add(message.GetProperty("seq").GetInt64());
                    texts.Add(message.GetProperty("parts")[0].GetProperty("text").GetString()!);
                }

                chunks++;
                continue;
            }

            Assert.Equal(id, frame.GetProperty("id").GetInt32());
            Assert.False(frame.TryGetProperty("error", out var error), error.ToString());
            return (new Streamed(seqs, texts, frame.GetProperty("result")), chunks);
        }
    }
}
