using System.Diagnostics;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Cli.Tests;

/// <summary>Interactive behaviour in a real terminal: tmux runs the tool, types into it and reads its screen.</summary>
public sealed class TerminalTests : IDisposable
{
    private readonly TempDirectory _temp = TempDirectory.ForCaller();
    private readonly CliRunner _cli;
    private readonly string _tmuxSession = "as-test-" + Guid.NewGuid().ToString("N")[..8];

    // A tmux server of this test's own (-L), so its options (set-clipboard) and paste buffers are nobody else's.
    private readonly string _tmuxConfig;

    public TerminalTests()
    {
        _cli = new CliRunner(_temp.Combine("store"));
        _tmuxConfig = _temp.Combine("tmux.conf");
        // set-clipboard on: an OSC 52 sequence that reaches the terminal becomes a tmux paste buffer, which a test can see.
        File.WriteAllText(_tmuxConfig, "set -s set-clipboard on\n");
    }

    public void Dispose()
    {
        Tmux("kill-server");
        _temp.Dispose();
    }

    [Theory]
    [InlineData("y", true)]
    [InlineData("n", false)]
    public async Task Delete_on_a_terminal_asks_first_and_does_what_the_answer_says(string answer, bool deleted)
    {
        var id = await _cli.OkAsync("new", "--title", "ask me");
        var command = $"AGENT_SESSIONS_HOME='{_cli.StoreDirectory}' dotnet '{CliRunner.Dll}' delete {id}; echo EXIT=$?; sleep 30";
        Assert.Equal(0, Tmux("new-session", "-d", "-s", _tmuxSession, "-x", "160", "-y", "20", command).ExitCode);

        await WaitForScreenAsync("Delete session");
        Assert.Contains("ask me", Screen(), StringComparison.Ordinal);
        Tmux("send-keys", "-t", _tmuxSession, answer, "Enter");
        var screen = await WaitForScreenAsync("EXIT=");

        Assert.Contains("EXIT=0", screen, StringComparison.Ordinal);
        Assert.Contains(deleted ? $"deleted {id}" : "kept; nothing deleted", screen, StringComparison.Ordinal);
        var show = await _cli.RunAsync("show", id);
        Assert.Equal(deleted ? 3 : 0, show.ExitCode);
    }

    [Fact]
    public async Task Hostile_content_shown_on_a_terminal_neither_clears_the_screen_nor_sets_the_title_or_clipboard()
    {
        var id = await _cli.OkAsync("new", "--title", "t\u001b]2;PWNED-TITLE\u0007");
        var text = "\u001b[2J\u001b[H\u001b]2;PWNED-TITLE\u0007\u001b]52;c;aGk=\u0007\u001b[1A\u001b[2Kforged\u009b2J\r\u202eevil";
        await _cli.RunAsync(["add", id, "--role", "assistant"], System.Text.Encoding.UTF8.GetBytes(text));
        var command = $"echo BEFORE-MARKER; AGENT_SESSIONS_HOME='{_cli.StoreDirectory}' dotnet '{CliRunner.Dll}' show {id}; echo EXIT=$?; sleep 30";
        Assert.Equal(0, Tmux("new-session", "-d", "-s", _tmuxSession, "-x", "160", "-y", "40", command).ExitCode);

        var screen = await WaitForScreenAsync("EXIT=");

        Assert.Contains("EXIT=0", screen, StringComparison.Ordinal);
        Assert.Contains("BEFORE-MARKER", screen, StringComparison.Ordinal);
        Assert.Contains(@"\x1b[2J\x1b[H\x1b]2;PWNED-TITLE\x07\x1b]52;c;aGk=\x07\x1b[1A\x1b[2Kforged\x9b2J\r\u202eevil", screen, StringComparison.Ordinal);
        Assert.DoesNotContain("PWNED-TITLE", Tmux("display-message", "-p", "-t", _tmuxSession, "#{pane_title}").Stdout, StringComparison.Ordinal);
        Assert.Equal("", Tmux("list-buffers").Stdout);
    }

    private async Task<string> WaitForScreenAsync(string text)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
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
