using System.Text.Json;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Server.Tests.Rpc;

/// <summary>The methods of <c>agent-sessions rpc</c>, through a real process and its pipes.</summary>
public sealed class RpcMethodTests
{
    [Fact]
    public async Task CreateAppendLoadListAndSearchRoundTrip()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);

        var created = await rpc.ResultAsync("session.create", new { id = "alpha", title = "First", model = "m1", tags = new[] { "work" } });
        Assert.Equal("alpha", created.GetProperty("id").GetString());
        Assert.Equal("m1", created.GetProperty("model").GetString());

        var appended = await rpc.ResultAsync("session.append", new { id = "alpha", role = "user", content = "how do zebras sleep", inputTokens = 5 });
        Assert.Equal(1, appended.GetProperty("messages")[0].GetProperty("seq").GetInt64());
        Assert.Equal(1, appended.GetProperty("session").GetProperty("messageCount").GetInt64());

        var many = await rpc.ResultAsync("session.append", new
        {
            messages = new object[]
            {
                new { role = "assistant", content = "standing up", outputTokens = 7, author = "bot" },
                new { role = "tool", parts = new object[] { new { text = "out of order discriminator", type = "text" } } },
            },
        });
        Assert.Equal([2L, 3L], many.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("seq").GetInt64()));

        var loaded = await rpc.ResultAsync("session.load", new { id = "alpha" });
        Assert.Equal("First", loaded.GetProperty("title").GetString());
        Assert.Equal(3, loaded.GetProperty("messageCount").GetInt64());
        Assert.Equal(7, loaded.GetProperty("outputTokens").GetInt64());
        Assert.Equal(["how do zebras sleep", "standing up", "out of order discriminator"], loaded.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("parts")[0].GetProperty("text").GetString()));
        Assert.Equal("bot", loaded.GetProperty("messages")[1].GetProperty("authorName").GetString());
        Assert.Equal(JsonValueKind.Array, loaded.GetProperty("snapshots").ValueKind);

        var page = await rpc.ResultAsync("session.load", new { from = 2, limit = 1 });
        Assert.Equal(2, page.GetProperty("messages").EnumerateArray().Single().GetProperty("seq").GetInt64());

        await rpc.ResultAsync("session.create", new Dictionary<string, object> { ["id"] = "beta", ["switch"] = false });
        var current = await rpc.ResultAsync("session.current");
        Assert.Equal("alpha", current.GetProperty("id").GetString());

        var list = await rpc.ResultAsync("session.list", new { tag = "work" });
        Assert.Equal(["alpha"], list.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        Assert.False(list.GetProperty("hasMore").GetBoolean());
        Assert.Equal(2, (await rpc.ResultAsync("session.list")).GetProperty("sessions").GetArrayLength());

        var hits = (await rpc.ResultAsync("session.search", new { query = "zebras", role = "user", since = "1d" })).GetProperty("hits");
        Assert.Equal("alpha", hits[0].GetProperty("sessionId").GetString());
        Assert.Equal(1, hits[0].GetProperty("seq").GetInt64());
        var exhaustive = (await rpc.ResultAsync("session.search", new { query = "zebras", role = "user", exhaustive = true })).GetProperty("hits");
        Assert.Equal(hits[0].GetProperty("snippet").GetString(), exhaustive[0].GetProperty("snippet").GetString());

        var renamed = await rpc.ResultAsync("session.rename", new { title = "Zebras" });
        Assert.Equal("Zebras", renamed.GetProperty("title").GetString());
        var tagged = await rpc.ResultAsync("session.tag", new { add = new[] { "zoo" }, remove = new[] { "work" } });
        Assert.Equal(["zoo"], tagged.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.True((await rpc.ResultAsync("session.pin")).GetProperty("pinned").GetBoolean());
        Assert.False((await rpc.ResultAsync("session.pin", new { pinned = false })).GetProperty("pinned").GetBoolean());

        var deleted = await rpc.ResultAsync("session.delete", new { id = "beta" });
        Assert.True(deleted.GetProperty("deleted").GetBoolean());
        await rpc.ErrorAsync(-32001, "session.load", new { id = "beta" });
    }

    [Fact]
    public async Task Metadata_sets_and_removes_keys_and_keeps_the_others()
    {
        using var store = TempDirectory.ForCaller();
        await using (var rpc = RpcProcess.Start(store.Path))
        {
            await rpc.ResultAsync("session.create", new { id = "m", metadata = new { editor = "emacs" } });
            var set = await rpc.ResultAsync("session.metadata", new { set = new { draft = "half a question", n = 3 } });
            Assert.Equal("half a question", set.GetProperty("metadata").GetProperty("draft").GetString());
            Assert.Equal("emacs", set.GetProperty("metadata").GetProperty("editor").GetString());

            var removed = await rpc.ResultAsync("session.metadata", new Dictionary<string, object?> { ["id"] = "m", ["set"] = new Dictionary<string, object?> { ["n"] = null } });
            Assert.False(removed.GetProperty("metadata").TryGetProperty("n", out _));
            Assert.Equal("half a question", removed.GetProperty("metadata").GetProperty("draft").GetString());

            // No set: just the session, as session.tag does with neither list.
            Assert.Equal("m", (await rpc.ResultAsync("session.metadata")).GetProperty("id").GetString());
            await rpc.ErrorAsync(-32602, "session.metadata", new { set = "not an object" });
            await rpc.ErrorAsync(-32602, "session.metadata", new { draft = "a typo for set" });
            await rpc.ErrorAsync(-32001, "session.metadata", new { id = "nope", set = new { a = 1 } });
        }

        // Durable when answered: a new process reads it back.
        await using var again = RpcProcess.Start(store.Path);
        var loaded = await again.ResultAsync("session.load", new { id = "m" });
        Assert.Equal("half a question", loaded.GetProperty("metadata").GetProperty("draft").GetString());
    }

    [Fact]
    public async Task HistoryMethodsForkSnapshotUndoRedoBookmark()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);
        await rpc.ResultAsync("session.create", new { id = "h" });
        await rpc.ResultAsync("session.append", new { role = "user", content = "one" });
        await rpc.ResultAsync("session.append", new { role = "assistant", content = "two" });

        var snapshot = await rpc.ResultAsync("session.snapshot", new { name = "two-msgs", description = "before three" });
        Assert.Equal(2, snapshot.GetProperty("messageCount").GetInt64());
        var bookmark = await rpc.ResultAsync("session.bookmark", new { name = "start", at = 1, note = "the question" });
        Assert.Equal(1, bookmark.GetProperty("sequence").GetInt64());

        await rpc.ResultAsync("session.append", new { role = "user", content = "three" });
        await rpc.ResultAsync("session.append", new { role = "assistant", content = "four" });

        var undone = await rpc.ResultAsync("session.undo");
        Assert.Equal(2, undone.GetProperty("session").GetProperty("messageCount").GetInt64());
        Assert.Equal(2, undone.GetProperty("hiddenMessages").GetInt64());
        var redone = await rpc.ResultAsync("session.redo");
        Assert.Equal(4, redone.GetProperty("session").GetProperty("messageCount").GetInt64());
        await rpc.ErrorAsync(-32003, "session.redo");

        var restored = await rpc.ResultAsync("session.restore", new { snapshot = "two-msgs" });
        Assert.Equal(2, restored.GetProperty("session").GetProperty("messageCount").GetInt64());
        await rpc.ResultAsync("session.redo");

        var fork = await rpc.ResultAsync("session.fork", new { id = "h", at = 3, newId = "h-fork", title = "A fork" });
        Assert.Equal("h-fork", fork.GetProperty("id").GetString());
        Assert.Equal("h", fork.GetProperty("parentId").GetString());
        Assert.Equal(3, fork.GetProperty("messageCount").GetInt64());

        var loaded = await rpc.ResultAsync("session.load", new { since = "start" });
        Assert.Equal(["two", "three", "four"], loaded.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()));
        Assert.Equal(["h-fork"], loaded.GetProperty("forks").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal("two-msgs", loaded.GetProperty("snapshots")[0].GetProperty("name").GetString());
        Assert.Equal("start", loaded.GetProperty("bookmarks")[0].GetProperty("name").GetString());
        await rpc.ErrorAsync(-32001, "session.load", new { since = "no-such-bookmark" });
    }

    [Fact]
    public async Task ExportAndImportRoundTripInEveryTextFormat()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);
        await rpc.ResultAsync("session.create", new { id = "src", title = "Exported" });
        await rpc.ResultAsync("session.append", new { role = "user", content = "héllo <b>world</b>" });
        await rpc.ResultAsync("session.append", new { role = "assistant", content = "hi" });
        await rpc.ResultAsync("session.bookmark", new { name = "mark" });

        foreach (var format in new[] { "json", "jsonl", "base64" })
        {
            var export = await rpc.ResultAsync("session.export", new { id = "src", format });
            Assert.Equal(format, export.GetProperty("format").GetString());
            var content = export.GetProperty("content").GetString()!;
            var imported = await rpc.ResultAsync("session.import", new { content, @as = "copy-" + format });
            Assert.Equal("copy-" + format, imported.GetProperty("id").GetString());
            Assert.Equal(2, imported.GetProperty("messageCount").GetInt64());
            var copy = await rpc.ResultAsync("session.load", new { id = "copy-" + format });
            Assert.Equal("héllo <b>world</b>", copy.GetProperty("messages")[0].GetProperty("text").GetString());
            Assert.Equal("mark", copy.GetProperty("bookmarks")[0].GetProperty("name").GetString());
        }

        var json = (await rpc.ResultAsync("session.export", new { id = "src" })).GetProperty("content").GetString()!;
        var conflict = await rpc.ErrorAsync(-32003, "session.import", new { content = json });
        Assert.Equal("Conflict", conflict.GetProperty("data").GetProperty("code").GetString());
        Assert.Equal("src", (await rpc.ResultAsync("session.import", new { content = json, replace = true })).GetProperty("id").GetString());
        await rpc.ErrorAsync(-32005, "session.import", new { content = "{\"not\": \"ours\"}" });
        await rpc.ErrorAsync(-32602, "session.import", new { });

        var markdown = (await rpc.ResultAsync("session.export", new { id = "src", format = "markdown" })).GetProperty("content").GetString()!;
        Assert.Contains("# Exported", markdown, StringComparison.Ordinal);
        var html = (await rpc.ResultAsync("session.export", new { id = "src", format = "html" })).GetProperty("content").GetString()!;
        Assert.Contains("&lt;b&gt;world&lt;/b&gt;", html, StringComparison.Ordinal);
        await rpc.ErrorAsync(-32602, "session.export", new { id = "src", format = "pdf" });

        // A file goes through the importer of 'agent-sessions import', and answers with its summary.
        var file = Path.Combine(store.Path, "export.json");
        await File.WriteAllTextAsync(file, json);
        var summary = await rpc.ResultAsync("session.import", new { path = file, @as = "from-file" });
        Assert.Equal("from-file", summary.GetProperty("imported")[0].GetProperty("sessionId").GetString());
    }

    [Fact]
    public async Task DeferredAppendsArePendingUntilSaveAndSwitchSavesThem()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);

        Assert.Equal(JsonValueKind.Null, (await rpc.ResultAsync("session.current")).GetProperty("id").ValueKind);
        await rpc.ErrorAsync(-32602, "session.append", new { role = "user", content = "no current session" });

        await rpc.ResultAsync("session.create", new { id = "a" });
        await rpc.ResultAsync("session.create", new Dictionary<string, object> { ["id"] = "b", ["switch"] = false });
        Assert.Equal("a", (await rpc.ResultAsync("session.current")).GetProperty("id").GetString());

        var deferred = await rpc.ResultAsync("session.append", new { role = "user", content = "a1", defer = true });
        Assert.True(deferred.GetProperty("deferred").GetBoolean());
        await rpc.ResultAsync("session.append", new { role = "assistant", content = "a2", defer = true });
        var current = await rpc.ResultAsync("session.current");
        Assert.Equal(2, current.GetProperty("pending").GetInt32());
        Assert.Equal(0, current.GetProperty("session").GetProperty("messageCount").GetInt64());
        Assert.Equal(0, (await rpc.ResultAsync("session.load", new { id = "a" })).GetProperty("messages").GetArrayLength());

        // Deferring is for the current session only.
        await rpc.ErrorAsync(-32602, "session.append", new { id = "b", role = "user", content = "x", defer = true });

        // Switching saves the pending messages first, in one go.
        var switched = await rpc.ResultAsync("session.switch", new { id = "b" });
        Assert.Equal(2, switched.GetProperty("saved").GetInt32());
        Assert.Equal("b", switched.GetProperty("session").GetProperty("id").GetString());
        Assert.Equal(["a1", "a2"], (await rpc.ResultAsync("session.load", new { id = "a" })).GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()));

        // session.save writes them; a plain append writes the pending ones ahead of its own.
        await rpc.ResultAsync("session.append", new { role = "user", content = "b1", defer = true });
        var saved = await rpc.ResultAsync("session.save");
        Assert.Equal(1, saved.GetProperty("saved").GetInt32());
        Assert.Equal(1, saved.GetProperty("session").GetProperty("messageCount").GetInt64());
        Assert.Equal(0, (await rpc.ResultAsync("session.save")).GetProperty("saved").GetInt32());
        await rpc.ResultAsync("session.append", new { role = "assistant", content = "b2", defer = true });
        var direct = await rpc.ResultAsync("session.append", new { role = "user", content = "b3" });
        Assert.Equal([2L, 3L], direct.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("seq").GetInt64()));
        Assert.Equal(0, (await rpc.ResultAsync("session.current")).GetProperty("pending").GetInt32());

        // Discard drops them; switching to a missing session changes nothing.
        await rpc.ResultAsync("session.append", new { role = "user", content = "dropped", defer = true });
        await rpc.ErrorAsync(-32001, "session.switch", new { id = "nope" });
        Assert.Equal("b", (await rpc.ResultAsync("session.current")).GetProperty("id").GetString());
        Assert.Equal(1, (await rpc.ResultAsync("session.discard")).GetProperty("discarded").GetInt32());
        Assert.Equal(3, (await rpc.ResultAsync("session.load")).GetProperty("messageCount").GetInt64());

        // Deleting the current session leaves none.
        await rpc.ErrorAsync(-32602, "session.delete");
        await rpc.ResultAsync("session.delete", new { id = "b" });
        Assert.Equal(JsonValueKind.Null, (await rpc.ResultAsync("session.current")).GetProperty("id").ValueKind);
    }

    [Fact]
    public async Task ShutdownSavesPendingMessagesAndExitEndsWithZero()
    {
        using var store = TempDirectory.ForCaller();
        await using (var rpc = RpcProcess.Start(store.Path))
        {
            await rpc.ResultAsync("session.create", new { id = "s" });
            await rpc.ResultAsync("session.append", new { role = "user", content = "kept", defer = true });
            var shutdown = await rpc.CallAsync("shutdown");
            Assert.Equal(JsonValueKind.Null, shutdown.GetProperty("result").ValueKind);
            await rpc.ErrorAsync(-32600, "session.list");
            await rpc.NotifyAsync("exit");
            Assert.Equal(0, await rpc.WaitForExitAsync());
            await rpc.AssertNoMoreOutputAsync();
        }

        await using var again = RpcProcess.Start(store.Path);
        Assert.Equal(["kept"], (await again.ResultAsync("session.load", new { id = "s" })).GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()));
    }

    [Fact]
    public async Task ExitWithoutShutdownEndsWithOneAndDropsPendingMessages()
    {
        using var store = TempDirectory.ForCaller();
        await using (var rpc = RpcProcess.Start(store.Path))
        {
            await rpc.ResultAsync("session.create", new { id = "s" });
            await rpc.ResultAsync("session.append", new { role = "user", content = "lost", defer = true });
            await rpc.NotifyAsync("exit");
            Assert.Equal(1, await rpc.WaitForExitAsync());
            await rpc.AssertNoMoreOutputAsync();
        }

        await using var again = RpcProcess.Start(store.Path);
        Assert.Equal(0, (await again.ResultAsync("session.load", new { id = "s" })).GetProperty("messageCount").GetInt64());
    }

    [Fact]
    public async Task ShareReturnsTokenPathAndTheRunningServersUrl()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);
        await rpc.ResultAsync("session.create", new { id = "shared" });

        var share = await rpc.ResultAsync("session.share", new { expiresIn = "7d", allowFork = false });
        var token = share.GetProperty("token").GetString()!;
        Assert.Equal(43, token.Length);
        Assert.Equal("/s/" + token, share.GetProperty("path").GetString());
        Assert.Equal(JsonValueKind.Null, share.GetProperty("url").ValueKind);
        Assert.False(share.GetProperty("allowFork").GetBoolean());
        Assert.True(share.TryGetProperty("expiresAt", out _));
        Assert.False(share.TryGetProperty("passwordHash", out _));

        await File.WriteAllTextAsync(Path.Combine(store.Path, "server.json"), "{\"url\": \"http://127.0.0.1:4321/\"}");
        var linked = await rpc.ResultAsync("session.share", new { visibility = "private", password = "s3cret" });
        Assert.Equal("http://127.0.0.1:4321/s/" + linked.GetProperty("token").GetString(), linked.GetProperty("url").GetString());
        Assert.Equal("private", linked.GetProperty("visibility").GetString());

        await rpc.ErrorAsync(-32602, "session.share", new { visibility = "private" });
        await rpc.ErrorAsync(-32602, "session.share", new { expiresIn = "soon" });
        await rpc.ErrorAsync(-32001, "session.share", new { id = "missing" });
    }

    [Fact]
    public async Task ErrorsCarryTheirCodesAndTheConnectionGoesOn()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);

        var unknown = await rpc.ErrorAsync(-32601, "session.frobnicate");
        Assert.Contains("session.frobnicate", unknown.GetProperty("message").GetString(), StringComparison.Ordinal);

        var misspelt = await rpc.ErrorAsync(-32602, "session.create", new { sessionId = "x" });
        Assert.Equal("InvalidArgument", misspelt.GetProperty("data").GetProperty("code").GetString());
        await rpc.ErrorAsync(-32602, "session.create", new { tags = "not-an-array" });
        await rpc.ErrorAsync(-32602, "session.list", new { limit = "ten" });
        await rpc.ErrorAsync(-32602, "session.list", new[] { 1, 2 });

        var notFound = await rpc.ErrorAsync(-32001, "session.load", new { id = "missing" });
        Assert.Equal("NotFound", notFound.GetProperty("data").GetProperty("code").GetString());
        var invalidId = await rpc.ErrorAsync(-32002, "session.create", new { id = "no spaces allowed" });
        Assert.Equal("InvalidId", invalidId.GetProperty("data").GetProperty("code").GetString());

        await rpc.ResultAsync("session.create", new { id = "dup" });
        await rpc.ErrorAsync(-32003, "session.create", new { id = "dup" });
        await rpc.ErrorAsync(-32602, "session.append", new { role = "robot", content = "x" });
        await rpc.ErrorAsync(-32602, "session.append", new { role = "user" });
        await rpc.ErrorAsync(-32602, "session.append", new { role = "user", content = "x", parts = new[] { new { type = "text", text = "y" } } });
        await rpc.ErrorAsync(-32602, "session.append", new { role = "user", parts = new[] { new { type = "hologram" } } });
        await rpc.ErrorAsync(-32602, "session.rename", new { title = "   " });
        await rpc.ErrorAsync(-32003, "session.undo");

        Assert.Equal("dup", (await rpc.ResultAsync("session.current")).GetProperty("id").GetString());
    }

    [Fact]
    public async Task NotificationsGetNoReplyEvenWhenTheyFail()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);

        await rpc.NotifyAsync("session.create", new { id = "by-notification" });
        await rpc.NotifyAsync("no.such.method");
        await rpc.NotifyAsync("session.load", new { id = "missing" });
        await rpc.NotifyAsync("$/cancelRequest", new { id = 1 });

        // The next response is the one to this request: the notifications were handled in order, silently.
        var list = await rpc.ResultAsync("session.list");
        Assert.Equal(["by-notification"], list.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task BatchesAreAnsweredWithAnArrayOfTheirRequestsResponses()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);

        await rpc.SendFrameAsync($"[{RpcProcess.Request("c", "session.create", new { id = "batched" })},{RpcProcess.Request(null, "session.pin")},{RpcProcess.Request(7, "nope")},{RpcProcess.Request("l", "session.list", new { pinned = true })}]");
        var responses = await rpc.ReadAsync();
        Assert.Equal(JsonValueKind.Array, responses.ValueKind);
        Assert.Equal(["c", "7", "l"], responses.EnumerateArray().Select(r => r.GetProperty("id").ToString()));
        Assert.Equal(-32601, responses[1].GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal("batched", responses[2].GetProperty("result").GetProperty("sessions")[0].GetProperty("id").GetString());

        await rpc.SendFrameAsync("[]");
        Assert.Equal(-32600, (await rpc.ReadAsync()).GetProperty("error").GetProperty("code").GetInt32());

        await rpc.SendFrameAsync("[1, {\"jsonrpc\": \"2.0\", \"method\": \"session.list\"}]");
        var invalid = await rpc.ReadAsync();
        Assert.Equal(1, invalid.GetArrayLength());
        Assert.Equal(-32600, invalid[0].GetProperty("error").GetProperty("code").GetInt32());

        // A batch of notifications only gets no reply at all.
        await rpc.SendFrameAsync($"[{RpcProcess.Request(null, "session.pin", new { pinned = false })}]");
        Assert.Equal(JsonValueKind.Object, (await rpc.CallAsync("session.current")).ValueKind);
    }

    [Fact]
    public async Task AppendTakesAuthorNameAsItReturnsItAndStillTheDeprecatedAuthor()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);
        await rpc.ResultAsync("session.create", new { id = "names" });

        // The input name is the output name (and the HTTP API's): what a client reads back it can send.
        var canonical = await rpc.ResultAsync("session.append", new { role = "user", content = "one", authorName = "ada" });
        Assert.Equal("ada", canonical.GetProperty("messages")[0].GetProperty("authorName").GetString());
        var inBatch = await rpc.ResultAsync("session.append", new { messages = new object[] { new { role = "assistant", content = "two", authorName = "bot" } } });
        Assert.Equal("bot", inBatch.GetProperty("messages")[0].GetProperty("authorName").GetString());

        // The old spelling keeps working for clients written against it.
        var deprecated = await rpc.ResultAsync("session.append", new { role = "user", content = "three", author = "grace" });
        Assert.Equal("grace", deprecated.GetProperty("messages")[0].GetProperty("authorName").GetString());
        var same = await rpc.ResultAsync("session.append", new { role = "user", content = "four", author = "alan", authorName = "alan" });
        Assert.Equal("alan", same.GetProperty("messages")[0].GetProperty("authorName").GetString());

        var conflict = await rpc.ErrorAsync(-32602, "session.append", new { role = "user", content = "five", author = "a", authorName = "b" });
        Assert.Contains("'authorName'", conflict.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("'author'", conflict.GetProperty("message").GetString(), StringComparison.Ordinal);
        var nested = await rpc.ErrorAsync(-32602, "session.append", new { messages = new object[] { new { role = "user", content = "six", author = "a", authorName = "b" } } });
        Assert.Contains("messages[0].authorName", nested.GetProperty("message").GetString(), StringComparison.Ordinal);

        // An unknown name lists the canonical names only, so the deprecated one is not advertised.
        var unknown = await rpc.ErrorAsync(-32602, "session.append", new { role = "user", content = "x", writer = "w" });
        Assert.Contains("authorName", unknown.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("author,", unknown.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(4, (await rpc.ResultAsync("session.current")).GetProperty("session").GetProperty("messageCount").GetInt64());
    }

    [Fact]
    public async Task CreateAndListTakeProjectPathAsSessionsCarryItAndStillTheDeprecatedProject()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);
        var here = Path.Combine(store.Path, "proj");
        var there = Path.Combine(store.Path, "other");

        var created = await rpc.ResultAsync("session.create", new { id = "p1", projectPath = here });
        Assert.Equal(here, created.GetProperty("projectPath").GetString());
        var old = await rpc.ResultAsync("session.create", new { id = "p2", project = there });
        Assert.Equal(there, old.GetProperty("projectPath").GetString());
        await rpc.ErrorAsync(-32602, "session.create", new { id = "p3", project = here, projectPath = there });

        var listed = await rpc.ResultAsync("session.list", new { projectPath = here });
        Assert.Equal(["p1"], listed.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        var listedOld = await rpc.ResultAsync("session.list", new { project = there });
        Assert.Equal(["p2"], listedOld.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        await rpc.ErrorAsync(-32602, "session.list", new { project = here, projectPath = there });
    }

    [Fact]
    public async Task NullParamsMeanNoParametersAsJsonrpcElSendsThem()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);

        // Emacs's jsonrpc.el sends "params": null for a nil argument; it is the same as leaving params out.
        await rpc.SendFrameAsync("{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"session.current\", \"params\": null}");
        var current = await rpc.ReadAsync();
        Assert.Equal(JsonValueKind.Null, current.GetProperty("result").GetProperty("id").ValueKind);
        await rpc.SendFrameAsync("{\"jsonrpc\": \"2.0\", \"id\": 2, \"method\": \"session.list\", \"params\": null}");
        Assert.Equal(0, (await rpc.ReadAsync()).GetProperty("result").GetProperty("sessions").GetArrayLength());

        // Only null is let through: a number is still not a params value.
        await rpc.SendFrameAsync("{\"jsonrpc\": \"2.0\", \"id\": 3, \"method\": \"session.list\", \"params\": 7}");
        Assert.Equal(-32600, (await rpc.ReadAsync()).GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task InvalidRequestsAreAnsweredWithMinus32600()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);

        foreach (var (request, id) in new[]
        {
            ("{\"id\": 1, \"method\": \"session.list\"}", "1"),
            ("{\"jsonrpc\": \"1.0\", \"id\": 2, \"method\": \"session.list\"}", "2"),
            ("{\"jsonrpc\": \"2.0\", \"id\": 3}", "3"),
            ("{\"jsonrpc\": \"2.0\", \"id\": 4, \"method\": 42}", "4"),
            ("{\"jsonrpc\": \"2.0\", \"id\": 5, \"method\": \"session.list\", \"params\": \"x\"}", "5"),
            ("{\"jsonrpc\": \"2.0\", \"id\": {\"x\": 1}, \"method\": \"session.list\"}", ""),
            ("\"just a string\"", ""),
            ("{\"method\": \"session.list\"}", ""),
        })
        {
            await rpc.SendFrameAsync(request);
            var response = await rpc.ReadAsync();
            Assert.Equal(-32600, response.GetProperty("error").GetProperty("code").GetInt32());
            Assert.Equal(id, response.GetProperty("id").ToString());
        }

        Assert.Equal(JsonValueKind.Object, (await rpc.ResultAsync("session.list")).ValueKind);
    }

    [Fact]
    public async Task AnIdOfARequestAnsweredWithAnErrorOrACancelInABatchCanBeUsedAgain()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);

        // Each of these is answered without running a method; its id must be free afterwards. The
        // $/cancelRequest for the id would otherwise reach a source left over from the bad request, and the
        // next request with that id would be answered "cancelled before it ran".
        foreach (var (request, id) in new[]
        {
            ("{\"jsonrpc\": \"1.0\", \"id\": 7, \"method\": \"session.list\"}", 7),
            ("{\"jsonrpc\": \"2.0\", \"id\": 8, \"method\": 42}", 8),
            ("{\"jsonrpc\": \"2.0\", \"id\": 9, \"method\": \"session.list\", \"params\": \"x\"}", 9),
            ("[{\"jsonrpc\": \"1.0\", \"id\": 10, \"method\": \"session.list\"}]", 10),
        })
        {
            await rpc.SendFrameAsync(request);
            var error = await rpc.ReadAsync();
            Assert.Equal(-32600, (error.ValueKind == JsonValueKind.Array ? error[0] : error).GetProperty("error").GetProperty("code").GetInt32());
            await AssertIdRunsAsync(rpc, id);
        }

        // A $/cancelRequest inside a batch, with an id of its own (here naming itself): answered with null, and
        // its id is free too.
        await rpc.SendFrameAsync($"[{RpcProcess.Request(11, "$/cancelRequest", new { id = 11 })}]");
        Assert.Equal(JsonValueKind.Null, (await rpc.ReadAsync()).GetProperty("result").ValueKind);
        await AssertIdRunsAsync(rpc, 11);
    }

    /// <summary>Cancels <paramref name="id"/> (nothing should be running under it), then sends a request with it and insists it runs.</summary>
    private static async Task AssertIdRunsAsync(RpcProcess rpc, int id)
    {
        await rpc.NotifyAsync("$/cancelRequest", new { id });
        await rpc.SendFrameAsync(RpcProcess.Request(id, "session.list"));
        var response = await rpc.ReadAsync();
        Assert.Equal(id, response.GetProperty("id").GetInt32());
        Assert.False(response.TryGetProperty("error", out var error), $"request {id} failed: {error}");
        Assert.Equal(JsonValueKind.Object, response.GetProperty("result").ValueKind);
    }
}
