using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using AgentSessions.FakeOpenAi;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Cli.Tests;

/// <summary>
/// <c>chat</c>'s session and saving options against the fake model on a real loopback socket: <c>--continue</c>,
/// <c>--max-context-tokens</c>, <c>--autosave-interval</c>, <c>--no-autosave</c>, and leaving by SIGTERM, SIGHUP and
/// kill -9 mid-answer, each checked in the store afterwards.
/// </summary>
/// <remarks>
/// Nothing here waits a fixed time for the tool: a test waits for what it needs to see (an answer on stdout, a
/// checkpoint in the store), with a minute's bound for a machine that is very busy.
/// </remarks>
public sealed class ChatOptionsCliTests : IAsyncLifetime, IDisposable
{
    private const int Sighup = 1;
    private const int Sigkill = 9;
    private const int Sigterm = 15;

    private readonly TempDirectory _temp = TempDirectory.ForCaller();
    private FakeOpenAiServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeOpenAiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("--autosave-interval", "-1", "--autosave-interval takes seconds")]
    [InlineData("--autosave-interval", "soon", "--autosave-interval takes seconds")]
    [InlineData("--autosave-interval", "NaN", "--autosave-interval takes seconds")]
    [InlineData("--autosave-interval", "1e3", "--autosave-interval takes seconds")]
    [InlineData("--max-context-tokens", "0", "--max-context-tokens takes a whole number")]
    [InlineData("--max-context-tokens", "lots", "--max-context-tokens takes a whole number")]
    public async Task Chat_refuses_a_bad_option_value_with_one_clear_line_and_exit_2(string option, string value, string expected)
    {
        var result = await Runner(_temp.Combine("store")).RunAsync(Chat("--id", "x", option, value), Utf8("hello\n"));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"'{value}'", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
        Assert.Empty(_server.ChatRequests);
    }

    [Theory]
    [InlineData(new[] { "--continue", "--id", "x" }, "--continue")]
    [InlineData(new[] { "--continue", "--resume", "x" }, "--continue")]
    [InlineData(new[] { "--no-autosave", "--autosave-interval", "1" }, "--no-autosave")]
    public async Task Chat_refuses_options_that_contradict_each_other_with_exit_2(string[] options, string named)
    {
        var result = await Runner(_temp.Combine("store")).RunAsync(Chat(options), Utf8("hello\n"));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(named, result.Stderr, StringComparison.Ordinal);
        Assert.Empty(_server.ChatRequests);
    }

    [Fact]
    public async Task Chat_accepts_a_decimal_autosave_interval_and_zero()
    {
        var store = _temp.Combine("store");

        var decimals = await Runner(store).RunAsync(Chat("--id", "a", "--autosave-interval", "0.25"), Utf8("one\n"));
        var zero = await Runner(store).RunAsync(Chat("--id", "a", "--autosave-interval", "0"), Utf8("two\n"));

        Assert.True(decimals.ExitCode == 0, decimals.ToString());
        Assert.True(zero.ExitCode == 0, zero.ToString());
        Assert.Equal(["one", "You said: one (messages: 1)", "two", "You said: two (messages: 3)"], Texts(await StoredMessagesAsync(store, "a")));
    }

    [Fact]
    public async Task Chat_continue_picks_the_newest_session_of_the_current_directory_and_sends_its_context()
    {
        var store = _temp.Combine("store");
        var project = InDirectory("project");
        var other = InDirectory("other");
        Assert.Equal(0, (await Runner(store, project).RunAsync(Chat("--id", "older-here"), Utf8("first\n"))).ExitCode);
        Assert.Equal(0, (await Runner(store, project).RunAsync(Chat("--id", "newest-here"), Utf8("second\n"))).ExitCode);
        Assert.Equal(0, (await Runner(store, other).RunAsync(Chat("--id", "newest-elsewhere"), Utf8("third\n"))).ExitCode);

        var result = await Runner(store, project).RunAsync(Chat("--continue"), Utf8("and now?\n"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("newest-here", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(["user: second", "assistant: You said: second (messages: 1)", "user: and now?"], _server.ChatRequests[^1].Messages.Select(m => m.ToString()));
        Assert.Equal(4, (await StoredMessagesAsync(store, "newest-here")).Count);
        Assert.Equal(2, (await StoredMessagesAsync(store, "older-here")).Count);
    }

    [Fact]
    public async Task Chat_continue_in_a_directory_without_sessions_says_to_start_or_resume_one_and_exits_3()
    {
        var store = _temp.Combine("store");
        Assert.Equal(0, (await Runner(store, InDirectory("project")).RunAsync(Chat("--id", "there"), Utf8("hi\n"))).ExitCode);
        var requests = _server.ChatRequests.Count;

        var result = await Runner(store, InDirectory("empty")).RunAsync(Chat("--continue"), Utf8("hello\n"));

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("no session of this directory", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("--resume", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
        Assert.Equal(requests, _server.ChatRequests.Count);
    }

    [Fact]
    public async Task Chat_max_context_tokens_sends_only_the_newest_turns_keeps_them_all_stored_and_says_so_once()
    {
        var store = _temp.Combine("store");
        // Four turns of 37 estimated tokens each: "one" (4 + 1) and 30 words "w1 ... w30" (110 characters: 4 + 28).
        for (var i = 0; i < 4; i++)
        {
            _server.Enqueue(ScriptedReply.Words(30));
        }

        Assert.Equal(0, (await Runner(store).RunAsync(Chat("--id", "long"), Utf8("one\ntwo\nthree\nfour\n"))).ExitCode);

        var result = await Runner(store).RunAsync(Chat("--resume", "long", "--max-context-tokens", "50"), Utf8("five\nsix\n"));

        Assert.True(result.ExitCode == 0, result.ToString());
        // "five" (5) fits with the newest turn only (37 + 5 = 42 of 50); "six" only with "five"'s (16 + 5), as
        // "four" would make it 58.
        Assert.Equal(["user: four", "user: five"], _server.ChatRequests[^2].Messages.Where(m => m.Role == "user").Select(m => m.ToString()));
        Assert.Equal("assistant", _server.ChatRequests[^2].Messages[1].Role);
        Assert.Equal(["user: five", "assistant: You said: five (messages: 3)", "user: six"], _server.ChatRequests[^1].Messages.Select(m => m.ToString()));
        var notices = Lines(result.Stderr).Where(l => l.Contains("--max-context-tokens", StringComparison.Ordinal)).ToList();
        Assert.True(notices.Count == 1, result.ToString());
        Assert.Contains("store keeps them all", notices[0], StringComparison.Ordinal);
        Assert.Equal(12, (await StoredMessagesAsync(store, "long")).Count);
    }

    [Fact]
    public async Task Chat_no_autosave_saves_every_turn_at_the_end_of_input_with_the_held_turns_as_context()
    {
        var store = _temp.Combine("store");

        var result = await Runner(store).RunAsync(Chat("--id", "held", "--no-autosave"), Utf8("one\ntwo\n"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["You said: one (messages: 1)", "You said: two (messages: 3)"], Lines(result.Stdout));
        Assert.Contains("saved 4 messages", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(["one", "You said: one (messages: 1)", "two", "You said: two (messages: 3)"], Texts(await StoredMessagesAsync(store, "held")));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Chat_no_autosave_whose_save_fails_on_leaving_says_so_and_exits_1()
    {
        var store = _temp.Combine("store");
        await using var chat = ChatProcess.Start(store, _server.BaseUrl, "--id", "held", "--no-autosave");
        await chat.SendAsync("one");
        await chat.WaitForStdoutAsync(text => text.Contains("(messages: 1)\n", StringComparison.Ordinal), "the first answer");
        // The session goes away under the chat: the held turn has nowhere to go.
        await Runner(store).OkAsync("delete", "held", "--yes");

        var result = await chat.EndInputAndWaitAsync();

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("the conversation could not be saved", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("held", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Chat_no_autosave_holds_the_turns_in_memory_so_a_kill_9_loses_them()
    {
        // The other side of the promise, and the proof that nothing is written before leaving.
        var store = _temp.Combine("store");
        await using var chat = ChatProcess.Start(store, _server.BaseUrl, "--id", "held", "--no-autosave");
        await chat.SendAsync("one");
        await chat.WaitForStdoutAsync(text => text.Contains("(messages: 1)\n", StringComparison.Ordinal), "the first answer");

        var result = await chat.SignalAndWaitAsync(Sigkill);

        Assert.Equal(128 + Sigkill, result.ExitCode);
        Assert.Empty(await StoredMessagesAsync(store, "held"));
    }

    [Theory]
    [InlineData(Sigterm)]
    [InlineData(Sighup)]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Chat_a_signal_mid_answer_stores_the_partial_marked_cancelled_and_exits_128_plus_n(int signal)
    {
        _server.Enqueue(ScriptedReply.Words(200) with { ChunkDelayMs = 100 });
        var store = _temp.Combine("store");
        await using var chat = ChatProcess.Start(store, _server.BaseUrl, "--id", "stopped");
        await chat.SendAsync("hello");
        await chat.WaitForStdoutAsync(text => text.Contains("w3 ", StringComparison.Ordinal), "a few words of the answer");

        var result = await chat.SignalAndWaitAsync(signal);

        Assert.True(result.ExitCode == 128 + signal, result.ToString());
        Assert.Contains($"interrupted; {(signal == Sighup ? "SIGHUP" : "SIGTERM")} received, the command stopped", result.Stderr, StringComparison.Ordinal);
        var messages = await StoredMessagesAsync(store, "stopped");
        Assert.Equal(2, messages.Count);
        Assert.Equal("hello", Text(messages[0]));
        Assert.True(messages[1].GetProperty("metadata").GetProperty("agent_sessions.partial").GetBoolean());
        Assert.Equal("cancelled", messages[1].GetProperty("metadata").GetProperty("agent_sessions.interrupted").GetString());
        // Everything shown is stored, and what is stored is the start of the answer.
        Assert.StartsWith(result.Stdout.TrimEnd('\n'), Text(messages[1]), StringComparison.Ordinal);
        Assert.StartsWith(Text(messages[1]), ScriptedReply.Words(200).Text!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Sigterm)]
    [InlineData(Sighup)]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Chat_no_autosave_a_signal_after_two_answers_saves_both_turns_before_exiting(int signal)
    {
        var store = _temp.Combine("store");
        await using var chat = ChatProcess.Start(store, _server.BaseUrl, "--id", "held", "--no-autosave");
        await chat.SendAsync("one");
        await chat.SendAsync("two");
        // Stdin stays open: the tool waits for a third prompt when the signal comes.
        await chat.WaitForStdoutAsync(text => text.Contains("(messages: 3)\n", StringComparison.Ordinal), "the second answer");

        var result = await chat.SignalAndWaitAsync(signal);

        Assert.True(result.ExitCode == 128 + signal, result.ToString());
        Assert.Contains("saved 4 messages", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(["one", "You said: one (messages: 1)", "two", "You said: two (messages: 3)"], Texts(await StoredMessagesAsync(store, "held")));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Chat_no_autosave_a_sigterm_mid_answer_saves_the_held_turns_and_the_partial_marked_cancelled()
    {
        var store = _temp.Combine("store");
        await using var chat = ChatProcess.Start(store, _server.BaseUrl, "--id", "held", "--no-autosave");
        await chat.SendAsync("one");
        await chat.WaitForStdoutAsync(text => text.Contains("(messages: 1)\n", StringComparison.Ordinal), "the first answer");
        _server.Enqueue(ScriptedReply.Words(200) with { ChunkDelayMs = 100 });
        await chat.SendAsync("two");
        await chat.WaitForStdoutAsync(text => text.Contains("w3 ", StringComparison.Ordinal), "a few words of the second answer");

        var result = await chat.SignalAndWaitAsync(Sigterm);

        Assert.True(result.ExitCode == 143, result.ToString());
        var messages = await StoredMessagesAsync(store, "held");
        Assert.Equal(["one", "You said: one (messages: 1)", "two"], Texts(messages).Take(3));
        Assert.Equal(4, messages.Count);
        Assert.Equal("cancelled", messages[3].GetProperty("metadata").GetProperty("agent_sessions.interrupted").GetString());
        Assert.StartsWith(Text(messages[3]), ScriptedReply.Words(200).Text!, StringComparison.Ordinal);
        var shown = Lines(result.Stdout)[1];
        Assert.NotEqual("", shown);
        Assert.StartsWith(shown, Text(messages[3]), StringComparison.Ordinal);
    }

    /// <summary>
    /// The promise of a checkpoint, exactly: a kill -9 loses at most what came after the last completed checkpoint.
    /// The test reads what the tool printed, then waits until the store changes after that (a checkpoint that
    /// completed after those words were printed, so it holds them), then kills. The stored partial must hold at
    /// least those words, and be the start of the real answer: nothing invented, nothing out of order.
    /// </summary>
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Chat_kill_9_mid_answer_keeps_the_last_checkpoint_which_holds_everything_printed_before_it()
    {
        var answer = ScriptedReply.Words(300);
        _server.Enqueue(answer with { ChunkDelayMs = 100 });
        var store = _temp.Combine("store");
        await using var chat = ChatProcess.Start(store, _server.BaseUrl, "--id", "killed", "--autosave-interval", "0.2");
        await chat.SendAsync("hello");
        await chat.WaitForStdoutAsync(text => text.Contains("w5 ", StringComparison.Ordinal), "a few words of the answer");

        var printed = chat.Stdout;
        var before = await StoredPartialAsync(store, "killed");
        await chat.WaitUntilAsync(async () => await StoredPartialAsync(store, "killed") != before, "a checkpoint after the words printed");
        var result = await chat.SignalAndWaitAsync(Sigkill);

        Assert.Equal(128 + Sigkill, result.ExitCode);
        Assert.DoesNotContain(answer.Text!, result.Stdout, StringComparison.Ordinal); // killed mid-answer indeed
        var messages = await StoredMessagesAsync(store, "killed");
        Assert.Equal(2, messages.Count);
        Assert.Equal("hello", Text(messages[0]));
        var partial = Text(messages[1]);
        Assert.NotEqual("", partial);
        Assert.StartsWith(partial, answer.Text!, StringComparison.Ordinal);
        Assert.StartsWith(printed.TrimEnd('\n'), partial, StringComparison.Ordinal);
        // A checkpoint of a process that died: partial, and no reason (nobody was left to give one).
        var metadata = messages[1].GetProperty("metadata");
        Assert.True(metadata.GetProperty("agent_sessions.partial").GetBoolean());
        Assert.False(metadata.TryGetProperty("agent_sessions.interrupted", out _));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Chat_kill_9_mid_answer_with_autosave_interval_0_keeps_the_prompt_and_no_partial()
    {
        _server.Enqueue(ScriptedReply.Words(300) with { ChunkDelayMs = 100 });
        var store = _temp.Combine("store");
        await using var chat = ChatProcess.Start(store, _server.BaseUrl, "--id", "killed", "--autosave-interval", "0");
        await chat.SendAsync("hello");
        await chat.WaitForStdoutAsync(text => text.Contains("w5 ", StringComparison.Ordinal), "a few words of the answer");

        var result = await chat.SignalAndWaitAsync(Sigkill);

        Assert.Equal(128 + Sigkill, result.ExitCode);
        Assert.Equal(["hello"], Texts(await StoredMessagesAsync(store, "killed")));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Chat_whose_output_fails_still_stores_the_whole_answer_then_reports_the_error_with_exit_1()
    {
        // stdout is /dev/full: every write fails (ENOSPC), as on a full disk or a terminal that hung up (EIO).
        var answer = ScriptedReply.Words(50);
        _server.Enqueue(answer);
        var store = _temp.Combine("store");
        var info = new ProcessStartInfo("sh") { RedirectStandardInput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"exec dotnet '{BuiltTool.CliDll}' chat --id full --endpoint {_server.BaseUrl} --model m > /dev/full");
        info.Environment["AGENT_SESSIONS_HOME"] = store;
        info.Environment.Remove("AGENT_SESSIONS_DEBUG");
        foreach (var (key, value) in ChatProcess.Environment)
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteLineAsync("hello");
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);

        Assert.True(process.ExitCode == 1, $"exit {process.ExitCode}: {await stderr}");
        Assert.Contains("I/O error", await stderr, StringComparison.Ordinal);
        var messages = await StoredMessagesAsync(store, "full");
        Assert.Equal(["hello", answer.Text!], Texts(messages));
        Assert.False(messages[1].GetProperty("metadata").TryGetProperty("agent_sessions.partial", out _));
    }

    private string[] Chat(params string[] options) => ["chat", .. options, "--endpoint", _server.BaseUrl, "--model", "m"];

    private static CliRunner Runner(string store, string? workingDirectory = null) => new(store)
    {
        WorkingDirectory = workingDirectory,
        Environment = ChatProcess.Environment,
    };

    private string InDirectory(string name) => Directory.CreateDirectory(_temp.Combine(name)).FullName;

    private static async Task<List<JsonElement>> StoredMessagesAsync(string store, string id)
    {
        var result = await Runner(store).RunAsync("show", id, "--json");
        if (result.ExitCode == 3)
        {
            return []; // not created yet
        }

        Assert.True(result.ExitCode == 0, result.ToString());
        return [.. JsonDocument.Parse(result.Stdout).RootElement.GetProperty("messages").EnumerateArray()];
    }

    /// <summary>The stored text of the answer in progress ("" before the first checkpoint).</summary>
    private static async Task<string> StoredPartialAsync(string store, string id)
        => (await StoredMessagesAsync(store, id)).Skip(1).Select(Text).FirstOrDefault() ?? "";

    private static string Text(JsonElement message) => message.GetProperty("text").GetString()!;

    private static string[] Texts(IEnumerable<JsonElement> messages) => [.. messages.Select(Text)];

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A chat running in the background with stdin held open, its stdout read as it comes.</summary>
    private sealed class ChatProcess : IAsyncDisposable
    {
        public static readonly Dictionary<string, string?> Environment = new()
        {
            ["OPENAI_API_KEY"] = "sk-test-chat-options",
            ["AGENT_SESSIONS_API_KEY"] = null,
            ["AGENT_SESSIONS_MODEL"] = null,
            ["AGENT_SESSIONS_ENDPOINT"] = null,
        };

        private readonly Process _process;
        private readonly StringBuilder _stdout = new();
        private readonly Task _reading;
        private readonly Task<string> _stderr;

        private ChatProcess(Process process)
        {
            _process = process;
            _reading = ReadStdoutAsync();
            _stderr = process.StandardError.ReadToEndAsync();
        }

        /// <summary>What the tool printed on stdout so far.</summary>
        public string Stdout
        {
            get
            {
                lock (_stdout)
                {
                    return _stdout.ToString();
                }
            }
        }

        public static ChatProcess Start(string store, string endpoint, params string[] options)
        {
            var info = BuiltTool.StartInfo(["chat", .. options, "--endpoint", endpoint, "--model", "m"]);
            info.Environment["AGENT_SESSIONS_HOME"] = store;
            info.Environment.Remove("AGENT_SESSIONS_DEBUG");
            foreach (var (key, value) in Environment)
            {
                if (value is null)
                {
                    info.Environment.Remove(key);
                }
                else
                {
                    info.Environment[key] = value;
                }
            }

            return new ChatProcess(Process.Start(info)!);
        }

        public async Task SendAsync(string prompt)
        {
            await _process.StandardInput.WriteLineAsync(prompt);
            await _process.StandardInput.FlushAsync();
        }

        public Task WaitForStdoutAsync(Func<string, bool> condition, string what)
            => WaitUntilAsync(() => Task.FromResult(condition(Stdout)), what);

        public async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
        {
            var deadline = Stopwatch.StartNew();
            while (!await condition())
            {
                if (_process.HasExited)
                {
                    throw new Xunit.Sdk.XunitException($"the chat exited (code {_process.ExitCode}) before {what}: {await _stderr}\nstdout: {Stdout}");
                }

                if (deadline.Elapsed > TimeSpan.FromSeconds(60))
                {
                    throw new TimeoutException($"waited a minute for {what}; stdout: {Stdout}");
                }

                await Task.Delay(20);
            }
        }

        /// <summary>Sends the signal and waits (at most ten seconds) for the tool to end; stdout is all it printed.</summary>
        public async Task<CliRunner.Result> SignalAndWaitAsync(int signal)
        {
            Assert.False(_process.HasExited, "the chat ended before the signal was sent");
            Assert.Equal(0, Kill(_process.Id, signal));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException($"still running 10 s after signal {signal}");
            }

            await _reading;
            return new CliRunner.Result(_process.ExitCode, Stdout, await _stderr);
        }

        /// <summary>Closes stdin (the end of the prompts) and waits (at most a minute) for the tool to end.</summary>
        public async Task<CliRunner.Result> EndInputAndWaitAsync()
        {
            _process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await _process.WaitForExitAsync(timeout.Token);
            await _reading;
            return new CliRunner.Result(_process.ExitCode, Stdout, await _stderr);
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }

        private async Task ReadStdoutAsync()
        {
            var buffer = new char[4096];
            int read;
            while ((read = await _process.StandardOutput.ReadAsync(buffer)) > 0)
            {
                lock (_stdout)
                {
                    _stdout.Append(buffer, 0, read);
                }
            }
        }

        [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        private static extern int Kill(int pid, int signal);
    }
}
