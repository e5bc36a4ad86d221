using System.Text;
using System.Text.Json;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Cli.Tests;

/// <summary>The agent-sessions tool run as a process against a real store directory.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CliEndToEndTests : IDisposable
{
    private readonly TempDirectory _temp = TempDirectory.ForCaller();
    private readonly CliRunner _cli;

    public CliEndToEndTests() => _cli = new CliRunner(_temp.Combine("store"));

    public void Dispose() => _temp.Dispose();

    private static void AssertCleanError(CliRunner.Result result, int exitCode, string expected)
    {
        Assert.True(result.ExitCode == exitCode, result.ToString());
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.StartsWith("agent-sessions: error: ", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AGENT_SESSIONS_STORE_names_the_store_below_store_and_above_the_default()
    {
        var named = _temp.Combine("named");
        var env = new Dictionary<string, string?> { ["AGENT_SESSIONS_STORE"] = named };
        var created = await _cli.RunAsync(["new", "--id", "env-store"], stdin: null, env);
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.True(File.Exists(Path.Combine(named, "sessions.db")));
        Assert.False(Directory.Exists(_cli.StoreDirectory) && File.Exists(Path.Combine(_cli.StoreDirectory, "sessions.db")));

        // --store wins over the environment.
        var other = _temp.Combine("other");
        var listed = await _cli.RunAsync(["list", "--json", "--store", other], stdin: null, env);
        Assert.True(listed.ExitCode == 0, listed.ToString());
        Assert.DoesNotContain("env-store", listed.Stdout, StringComparison.Ordinal);

        // A server URL is refused clearly by this build, with no password shown.
        var url = await _cli.RunAsync(["list"], stdin: null, new Dictionary<string, string?> { ["AGENT_SESSIONS_STORE"] = "postgresql://me:hunter2@db/x" });
        AssertCleanError(url, 2, "no backend of this build opens");
        Assert.DoesNotContain("hunter2", url.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_session_is_created_filled_and_shown_as_stable_json()
    {
        var id = await _cli.OkAsync("new", "--title", "Durable appends", "--model", "gpt-5", "--tag", "db", "--tag", "wal", "--project", _temp.Path);
        Assert.True(SessionIds.IsValid(id), id);

        Assert.Equal("1", (await _cli.OkAsync("add", id, "--role", "user", "--content", "How do I fsync?", "--input-tokens", "12")).Split(' ')[0]);
        var piped = await _cli.RunAsync(["add", id, "--role", "assistant", "--output-tokens", "34", "--model", "gpt-5"], Encoding.UTF8.GetBytes("Call fsync on the file, then on the directory.\n"));
        Assert.True(piped.ExitCode == 0, piped.ToString());

        var show = (await _cli.RunAsync("show", id, "--json")).Json;

        Assert.Equal(id, show.GetProperty("id").GetString());
        Assert.Equal("Durable appends", show.GetProperty("title").GetString());
        Assert.Equal(["db", "wal"], show.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(2, show.GetProperty("messageCount").GetInt64());
        Assert.Equal(12, show.GetProperty("inputTokens").GetInt64());
        Assert.Equal(34, show.GetProperty("outputTokens").GetInt64());
        Assert.Equal(_temp.Path, show.GetProperty("projectPath").GetString());
        Assert.True(DateTimeOffset.TryParse(show.GetProperty("createdAt").GetString(), out _));
        var messages = show.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal([1L, 2L], messages.Select(m => m.GetProperty("seq").GetInt64()));
        Assert.Equal(["user", "assistant"], messages.Select(m => m.GetProperty("role").GetString()));
        Assert.Equal("Call fsync on the file, then on the directory.\n", messages[1].GetProperty("text").GetString());
        Assert.Equal("text", messages[1].GetProperty("parts")[0].GetProperty("type").GetString());
        Assert.StartsWith("msg-", messages[0].GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.True(messages[0].TryGetProperty("createdAt", out _));

        var page = (await _cli.RunAsync("show", id, "--from", "2", "--limit", "1", "--json")).Json.GetProperty("messages");
        Assert.Equal(2, Assert.Single(page.EnumerateArray()).GetProperty("seq").GetInt64());

        var human = await _cli.OkAsync("show", id);
        Assert.Contains("How do I fsync?", human, StringComparison.Ordinal);
        Assert.Contains("2. assistant", human, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", human, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_filters_and_pages_with_documented_json_fields()
    {
        var a = await _cli.OkAsync("new", "--title", "alpha", "--tag", "work");
        var b = await _cli.OkAsync("new", "--title", "beta");
        var c = await _cli.OkAsync("new", "--title", "gamma", "--tag", "work");
        await _cli.OkAsync("pin", b);

        var all = (await _cli.RunAsync("list", "--json")).Json;
        var items = all.GetProperty("sessions").EnumerateArray().ToList();
        Assert.Equal([b, c, a], items.Select(s => s.GetProperty("id").GetString()));
        foreach (var field in new[] { "id", "title", "createdAt", "updatedAt", "messageCount", "tags", "pinned" })
        {
            Assert.True(items[0].TryGetProperty(field, out _), $"list items carry {field}");
        }

        Assert.False(all.GetProperty("hasMore").GetBoolean());
        Assert.Equal([c, a], (await _cli.RunAsync("list", "--tag", "work", "--json")).Json.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        Assert.Equal([b], (await _cli.RunAsync("list", "--pinned", "--json")).Json.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        var firstPage = (await _cli.RunAsync("list", "--limit", "2", "--json")).Json;
        Assert.True(firstPage.GetProperty("hasMore").GetBoolean());
        Assert.Equal([a], (await _cli.RunAsync("list", "--limit", "2", "--offset", "2", "--json")).Json.GetProperty("sessions").EnumerateArray().Select(s => s.GetProperty("id").GetString()));

        var table = await _cli.OkAsync("list");
        Assert.Contains("alpha", table, StringComparison.Ordinal);
        Assert.Contains(a, table, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_prints_one_aligned_line_per_session_whatever_the_title()
    {
        var plain = await _cli.OkAsync("new", "--title", "Short", "--tag", "a", "--tag", "b");
        var hostile = await _cli.OkAsync("new", "--title", "two\nlines\u001b[31m and an escape");
        var wide = await _cli.OkAsync("new", "--title", "日本語のタイトル " + new string('x', 80));
        await _cli.OkAsync("pin", plain);
        await _cli.OkAsync("add", plain, "--role", "user", "--content", "hi");

        var lines = (await _cli.OkAsync("list")).Split('\n');

        Assert.Equal(4, lines.Length);
        Assert.Matches("^ID +TITLE +MSGS +UPDATED +TAGS$", lines[0]);
        var titleColumn = lines[0].IndexOf("TITLE", StringComparison.Ordinal);
        var byId = lines[1..].ToDictionary(l => l[..l.IndexOf(' ', StringComparison.Ordinal)]);
        Assert.Equal(new[] { plain, hostile, wide }.Order(StringComparer.Ordinal), byId.Keys.Order(StringComparer.Ordinal));

        // The UPDATED column starts at the same terminal column on every line (the CJK title takes 2 per character).
        var updatedColumns = lines.Select(l =>
        {
            var at = System.Text.RegularExpressions.Regex.Match(l, @"UPDATED|\d{4}-\d\d-\d\d ").Index;
            return at + l[..at].Count(c => c is >= '\u3040' and <= '\u9fff');
        });
        Assert.Single(updatedColumns.Distinct());
        Assert.Equal("★ Short", byId[plain][titleColumn..].Split("  ")[0]);
        Assert.Matches(@"  1  \d{4}-\d\d-\d\d \d\d:\d\d  a,b$", byId[plain]);
        Assert.StartsWith(@"two\nlines\x1b[31m and an escape", byId[hostile][titleColumn..], StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', byId[hostile]);
        Assert.Contains("日本語のタイトル xxx", byId[wide], StringComparison.Ordinal);
        Assert.Contains("x…", byId[wide], StringComparison.Ordinal);
        Assert.DoesNotContain(new string('x', 80), byId[wide], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rename_tag_pin_and_unpin_change_the_session()
    {
        var id = await _cli.OkAsync("new", "--tag", "old");

        await _cli.OkAsync("rename", id, "A better title");
        Assert.Equal("new old", await _cli.OkAsync("tag", id, "--add", "new"));
        Assert.Equal("new", await _cli.OkAsync("tag", id, "--remove", "old"));
        await _cli.OkAsync("pin", id);
        var pinned = (await _cli.RunAsync("show", id, "--json")).Json;
        await _cli.OkAsync("unpin", id);
        var unpinned = (await _cli.RunAsync("show", id, "--json")).Json;

        Assert.Equal("A better title", pinned.GetProperty("title").GetString());
        Assert.True(pinned.GetProperty("pinned").GetBoolean());
        Assert.False(unpinned.GetProperty("pinned").GetBoolean());
        AssertCleanError(await _cli.RunAsync("tag", id, "--add", "has,comma"), 2, "invalid tag");
        AssertCleanError(await _cli.RunAsync("rename", id, "  "), 2, "title");
    }

    [Fact]
    public async Task Delete_refuses_without_yes_when_not_on_a_terminal_and_keeps_the_session()
    {
        var id = await _cli.OkAsync("new", "--title", "precious");

        AssertCleanError(await _cli.RunAsync("delete", id), 2, "pass --yes");
        Assert.Equal("precious", (await _cli.RunAsync("show", id, "--json")).Json.GetProperty("title").GetString());

        Assert.Equal($"deleted {id}", await _cli.OkAsync("delete", id, "--yes"));
        AssertCleanError(await _cli.RunAsync("show", id), 3, "not found");
        AssertCleanError(await _cli.RunAsync("delete", id, "--yes"), 3, "not found");
    }

    [Fact]
    public async Task Search_finds_ranked_hits_with_filters_and_json()
    {
        var a = await _cli.OkAsync("new", "--tag", "infra");
        var b = await _cli.OkAsync("new");
        await _cli.OkAsync("add", a, "--role", "user", "--content", "Why is the checkpoint starving?");
        await _cli.OkAsync("add", a, "--role", "assistant", "--content", "A long reader blocks the checkpoint from finishing.");
        await _cli.OkAsync("add", b, "--role", "user", "--content", "checkpoint in a game save");

        var hits = (await _cli.RunAsync("search", "checkpoint", "--json")).Json.GetProperty("hits").EnumerateArray().ToList();
        Assert.Equal(3, hits.Count);
        Assert.All(hits, h =>
        {
            var snippet = h.GetProperty("snippet").GetString()!;
            var range = h.GetProperty("highlights")[0];
            Assert.Equal("checkpoint", snippet.Substring(range.GetProperty("start").GetInt32(), range.GetProperty("length").GetInt32()));
        });

        var assistant = (await _cli.RunAsync("search", "checkpoint", "--role", "assistant", "--json")).Json.GetProperty("hits");
        Assert.Equal(a, Assert.Single(assistant.EnumerateArray()).GetProperty("sessionId").GetString());
        Assert.Equal(2, (await _cli.RunAsync("search", "checkpoint", "--tag", "infra", "--json")).Json.GetProperty("hits").GetArrayLength());
        Assert.Equal(0, (await _cli.RunAsync("search", "checkpoint", "--since", "2999-01-01", "--json")).Json.GetProperty("hits").GetArrayLength());
        Assert.Equal(3, (await _cli.RunAsync("search", "checkpoint", "--since", "1h", "--json")).Json.GetProperty("hits").GetArrayLength());
        Assert.Single((await _cli.RunAsync("search", "checkpoint", "--limit", "1", "--json")).Json.GetProperty("hits").EnumerateArray());
        var exhaustive = (await _cli.RunAsync("search", "checkpoint", "--exhaustive", "--json")).Json.GetProperty("hits").EnumerateArray();
        Assert.Equal(hits.Select(h => h.GetProperty("snippet").GetString()), exhaustive.Select(h => h.GetProperty("snippet").GetString()));
        Assert.Contains("checkpoint", await _cli.OkAsync("search", "checkpoint"), StringComparison.Ordinal);
        Assert.Equal("no matches", await _cli.OkAsync("search", "nonexistentword"));
        AssertCleanError(await _cli.RunAsync("search", "x", "--since", "yesterday-ish"), 2, "--since");
        AssertCleanError(await _cli.RunAsync("search", "x", "--role", "wizard"), 2, "unknown role");
    }

    [Fact]
    public async Task Export_and_import_round_trip_and_duplicates_are_not_silent()
    {
        var id = await _cli.OkAsync("new", "--title", "Round trip", "--tag", "t");
        await _cli.OkAsync("add", id, "--role", "user", "--content", "ünïcödé and \"quotes\" and <tags>");
        await _cli.OkAsync("add", id, "--role", "assistant", "--content", "answer", "--output-tokens", "7");
        var file = _temp.Combine("export.json");

        await _cli.OkAsync("export", id, "--output", file);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        AssertCleanError(await _cli.RunAsync("import", file), 2, "already exists");
        Assert.Equal("copy-1", await _cli.OkAsync("import", file, "--as", "copy-1"));

        var original = (await _cli.RunAsync("show", id, "--json")).Json;
        var copy = (await _cli.RunAsync("show", "copy-1", "--json")).Json;
        Assert.Equal(
            original.GetProperty("messages").GetRawText(),
            copy.GetProperty("messages").GetRawText());
        foreach (var field in new[] { "title", "createdAt", "updatedAt", "tags", "messageCount", "outputTokens" })
        {
            Assert.Equal(original.GetProperty(field).GetRawText(), copy.GetProperty(field).GetRawText());
        }

        await _cli.OkAsync("rename", id, "changed");
        Assert.Equal(id, await _cli.OkAsync("import", file, "--replace"));
        Assert.Equal("Round trip", (await _cli.RunAsync("show", id, "--json")).Json.GetProperty("title").GetString());

        var stdoutExport = await _cli.RunAsync("export", id);
        Assert.Equal("agent-sessions", stdoutExport.Json.GetProperty("format").GetString());
    }

    [Fact]
    public async Task Markdown_export_is_readable()
    {
        var id = await _cli.OkAsync("new", "--title", "Notes");
        await _cli.OkAsync("add", id, "--role", "user", "--content", "Hello **world**");

        var markdown = await _cli.OkAsync("export", id, "--format", "markdown");

        Assert.StartsWith("# Notes", markdown, StringComparison.Ordinal);
        Assert.Contains("## 1. User · ", markdown, StringComparison.Ordinal);
        Assert.Contains("Hello **world**", markdown, StringComparison.Ordinal);
        AssertCleanError(await _cli.RunAsync("export", id, "--format", "docx"), 2, "docx");
    }

    [Fact]
    public async Task Importing_a_malformed_file_names_the_file_and_position_and_stores_nothing()
    {
        var file = _temp.Combine("broken.json");
        await File.WriteAllTextAsync(file, "{\"format\": \"agent-sessions\",\n \"version\": 1,\n \"session\": {,}");

        AssertCleanError(await _cli.RunAsync("import", file), 1, "broken.json: not valid JSON at line 3");
        AssertCleanError(await _cli.RunAsync("import", _temp.Combine("missing.json")), 2, "does not exist");
        Assert.Equal(0, (await _cli.RunAsync("list", "--json")).Json.GetProperty("sessions").GetArrayLength());
    }

    [Theory]
    [InlineData("../etc")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("/abs")]
    [InlineData("x\ty")]
    public async Task Path_traversal_and_invalid_ids_are_refused_before_touching_anything(string id)
    {
        AssertCleanError(await _cli.RunAsync("new", "--id", id), 2, "invalid session id");
        AssertCleanError(await _cli.RunAsync("show", id), 2, "invalid session id");
        AssertCleanError(await _cli.RunAsync("add", id, "--role", "user", "--content", "x"), 2, "invalid session id");
        AssertCleanError(await _cli.RunAsync("import", _temp.Combine("none.json"), "--as", id), 2, "invalid session id");

        Assert.Equal(["sessions.db"], Directory.GetFiles(_cli.StoreDirectory).Select(Path.GetFileName).Order());
        Assert.Equal(0, (await _cli.RunAsync("list", "--json")).Json.GetProperty("sessions").GetArrayLength());
    }

    [Fact]
    public async Task Invalid_utf8_on_stdin_is_refused_and_nothing_is_stored()
    {
        var id = await _cli.OkAsync("new");

        var result = await _cli.RunAsync(["add", id, "--role", "user"], [0x68, 0x69, 0xC3, 0x28, 0xFF]);

        AssertCleanError(result, 2, "not valid UTF-8");
        Assert.Equal(0, (await _cli.RunAsync("show", id, "--json")).Json.GetProperty("messageCount").GetInt64());
    }

    [Fact]
    public async Task A_50_MB_message_is_refused_with_a_size_limit_error_and_the_store_keeps_working()
    {
        var id = await _cli.OkAsync("new");
        await _cli.OkAsync("add", id, "--role", "user", "--content", "before");

        var result = await _cli.RunAsync(["add", id, "--role", "tool"], Encoding.UTF8.GetBytes(new string('x', 50 * 1024 * 1024)));

        AssertCleanError(result, 2, "16 MiB");
        await _cli.OkAsync("add", id, "--role", "user", "--content", "after");
        var show = (await _cli.RunAsync("show", id, "--json")).Json;
        Assert.Equal(["before", "after"], show.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()));
    }

    [Fact]
    public async Task Unknown_sessions_exit_3_and_usage_errors_exit_2()
    {
        AssertCleanError(await _cli.RunAsync("show", "no-such-session"), 3, "'no-such-session' not found");
        AssertCleanError(await _cli.RunAsync("add", "no-such-session", "--role", "user", "--content", "x"), 3, "not found");
        AssertCleanError(await _cli.RunAsync("list", "--bogus"), 2, "--bogus");
        AssertCleanError(await _cli.RunAsync("add", "x"), 2, "--role");
        AssertCleanError(await _cli.RunAsync("list", "--limit", "many"), 2, "many");
        AssertCleanError(await _cli.RunAsync("list", "--limit", "0"), 2, "limit must be at least 1");
        var id = await _cli.OkAsync("new");
        AssertCleanError(await _cli.RunAsync("add", id, "--role", "narrator", "--content", "x"), 2, "unknown role 'narrator'");
        AssertCleanError(await _cli.RunAsync(["add", id, "--role", "user"], []), 2, "empty");
        var help = await _cli.RunAsync("--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("search", help.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_from_a_newer_version_is_refused_clearly()
    {
        await _cli.OkAsync("new", "--id", "kept");
        SQLitePCL.Batteries_V2.Init();
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(_cli.StoreDirectory, "sessions.db")};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 42";
            command.ExecuteNonQuery();
        }

        AssertCleanError(await _cli.RunAsync("list"), 1, "newer agent-sessions");
    }

    [Fact]
    public async Task The_default_location_follows_AGENT_SESSIONS_HOME_then_XDG_DATA_HOME_and_store_overrides_both()
    {
        var xdg = _temp.Combine("xdg");
        var home = _temp.Combine("home");
        var withXdg = new Dictionary<string, string?> { ["AGENT_SESSIONS_HOME"] = null, ["XDG_DATA_HOME"] = xdg, ["HOME"] = home };
        var withHome = new Dictionary<string, string?> { ["AGENT_SESSIONS_HOME"] = null, ["XDG_DATA_HOME"] = null, ["HOME"] = home };

        Assert.Equal(0, (await _cli.RunAsync(["new", "--id", "in-xdg"], null, withXdg)).ExitCode);
        Assert.Equal(0, (await _cli.RunAsync(["new", "--id", "in-home"], null, withHome)).ExitCode);
        Assert.Equal(0, (await _cli.RunAsync(["new", "--id", "in-explicit", "--store", _temp.Combine("explicit")], null, withXdg)).ExitCode);
        await _cli.OkAsync("new", "--id", "in-env");

        Assert.True(File.Exists(Path.Combine(xdg, "agent-sessions", "sessions.db")));
        Assert.True(File.Exists(Path.Combine(home, ".local", "share", "agent-sessions", "sessions.db")));
        Assert.True(File.Exists(_temp.Combine("explicit", "sessions.db")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(xdg, "agent-sessions")));
        var info = (await _cli.RunAsync("info", "--json")).Json;
        Assert.Equal(Path.Combine(_cli.StoreDirectory, "sessions.db"), info.GetProperty("location").GetString());
        Assert.Equal(1, info.GetProperty("sessionCount").GetInt64());
        Assert.Equal("sqlite", info.GetProperty("backend").GetString());
        Assert.StartsWith("full", info.GetProperty("details").GetProperty("durability").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Durability_is_chosen_with_AGENT_SESSIONS_DURABILITY()
    {
        var normal = await _cli.RunAsync(["info", "--json"], null, new Dictionary<string, string?> { ["AGENT_SESSIONS_DURABILITY"] = "normal" });
        Assert.StartsWith("normal", normal.Json.GetProperty("details").GetProperty("durability").GetString(), StringComparison.Ordinal);

        AssertCleanError(await _cli.RunAsync(["list"], null, new Dictionary<string, string?> { ["AGENT_SESSIONS_DURABILITY"] = "yolo" }), 2, "AGENT_SESSIONS_DURABILITY");
    }

    [Fact]
    public async Task Info_shows_the_sqlite_version_the_tool_runs_on_in_text_and_json()
    {
        await _cli.OkAsync("new", "--id", "v");

        // Asked of the engine the tool loaded (sqlite_version()), not of the test process: the bundle shipped with
        // SQLitePCLRaw 3 is SQLite 3.5x, and an older native library found first on the machine would show here.
        var json = (await _cli.RunAsync("info", "--json")).Json.GetProperty("details").GetProperty("sqliteVersion").GetString();
        Assert.StartsWith("3.5", json, StringComparison.Ordinal);

        var text = await _cli.RunAsync("info");
        Assert.True(text.ExitCode == 0, text.ToString());
        var line = text.Stdout.Split('\n').Single(l => l.StartsWith("sqliteVersion", StringComparison.Ordinal));
        Assert.Equal(json, line["sqliteVersion".Length..].Trim());
    }

    [Fact]
    public async Task Several_cli_processes_adding_to_one_session_at_once_stay_gap_free()
    {
        var id = await _cli.OkAsync("new");

        await Task.WhenAll(Enumerable.Range(0, 4).Select(async p =>
        {
            for (var i = 0; i < 6; i++)
            {
                var result = await _cli.RunAsync("add", id, "--role", "user", "--content", $"p{p} m{i}");
                Assert.True(result.ExitCode == 0, result.ToString());
                Assert.Equal("", result.Stderr);
            }
        }));

        var messages = (await _cli.RunAsync("show", id, "--json")).Json.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(Enumerable.Range(1, 24).Select(i => (long)i), messages.Select(m => m.GetProperty("seq").GetInt64()));
        Assert.Equal(24, messages.Select(m => m.GetProperty("text").GetString()).Distinct().Count());
    }
}
