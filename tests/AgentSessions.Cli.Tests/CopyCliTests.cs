using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Cli.Tests;

/// <summary>`agent-sessions copy` through the built tool: summaries, --json, exit codes, errors, signals.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CopyCliTests : IDisposable
{
    private readonly TempDirectory _temp = TempDirectory.ForCaller();
    private readonly CliRunner _source;
    private readonly CliRunner _target;

    public CopyCliTests()
    {
        _source = new CliRunner(_temp.Combine("source"));
        _target = new CliRunner(_temp.Combine("target"));
    }

    public void Dispose() => _temp.Dispose();

    private async Task<string> ConversationAsync(CliRunner cli, int exchanges)
    {
        var id = await cli.OkAsync("new", "--title", "copy me", "--tag", "t1");
        for (var i = 1; i <= exchanges; i++)
        {
            await cli.OkAsync("add", id, "--role", "user", "--content", $"q{i}");
            await cli.OkAsync("add", id, "--role", "assistant", "--content", $"a{i}", "--output-tokens", "3");
        }

        return id;
    }

    private Task<CliRunner.Result> CopyAsync(params string[] args) => _source.RunAsync(["copy", "--from", _source.StoreDirectory, "--to", _target.StoreDirectory, .. args]);

    [Fact]
    public async Task Copy_says_what_it_copied_and_a_second_run_says_nothing_is_new()
    {
        var first = await ConversationAsync(_source, 2);
        var second = await ConversationAsync(_source, 1);
        await _source.OkAsync("bookmark", first, "here");

        var copy = await CopyAsync();
        var again = await CopyAsync();

        Assert.True(copy.ExitCode == 0, copy.ToString());
        Assert.Equal("copied 2 sessions, 6 message(s); 0 already present", copy.Stdout.Trim());
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal("nothing new to copy: 2 sessions already present", again.Stdout.Trim());
        var shown = (await _target.RunAsync("show", first, "--json")).Json;
        Assert.Equal(4, shown.GetProperty("messages").GetArrayLength());
        Assert.Equal("here", shown.GetProperty("bookmarks")[0].GetProperty("name").GetString());
        Assert.Equal(second, (await _target.RunAsync("show", second, "--json")).Json.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Json_summary_lists_copied_updated_and_conflicting_sessions_and_a_conflict_exits_1()
    {
        var grows = await ConversationAsync(_source, 1);
        var diverges = await ConversationAsync(_source, 1);
        var same = await ConversationAsync(_source, 1);
        await CopyAsync();
        await _source.OkAsync("add", grows, "--role", "user", "--content", "q2");
        await _source.OkAsync("add", diverges, "--role", "user", "--content", "source's q2");
        await _target.OkAsync("add", diverges, "--role", "user", "--content", "target's q2");
        var fresh = await ConversationAsync(_source, 1);

        var result = await CopyAsync("--json");
        var text = await CopyAsync();

        Assert.True(result.ExitCode == 1, result.ToString());
        var json = result.Json;
        Assert.Equal(4, json.GetProperty("selected").GetInt32());
        Assert.Equal([fresh], json.GetProperty("copied").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal([grows], json.GetProperty("updated").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(1, json.GetProperty("alreadyPresent").GetInt32());
        Assert.Equal(diverges, json.GetProperty("conflicts")[0].GetProperty("sessionId").GetString());
        Assert.Equal(2 + 1, json.GetProperty("messages").GetInt64());
        Assert.False(json.GetProperty("stopped").GetBoolean());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("failure").ValueKind);
        // The second run: the conflict again (on stderr, one line), everything else present.
        Assert.Equal(1, text.ExitCode);
        Assert.Equal("copied 0 sessions, 0 message(s); 3 already present; 1 conflict(s) skipped", text.Stdout.Trim());
        Assert.StartsWith($"conflict {diverges}: the target's messages differ", text.Stderr, StringComparison.Ordinal);
        Assert.Equal("target's q2", (await _target.RunAsync("show", diverges, "--json")).Json.GetProperty("messages")[2].GetProperty("text").GetString());
        _ = same;
    }

    [Fact]
    public async Task A_store_with_every_kind_of_data_copied_there_and_back_exports_identically()
    {
        var import = await _source.RunAsync(["import", SeedFixtures.Root, "--timezone", "UTC"], null);
        Assert.True(import.ExitCode == 0, import.ToString());
        const string Id = "session-20261121-042522-8955";
        await _source.OkAsync("snapshot", Id, "before", "--description", "the start");
        await _source.OkAsync("bookmark", Id, "here", "--at", "2", "--note", "look");
        await _source.OkAsync("tool", Id, "--name", "grep", "--args", "{\"q\":1}", "--result", "found", "--duration-ms", "5", "--agent", "a", "--call-id", "c1", "--seq", "2");
        await _source.OkAsync("file", Id, "src/x.cs", "--created", "--agent", "a", "--seq", "3");
        await _source.OkAsync("tag", Id, "--add", "kept");
        await _source.OkAsync("pin", Id);
        var fork = (await _source.OkAsync("fork", Id, "--at", "2", "--title", "branch")).Trim();
        await _source.OkAsync("add", fork, "--role", "user", "--content", "another way", "--input-tokens", "7");
        var back = new CliRunner(_temp.Combine("back"));

        var there = await CopyAsync();
        var home = await _target.RunAsync("copy", "--from", _target.StoreDirectory, "--to", back.StoreDirectory);

        Assert.True(there.ExitCode == 0, there.ToString());
        Assert.True(home.ExitCode == 0, home.ToString());
        Assert.Equal(there.Stdout, home.Stdout);
        var original = await ExportAllAsync(_source);
        var returned = await ExportAllAsync(back);
        Assert.Equal(6, original.Count);
        Assert.Equal(original.Keys.Order(StringComparer.Ordinal), returned.Keys.Order(StringComparer.Ordinal));
        foreach (var (file, json) in original)
        {
            Assert.Equal(json, returned[file]);
        }
    }

    /// <summary>Every session's JSON export, by file name, without the export's own time.</summary>
    private async Task<Dictionary<string, string>> ExportAllAsync(CliRunner cli)
    {
        var folder = _temp.Combine("exports-" + Path.GetFileName(cli.StoreDirectory));
        await cli.OkAsync("export", "--all", folder);
        var exports = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.GetFiles(folder))
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(file))!.AsObject();
            node.Remove("exportedAt");
            exports[Path.GetFileName(file)] = node.ToJsonString();
        }

        return exports;
    }

    [Fact]
    public async Task On_a_terminal_the_progress_bar_clears_itself_and_leaves_the_conflict_and_summary_lines()
    {
        var id = await ConversationAsync(_source, 1);
        await CopyAsync();
        await _source.OkAsync("add", id, "--role", "user", "--content", "source side");
        await _target.OkAsync("add", id, "--role", "user", "--content", "target side");
        await ConversationAsync(_source, 1);
        using var terminal = new TmuxTerminal(_temp.Path);

        // The progress bar draws on this terminal and clears itself: what stays is the account.
        terminal.Start($"dotnet '{CliRunner.Dll}' copy --from '{_source.StoreDirectory}' --to '{_target.StoreDirectory}'; echo EXIT=$?; sleep 30");
        var screen = await terminal.WaitForAsync("EXIT=");

        Assert.Contains("EXIT=1", screen, StringComparison.Ordinal);
        Assert.Contains($"conflict {id}: the target's messages differ", screen, StringComparison.Ordinal);
        Assert.True(screen.Contains("copied 1 session, 2 message(s); 0 already present; 1 conflict(s) skipped", StringComparison.Ordinal), screen);
        Assert.DoesNotContain("copying", screen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_and_since_options_choose_what_is_copied()
    {
        var wanted = await ConversationAsync(_source, 1);
        await ConversationAsync(_source, 1);

        var one = await CopyAsync("--session", wanted, "--json");
        var none = await CopyAsync("--since", "2099-01-01");

        Assert.True(one.ExitCode == 0, one.ToString());
        Assert.Equal([wanted], one.Json.GetProperty("copied").EnumerateArray().Select(e => e.GetString()));
        Assert.True(none.ExitCode == 0, none.ToString());
        Assert.Equal("nothing to copy: no session matched", none.Stdout.Trim());
        Assert.Equal(1, (await _target.RunAsync("stats", "--json")).Json.GetProperty("sessions").GetInt32());
    }

    [Fact]
    public async Task Errors_are_one_line_with_an_exit_code_and_copy_nothing()
    {
        var id = await ConversationAsync(_source, 1);
        var link = _temp.Combine("link-to-source");
        Directory.CreateSymbolicLink(link, _source.StoreDirectory);

        var same = await _source.RunAsync("copy", "--from", _source.StoreDirectory, "--to", link);
        var badId = await CopyAsync("--session", id, "--session", "bad id");
        var missing = await CopyAsync("--session", id, "--session", "no-such-session");
        var noStore = await _source.RunAsync("copy", "--from", _temp.Combine("typo"), "--to", _target.StoreDirectory);
        var noTarget = await _source.RunAsync("copy", "--from", _source.StoreDirectory);

        Assert.Equal(2, same.ExitCode);
        Assert.Contains("--from and --to name the same store", same.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, badId.ExitCode);
        Assert.Equal(3, missing.ExitCode);
        Assert.Contains("no-such-session", missing.Stderr, StringComparison.Ordinal);
        Assert.Equal(3, noStore.ExitCode);
        Assert.Contains("there is no store at", noStore.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, noTarget.ExitCode);
        foreach (var result in new[] { same, badId, missing, noStore })
        {
            Assert.Single(result.Stderr.TrimEnd().Split('\n'));
            Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        }

        Assert.False(Directory.Exists(_temp.Combine("typo")));
        Assert.False(Directory.Exists(_target.StoreDirectory));
    }

    [Fact]
    public async Task Sigint_stops_between_sessions_reports_what_was_copied_and_a_rerun_finishes()
    {
        const int Count = 2000;
        var folder = _temp.Combine("sessions");
        Directory.CreateDirectory(folder);
        for (var i = 0; i < Count; i++)
        {
            var id = $"session-20260101-000000-{i:D13}";
            var text = new StringBuilder();
            text.Append("{\"format\":\"agent-sessions-jsonl\",\"version\":2,\"session\":{\"id\":\"").Append(id)
                .Append("\",\"title\":\"copy ").Append(i).Append("\",\"createdAt\":\"2026-01-01T00:00:00+00:00\",\"updatedAt\":\"2026-01-01T00:00:00+00:00\",\"tags\":[],\"metadata\":{}}}\n")
                .Append("{\"id\":\"msg-20260101-000000-").Append($"{i:D7}000001").Append("\",\"seq\":1,\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\"hello ").Append(i)
                .Append("\"}],\"createdAt\":\"2026-01-01T00:00:00+00:00\",\"metadata\":{}}\n");
            await File.WriteAllTextAsync(Path.Combine(folder, $"s{i:D5}.jsonl"), text.ToString());
        }

        var import = await _source.RunAsync(["import", folder], stdin: null, new Dictionary<string, string?> { ["AGENT_SESSIONS_DURABILITY"] = "normal" });
        Assert.True(import.ExitCode == 0, import.ToString());

        // Full durability on the target: one synced transaction per session keeps the copy running long enough to be
        // interrupted once the target exists (the signal may still come before the first session: then 0 are copied).
        var info = BuiltTool.StartInfo(["copy", "--from", _source.StoreDirectory, "--to", _target.StoreDirectory]);
        info.Environment.Remove("AGENT_SESSIONS_DEBUG");
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var waited = Stopwatch.StartNew();
        var database = Path.Combine(_target.StoreDirectory, "sessions.db");
        while (!File.Exists(database))
        {
            if (process.HasExited)
            {
                Assert.Fail("the copy ended before it could be interrupted: " + await stdout + await stderr);
            }

            Assert.True(waited.Elapsed < TimeSpan.FromMinutes(1), "the copy never started");
            await Task.Delay(20);
        }

        Assert.Equal(0, Kill(process.Id, 2));
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await process.WaitForExitAsync(bound.Token);

        Assert.True(process.ExitCode == 130, $"exit {process.ExitCode}: {await stdout} {await stderr}");
        Assert.Contains("agent-sessions: interrupted; SIGINT", await stderr, StringComparison.Ordinal);
        var line = (await stdout).Trim();
        Assert.StartsWith("copied ", line, StringComparison.Ordinal);
        var copied = int.Parse(line["copied ".Length..line.IndexOf(' ', "copied ".Length)], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(copied, 0, Count - 1);
        Assert.Equal(copied, (await _target.RunAsync("stats", "--json")).Json.GetProperty("sessions").GetInt32());

        var rerun = await _source.RunAsync(["copy", "--from", _source.StoreDirectory, "--to", _target.StoreDirectory, "--json"], stdin: null, new Dictionary<string, string?> { ["AGENT_SESSIONS_DURABILITY"] = "normal" });
        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        Assert.Equal(Count - copied, rerun.Json.GetProperty("copied").GetArrayLength());
        Assert.Equal(copied, rerun.Json.GetProperty("alreadyPresent").GetInt32());
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
