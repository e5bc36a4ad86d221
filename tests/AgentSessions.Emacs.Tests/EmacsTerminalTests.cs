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
    private readonly TmuxTerminal _terminal;
    private FakeOpenAiServer _server = null!;

    public EmacsTerminalTests()
    {
        _terminal = new TmuxTerminal(_temp.Path);
    }

    public async Task InitializeAsync() => _server = await FakeOpenAiServer.StartAsync();

    public async Task DisposeAsync()
    {
        _terminal.Dispose();
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
        _terminal.Start(command, 160, 40);

        await _terminal.WaitForAsync("C-c C-c send", visibleOnly: true);
        _terminal.Type("what colour is a herring?");
        _terminal.Keys("C-c", "C-c");
        // The turn is over when the mode line counts the two stored messages (under the title the first one gave).
        var screen = await _terminal.WaitForAsync("[what colour is a herrin…:2 ↑", visibleOnly: true);

        // The answer's escapes are shown as text: the title, the clipboard and the screen are untouched.
        Assert.Contains(@"\x1b]2;PWNED-TITLE\x07\x1b]52;c;aGk=\x07\x1b[2J", screen, StringComparison.Ordinal);
        Assert.Contains("what colour is a herring?", screen, StringComparison.Ordinal);
        Assert.DoesNotContain("PWNED-TITLE", _terminal.PaneTitle, StringComparison.Ordinal);
        Assert.Equal("", _terminal.Buffers);
        Assert.Contains("red herring, done\n", screen, StringComparison.Ordinal);
        Assert.Contains("what colour is a herring?  (terminal-chat)", screen, StringComparison.Ordinal);

        // Words typed and never sent, then C-x C-c: the exit hook stores them as the session's draft.
        _terminal.Type("and a kipper?");
        _terminal.Keys("C-x", "C-c");
        Assert.Contains("EXIT=0", await _terminal.WaitForAsync("EXIT=", visibleOnly: true), StringComparison.Ordinal);

        var show = await new CliRunner(store).OkAsync("show", "terminal-chat", "--json");
        using var stored = JsonDocument.Parse(show);
        var messages = stored.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString() + ": " + m.GetProperty("text").GetString()).ToList();
        Assert.Equal(2, messages.Count);
        Assert.Equal("user: what colour is a herring?", messages[0]);
        Assert.Equal("and a kipper?", stored.RootElement.GetProperty("metadata").GetProperty("draft").GetString());
    }

    [Fact]
    public async Task A_title_with_percent_signs_is_shown_literally_in_the_mode_line()
    {
        // format-mode-line returns "" under --batch, so the mode line is read where it is drawn: a real terminal.
        var store = _temp.Combine("store");
        var init = _temp.Combine("init.el");
        var formatted = _temp.Combine("mode-line.txt");
        File.WriteAllText(init, $"""
            (require 'agent-sessions)
            (setq agent-sessions-program (list "dotnet" {ErtRunner.LispString(BuiltTool.CliDll)})
                  agent-sessions-store {ErtRunner.LispString(store)}
                  agent-sessions-auto-save nil)
            (let ((buffer (agent-sessions-chat "percent-chat")))
              (switch-to-buffer buffer)
              (agent-sessions--call :session.rename (list :id "percent-chat" :title "50%-off 100%"))
              (agent-sessions-refresh)
              (agent-sessions-add-message "user" "a note")
              (with-temp-file {ErtRunner.LispString(formatted)}
                (insert (format-mode-line mode-line-format nil nil buffer))))
            """);
        var command = $"HOME='{_temp.Path}' LANG=C.UTF-8 emacs -nw -Q -L '{ErtRunner.PackageDirectory}' -l '{init}'; echo EXIT=$?; sleep 60";
        _terminal.Start(command, 160, 40);

        // "%-" would have filled the line with dashes, "%]" shown recursive-edit brackets: the counts and the mark hid.
        const string expected = "[50%-off 100%:0 ↑0 ↓0] 1 unsaved";
        var screen = await _terminal.WaitForAsync(
            s => s.Contains("(percent-chat)", StringComparison.Ordinal) && s.Contains(" [50", StringComparison.Ordinal), "the chat and its mode line", visibleOnly: true);
        Assert.Contains(expected, screen, StringComparison.Ordinal);
        Assert.Contains("50%-off 100%  (percent-chat)", screen, StringComparison.Ordinal);
        Assert.Contains(expected, File.ReadAllText(formatted), StringComparison.Ordinal);
    }
}
