using System.Diagnostics;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Cli.Tests;

/// <summary>Interactive behaviour in a real terminal: tmux runs the tool, types into it and reads its screen.</summary>
public sealed class TerminalTests : IDisposable
{
    private readonly TempDirectory _temp = TempDirectory.ForCaller();
    private readonly Cli _cli;
    private readonly string _tmuxSession = "as-test-" + Guid.NewGuid().ToString("N")[..8];

    public TerminalTests() => _cli = new Cli(_temp.Combine("store"));

    public void Dispose()
    {
        Tmux("kill-session", "-t", _tmuxSession);
        _temp.Dispose();
    }

    [Theory]
    [InlineData("y", true)]
    [InlineData("n", false)]
    public async Task Delete_on_a_terminal_asks_first_and_does_what_the_answer_says(string answer, bool deleted)
    {
        var id = await _cli.OkAsync("new", "--title", "ask me");
        var command = $"AGENT_SESSIONS_HOME='{_cli.StoreDirectory}' dotnet '{Cli.Dll}' delete {id}; echo EXIT=$?; sleep 30";
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

    private static (int ExitCode, string Stdout) Tmux(params string[] args)
    {
        var info = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
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
