using System.CommandLine;
using AgentSessions.Cli.Output;

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
        var id = SessionCommands.IdArgument();
        var format = new Option<string>("--format") { Description = "json (our lossless format) or markdown", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json", "markdown");
        var output = new Option<string?>("--output", "-o") { Description = "Write to this file (atomically) instead of stdout", HelpName = "FILE" };
        var command = new Command("export", "Export a session") { id, format, output };
        command.SetAction(async (parse, ct) =>
        {
            await using var service = CliApp.OpenService(parse);
            var sessionId = parse.GetValue(id)!;
            // Fail on an unknown session before creating any file.
            await service.GetAsync(sessionId, ct);
            Func<Stream, Task> write = parse.GetValue(format) == "markdown"
                ? stream => service.ExportMarkdownAsync(sessionId, stream, ct)
                : stream => service.ExportJsonAsync(sessionId, stream, ct);
            var path = parse.GetValue(output);
            if (path is null)
            {
                await using var stdout = Console.OpenStandardOutput();
                await write(stdout);
            }
            else
            {
                await AtomicFile.WriteAsync(path, write, ct);
                Console.Error.WriteLine($"exported {sessionId} to {path}");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Import()
    {
        var file = new Argument<string>("FILE") { Description = "A file written by 'agent-sessions export' (use - for stdin)" };
        var asId = new Option<string?>("--as") { Description = "Store the session under this id", HelpName = "ID" };
        var replace = new Option<bool>("--replace") { Description = "Replace an existing session with the same id" };
        var command = new Command("import", "Import a session exported in our JSON format") { file, asId, replace };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            var newId = parse.GetValue(asId);
            if (newId is not null)
            {
                SessionIds.Validate(newId);
            }

            await using var input = OpenInput(path);
            await using var service = CliApp.OpenService(parse);
            var session = await service.ImportJsonAsync(input, path == "-" ? "stdin" : path, newId, parse.GetValue(replace), ct);
            Console.Out.WriteLine(session.Id);
            Console.Error.WriteLine($"imported {session.Id}: {session.MessageCount} messages");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Stream OpenInput(string path)
    {
        if (path == "-")
        {
            return Console.OpenStandardInput();
        }

        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: false);
        }
        catch (FileNotFoundException)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"file '{path}' does not exist");
        }
        catch (DirectoryNotFoundException)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"file '{path}' does not exist");
        }
        catch (UnauthorizedAccessException)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"cannot read '{path}': permission denied or it is a directory");
        }
    }
}
