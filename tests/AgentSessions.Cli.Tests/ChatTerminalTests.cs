using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentSessions.FakeOpenAi;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Cli.Tests;

/// <summary>
/// <c>agent-sessions chat</c> on a real terminal (tmux types into it and reads its screen) against the fake
/// OpenAI-compatible server in this process: streamed answers under the mode line, Ctrl+C and Ctrl+D, the slash
/// commands, hostile model output, and the session picker of <c>--resume</c> without an id.
/// </summary>
/// <remarks>
/// The fake server's default reply is <c>You said: TEXT (messages: N)</c>, N counting the messages of the request, so
/// the screen alone shows how much context the model got; its recorded requests show it message by message. Usage
/// is one prompt token per word sent and one completion token per word answered, so the mode line's totals are known.
/// </remarks>
public sealed partial class ChatTerminalTests : IAsyncLifetime, IDisposable
{
    private const string ApiKey = "sk-test-tty-0b1c2d3e4f5a6b7c8d9e";

    private readonly TempDirectory _temp = TempDirectory.ForCaller();
    private readonly TmuxTerminal _terminal;
    private readonly CliRunner _cli;
    private FakeOpenAiServer _server = null!;

    public ChatTerminalTests()
    {
        _terminal = new TmuxTerminal(_temp.Path);
        _cli = new CliRunner(_temp.Combine("store"));
    }

    public async Task InitializeAsync() => _server = await FakeOpenAiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose()
    {
        _terminal.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task Two_turns_typed_stream_their_answers_under_the_mode_line_are_stored_and_Ctrl_D_leaves_with_0()
    {
        StartChat("--id", "tty-two");
        await _terminal.WaitForAsync("[untitled · 0 msgs · ↑0 ↓0]");

        _terminal.TypeLine("hello there");
        await _terminal.WaitForAsync("You said: hello there (messages: 1)");
        // The title derived from the first message; 2 words sent, 6 answered.
        await _terminal.WaitForAsync("[hello there · 2 msgs · ↑2 ↓6]");
        _terminal.TypeLine("second");
        await _terminal.WaitForAsync("You said: second (messages: 3)");
        await _terminal.WaitForAsync("[hello there · 4 msgs · ↑11 ↓11]");
        _terminal.Keys("C-d");
        var screen = await _terminal.WaitForAsync("EXIT=");

        Assert.Contains("EXIT=0", screen, StringComparison.Ordinal);
        Assert.Contains("saved: session tty-two, 4 messages", screen, StringComparison.Ordinal);
        Assert.Equal(
            ["user: hello there", "assistant: You said: hello there (messages: 1)", "user: second", "assistant: You said: second (messages: 3)"],
            (await StoredAsync("tty-two")).Select(Describe));
        Assert.Equal(["user: hello there", "assistant: You said: hello there (messages: 1)", "user: second"], _server.ChatRequests[^1].Messages.Select(m => m.ToString()));
        Assert.True(_server.ChatRequests[^1].HasApiKey(ApiKey));
    }

    [Fact]
    public async Task Over_max_context_tokens_the_terminal_chat_says_once_that_old_turns_are_left_out_and_sends_only_the_newest()
    {
        await _cli.OkAsync("new", "--id", "tty-budget");
        for (var i = 1; i <= 3; i++)
        {
            await AddAsync("tty-budget", "user", $"question {i} " + new string('q', 200));
            await AddAsync("tty-budget", "assistant", $"answer {i} " + new string('a', 200));
        }

        StartChat("--resume", "tty-budget", "--max-context-tokens", "150");
        await _terminal.WaitForAsync("[");
        _terminal.TypeLine("first");
        await _terminal.WaitForAsync("You said: first");
        _terminal.TypeLine("second");
        await _terminal.WaitForAsync("You said: second");
        _terminal.Keys("C-d");
        var screen = await _terminal.WaitForAsync("EXIT=");

        Assert.Contains("EXIT=0", screen, StringComparison.Ordinal);
        const string notice = "the oldest turns are left out of the requests";
        Assert.Equal(1, screen.Split(notice).Length - 1);
        // The model got the newest turns only; the store kept all of them.
        Assert.Equal("user: first", _server.ChatRequests[0].Messages[^1].ToString());
        Assert.DoesNotContain(_server.ChatRequests[0].Messages, m => m.Text.StartsWith("question 1 ", StringComparison.Ordinal));
        Assert.Equal(10, (await StoredAsync("tty-budget")).Count);
    }

    [Fact]
    public async Task A_terminal_that_goes_away_mid_answer_with_SIGHUP_ignored_still_saves_what_no_autosave_held()
    {
        var project = Directory.CreateDirectory(_temp.Combine("project")).FullName;
        // SIGHUP ignored (as under nohup, and inherited through exec): closing the terminal then shows only as
        // writes that fail (EIO), the path that has no signal to save on.
        _terminal.Start($"cd '{project}'; trap '' HUP; exec {ChatCommand("--id", "tty-gone", "--no-autosave")}");
        var pid = _terminal.PanePid;
        _terminal.TypeLine("first");
        await _terminal.WaitForAsync("You said: first (messages: 1)");
        _server.Enqueue(ScriptedReply.Words(400) with { ChunkDelayMs = 50 });
        _terminal.TypeLine("second");
        await _terminal.WaitForAsync("w5 ");

        _terminal.Close();
        await TmuxTerminal.WaitForExitAsync(pid);

        var stored = await StoredAsync("tty-gone");
        Assert.Equal(["user: first", "assistant: You said: first (messages: 1)", "user: second"], stored.Take(3).Select(Describe));
        Assert.Equal(4, stored.Count);
        Assert.StartsWith("w1 w2 w3 w4 w5 ", stored[3].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ctrl_C_during_a_slow_answer_keeps_what_streamed_marked_interrupted_the_prompt_returns_and_Ctrl_C_at_it_leaves_with_0()
    {
        // 200 words a quarter second apart: fifty seconds of answer, so Ctrl+C lands mid-stream however slow the machine.
        _server.Enqueue(ScriptedReply.Words(200) with { ChunkDelayMs = 250 });
        StartChat("--id", "tty-stop");
        await _terminal.WaitForAsync("[untitled · 0 msgs");

        _terminal.TypeLine("slow please");
        await _terminal.WaitForAsync("w3 ");
        _terminal.Keys("C-c");
        var stopped = await _terminal.WaitForAsync("(interrupted: the answer so far is stored, marked interrupted)");

        Assert.DoesNotContain("w200", stopped, StringComparison.Ordinal);
        var partial = await StoredAsync("tty-stop");
        Assert.Equal(2, partial.Count);
        var answer = partial[1];
        Assert.True(answer.GetProperty("metadata").GetProperty("agent_sessions.partial").GetBoolean());
        Assert.Contains(answer.GetProperty("metadata").GetProperty("agent_sessions.interrupted").GetString(), new[] { "cancelled", "abandoned" });
        var partialText = answer.GetProperty("text").GetString()!;
        Assert.StartsWith("w1 w2 w3", partialText, StringComparison.Ordinal);
        // What the screen showed of the answer is what the store kept (it may hold a word more, received but not yet shown).
        var shown = Regex.Match(stopped, @"^w1 w2 w3[^\n]*", RegexOptions.Multiline).Value.TrimEnd();
        Assert.StartsWith(shown, partialText, StringComparison.Ordinal);

        // The prompt is back, and the next turn sends the stopped answer as it was stored.
        _terminal.TypeLine("again");
        await _terminal.WaitForAsync("You said: again (messages: 3)");
        Assert.Equal(["user: slow please", "assistant: " + partialText, "user: again"], _server.ChatRequests[^1].Messages.Select(m => m.ToString()));

        _terminal.Keys("C-c");
        var screen = await _terminal.WaitForAsync("EXIT=");
        Assert.Contains("EXIT=0", screen, StringComparison.Ordinal);
        Assert.Equal(4, (await StoredAsync("tty-stop")).Count);
    }

    [Fact]
    public async Task Slash_commands_change_the_session_through_the_store_and_undo_takes_the_turn_out_of_the_models_context()
    {
        StartChat("--id", "slashy");
        await _terminal.WaitForAsync("[untitled · 0 msgs");
        _terminal.TypeLine("alpha question");
        await _terminal.WaitForAsync("You said: alpha question (messages: 1)");
        _terminal.TypeLine("beta question");
        await _terminal.WaitForAsync("You said: beta question (messages: 3)");

        _terminal.TypeLine("/rename Renamed Chat");
        await _terminal.WaitForAsync("renamed slashy: Renamed Chat");
        await _terminal.WaitForAsync("[Renamed Chat · 4 msgs");
        _terminal.TypeLine("/tag red blue");
        await _terminal.WaitForAsync("tags: blue red");

        // Undo steps back over the last exchange; the next request must not carry it.
        _terminal.TypeLine("/undo");
        await _terminal.WaitForAsync("undone: slashy now shows 2 messages");
        _terminal.TypeLine("gamma");
        await _terminal.WaitForAsync("You said: gamma (messages: 3)");
        Assert.Equal(["user: alpha question", "assistant: You said: alpha question (messages: 1)", "user: gamma"], _server.ChatRequests[^1].Messages.Select(m => m.ToString()));

        var exported = _temp.Combine("slashy.md");
        _terminal.TypeLine($"/export markdown {exported}");
        await _terminal.WaitForAsync($"exported slashy to {exported}");
        var markdown = await File.ReadAllTextAsync(exported);
        Assert.Contains("Renamed Chat", markdown, StringComparison.Ordinal);
        Assert.Contains("gamma", markdown, StringComparison.Ordinal);
        Assert.DoesNotContain("beta question", markdown, StringComparison.Ordinal);

        _terminal.TypeLine("/search alpha");
        await _terminal.WaitForAsync("match(es); /load ID continues one");
        Assert.Matches(@"slashy #1 user", _terminal.Screen());

        _terminal.TypeLine("/fork");
        var forked = await _terminal.WaitForAsync("(/load slashy goes back)");
        var forkId = ForkLine().Match(forked).Groups[1].Value;
        Assert.NotEqual("", forkId);
        _terminal.TypeLine("delta");
        await _terminal.WaitForAsync("You said: delta (messages: 5)");

        _terminal.TypeLine("/load slashy");
        await _terminal.WaitForAsync("now in session slashy (4 messages)");
        _terminal.TypeLine("epsilon");
        await _terminal.WaitForAsync("You said: epsilon (messages: 5)");
        Assert.DoesNotContain(_server.ChatRequests[^1].Messages, m => m.Text == "delta");

        // Mistakes are one line each, and the chat goes on.
        _terminal.TypeLine("/bogus");
        await _terminal.WaitForAsync("unknown command /bogus; /help lists the commands");
        _terminal.TypeLine("/load no-such-session");
        await _terminal.WaitForAsync("error: session 'no-such-session'");
        _terminal.TypeLine("/quit");
        var screen = await _terminal.WaitForAsync("EXIT=");

        Assert.Contains("EXIT=0", screen, StringComparison.Ordinal);
        Assert.Contains("saved: session slashy, 6 messages", screen, StringComparison.Ordinal);
        var session = await CliJsonAsync("show", "slashy", "--json");
        Assert.Equal("Renamed Chat", session.GetProperty("title").GetString());
        Assert.Equal(["blue", "red"], session.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        var fork = await CliJsonAsync("show", forkId, "--json");
        Assert.Equal("slashy", fork.GetProperty("parentId").GetString());
        Assert.Equal(
            ["user: alpha question", "assistant: You said: alpha question (messages: 1)", "user: gamma", "assistant: You said: gamma (messages: 3)", "user: delta", "assistant: You said: delta (messages: 5)"],
            fork.GetProperty("messages").EnumerateArray().Select(Describe));
    }

    [Fact]
    public async Task Slash_commands_pin_snapshot_bookmark_info_save_new_and_delete_after_asking()
    {
        StartChat("--id", "keeper");
        await _terminal.WaitForAsync("[untitled · 0 msgs");
        _terminal.TypeLine("one");
        await _terminal.WaitForAsync("You said: one (messages: 1)");

        _terminal.TypeLine("/help");
        await _terminal.WaitForAsync("/export FORMAT [FILE]");
        _terminal.TypeLine("/pin");
        await _terminal.WaitForAsync("pinned keeper");
        _terminal.TypeLine("/snapshot s1");
        await _terminal.WaitForAsync("snapshot s1 at message 2");
        _terminal.TypeLine("/bookmark b1");
        await _terminal.WaitForAsync("bookmark b1 at message 2");
        _terminal.TypeLine("/info");
        await _terminal.WaitForAsync("b1 (@2)");
        Assert.Contains("s1 (@2)", _terminal.Screen(), StringComparison.Ordinal);
        _terminal.TypeLine("/save");
        await _terminal.WaitForAsync("saved: everything was stored already");

        // /new switches the model's context too: the next answer counts one message.
        _terminal.TypeLine("/new");
        var created = await _terminal.WaitForAsync("saved; now in new session ");
        var newId = NewSessionLine().Match(created).Groups[1].Value;
        Assert.NotEqual("", newId);
        _terminal.TypeLine("doomed");
        await _terminal.WaitForAsync("You said: doomed (messages: 1)");

        _terminal.TypeLine("/delete");
        await _terminal.WaitForAsync($"Delete session {newId} (doomed, 2 messages)? [y/N]");
        _terminal.Type("n");
        await _terminal.WaitForAsync("kept; nothing deleted");
        Assert.Equal(0, (await _cli.RunAsync("show", newId)).ExitCode);
        _terminal.TypeLine("/delete");
        await _terminal.WaitForAsync(s => Regex.Matches(s, Regex.Escape($"Delete session {newId}")).Count == 2, "the second question");
        _terminal.Type("y");
        await _terminal.WaitForAsync($"deleted {newId}");
        _terminal.TypeLine("/quit");
        var screen = await _terminal.WaitForAsync("EXIT=");

        Assert.Contains("EXIT=0", screen, StringComparison.Ordinal);
        Assert.Equal(3, (await _cli.RunAsync("show", newId)).ExitCode);
        Assert.True((await CliJsonAsync("show", "keeper", "--json")).GetProperty("pinned").GetBoolean());
        Assert.Contains("s1", await _cli.OkAsync("snapshots", "keeper"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hostile_model_output_and_title_reach_the_terminal_as_visible_escapes_never_as_commands()
    {
        var id = await _cli.OkAsync("new", "--id", "hostile", "--title", "t\u001b]2;PWNED-TITLE\u0007");
        _server.Enqueue(ScriptedReply.Answer("\u001b[2J\u001b[H\u001b]2;PWNED-TITLE\u0007\u001b]52;c;aGk=\u0007\u001b[1A\u001b[2Kforged\u009b2J\r\u202eevil"));
        StartChat("--resume", id);
        await _terminal.WaitForAsync(@"[t\x1b]2;PWNED-TITLE\x07 · 0 msgs");

        _terminal.TypeLine("hi");
        var screen = await _terminal.WaitForAsync("evil");

        Assert.Contains(@"\x1b[2J\x1b[H\x1b]2;PWNED-TITLE\x07\x1b]52;c;aGk=\x07\x1b[1A\x1b[2Kforged\x9b2J\r\u202eevil", screen, StringComparison.Ordinal);
        // The screen was not cleared: what came before the answer is still there.
        Assert.Contains("> hi", screen, StringComparison.Ordinal);
        Assert.DoesNotContain("PWNED-TITLE", _terminal.PaneTitle, StringComparison.Ordinal);
        Assert.Equal("", _terminal.Buffers);
        _terminal.Keys("C-d");
        Assert.Contains("EXIT=0", await _terminal.WaitForAsync("EXIT="), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resume_without_an_id_picks_from_all_sessions_filtered_by_typed_content_with_arrows_and_Enter_and_the_model_gets_that_context()
    {
        // More than ten, from other directories: the picker shows them all.
        for (var i = 1; i <= 11; i++)
        {
            await _cli.OkAsync("new", "--id", $"filler-{i:00}", "--title", $"filler {i}", "--project", _temp.Combine("elsewhere", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        await _cli.OkAsync("new", "--id", "hostile-title", "--title", "evil\u001b]2;PWNED-TITLE\u0007\u001b[2J");
        await _cli.OkAsync("new", "--id", "orchard", "--title", "orchard notes");
        await AddAsync("orchard", "user", "the kiwi harvest came early");
        await AddAsync("orchard", "assistant", "noted");
        await AddAsync("filler-03", "user", "nothing of interest");
        await _cli.OkAsync("new", "--id", "smoothies", "--title", "smoothies");
        await AddAsync("smoothies", "user", "kiwi and banana");
        var before = (await CliJsonAsync("list", "--json")).GetProperty("sessions").GetArrayLength();

        // First Esc, which cancels: a clear line, non-zero, nothing created; then the pick.
        StartChat(["--resume"], then: ChatCommand("--resume"));
        await _terminal.WaitForAsync("Resume a session (14)", visibleOnly: true);
        var all = _terminal.Visible();
        Assert.Contains("filler 1 ", all, StringComparison.Ordinal);
        Assert.Contains(@"evil\x1b]2;PWNED-TITLE\x07\x1b[2J", all, StringComparison.Ordinal);
        Assert.DoesNotContain("PWNED-TITLE", _terminal.PaneTitle, StringComparison.Ordinal);
        Assert.True(all.IndexOf("smoothies", StringComparison.Ordinal) < all.IndexOf("orchard notes", StringComparison.Ordinal), "newest first");
        _terminal.Keys("Escape");
        var cancelled = await _terminal.WaitForAsync("EXIT1=");
        Assert.Contains("EXIT1=2", cancelled, StringComparison.Ordinal);
        Assert.Contains("no session picked; nothing was started", cancelled, StringComparison.Ordinal);
        Assert.Equal(before, (await CliJsonAsync("list", "--json")).GetProperty("sessions").GetArrayLength());

        await _terminal.WaitForAsync("Resume a session (14)", visibleOnly: true);
        // A half-typed word matches the content of two sessions through the search index; none by title.
        _terminal.Type("kiw");
        var filtered = await _terminal.WaitForAsync(s => s.Contains("Resume a session (2)", StringComparison.Ordinal), "the filtered list", visibleOnly: true);
        Assert.Contains("smoothies", filtered, StringComparison.Ordinal);
        Assert.Contains("orchard notes", filtered, StringComparison.Ordinal);
        Assert.DoesNotContain("filler", filtered, StringComparison.Ordinal);
        _terminal.Keys("Down");
        _terminal.Keys("Up");
        _terminal.Keys("Down");
        _terminal.Keys("Enter");

        await _terminal.WaitForAsync("session orchard (2 messages, resumed)");
        await _terminal.WaitForAsync("[orchard notes · 2 msgs");
        _terminal.TypeLine("what now?");
        await _terminal.WaitForAsync("You said: what now? (messages: 3)");
        Assert.Equal(["user: the kiwi harvest came early", "assistant: noted", "user: what now?"], _server.ChatRequests[^1].Messages.Select(m => m.ToString()));
        _terminal.Keys("C-d");
        Assert.Contains("EXIT=0", await _terminal.WaitForAsync("EXIT="), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resume_without_an_id_off_a_terminal_is_one_clear_error_and_calls_no_model()
    {
        var result = await _cli.RunAsync(["chat", "--resume", "--endpoint", _server.BaseUrl, "--model", "m"], Encoding.UTF8.GetBytes("hello\n"));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--resume without an id opens a picker, which needs a terminal", result.Stderr, StringComparison.Ordinal);
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("", result.Stdout);
        Assert.Empty(_server.ChatRequests);
        Assert.Equal(0, (await CliJsonAsync("list", "--json")).GetProperty("sessions").GetArrayLength());
    }

    [GeneratedRegex(@"forked slashy into (\S+); now in")]
    private static partial Regex ForkLine();

    [GeneratedRegex(@"saved; now in new session (\S+)")]
    private static partial Regex NewSessionLine();

    private void StartChat(params string[] args) => StartChat(args, then: null);

    /// <summary>Runs chat in the terminal (then, optionally, a second command), each followed by its exit code on screen.</summary>
    private void StartChat(string[] args, string? then)
    {
        var project = Directory.CreateDirectory(_temp.Combine("project")).FullName;
        var command = $"cd '{project}'; {ChatCommand(args)}; echo EXIT{(then is null ? "" : "1")}=$?; "
                      + (then is null ? "" : $"{then}; echo EXIT=$?; ")
                      + "sleep 120";
        _terminal.Start(command);
    }

    private string ChatCommand(params string[] args)
        => $"env -u AGENT_SESSIONS_DEBUG -u AGENT_SESSIONS_MODEL -u AGENT_SESSIONS_API_KEY -u AGENT_SESSIONS_ENDPOINT AGENT_SESSIONS_HOME='{_cli.StoreDirectory}' OPENAI_API_KEY='{ApiKey}' "
           + $"dotnet '{CliRunner.Dll}' chat {string.Join(' ', args.Select(a => $"'{a}'"))} --endpoint '{_server.BaseUrl}' --model m";

    private async Task AddAsync(string id, string role, string text)
    {
        var result = await _cli.RunAsync(["add", id, "--role", role], Encoding.UTF8.GetBytes(text));
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    private async Task<JsonElement> CliJsonAsync(params string[] args) => JsonDocument.Parse(await _cli.OkAsync(args)).RootElement.Clone();

    private async Task<List<JsonElement>> StoredAsync(string id)
        => [.. (await CliJsonAsync("show", id, "--json")).GetProperty("messages").EnumerateArray()];

    private static string Describe(JsonElement message) => $"{message.GetProperty("role").GetString()}: {message.GetProperty("text").GetString()}";
}
