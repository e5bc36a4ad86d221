using System.CommandLine;
using AgentSessions.Cli.Commands;
using AgentSessions.Cli.Output;
using AgentSessions.Import;
using AgentSessions.Sqlite;
using AgentSessions.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace AgentSessions.Cli;

/// <summary>Builds the command tree and maps failures to one line on stderr and an exit code.</summary>
internal static class CliApp
{
    /// <summary>The store directory; recursive so it can follow any sub-command.</summary>
    public static readonly Option<string?> StoreOption = new("--store")
    {
        Description = "The store directory (default: $AGENT_SESSIONS_STORE, else $AGENT_SESSIONS_HOME, else $XDG_DATA_HOME/agent-sessions, else ~/.local/share/agent-sessions)",
        HelpName = "DIR",
        Recursive = true,
    };

    public static RootCommand BuildRootCommand()
    {
        var root = new RootCommand("agent-sessions: a durable, searchable store for AI agent sessions.");
        root.Add(StoreOption);
        SessionCommands.AddTo(root);
        MessageCommands.AddTo(root);
        TransferCommands.AddTo(root);
        CopyCommand.AddTo(root);
        HistoryCommands.AddTo(root);
        HealthCommands.AddTo(root);
        RpcCommand.AddTo(root);
        McpCommand.AddTo(root);
        ServeCommands.AddTo(root);
        ShareCommands.AddTo(root);
        ChatCommand.AddTo(root);
        return root;
    }

    /// <summary>How arguments are parsed: System.CommandLine's defaults, with response files that cannot crash.</summary>
    public static readonly ParserConfiguration ParserConfiguration = CreateParserConfiguration();

    /// <summary>Parses <paramref name="args"/> with <see cref="ParserConfiguration"/>; never invokes anything.</summary>
    public static ParseResult Parse(RootCommand root, IReadOnlyList<string> args) => root.Parse(args, ParserConfiguration);

    private static ParserConfiguration CreateParserConfiguration()
    {
        var configuration = new ParserConfiguration();
        if (configuration.ResponseFileTokenReplacer is { } readResponseFile)
        {
            // '@path' reads arguments from a file. System.CommandLine turns an IOException into a parse error but lets
            // UnauthorizedAccessException (a directory such as '@.', an unreadable file) escape Parse, so the tool
            // crashed with a stack trace instead of one error line (found by fuzzing).
            configuration.ResponseFileTokenReplacer = (string token, out IReadOnlyList<string>? replacement, out string? error) =>
            {
                try
                {
                    return readResponseFile(token, out replacement, out error);
                }
                catch (UnauthorizedAccessException e)
                {
                    replacement = null;
                    error = $"cannot read response file '{token}': {e.Message}";
                    return false;
                }
            };
        }

        return configuration;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        // First of all, so that no signal finds the runtime's default action (an exit with no word).
        using var interruption = Interruption.Register();
        var exitCode = await RunCommandAsync(args, interruption);
        if (!interruption.TryFinish())
        {
            // The deadline or a second signal is ending the process this very moment, with its own line.
            Thread.Sleep(Timeout.Infinite);
        }

        return exitCode;
    }

    private static async Task<int> RunCommandAsync(string[] args, Interruption interruption)
    {
        ConfigureConsole();
        var root = BuildRootCommand();
        var parseResult = Parse(root, args);
        if (parseResult.Errors.Count > 0)
        {
            foreach (var error in parseResult.Errors)
            {
                Console.Error.WriteLine($"agent-sessions: error: {error.Message}");
            }

            Console.Error.WriteLine($"Run '{HelpHint(parseResult)} --help' for usage.");
            return ExitCodes.InvalidInput;
        }

        try
        {
            // ProcessTerminationTimeout = null: signals are Interruption's; System.CommandLine's handling would only
            // make InvokeAsync return early, which a command blocking this thread never lets happen.
            return await parseResult.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null }, interruption.Token);
        }
        catch (AgentSessionsException e)
        {
            return Fail(CliHints.Describe(e), ExitCodes.For(e.Code), e);
        }
        catch (OperationCanceledException) when (interruption.Received)
        {
            // Stopped by the signal in time: one line, and the shell's code for it (a command that instead finishes
            // its own way after a signal, as serve and rpc do, keeps its own exit code).
            Console.Out.Flush();
            Console.Error.WriteLine(interruption.StoppedMessage());
            return interruption.ExitCode;
        }
        catch (ReaderGoneException)
        {
            // `show ID | head`: the reader had what it wanted and closed the pipe. Not an error worth a line, but the
            // output is incomplete, so the exit code is the one a process killed by SIGPIPE gets from the shell.
            return ExitCodes.ReaderGone;
        }
        catch (IOException e)
        {
            return Fail($"I/O error: {e.Message}", ExitCodes.Failure, e);
        }
        catch (UnauthorizedAccessException e)
        {
            return Fail($"permission denied: {e.Message}", ExitCodes.Failure, e);
        }
        catch (Exception e)
        {
            return Fail($"unexpected failure ({e.GetType().Name}): {e.Message}. Set AGENT_SESSIONS_DEBUG=1 for details and report it.", ExitCodes.Failure, e);
        }
    }

    /// <summary>Plain text when piped or when NO_COLOR is set; stored text never reaches the terminal raw (<see cref="TerminalConsole"/>).</summary>
    private static void ConfigureConsole() => TerminalConsole.Configure();

    private static string HelpHint(ParseResult parseResult)
    {
        var names = new List<string>();
        for (var result = parseResult.CommandResult; result is not null; result = result.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, result.Command.Name);
        }

        names[0] = "agent-sessions";
        return string.Join(' ', names);
    }

    private static int Fail(string message, int exitCode, Exception? exception)
    {
        Console.Out.Flush();
        // Messages quote ids, names, titles and paths as given: one line, whatever they hold.
        Console.Error.WriteLine($"agent-sessions: error: {TerminalText.NeutralizeLine(message)}");
        if (exception is not null && Environment.GetEnvironmentVariable("AGENT_SESSIONS_DEBUG") == "1")
        {
            Console.Error.WriteLine(exception);
        }

        return exitCode;
    }

    /// <summary>The store --store names, else $AGENT_SESSIONS_STORE, else the default directory.</summary>
    public static StoreLocation Store(ParseResult parseResult) => StoreLocation.Resolve(parseResult.GetValue(StoreOption));

    /// <summary>The store's directory, for the files kept beside the database (API token, server.json).</summary>
    public static string StoreDirectory(ParseResult parseResult)
    {
        var location = Store(parseResult);
        return location.IsDirectory
            ? location.Value
            : throw new AgentSessionsException(ErrorCode.InvalidArgument, $"'{location}' is not a store directory; this build keeps sessions in a directory (pass --store DIR)");
    }

    /// <summary>Opens the store named by --store (or the located default) as a service for one command.</summary>
    public static SessionService OpenService(ParseResult parseResult) => OpenService(Store(parseResult));

    /// <summary>Opens the store at <paramref name="location"/> as a service, with the backends this build carries.</summary>
    public static SessionService OpenService(StoreLocation location)
    {
        var durability = Environment.GetEnvironmentVariable("AGENT_SESSIONS_DURABILITY")?.Trim().ToLowerInvariant() switch
        {
            null or "" or "full" => SqliteDurability.Full,
            "normal" => SqliteDurability.Normal,
            var other => throw new AgentSessionsException(ErrorCode.InvalidArgument, $"AGENT_SESSIONS_DURABILITY is '{other}'; use full (the default) or normal"),
        };

        // The backends this build carries, chosen by the location's form; the CLI never names a store type. Every
        // import format, so import (and the servers' import) reads the files of the systems we replace too.
        IStoreProvider[] providers = [new SqliteStoreProvider(o => o with { Durability = durability })];
        return new SessionService(StoreProviders.Open(location, providers), Importers.All, ownsStore: true);
    }
}
