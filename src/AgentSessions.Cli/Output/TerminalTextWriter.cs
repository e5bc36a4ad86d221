using System.Text;

namespace AgentSessions.Cli.Output;

/// <summary>
/// A <see cref="TextWriter"/> that passes everything through <see cref="TerminalText.Neutralize(string?)"/> before
/// writing it to the wrapped writer: tabs and newlines pass, every other control character, a lone CR and the bidi
/// controls arrive as visible escapes. The CLI installs it as <see cref="Console.Out"/> and <see cref="Console.Error"/>,
/// so no plain write of stored text can reach the terminal raw, whoever forgets to neutralise it first.
/// </summary>
/// <remarks>
/// Each call is neutralised on its own: a CR that ends one call is shown as <c>\r</c> even when the next call starts
/// with LF. The wrapped writer is not disposed with this one (the console's writers belong to the process). Our own styling (Spectre.Console's colour codes) must not go through this writer; it would be shown as
/// text. Values meant for one line still need <see cref="TerminalText.NeutralizeLine(string?)"/>, since this writer
/// keeps their newlines and tabs.
/// </remarks>
internal sealed class TerminalTextWriter(TextWriter inner) : TextWriter(inner.FormatProvider)
{
    /// <summary>The wrapped writer, for output that must pass unchanged.</summary>
    public TextWriter Inner { get; } = inner;

    /// <inheritdoc />
    public override Encoding Encoding => Inner.Encoding;

    /// <inheritdoc />
    public override void Write(char value)
    {
        if (value is '\t' or '\n' || (value >= ' ' && value < '\u007f'))
        {
            Inner.Write(value);
        }
        else
        {
            Inner.Write(TerminalText.Neutralize(value.ToString()));
        }
    }

    /// <inheritdoc />
    public override void Write(string? value) => Inner.Write(TerminalText.Neutralize(value));

    /// <inheritdoc />
    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<char> buffer) => Write(new string(buffer));

    /// <inheritdoc />
    public override void WriteLine(string? value) => Inner.WriteLine(TerminalText.Neutralize(value));

    /// <inheritdoc />
    public override void WriteLine(ReadOnlySpan<char> buffer) => WriteLine(new string(buffer));

    /// <inheritdoc />
    public override void WriteLine() => Inner.WriteLine();

    /// <inheritdoc />
    public override void Flush() => Inner.Flush();

    /// <inheritdoc />
    public override Task FlushAsync() => Inner.FlushAsync();
}
