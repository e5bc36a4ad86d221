using System.Globalization;
using System.Text.Json;
using AgentSessions.Storage;
using Spectre.Console;

namespace AgentSessions.Cli.Output;

/// <summary>
/// Human-readable rendering. All stored content goes through <see cref="Cell"/>, <see cref="Escape"/> or
/// <see cref="Transcript"/>'s bodies, which neutralise it (<see cref="TerminalText"/>) and keep it out of Spectre's markup.
/// </summary>
internal static class ConsoleOutput
{
    /// <summary>A one-line value (a title, a name, a path) as a Spectre cell: neutralised, never markup.</summary>
    public static Text Cell(string? value) => new(TerminalText.NeutralizeLine(value));

    /// <summary>A one-line value, neutralised and escaped for use inside Spectre markup.</summary>
    public static string Escape(string? value) => Markup.Escape(TerminalText.NeutralizeLine(value));

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
