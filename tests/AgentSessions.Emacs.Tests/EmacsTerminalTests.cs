using System.Diagnostics;
using System.Text.Json;
using AgentSessions.FakeOpenAi;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Emacs.Tests;

/// <summary>
/// agent-sessions.el as a user meets it: <c>emacs -nw</c> in a real terminal (tmux), keys typed, the screen read.
/// </summary>
public sealed class EmacsTerminalTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = TempDirectory.ForCaller();
    private readonly string _tmuxSession = "as-emacs-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _tmuxConfig;
    private FakeOpenAiServer _server = null!;

    public EmacsTerminalTests()
    {
        _tmuxConfig = _temp.Combine("tmux.conf");
        // set-clipboard on: an OSC 52 sequence that reaches the terminal becomes a tmux paste buffer, which a test can see.
        File.WriteAllText(_tmuxConfig, "set -s set-clipboard on\n");
    }

    public async Task InitializeAsync() => _server = await FakeOpenAiServer.StartAsync();

    public async Task DisposeAsync()
    {
        Tmux("kill-server");
        await _server.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task Typing_and_C_c_C_c_chats_hostile_answers_stay_off_the_terminal_and_C_x_C_c_saves_the_draft()
    {
        var store = _temp.Combine("store");
        var init = _temp.Combine("init.el");
        File.WriteAllText(init, $"""
            (require 'agent-sessions)
            (setq agent-sessions-program (list "dotnet" {ErtRunner.LispString(BuiltTool.CliDll)})
                  agent-sessions-store {ErtRunner.LispString(store)}
                  agent-sessions-endpoint {ErtRunner.LispString(_server.BaseUrl)}
                  agent-sessions-model "fake-model")
            (switch-to-buffer (agent-sessions-chat "terminal-chat"))
            """);
        _server.Enqueue(ScriptedReply.Answer("\u001b]2;PWNED-TITLE\u0007\u001b]52;c;aGk=\u0007\u001b[2J red herring, done"));
        var command = $"HOME='{_temp.Path}' LANG=C.UTF-8 emacs -nw -Q -L '{ErtRunner.PackageDirectory}' -l '{init}'; echo EXIT=$?; sleep 60";
        Assert.Equal(0, Tmux("new-session", "-d", "-s", _tmuxSession, "-x", "160", "-y", "40", command).ExitCode);

        await WaitForScreenAsync("C-c C-c send");
        Tmux("send-keys", "-t", _tmuxSession, "-l", "what colour is a herring?");
        Tmux("send-keys", "-t", _tmuxSession, "C-c", "C-c");
        // The turn is over when the mode line counts the two stored messages (under the title the first one gave).
        var screen = await WaitForScreenAsync("[what colour is a herrin…:2 ↑");

        // The answer's escapes are shown as text: the title, the clipboard and the screen are untouched.
        Assert.Contains(@"\x1b]2;PWNED-TITLE\x07\x1b]52;c;aGk=\x07\x1b[2J", screen, StringComparison.Ordinal);
        Assert.Contains("what colour is a herring?", screen, StringComparison.Ordinal);
        Assert.DoesNotContain("PWNED-TITLE", Tmux("display-message", "-p", "-t", _tmuxSession, "#{pane_title}").Stdout, StringComparison.Ordinal);
        Assert.Equal("", Tmux("list-buffers").Stdout);
        Assert.Contains("red herring, done\n", screen, StringComparison.Ordinal);
        Assert.Contains("what colour is a herring?  (terminal-chat)", screen, StringComparison.Ordinal);

        // Words typed and never sent, then C-x C-c: the exit hook stores them as the session's draft.
        Tmux("send-keys", "-t", _tmuxSession, "-l", "and a kipper?");
        Tmux("send-keys", "-t", _tmuxSession, "C-x", "C-c");
        Assert.Contains("EXIT=0", await WaitForScreenAsync("EXIT="), StringComparison.Ordinal);

        var show = await new CliRunner(store).OkAsync("show", "terminal-chat", "--json");
        using var stored = JsonDocument.Parse(show);
        var messages = stored.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString() + ": " + m.GetProperty("text").GetString()).ToList();
        Assert.Equal(2, messages.Count);
        Assert.Equal("user: what colour is a herring?", messages[0]);
        Assert.Equal("and a kipper?", stored.RootElement.GetProperty("metadata").GetProperty("draft").GetString());
    }

    private async Task<string> WaitForScreenAsync(string text)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var screen = Screen();
            if (screen.Contains(text, StringComparison.Ordinal))
            {
                return screen;
            }

            await Task.Delay(100);
        }

        throw new Xunit.Sdk.XunitException($"'{text}' never appeared on the terminal. Screen:\n{Screen()}");
    }

    private string Screen() => Tmux("capture-pane", "-p", "-t", _tmuxSession).Stdout;

    private (int ExitCode, string Stdout) Tmux(params string[] args)
    {
        var info = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-L");
        info.ArgumentList.Add(_tmuxSession);
        info.ArgumentList.Add("-f");
        info.ArgumentList.Add(_tmuxConfig);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // Nothing of the machine's reaches the package through tmux's environment: no model, no key.
        foreach (var name in (string[])["AGENT_SESSIONS_HOME", "AGENT_SESSIONS_ENDPOINT", "AGENT_SESSIONS_MODEL", "AGENT_SESSIONS_API_KEY", "OPENAI_API_KEY"])
        {
            info.Environment.Remove(name);
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new Xunit.Sdk.XunitException($"tmux is needed for terminal tests (apt-get install tmux): {e.Message}");
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdout);
        }
    }
}
