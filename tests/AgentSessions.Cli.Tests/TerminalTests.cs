using System.Diagnostics;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Cli.Tests;

/// <summary>Interactive behaviour in a real terminal: tmux runs the tool, types into it and reads its screen.</summary>
public sealed class TerminalTests : IDisposable
{
    private readonly TempDirectory _temp = TempDirectory.ForCaller();
    private readonly CliRunner _cli;
    private readonly TmuxTerminal _terminal;

    public TerminalTests()
    {
        _cli = new CliRunner(_temp.Combine("store"));
        _terminal = new TmuxTerminal(_temp.Path);
    }

    public void Dispose()
    {
        _terminal.Dispose();
        _temp.Dispose();
    }

    [Theory]
    [InlineData("y", true)]
    [InlineData("n", false)]
    public async Task Delete_on_a_terminal_asks_first_and_does_what_the_answer_says(string answer, bool deleted)
    {
        var id = await _cli.OkAsync("new", "--title", "ask me");
        var command = $"AGENT_SESSIONS_HOME='{_cli.StoreDirectory}' dotnet '{CliRunner.Dll}' delete {id}; echo EXIT=$?; sleep 30";
        _terminal.Start(command, 160, 20);

        await _terminal.WaitForAsync("Delete session", visibleOnly: true);
        Assert.Contains("ask me", _terminal.Visible(), StringComparison.Ordinal);
        _terminal.Keys(answer, "Enter");
        var screen = await _terminal.WaitForAsync("EXIT=", visibleOnly: true);

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
        _terminal.Start(command, 160, 40);

        var screen = await _terminal.WaitForAsync("EXIT=", visibleOnly: true);

        Assert.Contains("EXIT=0", screen, StringComparison.Ordinal);
        Assert.Contains("BEFORE-MARKER", screen, StringComparison.Ordinal);
        Assert.Contains(@"\x1b[2J\x1b[H\x1b]2;PWNED-TITLE\x07\x1b]52;c;aGk=\x07\x1b[1A\x1b[2Kforged\x9b2J\r\u202eevil", screen, StringComparison.Ordinal);
        Assert.DoesNotContain("PWNED-TITLE", _terminal.PaneTitle, StringComparison.Ordinal);
        Assert.Equal("", _terminal.Buffers);
    }
}
