using System.Globalization;
using System.Text.Json;
using AgentSessions.Storage;
using Spectre.Console;
using static AgentSessions.Cli.Output.ConsoleOutput;

namespace AgentSessions.Cli.Output;

/// <summary>
/// <c>show</c>'s human-readable output: the header, then each message as it is read, through a buffered stdout
/// (<see cref="StandardOutput"/>) flushed after the header and then whenever <see cref="FlushInterval"/> has passed
/// (or the buffer is full), so a reader at the other end of a pipe sees the first lines at once and a long session
/// costs a few hundred 64 KB writes, not one per 256 characters (nor one per message, each waking the reader).
/// </summary>
/// <remarks>
/// Every stored string is neutralised (<see cref="TerminalText"/>) on its way out, as everywhere else: bodies and
/// header cells explicitly, and the plain writer catches anything else. On a terminal, Spectre.Console styles and
/// wraps; into a pipe or a file, lines are written whole and never broken. When the reader closes the pipe, the
/// next flush throws <see cref="ReaderGoneException"/>.
/// </remarks>
internal sealed class Transcript : IAsyncDisposable
{
    private readonly StreamWriter _raw;
    private readonly TerminalTextWriter _plain;
    private readonly IAnsiConsole _console;

    private Transcript(StreamWriter raw)
    {
        _raw = raw;
        _plain = new TerminalTextWriter(raw);
        _console = TerminalConsole.CreateConsole(raw, _plain);
    }

    /// <summary>Opens stdout for a transcript.</summary>
    public static Transcript Open()
    {
        // Whatever the console writers hold goes first, so nothing written before comes out after.
        Console.Out.Flush();
        return new Transcript(StandardOutput.OpenWriter());
    }

    /// <summary>The longest a written message waits in the buffer.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(20);

    private long _lastFlush = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>Writes what reached the buffer to stdout.</summary>
    public Task FlushAsync()
    {
        _lastFlush = System.Diagnostics.Stopwatch.GetTimestamp();
        return _raw.FlushAsync();
    }

    /// <summary>Flushes when <see cref="FlushInterval"/> has passed since the last flush.</summary>
    public Task FlushIfDueAsync()
        => System.Diagnostics.Stopwatch.GetElapsedTime(_lastFlush) >= FlushInterval ? FlushAsync() : Task.CompletedTask;

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await _raw.DisposeAsync().ConfigureAwait(false);

    /// <summary>The session's title rule and its fields, lineage and history.</summary>
    public void Header(Session s, SessionDetails details)
    {
        var title = TerminalText.NeutralizeLine(s.Title ?? "(untitled)");
        if (TerminalConsole.StdoutIsTerminal)
        {
            _console.Write(new Rule(Markup.Escape(title)).LeftJustified());
        }
        else
        {
            // A rule spans the console's width, which a pipe does not have: the 80 columns it used to get, the title whole.
            _plain.WriteLine($"── {title} {new string('─', Math.Max(2, 76 - Columns.DisplayWidth(title)))}");
        }

        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow(new Text("id"), Cell(s.Id));
        grid.AddRow(new Text("created"), Cell(Time(s.CreatedAt)));
        grid.AddRow(new Text("updated"), Cell(Time(s.UpdatedAt)));
        grid.AddRow(new Text("messages"), Cell(s.MessageCount.ToString(CultureInfo.InvariantCulture)));
        grid.AddRow(new Text("tokens"), Cell($"in {s.InputTokens}, out {s.OutputTokens}"));
        if (s.Model is not null)
        {
            grid.AddRow(new Text("model"), Cell(s.Model));
        }

        if (s.ProjectPath is not null)
        {
            grid.AddRow(new Text("project"), Cell(s.ProjectPath));
        }

        if (s.Tags.Count > 0)
        {
            grid.AddRow(new Text("tags"), Cell(string.Join(", ", s.Tags)));
        }

        if (s.Pinned)
        {
            grid.AddRow(new Text("pinned"), Cell("yes"));
        }

        if (s.ParentId is not null)
        {
            grid.AddRow(new Text("forked from"), Cell($"{s.ParentId} after message {s.ForkSequence}"));
        }

        if (details.Forks.Count > 0)
        {
            grid.AddRow(new Text("forks"), Cell(string.Join(", ", details.Forks)));
        }

        if (details.Snapshots.Count > 0)
        {
            grid.AddRow(new Text("snapshots"), Cell(string.Join(", ", details.Snapshots.Select(x => $"{x.Name} (@{x.MessageCount})"))));
        }

        if (details.Bookmarks.Count > 0)
        {
            grid.AddRow(new Text("bookmarks"), Cell(string.Join(", ", details.Bookmarks.Select(x => $"{x.Name} (@{x.Sequence})"))));
        }

        if (details.HiddenMessages > 0)
        {
            grid.AddRow(new Text("undone"), Cell($"{details.HiddenMessages} message(s) kept for redo"));
        }

        if (details.AgentsUsed.Count > 0)
        {
            grid.AddRow(new Text("agents"), Cell(string.Join(", ", details.AgentsUsed)));
        }

        _console.Write(grid);
        if (details.ToolExecutions.Count > 0)
        {
            var tools = new Table().Border(TableBorder.Simple).Title("tool executions").AddColumn("Tool").AddColumn("Result").AddColumn(new TableColumn("ms").RightAligned()).AddColumn("Agent").AddColumn("At");
            foreach (var t in details.ToolExecutions)
            {
                tools.AddRow(Cell(t.ToolName), new Text(t.Success ? "ok" : "failed"), new Text(t.DurationMs?.ToString(CultureInfo.InvariantCulture) ?? ""), Cell(t.AgentName), new Text(Time(t.CreatedAt)));
            }

            _console.Write(tools);
        }

        foreach (var f in details.Files)
        {
            _console.Write(new Text($"{(f.Kind == FileChangeKind.Created ? "created " : "modified")} {TerminalText.NeutralizeLine(f.Path)}\n", new Style(Color.Grey)));
        }
    }

    /// <summary>One message: a blank line, its header line (number, role, author, time, tokens), then each part.</summary>
    public void Message(SessionMessage m)
    {
        var terminal = TerminalConsole.StdoutIsTerminal;
        var tokens = m.InputTokens > 0 || m.OutputTokens > 0 ? $" · tokens in {m.InputTokens}, out {m.OutputTokens}" : "";
        var author = m.AuthorName is null ? "" : $" ({(terminal ? Escape(m.AuthorName) : TerminalText.NeutralizeLine(m.AuthorName))})";
        var role = m.Role switch
        {
            MessageRole.User => "user",
            MessageRole.Assistant => "assistant",
            MessageRole.System => "system",
            _ => "tool",
        };
        if (terminal)
        {
            var colour = m.Role switch
            {
                MessageRole.User => "blue",
                MessageRole.Assistant => "green",
                MessageRole.System => "yellow",
                _ => "magenta",
            };
            _console.WriteLine();
            _console.MarkupLine($"{m.Sequence}. [{colour}]{role}[/]{author} [grey]{Time(m.CreatedAt)}{tokens}[/]");
        }
        else
        {
            // The same line Spectre renders without styles, written directly: Spectre costs more per message than the
            // message's text does, and a pipe gets no styles anyway.
            _plain.WriteLine();
            _plain.WriteLine($"{m.Sequence}. {role}{author} {Time(m.CreatedAt)}{tokens}");
        }

        foreach (var part in m.Parts)
        {
            switch (part)
            {
                case TextPart t:
                    Body(t.Text);
                    break;
                case ReasoningPart r:
                    Body(r.Text, new Style(Color.Grey, decoration: Decoration.Italic));
                    break;
                case ToolCallPart c:
                    Body($"→ tool call {TerminalText.NeutralizeLine(c.Name)} [{TerminalText.NeutralizeLine(c.CallId)}] {c.Arguments?.GetRawText() ?? "{}"}", new Style(Color.Cyan1));
                    break;
                case ToolResultPart r:
                    var result = r.Result is { ValueKind: JsonValueKind.String } s ? s.GetString() : r.Result?.GetRawText();
                    Body($"← {(r.IsError ? "tool error" : "tool result")} [{TerminalText.NeutralizeLine(r.CallId)}]\n{result}", new Style(r.IsError ? Color.Red : Color.Cyan1));
                    break;
                case DataPart d:
                    Body($"[attachment {TerminalText.NeutralizeLine(d.Name ?? "(unnamed)")}, {TerminalText.NeutralizeLine(d.MediaType)}, {StoreRules.FormatBytes(d.Data.LongLength)}]", new Style(Color.Grey));
                    break;
                case UriPart u:
                    Body($"[link {TerminalText.NeutralizeLine(u.Uri)} ({TerminalText.NeutralizeLine(u.MediaType)})]", new Style(Color.Grey));
                    break;
            }
        }
    }

    /// <summary>
    /// A multi-line body (a message, a tool result) and a newline. On a terminal, styled and word-wrapped to its
    /// width; anywhere else, written as it is, lines never broken, so a pipe or a file greps like the screen reads.
    /// </summary>
    private void Body(string? text, Style? style = null)
    {
        if (TerminalConsole.StdoutIsTerminal)
        {
            _console.Write(new Text(TerminalText.Neutralize(text) + "\n", style));
        }
        else
        {
            // The plain writer neutralises what it writes.
            _plain.WriteLine(text);
        }
    }
}
