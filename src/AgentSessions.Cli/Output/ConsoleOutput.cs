using System.Globalization;
using System.Text.Json;
using AgentSessions.Storage;
using Spectre.Console;

namespace AgentSessions.Cli.Output;

/// <summary>
/// Human-readable rendering. All stored content goes through <see cref="Cell"/>, <see cref="Escape"/> or
/// <see cref="Body"/>, which neutralise it (<see cref="TerminalText"/>) and keep it out of Spectre's markup.
/// </summary>
internal static class ConsoleOutput
{
    /// <summary>A one-line value (a title, a name, a path) as a Spectre cell: neutralised, never markup.</summary>
    public static Text Cell(string? value) => new(TerminalText.NeutralizeLine(value));

    /// <summary>A one-line value, neutralised and escaped for use inside Spectre markup.</summary>
    public static string Escape(string? value) => Markup.Escape(TerminalText.NeutralizeLine(value));

    /// <summary>
    /// A multi-line body (a message, a tool result) and a newline. On a terminal, styled and word-wrapped to its
    /// width; anywhere else, written as it is, lines never broken, so a pipe or a file greps like the screen reads.
    /// </summary>
    public static void Body(string? text, Style? style = null)
    {
        if (TerminalConsole.StdoutIsTerminal)
        {
            AnsiConsole.Write(new Text(TerminalText.Neutralize(text) + "\n", style));
        }
        else
        {
            // Console.Out neutralises what it writes.
            Console.Out.WriteLine(text);
        }
    }

    public static string Time(DateTimeOffset time)
        => time.ToLocalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    /// <summary>The <c>list</c> table, in plain columns (see <see cref="Columns"/> for why not a Spectre table).</summary>
    public static void SessionTable(IReadOnlyList<Session> sessions, bool hasMore, int offset)
    {
        var output = Console.Out;
        if (sessions.Count == 0)
        {
            output.WriteLine("No sessions. Create one with 'agent-sessions new'.");
            return;
        }

        var table = new Columns(("ID", false), ("TITLE", false), ("MSGS", true), ("UPDATED", false), ("TAGS", false));
        foreach (var s in sessions)
        {
            table.Add(
                s.Id,
                // Neutralised before truncating, so the 60 columns count what is shown.
                (s.Pinned ? "★ " : "") + Columns.Truncate(TerminalText.NeutralizeLine(s.Title ?? "(untitled)"), 60),
                s.MessageCount.ToString(CultureInfo.InvariantCulture),
                Time(s.UpdatedAt),
                string.Join(",", s.Tags));
        }

        table.Write(output);
        if (hasMore)
        {
            output.WriteLine($"More sessions: add --offset {offset + sessions.Count}.");
        }
    }

    public static void SessionHeader(Session s, SessionDetails details)
    {
        var title = TerminalText.NeutralizeLine(s.Title ?? "(untitled)");
        if (TerminalConsole.StdoutIsTerminal)
        {
            AnsiConsole.Write(new Rule(Markup.Escape(title)).LeftJustified());
        }
        else
        {
            // A rule spans the console's width, which a pipe does not have: the 80 columns it used to get, the title whole.
            Console.Out.WriteLine($"── {title} {new string('─', Math.Max(2, 76 - Columns.DisplayWidth(title)))}");
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

        AnsiConsole.Write(grid);
        if (details.ToolExecutions.Count > 0)
        {
            var tools = new Table().Border(TableBorder.Simple).Title("tool executions").AddColumn("Tool").AddColumn("Result").AddColumn(new TableColumn("ms").RightAligned()).AddColumn("Agent").AddColumn("At");
            foreach (var t in details.ToolExecutions)
            {
                tools.AddRow(Cell(t.ToolName), new Text(t.Success ? "ok" : "failed"), new Text(t.DurationMs?.ToString(CultureInfo.InvariantCulture) ?? ""), Cell(t.AgentName), new Text(Time(t.CreatedAt)));
            }

            AnsiConsole.Write(tools);
        }

        if (details.Files.Count > 0)
        {
            foreach (var f in details.Files)
            {
                AnsiConsole.Write(new Text($"{(f.Kind == FileChangeKind.Created ? "created " : "modified")} {TerminalText.NeutralizeLine(f.Path)}\n", new Style(Color.Grey)));
            }
        }
    }

    public static void Message(SessionMessage m)
    {
        var role = m.Role switch
        {
            MessageRole.User => "[blue]user[/]",
            MessageRole.Assistant => "[green]assistant[/]",
            MessageRole.System => "[yellow]system[/]",
            _ => "[magenta]tool[/]",
        };
        var header = $"{m.Sequence}. {role}";
        if (m.AuthorName is not null)
        {
            header += $" ({Escape(m.AuthorName)})";
        }

        header += $" [grey]{Time(m.CreatedAt)}";
        if (m.InputTokens > 0 || m.OutputTokens > 0)
        {
            header += $" · tokens in {m.InputTokens}, out {m.OutputTokens}";
        }

        AnsiConsole.WriteLine();
        AnsiConsole.MarkupLine(header + "[/]");
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

    public static void SearchHit(SearchHit hit)
    {
        var where = hit.Sequence is { } seq ? $"#{seq} {hit.Role?.ToWireName()}" : "title";
        AnsiConsole.MarkupLine($"[bold]{Escape(hit.SessionId)}[/] [grey]{Escape(where)} · {Time(hit.CreatedAt)}[/] {Escape(hit.SessionTitle)}");
        var line = new System.Text.StringBuilder("  ");
        var position = 0;
        foreach (var range in hit.Highlights)
        {
            // Each piece on its own: neutralising can lengthen text, which would move the highlight ranges.
            line.Append(Escape(hit.Snippet[position..range.Start]));
            line.Append("[black on yellow]").Append(Escape(hit.Snippet.Substring(range.Start, range.Length))).Append("[/]");
            position = range.Start + range.Length;
        }

        line.Append(Escape(hit.Snippet[position..]));
        AnsiConsole.MarkupLine(line.ToString());
    }

    public static void Info(StoreInfo info)
    {
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddRow(new Text("backend"), Cell(info.Backend));
        grid.AddRow(new Text("location"), Cell(info.Location));
        grid.AddRow(new Text("schema version"), Cell(info.SchemaVersion.ToString(CultureInfo.InvariantCulture)));
        grid.AddRow(new Text("sessions"), Cell(info.SessionCount.ToString(CultureInfo.InvariantCulture)));
        grid.AddRow(new Text("messages"), Cell(info.MessageCount.ToString(CultureInfo.InvariantCulture)));
        if (info.SizeBytes is { } size)
        {
            grid.AddRow(new Text("size on disk"), Cell(StoreRules.FormatBytes(size)));
        }

        foreach (var (key, value) in info.Details)
        {
            grid.AddRow(Cell(key), Cell(value));
        }

        AnsiConsole.Write(grid);
    }
}
