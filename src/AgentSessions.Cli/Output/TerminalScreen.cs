using System.Text;

namespace AgentSessions.Cli.Output;

/// <summary>
/// The terminal as the interactive commands (chat, the session picker) write to it: <see cref="Text"/> for
/// everything stored or typed, neutralised as all output is (<see cref="TerminalTextWriter"/>), and
/// <see cref="Control"/> for our own control sequences (erase a character, switch to the alternate screen), which
/// the neutralising writer would show as text.
/// </summary>
/// <remarks>Both flush every write, as the console's own writer does, so what they write arrives in order.</remarks>
internal sealed class TerminalScreen
{
    private TerminalScreen(TextWriter raw)
    {
        Control = raw;
        Text = new TerminalTextWriter(raw);
    }

    /// <summary>Neutralised text: model output, titles, what the user types.</summary>
    public TextWriter Text { get; }

    /// <summary>Our own control sequences only, never stored text.</summary>
    public TextWriter Control { get; }

    /// <summary>Opens stdout (a terminal) for interactive output.</summary>
    public static TerminalScreen Open()
    {
        // Whatever the console's writers hold goes first, so nothing written before comes out after.
        Console.Out.Flush();
        var raw = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { AutoFlush = true };
        return new TerminalScreen(raw);
    }

    /// <summary>Moves back over the last <paramref name="columns"/> columns of the line and blanks them.</summary>
    public void Erase(int columns)
    {
        if (columns > 0)
        {
            Control.Write(new string('\b', columns) + new string(' ', columns) + new string('\b', columns));
        }
    }
}
