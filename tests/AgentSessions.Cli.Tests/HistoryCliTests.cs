using System.Text;
using System.Text.Json;
using AgentSessions.Formats;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Cli.Tests;

/// <summary>History, lineage, health and the seed formats through the built tool.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class HistoryCliTests : IDisposable
{
    private readonly TempDirectory _temp = TempDirectory.ForCaller();
    private readonly CliRunner _cli;

    public HistoryCliTests() => _cli = new CliRunner(_temp.Combine("store"));

    public void Dispose() => _temp.Dispose();

    private async Task<string> ConversationAsync(int exchanges)
    {
        var id = await _cli.OkAsync("new", "--title", "history");
        for (var i = 1; i <= exchanges; i++)
        {
            await _cli.OkAsync("add", id, "--role", "user", "--content", $"q{i}", "--input-tokens", "2");
            await _cli.OkAsync("add", id, "--role", "assistant", "--content", $"a{i}", "--output-tokens", "3");
        }

        return id;
    }

    private async Task<JsonElement> ShowAsync(params string[] args) => (await _cli.RunAsync(["show", .. args, "--json"])).Json;

    private static string[] Texts(JsonElement show) => show.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()!).ToArray();

    [Fact]
    public async Task Snapshot_undo_redo_and_restore_never_lose_a_message()
    {
        var id = await ConversationAsync(3);

        Assert.Contains("snapshot two-in at message 6", await _cli.OkAsync("snapshot", id, "two-in", "--description", "all three"), StringComparison.Ordinal);
        var undo = await _cli.OkAsync("undo", id);
        Assert.Contains("now shows 4 messages", undo, StringComparison.Ordinal);
        Assert.Contains("2 later message(s) kept", undo, StringComparison.Ordinal);
        Assert.Equal(["q1", "a1", "q2", "a2"], Texts(await ShowAsync(id)));
        Assert.Contains("now shows 6 messages", await _cli.OkAsync("redo", id), StringComparison.Ordinal);
        await _cli.OkAsync("undo", id);
        await _cli.OkAsync("undo", id);
        Assert.Contains("now shows 6 messages", await _cli.OkAsync("restore", id, "two-in"), StringComparison.Ordinal);

        var snapshots = (await _cli.RunAsync("snapshots", id, "--json")).Json;
        Assert.Equal("all three", snapshots[0].GetProperty("description").GetString());
        Assert.Equal(6, snapshots[0].GetProperty("messageCount").GetInt64());
        var nothing = await _cli.RunAsync("redo", Guid.NewGuid().ToString("N"));
        Assert.Equal(3, nothing.ExitCode);

        // A new message after an undo moves the undone ones into a fork, and says so.
        await _cli.OkAsync("undo", id);
        await _cli.OkAsync("add", id, "--role", "user", "--content", "q3 again");
        var show = await ShowAsync(id);
        Assert.Equal(["q1", "a1", "q2", "a2", "q3 again"], Texts(show));
        var kept = show.GetProperty("forks")[0].GetString()!;
        Assert.Equal(["q1", "a1", "q2", "a2", "q3", "a3"], Texts(await ShowAsync(kept)));
    }

    [Fact]
    public async Task Fork_records_lineage_and_list_shows_the_forks()
    {
        var id = await ConversationAsync(2);

        var fork = await _cli.OkAsync("fork", id, "--at", "2", "--title", "other idea");
        await _cli.OkAsync("add", fork, "--role", "user", "--content", "only in the fork");

        var forkShow = await ShowAsync(fork);
        Assert.Equal(id, forkShow.GetProperty("parentId").GetString());
        Assert.Equal(2, forkShow.GetProperty("forkSequence").GetInt64());
        Assert.Equal(["q1", "a1", "only in the fork"], Texts(forkShow));
        Assert.Equal([fork], (await ShowAsync(id)).GetProperty("forks").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal([fork], (await _cli.RunAsync("list", "--forks-of", id, "--json")).Json.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        Assert.Contains($"forked from  {id}", await _cli.OkAsync("show", fork), StringComparison.Ordinal);
        Assert.Equal(2, (await _cli.RunAsync("fork", id, "--at", "99")).ExitCode);
    }

    [Fact]
    public async Task Bookmarks_mark_positions_and_show_since_reads_on_from_them()
    {
        var id = await ConversationAsync(3);

        await _cli.OkAsync("bookmark", id, "after-first", "--at", "2", "--note", "first answer");
        Assert.Equal(["q2", "a2", "q3", "a3"], Texts(await ShowAsync(id, "--since", "after-first")));
        Assert.Contains("after-first\t2", await _cli.OkAsync("bookmarks", id), StringComparison.Ordinal);
        Assert.Equal("first answer", (await _cli.RunAsync("bookmarks", id, "--json")).Json[0].GetProperty("note").GetString());
        Assert.Equal(3, (await _cli.RunAsync("show", id, "--since", "nope")).ExitCode);
    }

    [Fact]
    public async Task Tool_runs_and_files_are_recorded_shown_and_exported()
    {
        var id = await ConversationAsync(1);

        await _cli.OkAsync("tool", id, "--name", "grep", "--args", "{\"pattern\":\"TODO\"}", "--result", "3 hits", "--duration-ms", "12", "--agent", "searcher", "--seq", "2");
        await _cli.OkAsync("tool", id, "--name", "rm", "--failed", "--result", "{\"error\":\"denied\"}");
        await _cli.OkAsync("file", id, "src/new.cs", "--created", "--agent", "writer");
        await _cli.OkAsync("file", id, "src/old.cs");

        var show = await ShowAsync(id);
        var runs = show.GetProperty("toolExecutions").EnumerateArray().ToList();
        Assert.Equal(["grep", "rm"], runs.Select(r => r.GetProperty("toolName").GetString()));
        Assert.Equal("3 hits", runs[0].GetProperty("result").GetString());
        Assert.Equal(12, runs[0].GetProperty("durationMs").GetInt64());
        Assert.False(runs[1].GetProperty("success").GetBoolean());
        Assert.Equal(["created", "modified"], show.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("kind").GetString()));
        Assert.Equal(["searcher", "writer"], show.GetProperty("agentsUsed").EnumerateArray().Select(a => a.GetString()));
        var human = await _cli.OkAsync("show", id);
        Assert.Contains("grep", human, StringComparison.Ordinal);
        Assert.Contains("created  src/new.cs", human, StringComparison.Ordinal);
        foreach (var format in new[] { "json", "jsonl", "html", "markdown", "base64" })
        {
            var export = await _cli.OkAsync("export", id, "--format", format);
            Assert.False(string.IsNullOrWhiteSpace(export), format);
            if (format is "json" or "jsonl" or "html")
            {
                Assert.Contains("src/new.cs", export, StringComparison.Ordinal);
            }
        }

        Assert.Equal(2, (await _cli.RunAsync("tool", id, "--name", "x", "--args", "{not json")).ExitCode);
    }

    [Fact]
    public async Task Stats_sum_tokens_by_model_and_day()
    {
        var id = await _cli.OkAsync("new", "--model", "big-model");
        await _cli.OkAsync("add", id, "--role", "user", "--content", "q", "--input-tokens", "10");
        await _cli.OkAsync("add", id, "--role", "assistant", "--content", "a", "--output-tokens", "30", "--model", "small-model");

        var stats = (await _cli.RunAsync("stats", "--json")).Json;

        Assert.Equal(1, stats.GetProperty("sessions").GetInt64());
        Assert.Equal(10, stats.GetProperty("inputTokens").GetInt64());
        Assert.Equal(30, stats.GetProperty("outputTokens").GetInt64());
        Assert.Equal(["big-model", "small-model"], stats.GetProperty("byModel").EnumerateArray().Select(m => m.GetProperty("key").GetString()));
        Assert.Equal(DateTime.UtcNow.ToString("yyyy-MM-dd"), stats.GetProperty("byDay")[0].GetProperty("key").GetString());
        var table = await _cli.OkAsync("stats");
        Assert.Contains("small-model", table, StringComparison.Ordinal);
        Assert.Contains("█", table, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_export_written_by_hand_without_optional_fields_imports()
    {
        // No "metadata", "tags" or token fields: another tool's minimal writer. Import used to crash (a null
        // metadata dictionary met the duplicate check) with "unexpected failure".
        var json = _temp.Combine("minimal.json");
        await File.WriteAllTextAsync(json, """
            {"format":"agent-sessions","version":2,"session":{"id":"min-1","title":"t","createdAt":"2026-12-01T00:00:00Z","updatedAt":"2026-12-01T00:00:00Z"},
             "messages":[{"id":"m1","seq":1,"role":"user","parts":[{"type":"text","text":"hi"}],"createdAt":"2026-12-01T00:00:00Z"}]}
            """);
        var jsonl = _temp.Combine("minimal.jsonl");
        await File.WriteAllTextAsync(jsonl, """
            {"format":"agent-sessions-jsonl","version":2,"session":{"id":"min-2","createdAt":"2026-12-01T00:00:00Z","updatedAt":"2026-12-01T00:00:00Z"}}
            {"id":"m1","seq":1,"role":"assistant","parts":[{"type":"text","text":"hello"}],"createdAt":"2026-12-01T00:00:00Z"}

            """);

        foreach (var file in new[] { json, jsonl })
        {
            var result = await _cli.RunAsync("import", file);
            Assert.True(result.ExitCode == 0, result.ToString());
        }

        Assert.Equal(["hi"], Texts(await ShowAsync("min-1")));
        Assert.Equal(["hello"], Texts(await ShowAsync("min-2")));
    }

    [Fact]
    public async Task Absurd_token_counts_are_refused_and_stats_stay_right()
    {
        var id = await _cli.OkAsync("new", "--model", "m");
        await _cli.OkAsync("add", id, "--role", "assistant", "--content", "a", "--output-tokens", "5");

        // The reproduction: two of these used to leave the session's total at -2 and break stats.
        for (var i = 0; i < 2; i++)
        {
            var refused = await _cli.RunAsync("add", id, "--role", "assistant", "--content", "b", "--output-tokens", "9223372036854775807");
            Assert.True(refused.ExitCode == 2, refused.ToString());
            Assert.StartsWith("agent-sessions: error: output token count 9223372036854775807 is out of range", refused.Stderr, StringComparison.Ordinal);
            Assert.Single(refused.Stderr.TrimEnd('\n').Split('\n'));
        }

        var negative = await _cli.RunAsync("add", id, "--role", "user", "--content", "c", "--input-tokens", "-1");
        Assert.True(negative.ExitCode == 2, negative.ToString());

        var show = await ShowAsync(id);
        Assert.Equal(1, show.GetProperty("messageCount").GetInt64());
        Assert.Equal(5, show.GetProperty("outputTokens").GetInt64());
        var stats = (await _cli.RunAsync("stats", "--json")).Json;
        Assert.Equal(5, stats.GetProperty("outputTokens").GetInt64());
        Assert.Contains("m", await _cli.OkAsync("stats"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cleanup_lists_first_never_touches_pinned_sessions_and_archives_before_removing()
    {
        // s0 pinned, s1 with messages and every kind of history, s2 a fork of s1 (lineage) with a message of its
        // own, s3 the newest: --keep 1 removes s1 and s2, and their archives must hold all of it.
        var ids = new List<string> { await _cli.OkAsync("new", "--title", "s0") };
        await _cli.OkAsync("pin", ids[0]);
        ids.Add(await _cli.OkAsync("new", "--title", "s1 ünï"));
        await _cli.OkAsync("add", ids[1], "--role", "user", "--content", "q1 ünï 🧪 \"quoted\"", "--input-tokens", "2");
        await _cli.OkAsync("add", ids[1], "--role", "assistant", "--content", "a1 line\nline two", "--output-tokens", "3", "--model", "m-1");
        await _cli.OkAsync("snapshot", ids[1], "snap1", "--description", "after the answer");
        await _cli.OkAsync("bookmark", ids[1], "mark1", "--at", "1", "--note", "the question");
        await _cli.OkAsync("tool", ids[1], "--name", "shell", "--args", """{"cmd":"ls"}""", "--result", "a.txt", "--duration-ms", "5", "--seq", "2", "--id", "exec-1");
        await _cli.OkAsync("file", ids[1], "src/a.cs", "--created", "--seq", "2");
        ids.Add(await _cli.OkAsync("fork", ids[1], "--at", "1", "--title", "s2 fork"));
        await _cli.OkAsync("add", ids[2], "--role", "user", "--content", "only in the fork");
        await _cli.OkAsync("bookmark", ids[2], "mark2", "--at", "2");
        ids.Add(await _cli.OkAsync("new", "--title", "s3"));
        await _cli.OkAsync("add", ids[3], "--role", "user", "--content", "kept");
        await _cli.OkAsync("share", ids[1]);
        await _cli.OkAsync("share", ids[0]);
        var archive = _temp.Combine("archive");

        // What the store holds before the cleanup, by the ordinary export.
        var stored = new Dictionary<string, SessionArchive>();
        foreach (var id in ids[1..3])
        {
            var file = _temp.Combine($"before-{id}.json");
            await _cli.OkAsync("export", id, "-o", file);
            stored[id] = await ReadArchiveAsync(file);
        }

        var dry = await _cli.OkAsync("cleanup", "--keep", "1", "--dry-run");
        Assert.Contains("would remove 2 session(s)", dry, StringComparison.Ordinal);
        Assert.Contains(ids[1], dry, StringComparison.Ordinal);
        Assert.Contains(ids[2], dry, StringComparison.Ordinal);
        Assert.DoesNotContain(ids[0], dry, StringComparison.Ordinal);
        Assert.Equal(4, (await _cli.RunAsync("list", "--json")).Json.GetProperty("sessions").GetArrayLength());
        Assert.Equal(2, (await _cli.RunAsync("cleanup", "--keep", "1")).ExitCode); // not on a terminal, no --yes
        Assert.Equal(2, (await _cli.RunAsync("cleanup", "--yes")).ExitCode); // no policy at all
        Assert.Equal(4, (await _cli.RunAsync("list", "--json")).Json.GetProperty("sessions").GetArrayLength());

        Assert.Contains("removed 2 session(s)", await _cli.OkAsync("cleanup", "--keep", "1", "--archive", archive, "--yes"), StringComparison.Ordinal);

        var left = (await _cli.RunAsync("list", "--json")).Json.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("id").GetString()).Order().ToList();
        Assert.Equal(new[] { ids[0], ids[3] }.Order(), left);

        // Each archive, read back, is the session as it was stored: every message and every piece of history.
        var archived = new Dictionary<string, SessionArchive>();
        foreach (var id in ids[1..3])
        {
            archived[id] = await ReadArchiveAsync(Path.Combine(archive, id + ".json"));
            AssertSameArchive(stored[id], archived[id]);
        }

        // And that is what was put in, not merely what a broken export made of it.
        var s1 = archived[ids[1]];
        Assert.Equal(["q1 ünï 🧪 \"quoted\"", "a1 line\nline two"], s1.Messages.Select(m => m.Text));
        Assert.Equal([1L, 2L], s1.Messages.Select(m => m.Sequence));
        Assert.Equal((2L, 3L, "m-1"), (s1.Session.InputTokens, s1.Session.OutputTokens, s1.Messages[1].Model));
        Assert.Equal(("snap1", "after the answer", 2L), Assert.Single(s1.Snapshots) is var snap ? (snap.Name, snap.Description, snap.MessageCount) : default);
        Assert.Equal(("mark1", 1L, "the question"), Assert.Single(s1.Bookmarks) is var mark ? (mark.Name, mark.Sequence, mark.Note) : default);
        var exec = Assert.Single(s1.ToolExecutions);
        Assert.Equal(("exec-1", "shell", 5L, 2L), (exec.Id, exec.ToolName, exec.DurationMs ?? 0, exec.Sequence ?? 0));
        Assert.True(exec.Arguments is { } arguments && JsonElement.DeepEquals(arguments, JsonDocument.Parse("""{"cmd":"ls"}""").RootElement), exec.Arguments?.GetRawText());
        Assert.Equal(("src/a.cs", FileChangeKind.Created, 2L), Assert.Single(s1.Files) is var change ? (change.Path, change.Kind, change.Sequence ?? 0) : default);
        var s2 = archived[ids[2]];
        Assert.Equal((ids[1], 1L), (s2.Session.ParentId, s2.Session.ForkSequence ?? 0));
        Assert.Equal(["q1 ünï 🧪 \"quoted\"", "only in the fork"], s2.Messages.Select(m => m.Text));
        Assert.Equal(["mark1", "mark2"], s2.Bookmarks.Select(b => b.Name)); // a fork inherits the bookmarks up to its fork point

        // The removed session's link is dead; the pinned one's still works.
        var shares = (await _cli.RunAsync("shares", "--all", "--json")).Json.EnumerateArray().ToList();
        Assert.DoesNotContain(shares, s => s.GetProperty("sessionId").GetString() == ids[1] && s.GetProperty("state").GetString() == "active");
        Assert.Equal("active", Assert.Single(shares, s => s.GetProperty("sessionId").GetString() == ids[0]).GetProperty("state").GetString());

        Assert.Equal(ids[1], await _cli.OkAsync("import", Path.Combine(archive, ids[1] + ".json")));
        Assert.Equal(["q1 ünï 🧪 \"quoted\"", "a1 line\nline two"], Texts(await ShowAsync(ids[1])));
        Assert.Contains("nothing to remove", await _cli.OkAsync("cleanup", "--older-than", "30d", "--dry-run"), StringComparison.Ordinal);
    }

    private static async Task<SessionArchive> ReadArchiveAsync(string path)
    {
        await using var file = File.OpenRead(path);
        return await SessionJsonFormat.ReadAsync(file, path);
    }

    /// <summary>The session, each message and each kind of history, compared through the model's serializer (JSON values by value).</summary>
    private static void AssertSameArchive(SessionArchive expected, SessionArchive actual)
    {
        var context = AgentSessionsJson.Context;
        var where = expected.Session.Id;
        Assert.Equal(JsonSerializer.Serialize(expected.Session, context.Session), JsonSerializer.Serialize(actual.Session, context.Session));
        Assert.True(expected.Messages.Count == actual.Messages.Count, $"{where}: {actual.Messages.Count} messages archived of {expected.Messages.Count}");
        for (var i = 0; i < expected.Messages.Count; i++)
        {
            Assert.Equal(JsonSerializer.Serialize(expected.Messages[i], context.SessionMessage), JsonSerializer.Serialize(actual.Messages[i], context.SessionMessage));
        }

        Assert.Equal(JsonSerializer.Serialize(expected.Snapshots.ToList(), context.ListSnapshot), JsonSerializer.Serialize(actual.Snapshots.ToList(), context.ListSnapshot));
        Assert.Equal(JsonSerializer.Serialize(expected.Bookmarks.ToList(), context.ListBookmark), JsonSerializer.Serialize(actual.Bookmarks.ToList(), context.ListBookmark));
        Assert.Equal(JsonSerializer.Serialize(expected.ToolExecutions.ToList(), context.ListToolExecution), JsonSerializer.Serialize(actual.ToolExecutions.ToList(), context.ListToolExecution));
        Assert.Equal(JsonSerializer.Serialize(expected.Files.ToList(), context.ListFileChange), JsonSerializer.Serialize(actual.Files.ToList(), context.ListFileChange));
    }

    [Fact]
    public async Task Doctor_reports_a_healthy_store_and_repairs_a_broken_search_index()
    {
        var id = await ConversationAsync(2);
        Assert.Contains("the store is healthy", await _cli.OkAsync("doctor"), StringComparison.Ordinal);

        SQLitePCL.Batteries_V2.Init();
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_cli.StoreDirectory, "sessions.db")};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            // Damage: drop every search entry and break a total behind the store's back.
            command.CommandText = "INSERT INTO messages_fts (messages_fts) VALUES ('delete-all'); UPDATE sessions SET input_tokens = 999;";
            command.ExecuteNonQuery();
        }

        var broken = await _cli.RunAsync("doctor", "--json");
        Assert.Equal(1, broken.ExitCode);
        Assert.False(broken.Json.GetProperty("healthy").GetBoolean());
        Assert.Contains("--repair", await _cli.RunAsync("doctor").ContinueWith(t => t.Result.Stdout), StringComparison.Ordinal);

        Assert.Contains("the store is healthy", await _cli.OkAsync("doctor", "--repair"), StringComparison.Ordinal);
        Assert.Equal(4, (await ShowAsync(id)).GetProperty("inputTokens").GetInt64());
        Assert.Contains("q1", await _cli.OkAsync("search", "q1"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_seed_formats_folder_imports_every_session_once_with_a_summary()
    {
        var first = await _cli.RunAsync(["import", SeedFixtures.Root, "--timezone", "UTC", "--json"], null);
        Assert.True(first.ExitCode == 0, first.ToString());
        var summary = first.Json;
        var imported = summary.GetProperty("imported").EnumerateArray().ToList();
        Assert.Equal(["agent-q", "copilot-cli", "openagent-terminal", "superqode", "superqode"], imported.Select(i => i.GetProperty("format").GetString()).Order());
        Assert.Empty(summary.GetProperty("failed").EnumerateArray());

        var agentQ = await ShowAsync("session-20261121-042522-8955");
        Assert.Equal("Refactor parser", agentQ.GetProperty("title").GetString());
        Assert.Equal("2026-11-21T04:25:22+00:00", agentQ.GetProperty("createdAt").GetString());
        Assert.Equal(4, agentQ.GetProperty("messageCount").GetInt64());
        var open = await ShowAsync("2026-11-21_042521");
        Assert.Equal(["user", "assistant", "tool", "assistant"], open.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString()));

        var again = await _cli.RunAsync(["import", SeedFixtures.Root, "--json"], null);
        Assert.Equal(0, again.ExitCode);
        Assert.Empty(again.Json.GetProperty("imported").EnumerateArray());
        Assert.Contains(again.Json.GetProperty("skipped").EnumerateArray(), s => s.GetProperty("reason").GetString()!.StartsWith("already imported", StringComparison.Ordinal));

        var replaced = await _cli.RunAsync(["import", SeedFixtures.Path("agent-q"), "--replace", "--json"], null);
        Assert.Equal("session-20261121-042522-8955", Assert.Single(replaced.Json.GetProperty("imported").EnumerateArray()).GetProperty("sessionId").GetString());
        Assert.Equal(5, (await _cli.RunAsync("list", "--json")).Json.GetProperty("sessions").GetArrayLength());
    }

    [Fact]
    public async Task A_folder_with_a_malformed_file_imports_the_rest_and_names_the_bad_one()
    {
        var folder = _temp.Combine("mixed");
        Directory.CreateDirectory(folder);
        File.Copy(SeedFixtures.Path("agent-q", "session-20261121-042522-8955.lisp"), Path.Combine(folder, "good.lisp"));
        var lisp = await File.ReadAllTextAsync(SeedFixtures.Path("agent-q", "session-20261121-042522-8955.lisp"));
        await File.WriteAllTextAsync(Path.Combine(folder, "evil.lisp"), lisp.Replace(":name \"Refactor parser\"", ":name #.(run-program \"/bin/touch\" '(\"/tmp/pwned\"))", StringComparison.Ordinal));
        await File.WriteAllTextAsync(Path.Combine(folder, "cut.lisp"), lisp[..(lisp.Length / 2)]);

        var result = await _cli.RunAsync(["import", folder], null);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("1 imported, 0 skipped, 2 failed", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("evil.lisp", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("line", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, (await _cli.RunAsync("list", "--json")).Json.GetProperty("sessions").GetArrayLength());

        var single = await _cli.RunAsync(["import", Path.Combine(folder, "cut.lisp")], null);
        Assert.Equal(1, single.ExitCode);
        Assert.StartsWith("agent-sessions: error: ", single.Stderr, StringComparison.Ordinal);
        Assert.Contains("cut.lisp", single.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_all_writes_a_file_per_session()
    {
        var a = await ConversationAsync(1);
        var b = await ConversationAsync(1);
        var dir = _temp.Combine("all");

        Assert.Contains("exported 2 session(s)", await _cli.OkAsync("export", "--all", dir, "--format", "jsonl"), StringComparison.Ordinal);

        Assert.Equal(new[] { a + ".jsonl", b + ".jsonl" }.Order(), Directory.GetFiles(dir).Select(Path.GetFileName).Order());
        var lines = await File.ReadAllLinesAsync(Path.Combine(dir, a + ".jsonl"), Encoding.UTF8);
        Assert.Equal(3, lines.Length);
        Assert.Equal(2, (await _cli.RunAsync("export")).ExitCode);
    }
}
