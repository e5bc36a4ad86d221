using System.CommandLine;
using System.Text;
using AgentSessions.Cli.Output;
using AgentSessions.Formats;
using AgentSessions.Storage;
using Spectre.Console;

namespace AgentSessions.Cli.Commands;

/// <summary>new, list, show, rename, tag, pin, unpin, delete, info.</summary>
internal static class SessionCommands
{
    public static void AddTo(RootCommand root)
    {
        root.Add(New());
        root.Add(List());
        root.Add(Show());
        root.Add(Rename());
        root.Add(Tag());
        root.Add(Pin("pin", "Pin a session (pinned sessions are never cleaned up)", pinned: true));
        root.Add(Pin("unpin", "Unpin a session", pinned: false));
        root.Add(Delete());
        root.Add(Info());
    }

    public static Argument<string> IdArgument() => new("ID") { Description = "The session id" };

    public static Option<bool> JsonOption() => new("--json") { Description = "Write stable JSON (see docs/cli-json.md) instead of a table" };

    private static Command New()
    {
        var id = new Option<string?>("--id") { Description = "Use this id instead of a generated one" };
        var title = new Option<string?>("--title") { Description = "The title (default: derived from the first user message)" };
        var model = new Option<string?>("--model") { Description = "The model the session talks to" };
        var project = new Option<string?>("--project") { Description = "The project directory the session belongs to", HelpName = "PATH" };
        var tags = new Option<string[]>("--tag") { Description = "A tag (repeatable)", AllowMultipleArgumentsPerToken = false };
        var command = new Command("new", "Create a session and print its id") { id, title, model, project, tags };
        command.SetAction(async (parse, ct) =>
        {
            await using var service = CliApp.OpenService(parse);
            var projectPath = parse.GetValue(project);
            var session = await service.CreateAsync(
                new NewSession
                {
                    Id = parse.GetValue(id),
                    Title = parse.GetValue(title),
                    Model = parse.GetValue(model),
                    ProjectPath = projectPath is null ? null : Path.GetFullPath(projectPath),
                    Tags = parse.GetValue(tags) ?? [],
                },
                ct);
            Console.Out.WriteLine(session.Id);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List()
    {
        var limit = new Option<int>("--limit") { Description = "The most sessions to show", DefaultValueFactory = _ => 50 };
        var offset = new Option<int>("--offset") { Description = "Skip this many sessions (paging)" };
        var tag = new Option<string?>("--tag") { Description = "Only sessions with this tag" };
        var pinned = new Option<bool>("--pinned") { Description = "Only pinned sessions" };
        var project = new Option<string?>("--project") { Description = "Only sessions of this project directory", HelpName = "PATH" };
        var title = new Option<string?>("--title") { Description = "Only sessions whose title contains this text" };
        var forksOf = new Option<string?>("--forks-of") { Description = "Only the forks of this session", HelpName = "ID" };
        var json = JsonOption();
        var command = new Command("list", "List sessions, most recently updated first") { limit, offset, tag, pinned, project, title, forksOf, json };
        command.SetAction(async (parse, ct) =>
        {
            await using var service = CliApp.OpenService(parse);
            var projectPath = parse.GetValue(project);
            var query = new SessionQuery
            {
                Limit = parse.GetValue(limit),
                Offset = parse.GetValue(offset),
                Tag = parse.GetValue(tag),
                Pinned = parse.GetValue(pinned) ? true : null,
                ProjectPath = projectPath is null ? null : Path.GetFullPath(projectPath),
                TitleContains = parse.GetValue(title),
                ForksOf = parse.GetValue(forksOf),
            };
            var page = await service.ListAsync(query, ct);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(page, AgentSessionsJson.Context.SessionPage);
            }
            else
            {
                ConsoleOutput.SessionTable(page.Sessions, page.HasMore, query.Offset);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Show()
    {
        var id = IdArgument();
        var from = new Option<long>("--from") { Description = "The first sequence number to show", DefaultValueFactory = _ => 1, HelpName = "SEQ" };
        var limit = new Option<int?>("--limit") { Description = "The most messages to show (default: all)" };
        var since = new Option<string?>("--since") { Description = "Only the messages after this bookmark", HelpName = "BOOKMARK" };
        var json = JsonOption();
        var command = new Command("show", "Show a session, its lineage and history, and its messages") { id, from, limit, since, json };
        command.SetAction(async (parse, ct) =>
        {
            await using var service = CliApp.OpenService(parse);
            var sessionId = parse.GetValue(id)!;
            var session = await service.GetAsync(sessionId, ct);
            var details = await service.GetDetailsAsync(sessionId, ct);
            var first = parse.GetValue(from);
            if (parse.GetValue(since) is { } bookmarkName)
            {
                var bookmark = details.Bookmarks.FirstOrDefault(b => b.Name == bookmarkName)
                    ?? throw new AgentSessionsException(ErrorCode.NotFound, $"session '{sessionId}' has no bookmark '{bookmarkName}'; run 'agent-sessions bookmarks {sessionId}'");
                first = Math.Max(first, bookmark.Sequence + 1);
            }

            var range = new MessageRange(first, parse.GetValue(limit));
            var messages = service.ReadAsync(sessionId, range, ct);
            if (parse.GetValue(json))
            {
                // Streamed: a long session is written as it is read, never held whole in memory; a closed pipe ends it.
                await using var stdout = StandardOutput.Open();
                await using var writer = JsonOutput.CreateWriter(stdout);
                writer.WriteStartObject();
                JsonOutput.WriteSessionProperties(writer, session);
                SessionJsonFormat.WriteDetailsProperties(writer, details);
                writer.WriteStartArray("messages");
                await foreach (var message in messages)
                {
                    JsonOutput.WriteMessage(writer, message);
                    if (writer.BytesPending > 64 * 1024)
                    {
                        await writer.FlushAsync(ct);
                    }
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
                await writer.FlushAsync(ct);
                await stdout.WriteAsync(Encoding.UTF8.GetBytes(Environment.NewLine), ct);
            }
            else
            {
                // Streamed: each message is written as it is read and reaches stdout within 20 ms, so `| head` has its
                // lines at once, and when it closes the pipe the next write ends the command (ReaderGoneException, 141).
                await using var transcript = Transcript.Open();
                transcript.Header(session, details);
                await transcript.FlushAsync();
                await foreach (var message in messages)
                {
                    transcript.Message(message);
                    await transcript.FlushIfDueAsync();
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Rename()
    {
        var id = IdArgument();
        var title = new Argument<string>("TITLE") { Description = "The new title" };
        var command = new Command("rename", "Set a session's title") { id, title };
        command.SetAction(async (parse, ct) =>
        {
            await using var service = CliApp.OpenService(parse);
            var session = await service.RenameAsync(parse.GetValue(id)!, parse.GetValue(title)!, ct);
            Console.Out.WriteLine($"renamed {session.Id}: {TerminalText.NeutralizeLine(session.Title)}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Tag()
    {
        var id = IdArgument();
        var add = new Option<string[]>("--add") { Description = "A tag to add (repeatable)" };
        var remove = new Option<string[]>("--remove") { Description = "A tag to remove (repeatable)" };
        var command = new Command("tag", "Add or remove tags; with neither option, print the tags") { id, add, remove };
        command.SetAction(async (parse, ct) =>
        {
            await using var service = CliApp.OpenService(parse);
            var sessionId = parse.GetValue(id)!;
            var toAdd = parse.GetValue(add) ?? [];
            var toRemove = parse.GetValue(remove) ?? [];
            var session = toAdd.Length == 0 && toRemove.Length == 0
                ? await service.GetAsync(sessionId, ct)
                : await service.TagAsync(sessionId, toAdd, toRemove, ct);
            Console.Out.WriteLine(string.Join(' ', session.Tags));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Pin(string name, string description, bool pinned)
    {
        var id = IdArgument();
        var command = new Command(name, description) { id };
        command.SetAction(async (parse, ct) =>
        {
            await using var service = CliApp.OpenService(parse);
            var session = await service.PinAsync(parse.GetValue(id)!, pinned, ct);
            Console.Out.WriteLine($"{(pinned ? "pinned" : "unpinned")} {session.Id}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Delete()
    {
        var id = IdArgument();
        var yes = new Option<bool>("--yes", "-y") { Description = "Delete without asking (required when not on a terminal)" };
        var command = new Command("delete", "Delete a session and all its messages") { id, yes };
        command.SetAction(async (parse, ct) =>
        {
            await using var service = CliApp.OpenService(parse);
            var sessionId = parse.GetValue(id)!;
            var session = await service.GetAsync(sessionId, ct);
            if (!parse.GetValue(yes))
            {
                if (Console.IsInputRedirected || Console.IsOutputRedirected)
                {
                    throw new AgentSessionsException(ErrorCode.InvalidArgument, $"not deleting '{sessionId}': not on a terminal, so I cannot ask; pass --yes to confirm");
                }

                var prompt = $"Delete session [bold]{ConsoleOutput.Escape(session.Id)}[/] ({ConsoleOutput.Escape(session.Title ?? "untitled")}, {session.MessageCount} messages)?";
                if (!AnsiConsole.Confirm(prompt, defaultValue: false))
                {
                    Console.Out.WriteLine("kept; nothing deleted");
                    return ExitCodes.Success;
                }
            }

            await service.DeleteAsync(sessionId, ct);
            Console.Out.WriteLine($"deleted {sessionId}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Info()
    {
        var json = JsonOption();
        var command = new Command("info", "Describe the store: location, schema, counts, size, durability") { json };
        command.SetAction(async (parse, ct) =>
        {
            await using var service = CliApp.OpenService(parse);
            var info = await service.GetInfoAsync(ct);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(info, AgentSessionsJson.Context.StoreInfo);
            }
            else
            {
                ConsoleOutput.Info(info);
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
