using AgentSessions.Cli.Output;
using Xunit;

namespace AgentSessions.Tests;

/// <summary>The CLI's neutraliser of stored text, on its own (the CLI tests check every output that uses it).</summary>
public sealed class TerminalTextTests
{
    [Theory]
    [InlineData("\u001b[2J", @"\x1b[2J")]
    [InlineData("\u001b]52;c;aGk=\u0007", @"\x1b]52;c;aGk=\x07")]
    [InlineData("\u009b31m", @"\x9b31m")]
    [InlineData("\u0000\u007f\u0085", @"\x00\x7f\x85")]
    [InlineData("a\rb", @"a\rb")]
    [InlineData("end\r", @"end\r")]
    [InlineData("\u202eabc\u202c \u2066x\u2069 \u202a\u202b\u202d\u2067\u2068", @"\u202eabc\u202c \u2066x\u2069 \u202a\u202b\u202d\u2067\u2068")]
    public void Control_characters_lone_CRs_and_bidi_controls_become_visible_escapes(string text, string expected)
        => Assert.Equal(expected, TerminalText.Neutralize(text));

    [Theory]
    [InlineData("plain text, a path C:\\x1b\\dir and ünïcødé 日本 🎉")]
    [InlineData("tab\there\nnew line\r\nCRLF line")]
    [InlineData("\u200f\u200e zero-width marks and \u00a0 are not controls")]
    public void Ordinary_text_tabs_newlines_and_CRLF_pass_unchanged(string text)
        => Assert.Same(text, TerminalText.Neutralize(text));

    [Fact]
    public void One_line_values_show_tabs_newlines_and_every_CR_too()
        => Assert.Equal(@"a\tb\nc\r\nd\x1b", TerminalText.NeutralizeLine("a\tb\nc\r\nd\u001b"));

    [Fact]
    public void Neutralising_twice_changes_nothing_more()
    {
        var all = new string(Enumerable.Range(0, 0x2100).Select(i => (char)i).Where(c => !char.IsSurrogate(c)).ToArray()) + "\u202e\u2066\r\n\r";
        var once = TerminalText.Neutralize(all);

        Assert.Equal(once, TerminalText.Neutralize(once));
        Assert.Equal(TerminalText.NeutralizeLine(all), TerminalText.NeutralizeLine(TerminalText.NeutralizeLine(all)));
        Assert.DoesNotContain(once, c => c < ' ' && c is not '\t' and not '\n' and not '\r' || c is >= '\u007f' and <= '\u009f' || TerminalText.IsBidiControl(c));
    }

    [Fact]
    public void The_writer_neutralises_every_kind_of_write_and_keeps_line_ends()
    {
        var inner = new StringWriter { NewLine = "\n" };
        var writer = new TerminalTextWriter(inner);

        writer.Write('\u001b');
        writer.Write("[2J\u0007");
        writer.Write("x\u009b1A".ToCharArray(), 0, 3);
        writer.Write("\u202e".AsSpan());
        writer.WriteLine("line\tone\r\ncr\r");
        writer.WriteLine(42);

        Assert.Equal("\\x1b[2J\\x07x\\x9b1\\u202eline\tone\r\ncr\\r\n42\n", inner.ToString());
    }
}
