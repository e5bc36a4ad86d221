using Xunit;

namespace AgentSessions.Tests;

public sealed class SessionTitlesTests
{
    [Theory]
    [InlineData("Short question", "Short question")]
    [InlineData("  spaced \n\t out  ", "spaced out")]
    [InlineData("How do I make SQLite appends durable without rewriting the whole file every time?", "How do I make SQLite appends durable without rewriting the…")]
    public void Titles_collapse_whitespace_and_cut_at_a_word(string text, string expected)
        => Assert.Equal(expected, SessionTitles.FromText(text));

    [Fact]
    public void A_single_long_word_is_cut_at_the_limit()
    {
        var title = SessionTitles.FromText(new string('x', 200))!;
        Assert.Equal(SessionTitles.MaxLength + 1, title.Length);
        Assert.EndsWith("…", title, StringComparison.Ordinal);
    }

    [Fact]
    public void Surrogate_pairs_are_never_split()
    {
        var title = SessionTitles.FromText(new string('a', 59) + "😀😀😀")!;
        Assert.Equal(new string('a', 59) + "…", title);
        for (var i = 0; i < title.Length; i++)
        {
            if (char.IsHighSurrogate(title[i]))
            {
                Assert.True(i + 1 < title.Length && char.IsLowSurrogate(title[i + 1]), "high surrogate without its pair");
            }
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   \n ")]
    public void Blank_text_gives_no_title(string? text) => Assert.Null(SessionTitles.FromText(text));
}
