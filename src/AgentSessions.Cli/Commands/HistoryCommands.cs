using System.CommandLine;
using System.Text.Json;
using AgentSessions.Cli.Output;
using AgentSessions.Formats;
using AgentSessions.Storage;
using Spectre.Console;

namespace AgentSessions.Cli.Commands;

/// <summary>snapshot, snapshots, restore, undo, redo, fork, bookmark, bookmarks, tool, file.</summary>
internal static class HistoryCommands
{
    public static void AddTo(RootCommand root)
    {
        root.Add(Snapshot());
        root.Add(Snapshots());
        root.Add(Restore());
        root.Add(Step("undo", "Step back one exchange (the last user message and what followed); redo brings it back", (s, id, ct) => s.UndoAsync(id, ct)));
        root.Add(Step("redo", "Re-apply what the last undo or restore stepped away from", (s, id, ct) => s.RedoAsync(id, ct)));
        root.Add(Fork());
        root.Add(Bookmark());
        root.Add(Bookmarks());
        root.Add(Tool());
        root.Add(File());
    }

    private static Command Snapshot()
    {
        var id = SessionCommands.IdArgument();
        var name = new Argument<string>("NAME") { Description = "The snapshot's name (letters, digits, '.', '_', '-')" };
        var description = new Option<string?>("--description") { Description = "What this state is" };
        var command = new Command("snapshot", "Mark the session's current state (a pointer, not a copy)") { id, name, description };
        command.SetAction(async (parse, ct) =>
        {
            await using var service = CliApp.OpenService(parse);
            var snapshot = await service.CreateSnapshotAsync(parse.GetValue(id)!, parse.GetValue(name)!, parse.GetValue(description), ct);
            Console.Out.WriteLine($"snapshot {snapshot.Name} at message {snapshot.MessageCount}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Snapshots()
    {
        var id = SessionCommands.IdArgument();
        var json = SessionCommands.JsonOption();
        var command = new Command("snapshots", "List a session's snapshots") { id, json };
        command.SetAction(async (parse, ct) =>
        {
            await using var service = CliApp.OpenService(parse);
            var details = await service.GetDetailsAsync(parse.GetValue(id)!, ct);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(details.Snapshots.ToList(), AgentSessionsJson.Context.ListSnapshot);
                return ExitCodes.Success;
            }

            if (details.Snapshots.Count == 0)
            {
                Console.Out.WriteLine("no snapshots; take one with 'agent-sessions snapshot ID NAME'");
                return ExitCodes.Success;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumn("Name").AddColumn(new TableColumn("Messages").RightAligned()).AddColumn("Taken").AddColumn("Title").AddColumn("Description");
            foreach (var s in details.Snapshots)
            {
                table.AddRow(ConsoleOutput.Cell(s.Name), new Text(s.MessageCount.ToString(System.Globalization.CultureInfo.InvariantCulture)), new Text(ConsoleOutput.Time(s.CreatedAt)), ConsoleOutput.Cell(s.Title), ConsoleOutput.Cell(s.Description));
            }

            AnsiConsole.Write(table);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Restore()
    {
        var id = SessionCommands.IdArgument();
        var name = new Argument<string>("SNAPSHOT") { Description = "The snapshot to return to" };
        var command = new Command("restore", "Return the session to a snapshot (later messages are kept for redo)") { id, name };
        command.SetAction(async (parse, ct) =>
        {
            await using var service = CliApp.OpenService(parse);
            var result = await service.RestoreAsync(parse.GetValue(id)!, parse.GetValue(name)!, ct);
            PrintStep("restored", result);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Step(string name, string description, Func<SessionService, string, CancellationToken, ValueTask<HistoryResult>> step)
    {
        var id = SessionCommands.IdArgument();
        var command = new Command(name, description) { id };
        command.SetAction(async (parse, ct) =>
        {
            await using var service = CliApp.OpenService(parse);
            PrintStep(name == "undo" ? "undone" : "redone", await step(service, parse.GetValue(id)!, ct));
            return ExitCodes.Success;
        });
        return command;
    }

    private static void PrintStep(string what, HistoryResult result)
    {
        Console.Out.WriteLine($"{what}: {result.Session.Id} now shows {result.Session.MessageCount} messages");
        if (result.HiddenMessages > 0)
        {
            Console.Out.WriteLine($"{result.HiddenMessages} later message(s) kept: 'agent-sessions redo {result.Session.Id}' brings them back; a new message moves them to a fork");
        }
    }

    private static Command Fork()
    {
        var id = SessionCommands.IdArgument();
        var at = new Option<long?>("--at") { Description = "Fork after this message (default: the last)", HelpName = "SEQ" };
        var title = new Option<string?>("--title") { Description = "The fork's title (default: the parent's, marked as a fork)" };
        var newId = new Option<string?>("--id") { Description = "The fork's id (default: generated)" };
        var command = new Command("fork", "Start a new session from this one's messages up to a point; prints the new id") { id, at, title, newId };
        command.SetAction(async (parse, ct) =>
        {
            await using var service = CliApp.OpenService(parse);
            var fork = await service.ForkAsync(parse.GetValue(id)!, parse.GetValue(at), new NewSession { Id = parse.GetValue(newId), Title = parse.GetValue(title) }, ct);
            Console.Out.WriteLine(fork.Id);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Bookmark()
    {
        var id = SessionCommands.IdArgument();
        var name = new Argument<string>("NAME") { Description = "The bookmark's name" };
        var at = new Option<long?>("--at") { Description = "The message to mark (default: the last)", HelpName = "SEQ" };
        var note = new Option<string?>("--note") { Description = "A note" };
        var command = new Command("bookmark", "Name a position in a session ('show ID --since NAME' reads on from it)") { id, name, at, note };
        command.SetAction(async (parse, ct) =>
        {
            await using var service = CliApp.OpenService(parse);
            var bookmark = await service.AddBookmarkAsync(parse.GetValue(id)!, parse.GetValue(name)!, parse.GetValue(at), parse.GetValue(note), ct);
            Console.Out.WriteLine($"bookmark {bookmark.Name} at message {bookmark.Sequence}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Bookmarks()
    {
        var id = SessionCommands.IdArgument();
        var json = SessionCommands.JsonOption();
        var command = new Command("bookmarks", "List a session's bookmarks") { id, json };
        command.SetAction(async (parse, ct) =>
        {
            await using var service = CliApp.OpenService(parse);
            var details = await service.GetDetailsAsync(parse.GetValue(id)!, ct);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(details.Bookmarks.ToList(), AgentSessionsJson.Context.ListBookmark);
            }
            else if (details.Bookmarks.Count == 0)
            {
                Console.Out.WriteLine("no bookmarks; add one with 'agent-sessions bookmark ID NAME'");
            }
            else
            {
                foreach (var b in details.Bookmarks)
                {
                    // Tab-separated: a tab or newline in the note would add a column or a row, so it is shown as \t or \n.
                    Console.Out.WriteLine($"{b.Name}\t{b.Sequence}\t{ConsoleOutput.Time(b.CreatedAt)}\t{TerminalText.NeutralizeLine(b.Note)}");
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Tool()
    {
        var id = SessionCommands.IdArgument();
        var name = new Option<string>("--name") { Description = "The tool's name", Required = true };
        var args = new Option<string?>("--args") { Description = "The arguments as a JSON object", HelpName = "JSON" };
        var result = new Option<string?>("--result") { Description = "The result (JSON, or plain text)", HelpName = "TEXT" };
        var failed = new Option<bool>("--failed") { Description = "The run failed" };
        var duration = new Option<long?>("--duration-ms") { Description = "How long it ran", HelpName = "MS" };
        var agent = new Option<string?>("--agent") { Description = "The agent that ran it" };
        var callId = new Option<string?>("--call-id") { Description = "The tool call it answers" };
        var seq = new Option<long?>("--seq") { Description = "The message it belongs to", HelpName = "SEQ" };
        var execId = new Option<string?>("--id") { Description = "The execution's id (default: generated)" };
        var command = new Command("tool", "Record a tool execution") { id, name, args, result, failed, duration, agent, callId, seq, execId };
        command.SetAction(async (parse, ct) =>
        {
            var execution = new ToolExecution
            {
                Id = parse.GetValue(execId) ?? SessionIds.NewId("exec"),
                ToolName = parse.GetValue(name)!,
                Arguments = parse.GetValue(args) is { } a ? ParseJson(a, "--args") : null,
                Result = parse.GetValue(result) is { } r ? JsonOrText(r) : null,
                Success = !parse.GetValue(failed),
                DurationMs = parse.GetValue(duration),
                AgentName = parse.GetValue(agent),
                CallId = parse.GetValue(callId),
                Sequence = parse.GetValue(seq),
                CreatedAt = DateTimeOffset.UtcNow,
            };
            await using var service = CliApp.OpenService(parse);
            await service.RecordToolExecutionAsync(parse.GetValue(id)!, execution, ct);
            Console.Out.WriteLine(execution.Id);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command File()
    {
        var id = SessionCommands.IdArgument();
        var path = new Argument<string>("PATH") { Description = "The file" };
        var created = new Option<bool>("--created") { Description = "The file was created (default: modified)" };
        var agent = new Option<string?>("--agent") { Description = "The agent that changed it" };
        var seq = new Option<long?>("--seq") { Description = "The message it belongs to", HelpName = "SEQ" };
        var command = new Command("file", "Record a file the session modified or created") { id, path, created, agent, seq };
        command.SetAction(async (parse, ct) =>
        {
            await using var service = CliApp.OpenService(parse);
            var change = new FileChange(parse.GetValue(path)!, parse.GetValue(created) ? FileChangeKind.Created : FileChangeKind.Modified, DateTimeOffset.UtcNow)
            {
                AgentName = parse.GetValue(agent),
                Sequence = parse.GetValue(seq),
            };
            await service.RecordFileChangeAsync(parse.GetValue(id)!, change, ct);
            Console.Out.WriteLine($"{(change.Kind == FileChangeKind.Created ? "created" : "modified")} {TerminalText.NeutralizeLine(change.Path)}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static JsonElement ParseJson(string text, string option)
    {
        try
        {
            return JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"{option} is not valid JSON: {e.Message}", e);
        }
    }

    private static JsonElement JsonOrText(string text)
    {
        try
        {
            return JsonDocument.Parse(text).RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(text, AgentSessionsJson.Context.String);
        }
    }
}
