using System.CommandLine;
using AgentSessions.Cli.Output;
using AgentSessions.Formats;
using AgentSessions.Formats.Import;
using AgentSessions.Import;
using AgentSessions.Storage;
using Spectre.Console;

namespace AgentSessions.Cli.Commands;

/// <summary>export, import.</summary>
internal static class TransferCommands
{
    public static void AddTo(RootCommand root)
    {
        root.Add(Export());
        root.Add(Import());
    }

    private static Command Export()
    {
        var id = new Argument<string?>("ID") { Description = "The session id (or --all DIR)", Arity = ArgumentArity.ZeroOrOne };
        var format = new Option<string>("--format") { Description = "json (lossless), jsonl, markdown, html or base64", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong(ExportFormats.Names);
        var output = new Option<string?>("--output", "-o") { Description = "Write to this file (atomically) instead of stdout", HelpName = "FILE" };
        var all = new Option<string?>("--all") { Description = "Export every session into this directory, one file each", HelpName = "DIR" };
        var command = new Command("export", "Export a session, or all of them") { id, format, output, all };
        command.SetAction(async (parse, ct) =>
        {
            var exportFormat = ExportFormats.Parse(parse.GetValue(format)!);
            var sessionId = parse.GetValue(id);
            var allDir = parse.GetValue(all);
            if ((sessionId is null) == (allDir is null))
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, "give either a session ID or --all DIR");
            }

            await using var service = CliApp.OpenService(parse);
            if (allDir is not null)
            {
                return await ExportAllAsync(service, allDir, exportFormat, ct);
            }

            // Fail on an unknown session before creating any file.
            await service.GetAsync(sessionId!, ct);
            var path = parse.GetValue(output);
            if (path is null)
            {
                await using var stdout = Console.OpenStandardOutput();
                await service.ExportAsync(sessionId!, exportFormat, stdout, ct);
            }
            else
            {
                await AtomicFile.WriteAsync(path, stream => service.ExportAsync(sessionId!, exportFormat, stream, ct), ct);
                Console.Error.WriteLine($"exported {sessionId} to {path}");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task<int> ExportAllAsync(SessionService service, string directory, ExportFormat format, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        var ids = new List<string>();
        for (var offset = 0; ; offset += 1000)
        {
            var page = await service.ListAsync(new SessionQuery { Limit = 1000, Offset = offset }, ct);
            ids.AddRange(page.Sessions.Select(s => s.Id));
            if (!page.HasMore)
            {
                break;
            }
        }

        async Task ExportOne(string sessionId)
        {
            // Between sessions too, so a signal stops the loop at the next file rather than at the end.
            ct.ThrowIfCancellationRequested();
            await AtomicFile.WriteAsync(Path.Combine(directory, sessionId + format.Extension()), stream => service.ExportAsync(sessionId, format, stream, ct), ct);
        }

        await Output.Progress.RunAsync($"exporting {ids.Count} sessions", ids, ExportOne);
        Console.Out.WriteLine($"exported {ids.Count} session(s) to {directory}");
        return ExitCodes.Success;
    }

    private static Command Import()
    {
        var path = new Argument<string>("PATH") { Description = "A session file or a folder of them, in any supported format" };
        var asId = new Option<string?>("--as") { Description = "Store the (single) session under this id", HelpName = "ID" };
        var replace = new Option<bool>("--replace") { Description = "Replace what an earlier import of the same file (or the same id) stored" };
        var format = new Option<string?>("--format") { Description = "Force a format instead of detecting it: " + string.Join(", ", Importers.All.Select(i => i.Format)) };
        var timezone = new Option<string?>("--timezone") { Description = "The zone of times written without an offset (default: this machine's); e.g. Europe/Berlin, UTC, +02:00", HelpName = "ZONE" };
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON" };
        var command = new Command("import", "Import sessions: ours (JSON, JSONL, base64) and those of the systems we replace") { path, asId, replace, format, timezone, json };
        command.SetAction(async (parse, ct) =>
        {
            var request = new ImportRequest
            {
                AsId = parse.GetValue(asId),
                Replace = parse.GetValue(replace),
                Format = parse.GetValue(format),
                Options = new ImportOptions { TimeZone = parse.GetValue(timezone) is { } zone ? TimeZones.Parse(zone) : TimeZoneInfo.Local },
            };
            var source = parse.GetValue(path)!;
            await using var service = CliApp.OpenService(parse);
            var summary = await Output.Progress.RunAsync("importing", (IProgress<ImportProgress> progress) => service.ImportAsync(source, request, progress, ct));
            // One file that could not be imported is an error with its reason, as for every other command.
            if (summary.Imported.Count == 0 && summary.Failed.Count + summary.Skipped.Count == 1 && File.Exists(source) && !parse.GetValue(json))
            {
                var only = summary.Failed.Concat(summary.Skipped).Single();
                throw new AgentSessionsException(summary.Failed.Count == 1 ? ErrorCode.Corrupt : ErrorCode.Conflict, only.Reason!, only.Hint);
            }

            if (parse.GetValue(json))
            {
                ImportSummaryJson.Write(summary);
            }
            else
            {
                // Ids on stdout for scripts; the account of what happened on stderr, one line per file whatever its
                // name or the reason quotes.
                foreach (var item in summary.Imported)
                {
                    Console.Out.WriteLine(item.SessionId);
                    Console.Error.WriteLine($"imported {item.SessionId} ({item.Format}) from {Line(item.Source)}{(item.Reason is null ? "" : "; " + Line(item.Reason))}");
                }

                foreach (var item in summary.Skipped)
                {
                    Console.Error.WriteLine($"skipped {Line(item.Source)}: {Line(item.Reason)}{(CliHints.For(item.Hint) is { } hint ? "; " + hint : "")}");
                }

                foreach (var item in summary.Failed)
                {
                    Console.Error.WriteLine($"failed {Line(item.Source)}: {Line(item.Reason)}");
                }

                Console.Error.WriteLine($"{summary.Imported.Count} imported, {summary.Skipped.Count} skipped, {summary.Failed.Count} failed");
            }

            return summary.Failed.Count > 0 ? ExitCodes.Failure : ExitCodes.Success;
        });
        return command;
    }

    private static string Line(string? text) => TerminalText.NeutralizeLine(text);
}
