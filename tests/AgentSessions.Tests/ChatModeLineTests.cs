using AgentSessions.Cli.Commands;
using Xunit;

namespace AgentSessions.Tests;

/// <summary>The terminal chat's mode line on its own (the tmux tests see it on a real screen).</summary>
public sealed class ChatModeLineTests
{
    [Theory]
    [InlineData(0, "0")]
    [InlineData(999, "999")]
    [InlineData(1_000, "1k")]
    [InlineData(3_400, "3.4k")]
    [InlineData(3_449, "3.4k")]
    [InlineData(12_345, "12k")]
    [InlineData(999_999, "999k")]
    [InlineData(1_234_567, "1.2M")]
    public void Token_counts_are_shown_short(long count, string expected)
        => Assert.Equal(expected, ChatTerminal.Tokens(count));

    [Fact]
    public void The_mode_line_shows_title_messages_and_token_totals()
        => Assert.Equal("[project notes · 12 msgs · ↑3.4k ↓1.2k]", ChatTerminal.ModeLine(Session("project notes", 12, 3_400, 1_200)));

    [Fact]
    public void An_untitled_session_says_so()
        => Assert.Equal("[untitled · 0 msgs · ↑0 ↓0]", ChatTerminal.ModeLine(Session(null, 0, 0, 0)));

    [Fact]
    public void A_hostile_or_long_title_stays_on_one_line_as_visible_escapes_and_is_cut()
    {
        var line = ChatTerminal.ModeLine(Session("evil\u001b]2;x\u0007\nnext" + new string('a', 100), 1, 1, 1));

        Assert.StartsWith(@"[evil\x1b]2;x\x07\nnext", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', line);
        Assert.DoesNotContain('\n', line);
        Assert.EndsWith(" · 1 msgs · ↑1 ↓1]", line, StringComparison.Ordinal);
        Assert.True(line.Length < 100, line);
    }

    private static Session Session(string? title, long messages, long input, long output) => new()
    {
        Id = "s",
        Title = title,
        CreatedAt = DateTimeOffset.UnixEpoch,
        UpdatedAt = DateTimeOffset.UnixEpoch,
        MessageCount = messages,
        InputTokens = input,
        OutputTokens = output,
    };
}
