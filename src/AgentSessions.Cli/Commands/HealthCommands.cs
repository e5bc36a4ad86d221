using System.CommandLine;
using System.Globalization;
using AgentSessions.Cli.Output;
using AgentSessions.Formats;
using AgentSessions.Storage;
using Spectre.Console;

namespace AgentSessions.Cli.Commands;

/// <summary>stats, cleanup, doctor.</summary>
internal static class HealthCommands
{
    public static void AddTo(RootCommand root)
    {
        root.Add(Stats());
        root.Add(Cleanup());
        root.Add(Doctor());
    }

    private static Command Stats()
    {
        var since = new Option<string?>("--since") { Description = "Only messages since a date or an age (7d)", HelpName = "WHEN" };
        var json = SessionCommands.JsonOption();
        var command = new Command("stats", "Sessions, messages and tokens, by model and by day") { since, json };
        command.SetAction(async (parse, ct) =>
        {
            var sinceText = parse.GetValue(since);
            await using var service = CliApp.OpenService(parse);
            var stats = await service.GetStatsAsync(new StatsQuery { Since = sinceText is null ? null : Durations.ParseSince(sinceText, DateTimeOffset.UtcNow) }, ct);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(stats, AgentSessionsJson.Context.StoreStats);
                return ExitCodes.Success;
            }

            AnsiConsole.MarkupLine($"[bold]{stats.Sessions}[/] sessions, [bold]{stats.Messages}[/] messages, tokens in [bold]{stats.InputTokens}[/], out [bold]{stats.OutputTokens}[/]");
            foreach (var (title, rows) in new[] { ("By model", stats.ByModel), ("By day", stats.ByDay) })
            {
                if (rows.Count == 0)
                {
                    continue;
                }

                var table = new Table().Border(TableBorder.Rounded).Title(title)
                    .AddColumn(title == "By model" ? "Model" : "Day").AddColumn(new TableColumn("Messages").RightAligned())
                    .AddColumn(new TableColumn("Input tokens").RightAligned()).AddColumn(new TableColumn("Output tokens").RightAligned());
                foreach (var row in rows)
                {
                    table.AddRow(ConsoleOutput.Cell(row.Key), new Text(N(row.Messages)), new Text(N(row.InputTokens)), new Text(N(row.OutputTokens)));
                }

                AnsiConsole.Write(table);
                var chart = new BarChart().Label($"{title}: tokens (in + out)").Width(Math.Min(100, AnsiConsole.Profile.Width));
                foreach (var row in rows.TakeLast(30))
                {
                    // A bar's label is markup: a model named "[x]" made stats fail before it was escaped.
                    chart.AddItem(ConsoleOutput.Escape(row.Key), row.InputTokens + row.OutputTokens, Color.SteelBlue);
                }

                AnsiConsole.Write(chart);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static Command Cleanup()
    {
        var keep = new Option<int?>("--keep") { Description = "Keep at least this many of the most recent unpinned sessions", HelpName = "N" };
        var olderThan = new Option<string?>("--older-than") { Description = "Remove only sessions not updated for this long (30d, 12w)", HelpName = "DURATION" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only list what would be removed" };
        var archive = new Option<string?>("--archive") { Description = "Export each session as JSON into this directory before removing it", HelpName = "DIR" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Remove without asking (required when not on a terminal)" };
        var json = SessionCommands.JsonOption();
        var command = new Command("cleanup", "Remove old sessions by an explicit policy; pinned sessions are never touched") { keep, olderThan, dryRun, archive, yes, json };
        command.SetAction(async (parse, ct) =>
        {
            var policy = new RetentionPolicy
            {
                Keep = parse.GetValue(keep),
                OlderThan = parse.GetValue(olderThan) is { } age ? Durations.Parse(age, "--older-than") : null,
            };
            var archiveDir = parse.GetValue(archive);
            await using var service = CliApp.OpenService(parse);
            var plan = await service.PlanCleanupAsync(policy, DateTimeOffset.UtcNow, ct);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(new Storage.SessionPage(plan, false), AgentSessionsJson.Context.SessionPage);
            }
            else
            {
                Console.Out.WriteLine(plan.Count == 0 ? "nothing to remove" : $"{(parse.GetValue(dryRun) ? "would remove" : "removing")} {plan.Count} session(s):");
                foreach (var s in plan)
                {
                    Console.Out.WriteLine($"  {s.Id}\t{ConsoleOutput.Time(s.UpdatedAt)}\t{s.MessageCount} messages\t{TerminalText.NeutralizeLine(s.Title)}");
                }
            }

            if (plan.Count == 0 || parse.GetValue(dryRun))
            {
                return ExitCodes.Success;
            }

            if (!parse.GetValue(yes))
            {
                if (Console.IsInputRedirected || Console.IsOutputRedirected)
                {
                    throw new AgentSessionsException(ErrorCode.InvalidArgument, "not removing anything: not on a terminal, so I cannot ask; check the list with --dry-run, then pass --yes");
                }

                if (!AnsiConsole.Confirm($"Remove these {plan.Count} session(s)?", defaultValue: false))
                {
                    Console.Out.WriteLine("kept everything");
                    return ExitCodes.Success;
                }
            }

            if (archiveDir is not null)
            {
                Directory.CreateDirectory(archiveDir);
            }

            var removed = 0;
            foreach (var session in plan)
            {
                if (archiveDir is not null)
                {
                    // Archive first; a session whose archive cannot be written is not removed.
                    await AtomicFile.WriteAsync(Path.Combine(archiveDir, session.Id + ".json"), stream => service.ExportAsync(session.Id, ExportFormat.Json, stream, ct), ct);
                }

                await service.DeleteAsync(session.Id, ct);
                removed++;
            }

            Console.Out.WriteLine($"removed {removed} session(s){(archiveDir is null ? "" : $", archived to {archiveDir}")}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Doctor()
    {
        var repair = new Option<bool>("--repair") { Description = "Repair what can be repaired" };
        var json = SessionCommands.JsonOption();
        var command = new Command("doctor", "Check the store's integrity: database, search indexes, sequences, totals, tags, contents") { repair, json };
        command.SetAction(async (parse, ct) =>
        {
            await using var service = CliApp.OpenService(parse);
            var report = await service.CheckAsync(parse.GetValue(repair), ct);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(report, AgentSessionsJson.Context.DoctorReport);
            }
            else
            {
                foreach (var check in report.Checks)
                {
                    var mark = check.Ok ? "[green]ok[/]  " : check.Repaired ? "[yellow]fixed[/]" : "[red]FAIL[/]";
                    AnsiConsole.MarkupLine($"{mark} {ConsoleOutput.Escape(check.Name)}{(check.Ok ? "" : ": " + ConsoleOutput.Escape(check.Detail) + (check.Repairable && !check.Repaired ? "; run with --repair to fix" : ""))}");
                }

                Console.Out.WriteLine(report.Healthy ? "the store is healthy" : "problems found" + (parse.GetValue(repair) ? "" : "; run 'agent-sessions doctor --repair'"));
            }

            return report.Healthy ? ExitCodes.Success : ExitCodes.Failure;
        });
        return command;
    }
}
