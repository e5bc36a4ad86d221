using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AgentSessions.Server.Http;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Server.Tests.Api;

/// <summary>Every endpoint family of the HTTP API, against the real server on a loopback socket.</summary>
public sealed class ApiEndpointTests : IAsyncLifetime
{
    private const int Timeout = 60_000;
    private readonly TempDirectory _dir = TempDirectory.ForCaller();
    private ApiServer _server = null!;

    public async Task InitializeAsync() => _server = await ApiServer.StartAsync(_dir.Path);

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    [Fact(Timeout = Timeout)]
    public async Task Requests_without_the_right_token_get_401_with_a_bearer_challenge()
    {
        foreach (var (scheme, value) in new (string?, string?)[] { (null, null), ("Bearer", "wrong"), ("Bearer", _server.Token + "x"), ("Basic", _server.Token), ("Bearer", "") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/sessions");
            if (scheme is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", $"{scheme} {value}");
            }

            using var response = await _server.Anonymous.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
            Assert.Equal("Unauthorized", error.GetProperty("code").GetString());
            Assert.DoesNotContain(_server.Token, error.GetProperty("message").GetString()!, StringComparison.Ordinal);
        }

        // Unknown paths and wrong methods are behind the token too: nothing about the API leaks without it.
        using (var unknown = await _server.Anonymous.GetAsync("/api/no-such-thing"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        }

        using (var delete = await _server.Anonymous.DeleteAsync("/api/sessions/x"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, delete.StatusCode);
        }

        // The scheme is case-insensitive (RFC 7235); the token is not.
        using var lower = new HttpRequestMessage(HttpMethod.Get, "/api/info");
        lower.Headers.TryAddWithoutValidation("Authorization", "bearer " + _server.Token);
        using (var ok = await _server.Anonymous.SendAsync(lower))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var upper = new HttpRequestMessage(HttpMethod.Get, "/api/info");
        upper.Headers.TryAddWithoutValidation("Authorization", "Bearer " + _server.Token.ToUpperInvariant());
        using (var wrongCase = await _server.Anonymous.SendAsync(upper))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrongCase.StatusCode);
        }
    }

    [Fact(Timeout = Timeout)]
    public async Task Responses_carry_the_security_headers()
    {
        using var anonymous = await _server.Anonymous.GetAsync("/api/info");
        using var ok = await _server.Client.GetAsync("/api/info");
        foreach (var response in new[] { anonymous, ok })
        {
            Assert.Equal(ServerHost.ContentSecurityPolicy, Assert.Single(response.Headers.GetValues("Content-Security-Policy")));
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        }
    }

    [Fact(Timeout = Timeout)]
    public async Task Sessions_are_created_listed_changed_and_deleted()
    {
        using (var created = await _server.SendAsync(HttpMethod.Post, "/api/sessions", new { id = "s1", title = "First", model = "m1", projectPath = "/p", tags = new[] { "work" }, metadata = new { k = 1 } }))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal("/api/sessions/s1", created.Headers.Location?.OriginalString);
            var session = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("First", session.GetProperty("title").GetString());
            Assert.Equal("m1", session.GetProperty("model").GetString());
            Assert.Equal(1, session.GetProperty("metadata").GetProperty("k").GetInt32());
            Assert.Equal(0, session.GetProperty("messageCount").GetInt64());
        }

        var generated = await _server.CreateSessionAsync();
        Assert.StartsWith("session-", generated, StringComparison.Ordinal);
        await _server.CreateSessionAsync(new { id = "s3", title = "Third thing", pinned = true });

        var all = await _server.GetAsync("/api/sessions");
        Assert.Equal(3, all.GetProperty("sessions").GetArrayLength());
        Assert.False(all.GetProperty("hasMore").GetBoolean());
        var page = await _server.GetAsync("/api/sessions?limit=2&offset=0");
        Assert.Equal(2, page.GetProperty("sessions").GetArrayLength());
        Assert.True(page.GetProperty("hasMore").GetBoolean());
        Assert.Equal(["s1"], Ids(await _server.GetAsync("/api/sessions?tag=work")));
        Assert.Equal(["s3"], Ids(await _server.GetAsync("/api/sessions?pinned=true")));
        Assert.Equal(["s3"], Ids(await _server.GetAsync("/api/sessions?title=third")));
        Assert.Equal(["s1"], Ids(await _server.GetAsync("/api/sessions?project=%2Fp")));

        var renamed = await _server.JsonAsync(HttpMethod.Patch, "/api/sessions/s1", new { title = "  Renamed  ", addTags = new[] { "b", "a" }, removeTags = new[] { "work" }, pinned = true });
        Assert.Equal("Renamed", renamed.GetProperty("title").GetString());
        Assert.Equal(["a", "b"], renamed.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.True(renamed.GetProperty("pinned").GetBoolean());
        var unpinned = await _server.JsonAsync(HttpMethod.Patch, "/api/sessions/s1", new { pinned = false });
        Assert.False(unpinned.GetProperty("pinned").GetBoolean());
        Assert.Equal("Renamed", unpinned.GetProperty("title").GetString());
        await _server.ErrorAsync(HttpMethod.Patch, "/api/sessions/s1", new { title = " \t" }, 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Patch, "/api/sessions/s1", new { }, 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Patch, "/api/sessions/nope", new { title = "x" }, 404, "NotFound");

        using (var deleted = await _server.SendAsync(HttpMethod.Delete, "/api/sessions/s1"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        await _server.ErrorAsync(HttpMethod.Delete, "/api/sessions/s1", null, 404, "NotFound");
        await _server.ErrorAsync(HttpMethod.Get, "/api/sessions/s1", null, 404, "NotFound");
        await _server.ErrorAsync(HttpMethod.Post, "/api/sessions", new { id = "s3" }, 409, "Conflict");
        await _server.ErrorAsync(HttpMethod.Post, "/api/sessions", new { id = "bad id!" }, 400, "InvalidId");
        await _server.ErrorAsync(HttpMethod.Get, "/api/sessions?limit=many", null, 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Get, "/api/sessions?pinned=maybe", null, 400, "InvalidArgument");
    }

    [Fact(Timeout = Timeout)]
    public async Task Messages_are_appended_one_or_several_as_content_or_parts()
    {
        var id = await _server.CreateSessionAsync(new { id = "chat" });
        var one = await _server.PostAsync($"/api/sessions/{id}/messages", new { role = "user", content = "How do I list files?", authorName = "ann", inputTokens = 3 }, 201);
        Assert.Equal(1, one.GetProperty("messages")[0].GetProperty("seq").GetInt64());
        Assert.Equal("How do I list files?", one.GetProperty("session").GetProperty("title").GetString());

        var several = await _server.PostAsync($"/api/sessions/{id}/messages", """
            {"messages": [
              {"role": "assistant", "parts": [{"type": "toolCall", "callId": "c1", "name": "ls", "arguments": {"path": "."}}], "model": "m", "outputTokens": 5},
              {"role": "tool", "parts": [{"callId": "c1", "result": "a.txt", "type": "toolResult"}]},
              {"role": "assistant", "content": "There is a.txt."}
            ]}
            """, 201);
        Assert.Equal([2L, 3, 4], several.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("seq").GetInt64()));
        Assert.Equal(4, several.GetProperty("session").GetProperty("messageCount").GetInt64());

        var array = await _server.PostAsync($"/api/sessions/{id}/messages", new[] { new { role = "user", content = "thanks" }, new { role = "assistant", content = "you're welcome" } }, 201);
        Assert.Equal(2, array.GetProperty("messages").GetArrayLength());

        var show = await _server.GetAsync($"/api/sessions/{id}");
        var messages = show.GetProperty("messages");
        Assert.Equal(6, messages.GetArrayLength());
        Assert.Equal("ann", messages[0].GetProperty("authorName").GetString());
        Assert.Equal("toolCall", messages[1].GetProperty("parts")[0].GetProperty("type").GetString());
        Assert.Equal(".", messages[1].GetProperty("parts")[0].GetProperty("arguments").GetProperty("path").GetString());
        Assert.Equal("tool", messages[2].GetProperty("role").GetString());

        var tail = await _server.GetAsync($"/api/sessions/{id}/messages?from=5&limit=1");
        Assert.Equal("thanks", Assert.Single(tail.GetProperty("messages").EnumerateArray()).GetProperty("text").GetString());
        var window = await _server.GetAsync($"/api/sessions/{id}?from=2&limit=2");
        Assert.Equal([2L, 3], window.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("seq").GetInt64()));

        await _server.ErrorAsync(HttpMethod.Post, $"/api/sessions/{id}/messages", new { content = "no role" }, 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Post, $"/api/sessions/{id}/messages", new { role = "robot", content = "x" }, 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Post, $"/api/sessions/{id}/messages", new { role = "user" }, 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Post, $"/api/sessions/{id}/messages", new { role = "user", content = "" }, 400, "InvalidArgument");
        // A part without its "type" (found by the fuzzer in the JSON readers) is a 400, not a 500.
        await _server.ErrorAsync(HttpMethod.Post, $"/api/sessions/{id}/messages", new { role = "user", parts = new[] { new { text = "untyped" } } }, 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Post, $"/api/sessions/{id}/messages", """{"role":"user","content":"x","parts":[{"type":"text","text":"y"}]}""", 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Post, $"/api/sessions/{id}/messages", """{"role":"user","parts":[{"type":"nonsense"}]}""", 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Post, $"/api/sessions/{id}/messages", """{"messages": []}""", 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Post, $"/api/sessions/{id}/messages", """{"role": "user", "content": "x""", 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Post, $"/api/sessions/{id}/messages", "42", 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Post, $"/api/sessions/{id}/messages", null, 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Post, "/api/sessions/ghost/messages", new { role = "user", content = "x" }, 404, "NotFound");
        // A failed batch stores nothing.
        await _server.ErrorAsync(HttpMethod.Post, $"/api/sessions/{id}/messages", new object[] { new { role = "user", content = "ok" }, new { role = "user", content = "bad", inputTokens = -1 } }, 400, "InvalidArgument");
        Assert.Equal(6, (await _server.GetAsync($"/api/sessions/{id}")).GetProperty("messageCount").GetInt64());
    }

    [Fact(Timeout = Timeout)]
    public async Task Messages_come_a_bounded_page_at_a_time_and_next_reaches_every_message_exactly_once()
    {
        const int Count = 450;
        var id = (await _server.Store.CreateAsync(new NewSession { Title = "long" })).Id;
        for (var done = 0; done < Count; done += 150)
        {
            await _server.Store.AppendAsync(id, [.. Enumerable.Range(done + 1, 150).Select(i => new NewMessage(MessageRole.User, $"m{i}"))]);
        }

        // By default: the newest page, and a link to the earlier ones, in the body and in a Link header.
        using (var response = await _server.Client.GetAsync($"/api/sessions/{id}/messages"))
        {
            var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(Enumerable.Range(251, 200).Select(i => (long)i), page.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("seq").GetInt64()));
            Assert.True(page.GetProperty("hasMore").GetBoolean());
            var next = page.GetProperty("next").GetString();
            Assert.Equal($"/api/sessions/{id}/messages?before=251&limit=200", next);
            Assert.Equal($"<{next}>; rel=\"next\"", Assert.Single(response.Headers.GetValues("Link")));
        }

        // Following next, back from the newest (the default, or before=) or on from a sequence number, reaches each message once.
        foreach (var (start, limit, expected) in new[]
        {
            ($"/api/sessions/{id}/messages", 200, Count),
            ($"/api/sessions/{id}/messages?from=1&limit=1000", 1000, Count),
            ($"/api/sessions/{id}/messages?before=400&limit=7", 7, 399),
        })
        {
            var seen = new List<long>();
            string? url = start;
            while (url is not null)
            {
                var page = await _server.GetAsync(url);
                var seqs = page.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("seq").GetInt64()).ToList();
                Assert.InRange(seqs.Count, 1, limit);
                seen.AddRange(seqs);
                url = page.TryGetProperty("next", out var next) ? next.GetString() : null;
                Assert.Equal(url is not null, page.GetProperty("hasMore").GetBoolean());
            }

            Assert.Equal(Enumerable.Range(1, expected).Select(i => (long)i), seen.Order());
            Assert.Equal(seen.Count, seen.Distinct().Count());
        }

        var last = await _server.GetAsync($"/api/sessions/{id}/messages?from=441&limit=10");
        Assert.Equal(10, last.GetProperty("messages").GetArrayLength());
        Assert.False(last.GetProperty("hasMore").GetBoolean());
        await _server.ErrorAsync(HttpMethod.Get, $"/api/sessions/{id}/messages?limit=1001", null, 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Get, $"/api/sessions/{id}/messages?limit=0", null, 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Get, $"/api/sessions/{id}/messages?from=1&before=5", null, 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Get, "/api/sessions/ghost/messages", null, 404, "NotFound");
    }

    [Fact(Timeout = Timeout)]
    public async Task Search_finds_messages_with_filters()
    {
        var a = await _server.CreateSessionAsync(new { id = "a", tags = new[] { "t" } });
        var b = await _server.CreateSessionAsync(new { id = "b" });
        await _server.PostAsync($"/api/sessions/{a}/messages", new[] { new { role = "user", content = "kestrel sockets please" }, new { role = "assistant", content = "kestrel answers" } }, 201);
        await _server.PostAsync($"/api/sessions/{b}/messages", new { role = "user", content = "kestrel again" }, 201);

        Assert.Equal(3, (await _server.GetAsync("/api/search?q=kestrel")).GetProperty("hits").GetArrayLength());
        var assistant = (await _server.GetAsync("/api/search?q=kestrel&role=assistant")).GetProperty("hits");
        Assert.Equal("assistant", Assert.Single(assistant.EnumerateArray()).GetProperty("role").GetString());
        Assert.All((await _server.GetAsync("/api/search?q=kestrel&session=b")).GetProperty("hits").EnumerateArray(), h => Assert.Equal("b", h.GetProperty("sessionId").GetString()));
        Assert.All((await _server.GetAsync("/api/search?q=kestrel&tag=t")).GetProperty("hits").EnumerateArray(), h => Assert.Equal("a", h.GetProperty("sessionId").GetString()));
        Assert.Single((await _server.GetAsync("/api/search?q=kestrel&limit=1")).GetProperty("hits").EnumerateArray());
        Assert.Equal(3, (await _server.GetAsync("/api/search?q=kestrel&exhaustive=true")).GetProperty("hits").GetArrayLength());
        Assert.Equal(3, (await _server.GetAsync("/api/search?q=kestrel&since=1h")).GetProperty("hits").GetArrayLength());
        Assert.Equal(0, (await _server.GetAsync("/api/search?q=kestrel&since=2999-01-01")).GetProperty("hits").GetArrayLength());
        var hit = (await _server.GetAsync("/api/search?q=sockets")).GetProperty("hits")[0];
        Assert.Equal(1, hit.GetProperty("seq").GetInt64());
        Assert.Contains("sockets", hit.GetProperty("snippet").GetString(), StringComparison.Ordinal);

        await _server.ErrorAsync(HttpMethod.Get, "/api/search", null, 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Get, "/api/search?q=x&role=robot", null, 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Get, "/api/search?q=x&since=yesterdayish", null, 400, "InvalidArgument");
    }

    [Fact(Timeout = Timeout)]
    public async Task Search_with_a_hostile_query_answers_or_refuses_instead_of_hanging()
    {
        // Sixty copies of a one-letter word over a 100,000-word message pinned a CPU for minutes before the
        // search bound; the client's own timeout (30 s) fails this test if the server hangs.
        var id = await _server.CreateSessionAsync(new { id = "huge" });
        await _server.PostAsync($"/api/sessions/{id}/messages", new { role = "tool", content = string.Join(' ', Enumerable.Repeat("a", 100_000)) }, 201);

        var hits = (await _server.GetAsync("/api/search?q=" + string.Join('+', Enumerable.Repeat("a", 60)))).GetProperty("hits");
        Assert.Equal("huge", Assert.Single(hits.EnumerateArray()).GetProperty("sessionId").GetString());

        var tooMany = await _server.ErrorAsync(HttpMethod.Get, "/api/search?q=" + string.Join('+', Enumerable.Range(0, 40).Select(i => $"w{i}")), null, 400, "InvalidArgument");
        Assert.Contains("at most 32", tooMany, StringComparison.Ordinal);
    }

    [Fact(Timeout = Timeout)]
    public async Task Export_serves_every_format_with_its_content_type()
    {
        var id = await _server.CreateSessionAsync(new { id = "exp", title = "Export <me>" });
        await _server.PostAsync($"/api/sessions/{id}/messages", new[] { new { role = "user", content = "question" }, new { role = "assistant", content = "answer" } }, 201);

        var expected = new Dictionary<string, string>
        {
            ["json"] = "application/json",
            ["jsonl"] = "application/x-ndjson",
            ["markdown"] = "text/markdown",
            ["html"] = "text/html",
            ["base64"] = "text/plain",
        };
        var bodies = new Dictionary<string, string>();
        foreach (var (format, type) in expected)
        {
            using var response = await _server.Client.GetAsync($"/api/sessions/{id}/export?format={format}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("attachment", response.Content.Headers.ContentDisposition?.DispositionType);
            Assert.StartsWith("exp.", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'), StringComparison.Ordinal);
            bodies[format] = await response.Content.ReadAsStringAsync();
            Assert.Equal(Encoding.UTF8.GetByteCount(bodies[format]), response.Content.Headers.ContentLength);
        }

        var json = JsonDocument.Parse(bodies["json"]).RootElement;
        Assert.Equal("agent-sessions", json.GetProperty("format").GetString());
        Assert.Equal(2, json.GetProperty("messages").GetArrayLength());
        Assert.Equal(3, bodies["jsonl"].Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("answer", bodies["markdown"], StringComparison.Ordinal);
        Assert.Contains("Export &lt;me&gt;", bodies["html"], StringComparison.Ordinal);
        var decoded = JsonDocument.Parse(Convert.FromBase64String(bodies["base64"])).RootElement;
        Assert.Equal("exp", decoded.GetProperty("session").GetProperty("id").GetString());

        using (var byDefault = await _server.Client.GetAsync($"/api/sessions/{id}/export"))
        {
            Assert.Equal("application/json", byDefault.Content.Headers.ContentType?.MediaType);
        }

        await _server.ErrorAsync(HttpMethod.Get, $"/api/sessions/{id}/export?format=pdf", null, 400, "InvalidArgument");
        using (var missing = await _server.Client.GetAsync("/api/sessions/nope/export?format=html"))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal("application/json", missing.Content.Headers.ContentType?.MediaType);
            Assert.Null(missing.Content.Headers.ContentDisposition);
        }
    }

    [Fact(Timeout = Timeout)]
    public async Task Import_takes_our_formats_and_foreign_ones()
    {
        var id = await _server.CreateSessionAsync(new { id = "orig", title = "Original" });
        await _server.PostAsync($"/api/sessions/{id}/messages", new { role = "user", content = "hello import" }, 201);
        await _server.PostAsync($"/api/sessions/{id}/snapshots", new { name = "v1" }, 201);
        var json = await (await _server.Client.GetAsync($"/api/sessions/{id}/export?format=json")).Content.ReadAsByteArrayAsync();
        var base64 = await (await _server.Client.GetAsync($"/api/sessions/{id}/export?format=base64")).Content.ReadAsByteArrayAsync();

        // The same id is taken: a conflict, unless stored under another id or replacing.
        await _server.ErrorAsync(HttpMethod.Post, "/api/import", json, 409, "Conflict");
        var copy = await _server.PostAsync("/api/import?as=copy", json, 201);
        var imported = Assert.Single(copy.GetProperty("imported").EnumerateArray());
        Assert.Equal("copy", imported.GetProperty("sessionId").GetString());
        Assert.Equal("agent-sessions", imported.GetProperty("format").GetString());
        Assert.Equal("upload", imported.GetProperty("source").GetString());
        var show = await _server.GetAsync("/api/sessions/copy");
        Assert.Equal("hello import", show.GetProperty("messages")[0].GetProperty("text").GetString());
        Assert.Equal("v1", show.GetProperty("snapshots")[0].GetProperty("name").GetString());
        Assert.Equal(201, (int)(await _server.SendAsync(HttpMethod.Post, "/api/import?as=from-b64&name=x.b64", base64)).StatusCode);
        Assert.Equal(200, (int)(await _server.SendAsync(HttpMethod.Get, "/api/sessions/from-b64")).StatusCode);
        Assert.Equal(201, (int)(await _server.SendAsync(HttpMethod.Post, "/api/import?replace=true", json)).StatusCode);

        // A foreign format, detected from the content.
        var fixture = SeedFixtures.Path("openagent-terminal", "sessions", "2026-11-21_042521.json");
        var foreign = await _server.PostAsync("/api/import?timezone=UTC&name=2026-11-21_042521.json", await File.ReadAllBytesAsync(fixture), 201);
        var item = Assert.Single(foreign.GetProperty("imported").EnumerateArray());
        Assert.Equal("openagent-terminal", item.GetProperty("format").GetString());
        Assert.Equal("2026-11-21_042521.json", item.GetProperty("source").GetString());
        Assert.Equal(4, (await _server.GetAsync($"/api/sessions/{item.GetProperty("sessionId").GetString()}")).GetProperty("messageCount").GetInt64());
        // The same file again is recognised.
        var again = await _server.ErrorAsync(HttpMethod.Post, "/api/import?timezone=UTC", await File.ReadAllBytesAsync(fixture), 409, "Conflict");
        Assert.Contains("already imported", again, StringComparison.Ordinal);
        Assert.DoesNotContain(Path.GetTempPath(), again, StringComparison.Ordinal);

        await _server.ErrorAsync(HttpMethod.Post, "/api/import", "this is not a session", 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Post, "/api/import", """{"format": "agent-sessions", "version": 99}""", 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Post, "/api/import", Array.Empty<byte>(), 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Post, "/api/import?as=bad%20id", json, 400, "InvalidId");
        await _server.ErrorAsync(HttpMethod.Post, "/api/import?timezone=Mars%2FOlympus", json, 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Post, "/api/import?format=nope", json, 400, "InvalidArgument");
    }

    [Fact(Timeout = Timeout)]
    public async Task History_fork_snapshot_restore_undo_redo_bookmarks_tools_files()
    {
        var id = await _server.CreateSessionAsync(new { id = "h" });
        await _server.PostAsync($"/api/sessions/{id}/messages", new[] { new { role = "user", content = "one" }, new { role = "assistant", content = "1" } }, 201);
        var snapshot = await _server.PostAsync($"/api/sessions/{id}/snapshots", new { name = "two-messages", description = "start" }, 201);
        Assert.Equal(2, snapshot.GetProperty("messageCount").GetInt64());
        await _server.ErrorAsync(HttpMethod.Post, $"/api/sessions/{id}/snapshots", new { name = "two-messages" }, 409, "Conflict");
        await _server.ErrorAsync(HttpMethod.Post, $"/api/sessions/{id}/snapshots", new { }, 400, "InvalidArgument");
        await _server.PostAsync($"/api/sessions/{id}/messages", new[] { new { role = "user", content = "two" }, new { role = "assistant", content = "2" } }, 201);

        var bookmark = await _server.PostAsync($"/api/sessions/{id}/bookmarks", new { name = "first-answer", at = 2, note = "here" }, 201);
        Assert.Equal(2, bookmark.GetProperty("sequence").GetInt64());
        Assert.Single((await _server.GetAsync($"/api/sessions/{id}/bookmarks")).EnumerateArray());
        Assert.Single((await _server.GetAsync($"/api/sessions/{id}/snapshots")).EnumerateArray());

        var tool = await _server.PostAsync($"/api/sessions/{id}/tools", new { toolName = "ls", arguments = new { path = "." }, result = "a.txt", durationMs = 5, sequence = 2 }, 201);
        Assert.StartsWith("exec-", tool.GetProperty("id").GetString(), StringComparison.Ordinal);
        await _server.ErrorAsync(HttpMethod.Post, $"/api/sessions/{id}/tools", new { result = "x" }, 400, "InvalidArgument");
        var file = await _server.PostAsync($"/api/sessions/{id}/files", new { path = "src/a.cs", kind = "created", agentName = "bot" }, 201);
        Assert.Equal("created", file.GetProperty("kind").GetString());
        await _server.ErrorAsync(HttpMethod.Post, $"/api/sessions/{id}/files", new { path = "x", kind = "deleted" }, 400, "InvalidArgument");

        var undone = await _server.PostAsync($"/api/sessions/{id}/undo");
        Assert.Equal(2, undone.GetProperty("session").GetProperty("messageCount").GetInt64());
        Assert.Equal(2, undone.GetProperty("hiddenMessages").GetInt64());
        var redone = await _server.PostAsync($"/api/sessions/{id}/redo");
        Assert.Equal(4, redone.GetProperty("session").GetProperty("messageCount").GetInt64());
        await _server.ErrorAsync(HttpMethod.Post, $"/api/sessions/{id}/redo", null, 409, "Conflict");
        var restored = await _server.PostAsync($"/api/sessions/{id}/snapshots/two-messages/restore");
        Assert.Equal(2, restored.GetProperty("session").GetProperty("messageCount").GetInt64());
        await _server.ErrorAsync(HttpMethod.Post, $"/api/sessions/{id}/snapshots/nope/restore", null, 404, "NotFound");
        await _server.PostAsync($"/api/sessions/{id}/redo");

        var fork = await _server.PostAsync($"/api/sessions/{id}/fork", new { at = 2, id = "h-fork", title = "Forked" }, 201);
        Assert.Equal("h", fork.GetProperty("parentId").GetString());
        Assert.Equal(2, fork.GetProperty("messageCount").GetInt64());
        var defaultFork = await _server.PostAsync($"/api/sessions/{id}/fork", null, 201);
        Assert.Equal(4, defaultFork.GetProperty("messageCount").GetInt64());
        Assert.Equal(2, (await _server.GetAsync($"/api/sessions?forksOf={id}")).GetProperty("sessions").GetArrayLength());

        var show = await _server.GetAsync($"/api/sessions/{id}");
        Assert.Equal(2, show.GetProperty("forks").GetArrayLength());
        Assert.Equal("two-messages", show.GetProperty("snapshots")[0].GetProperty("name").GetString());
        Assert.Equal("first-answer", show.GetProperty("bookmarks")[0].GetProperty("name").GetString());
        Assert.Equal("ls", show.GetProperty("toolExecutions")[0].GetProperty("toolName").GetString());
        Assert.Equal("src/a.cs", show.GetProperty("files")[0].GetProperty("path").GetString());
        Assert.Contains("bot", show.GetProperty("agentsUsed").EnumerateArray().Select(a => a.GetString()));
        Assert.False(show.GetProperty("canRedo").GetBoolean());
        Assert.Equal(4, show.GetProperty("messages").GetArrayLength());
        await _server.ErrorAsync(HttpMethod.Post, "/api/sessions/nope/undo", null, 404, "NotFound");
        await _server.ErrorAsync(HttpMethod.Post, $"/api/sessions/{id}/fork", new { at = 99 }, 400, "InvalidArgument");
    }

    [Fact(Timeout = Timeout)]
    public async Task Shares_are_created_listed_and_revoked()
    {
        var id = await _server.CreateSessionAsync(new { id = "shared" });
        var other = await _server.CreateSessionAsync(new { id = "other" });
        var share = await _server.PostAsync($"/api/sessions/{id}/shares", new { expiresIn = "7d", allowFork = false }, 201);
        var token = share.GetProperty("token").GetString()!;
        Assert.Equal(43, token.Length);
        Assert.Equal($"{_server.Url}/s/{token}", share.GetProperty("url").GetString());
        Assert.Equal("unlisted", share.GetProperty("visibility").GetString());
        Assert.False(share.GetProperty("allowFork").GetBoolean());
        Assert.True(share.GetProperty("showHistory").GetBoolean());
        Assert.InRange(share.GetProperty("expiresAt").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddDays(6.9), DateTimeOffset.UtcNow.AddDays(7.1));

        var secret = await _server.PostAsync($"/api/sessions/{other}/shares", new { visibility = "private", password = "hunter2", showHistory = false }, 201);
        Assert.True(secret.GetProperty("hasPassword").GetBoolean());
        Assert.DoesNotContain("hunter2", secret.GetRawText(), StringComparison.Ordinal);
        Assert.DoesNotContain("pbkdf2", secret.GetRawText(), StringComparison.Ordinal);
        await _server.PostAsync($"/api/sessions/{id}/shares", new { visibility = "public" }, 201);

        await _server.ErrorAsync(HttpMethod.Post, $"/api/sessions/{id}/shares", new { visibility = "private" }, 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Post, $"/api/sessions/{id}/shares", new { password = "x" }, 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Post, $"/api/sessions/{id}/shares", new { visibility = "everyone" }, 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Post, $"/api/sessions/{id}/shares", new { expiresIn = "soon" }, 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Post, "/api/sessions/nope/shares", new { }, 404, "NotFound");

        Assert.Equal(3, (await _server.GetAsync("/api/shares")).GetProperty("shares").GetArrayLength());
        Assert.Equal(2, (await _server.GetAsync($"/api/shares?session={id}")).GetProperty("shares").GetArrayLength());
        Assert.Equal(2, (await _server.GetAsync($"/api/sessions/{id}/shares")).GetProperty("shares").GetArrayLength());
        Assert.DoesNotContain("pbkdf2", (await _server.GetAsync("/api/shares")).GetRawText(), StringComparison.Ordinal);

        using (var revoked = await _server.SendAsync(HttpMethod.Delete, $"/api/shares/{token}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        }

        await _server.ErrorAsync(HttpMethod.Delete, $"/api/shares/{token}", null, 404, "NotFound");
        await _server.ErrorAsync(HttpMethod.Delete, "/api/shares/short", null, 404, "NotFound");
        Assert.Equal(2, (await _server.GetAsync("/api/shares")).GetProperty("shares").GetArrayLength());
        var withRevoked = (await _server.GetAsync("/api/shares?includeRevoked=true")).GetProperty("shares");
        Assert.Equal(3, withRevoked.GetArrayLength());
        Assert.Contains(withRevoked.EnumerateArray(), s => s.TryGetProperty("revokedAt", out _));
    }

    [Fact(Timeout = Timeout)]
    public async Task Stats_info_and_doctor_describe_the_store()
    {
        var id = await _server.CreateSessionAsync(new { model = "gpt" });
        await _server.PostAsync($"/api/sessions/{id}/messages", new { role = "assistant", content = "x", inputTokens = 7, outputTokens = 11 }, 201);
        var stats = await _server.GetAsync("/api/stats");
        Assert.Equal(1, stats.GetProperty("sessions").GetInt64());
        Assert.Equal(7, stats.GetProperty("inputTokens").GetInt64());
        Assert.Equal(11, stats.GetProperty("outputTokens").GetInt64());
        Assert.Equal("gpt", stats.GetProperty("byModel")[0].GetProperty("key").GetString());
        Assert.Equal(0, (await _server.GetAsync("/api/stats?since=2999-01-01")).GetProperty("messages").GetInt64());
        await _server.ErrorAsync(HttpMethod.Get, "/api/stats?since=whenever", null, 400, "InvalidArgument");

        var info = await _server.GetAsync("/api/info");
        Assert.Equal("sqlite", info.GetProperty("backend").GetString());
        Assert.Equal(1, info.GetProperty("sessionCount").GetInt64());
        Assert.Equal(1, info.GetProperty("messageCount").GetInt64());

        Assert.True((await _server.GetAsync("/api/doctor")).GetProperty("checks").GetArrayLength() > 0);
        Assert.True((await _server.PostAsync("/api/doctor")).GetProperty("checks").GetArrayLength() > 0);
    }

    [Fact(Timeout = Timeout)]
    public async Task Bad_requests_get_json_errors_never_stack_traces()
    {
        await _server.CreateSessionAsync(new { id = "e" });
        var unknownField = await _server.ErrorAsync(HttpMethod.Post, "/api/sessions", new { titel = "typo" }, 400, "InvalidArgument");
        Assert.Contains("titel", unknownField, StringComparison.Ordinal);
        await _server.ErrorAsync(HttpMethod.Post, "/api/sessions", "{not json", 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Post, "/api/sessions", """{"tags": "not-a-list"}""", 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Post, "/api/sessions", """{"tags": ["white space"]}""", 400, "InvalidArgument");
        await _server.ErrorAsync(HttpMethod.Get, "/api/sessions/bad..id!", null, 400, "InvalidId");
        await _server.ErrorAsync(HttpMethod.Get, "/api/no-such-endpoint", null, 404, "NotFound");
        await _server.ErrorAsync(HttpMethod.Put, "/api/sessions/e", new { }, 404, "NotFound");

        // A message over the store's 16 MiB limit (inside the 64 MiB body cap) is the store's TooLarge.
        var huge = new string('x', 17 * 1024 * 1024);
        await _server.ErrorAsync(HttpMethod.Post, "/api/sessions/e/messages", new { role = "user", content = huge }, 413, "TooLarge");
    }

    [Fact(Timeout = Timeout)]
    public async Task Bodies_over_the_cap_get_413()
    {
        await using var small = await ApiServer.StartAsync(_dir.Combine("small"), o => o with { MaxRequestBodyBytes = 4096 });
        await small.CreateSessionAsync(new { id = "s" });
        var message = await small.ErrorAsync(HttpMethod.Post, "/api/sessions/s/messages", new { role = "user", content = new string('x', 10_000) }, 413, "TooLarge");
        Assert.Contains("4 KiB", message, StringComparison.Ordinal);

        // Without a Content-Length (chunked), the cap holds while reading.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/import");
        request.Content = new StreamContent(new MemoryStream(new byte[10_000]));
        request.Headers.TransferEncodingChunked = true;
        using var response = await small.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    private static string[] Ids(JsonElement page) => [.. page.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("id").GetString()!).Order(StringComparer.Ordinal)];
}
