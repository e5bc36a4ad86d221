using System.Text;
using Spectre.Console;

namespace AgentSessions.Cli.Output;

/// <summary>
/// Sets the process's console up for human-readable output, once, before any command runs: stdout and stderr go
/// through <see cref="TerminalTextWriter"/>, and Spectre.Console is told whether it writes to a terminal.
/// </summary>
internal static class TerminalConsole
{
    /// <summary>
    /// The width Spectre.Console lays out for when stdout is not a terminal. Spectre wraps anything wider than the
    /// console, and without a terminal it assumes 80 columns, so a pipe got headers, search lines and table cells
    /// broken at 80: <c>show ID | grep "a sentence"</c> missed text the user could see. Nothing we write is this wide.
    /// </summary>
    public const int PipeWidth = 1 << 16;

    /// <summary>Whether stdout is a terminal; only then is anything styled or wrapped to fit.</summary>
    public static bool StdoutIsTerminal { get; private set; }

    /// <summary>Installs the neutralising writers and Spectre.Console's console; plain text when piped or when NO_COLOR is set.</summary>
    public static void Configure()
    {
        var rawOut = Console.Out;
        StdoutIsTerminal = !Console.IsOutputRedirected;
        Plain = !StdoutIsTerminal || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR"));
        var safeOut = new TerminalTextWriter(rawOut);
        Console.SetOut(safeOut);
        Console.SetError(new TerminalTextWriter(Console.Error));
        AnsiConsole.Console = CreateConsole(rawOut, safeOut);
    }

    /// <summary>Whether output is unstyled: stdout is not a terminal, or NO_COLOR is set.</summary>
    private static bool Plain { get; set; } = true;

    /// <summary>
    /// A Spectre.Console console set up as <see cref="AnsiConsole.Console"/> is, over other writers of stdout: a command
    /// that writes a lot gives it a buffered one (<see cref="StandardOutput"/>).
    /// </summary>
    /// <param name="raw">Stdout as it is, for Spectre's own escape codes when styled.</param>
    /// <param name="safe">The same writer behind a <see cref="TerminalTextWriter"/>.</param>
    public static IAnsiConsole CreateConsole(TextWriter raw, TextWriter safe) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = Plain ? AnsiSupport.No : AnsiSupport.Detect,
        ColorSystem = Plain ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
        Interactive = Plain ? InteractionSupport.No : InteractionSupport.Detect,
        // With colours, Spectre's own escape codes must reach the terminal, so it writes past the neutralising
        // writer and ConsoleOutput neutralises every piece of content it hands to Spectre. Plain, Spectre emits
        // no codes and writes through the neutralising writer as well, which catches anything missed.
        Out = new Output(Plain ? safe : raw, StdoutIsTerminal),
    });

    /// <summary>Spectre's view of stdout: its own guess compares the writer with <see cref="Console.Out"/>, which is now ours.</summary>
    private sealed class Output(TextWriter writer, bool isTerminal) : IAnsiConsoleOutput
    {
        public TextWriter Writer => writer;

        public bool IsTerminal => isTerminal;

        public int Width => isTerminal ? Measure(() => Console.WindowWidth, 80) : PipeWidth;

        public int Height => isTerminal ? Measure(() => Console.WindowHeight, 24) : 24;

        /// <summary>Ignored: the console's encoding is chosen by the environment at start-up, and the writer keeps it.</summary>
        public void SetEncoding(Encoding encoding)
        {
        }

        private static int Measure(Func<int> size, int fallback)
        {
            try
            {
                return size() is > 0 and var value ? value : fallback;
            }
            catch (IOException)
            {
                return fallback;
            }
        }
    }
}
