using System.Globalization;
using System.Text;

namespace AgentSessions.Cli.Output;

/// <summary>
/// Makes stored text safe to show on a terminal. Messages, titles, tool results and file names come from models,
/// tools and imported files, and a terminal obeys what it is sent: ESC and the 8-bit CSI start commands (clear the
/// screen, move the cursor up and erase the line to forge earlier output, OSC 52 to write the clipboard, OSC 0/2 to
/// set the window title), BEL ends them, a lone CR overwrites the line, and bidi overrides make a line read in an
/// order other than its bytes' (Trojan Source). Each of those characters is written as an escape a reader can see,
/// the way Python's <c>repr</c> writes it: <c>\x1b</c> for code points below U+0100 (C0 controls, DEL, C1
/// controls), <c>\u202e</c> for the bidi controls, <c>\r</c> for a lone CR. Everything else is left alone,
/// backslashes included, so ordinary text and paths read as they are; a literal <c>\x1b</c> in the text therefore
/// looks the same as a neutralised ESC, which is the price of not rewriting every backslash.
/// </summary>
/// <remarks>
/// Only for human-readable output: <c>--json</c> and exports write the text exactly (JSON escapes controls itself).
/// The result contains no character this class would change, so neutralising twice changes nothing.
/// </remarks>
internal static class TerminalText
{
    /// <summary>
    /// Neutralises <paramref name="text"/> for a multi-line body (a message, a tool result): tabs, newlines and
    /// CR LF pairs are kept; every other control character, a lone CR and the bidi controls become visible escapes.
    /// </summary>
    public static string Neutralize(string? text) => Neutralize(text, singleLine: false);

    /// <summary>
    /// Neutralises <paramref name="text"/> for a value shown on one line (a title, a tag, a name, a table cell,
    /// an error message): as <see cref="Neutralize(string?)"/>, and tab, newline and CR too become <c>\t</c>,
    /// <c>\n</c> and <c>\r</c>, so the value cannot break a row, add a column or forge a line of its own.
    /// </summary>
    public static string NeutralizeLine(string? text) => Neutralize(text, singleLine: true);

    /// <summary>Whether <paramref name="c"/> is one of the bidi embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069).</summary>
    public static bool IsBidiControl(char c) => c is >= '\u202a' and <= '\u202e' or >= '\u2066' and <= '\u2069';

    private static string Neutralize(string? text, bool singleLine)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }

        var first = FirstUnsafe(text, singleLine);
        if (first < 0)
        {
            return text;
        }

        var result = new StringBuilder(text.Length + 16);
        result.Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            var c = text[i];
            if (!IsUnsafe(text, i, singleLine))
            {
                result.Append(c);
            }
            else if (c == '\t')
            {
                result.Append(@"\t");
            }
            else if (c == '\n')
            {
                result.Append(@"\n");
            }
            else if (c == '\r')
            {
                result.Append(@"\r");
            }
            else if (c < '\u0100')
            {
                result.Append(@"\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            }
            else
            {
                result.Append(@"\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
        }

        return result.ToString();
    }

    private static int FirstUnsafe(string text, bool singleLine)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (IsUnsafe(text, i, singleLine))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool IsUnsafe(string text, int i, bool singleLine)
    {
        var c = text[i];
        if (c >= ' ' && c < '\u007f')
        {
            return false;
        }

        return c switch
        {
            '\t' or '\n' => singleLine,
            // CR LF only ends a line; a CR on its own returns the cursor to overwrite what the line showed.
            '\r' => singleLine || i + 1 >= text.Length || text[i + 1] != '\n',
            < ' ' or >= '\u007f' and <= '\u009f' => true,
            _ => IsBidiControl(c),
        };
    }
}
