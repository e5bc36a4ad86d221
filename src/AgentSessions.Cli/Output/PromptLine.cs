using System.Text;

namespace AgentSessions.Cli.Output;

/// <summary>What <see cref="PromptLine.ReadAsync"/> read.</summary>
internal enum PromptResult
{
    /// <summary>A line, ended by Enter.</summary>
    Line,

    /// <summary>Ctrl+C or Ctrl+D at an empty prompt: the user is leaving.</summary>
    Exit,

    /// <summary>Ctrl+C with text typed: the text is dropped, the prompt shown again (as a shell does).</summary>
    Discarded,
}

/// <summary>
/// A one-line editor over <see cref="TerminalKeys"/>: typed characters are echoed, Backspace and Ctrl+U erase,
/// Enter ends the line. Only printable characters are taken, so nothing typed or pasted can put a control
/// character on the screen or into a prompt.
/// </summary>
internal static class PromptLine
{
    /// <summary>The longest line taken; a paste beyond it is cut, so one keystroke cannot build an unbounded prompt.</summary>
    public const int MaxLength = 64 * 1024;

    /// <summary>Shows <paramref name="prompt"/> and reads a line.</summary>
    public static async Task<(PromptResult Result, string Text)> ReadAsync(TerminalKeys keys, TerminalScreen screen, string prompt, CancellationToken cancellationToken)
    {
        screen.Text.Write(prompt);
        var line = new StringBuilder();
        while (true)
        {
            var key = await keys.ReadAsync(cancellationToken);
            if (TerminalKeys.IsControlC(key))
            {
                screen.Text.WriteLine("^C");
                return line.Length == 0 ? (PromptResult.Exit, "") : (PromptResult.Discarded, "");
            }

            if (TerminalKeys.IsControlD(key))
            {
                if (line.Length == 0)
                {
                    screen.Text.WriteLine();
                    return (PromptResult.Exit, "");
                }

                continue;
            }

            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    screen.Text.WriteLine();
                    return (PromptResult.Line, line.ToString());
                case ConsoleKey.Backspace:
                    EraseLast(line, screen);
                    continue;
                case ConsoleKey.U when key.Modifiers.HasFlag(ConsoleModifiers.Control) || key.KeyChar == '\u0015':
                    while (line.Length > 0)
                    {
                        EraseLast(line, screen);
                    }

                    continue;
            }

            // Enter comes as CR, and some terminals send DEL for Backspace without naming the key.
            if (key.KeyChar is '\r' or '\n')
            {
                screen.Text.WriteLine();
                return (PromptResult.Line, line.ToString());
            }

            if (key.KeyChar == '\u007f' || key.KeyChar == '\b')
            {
                EraseLast(line, screen);
                continue;
            }

            if (IsPrintable(key.KeyChar) && line.Length < MaxLength)
            {
                line.Append(key.KeyChar);
                screen.Text.Write(key.KeyChar);
            }
        }
    }

    /// <summary>Whether a typed character may go into a line: no control character, no bidi control.</summary>
    public static bool IsPrintable(char c)
        => c >= ' ' && c != '\u007f' && c is not (>= '\u0080' and <= '\u009f') && !TerminalText.IsBidiControl(c);

    private static void EraseLast(StringBuilder line, TerminalScreen screen)
    {
        if (line.Length == 0)
        {
            return;
        }

        var length = line.Length >= 2 && char.IsLowSurrogate(line[^1]) && char.IsHighSurrogate(line[^2]) ? 2 : 1;
        var last = line.ToString(line.Length - length, length);
        line.Length -= length;
        screen.Erase(Math.Max(1, Columns.DisplayWidth(last)));
    }
}
