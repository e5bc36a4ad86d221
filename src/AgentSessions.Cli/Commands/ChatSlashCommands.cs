using System.Globalization;
using System.Text;
using AgentSessions.Cli.Output;
using AgentSessions.Formats;
using AgentSessions.Storage;

namespace AgentSessions.Cli.Commands;

/// <summary>
/// The slash commands of the terminal chat. Each is one call of <see cref="SessionService"/>, the same the CLI's
/// command of that name makes, with the same output helpers; a bad argument or a refused change is one line, and
/// the chat goes on.
/// </summary>
internal static class ChatSlashCommands
{
    /// <summary>What the chat does after a command.</summary>
    public enum Outcome
    {
        /// <summary>Prompt again.</summary>
        Continue,

        /// <summary>Save and leave.</summary>
        Quit,
    }

    private static readonly (string Usage, string What)[] Help =
    [
        ("/help", "this list"),
        ("/list", "the 20 sessions updated last"),
        ("/load ID", "save, then continue session ID"),
        ("/new", "save, then start a new session"),
        ("/rename TITLE", "set this session's title"),
        ("/tag TAG...", "add tags (-TAG removes one); alone, show the tags"),
        ("/pin, /unpin", "pin the session (never cleaned up), or unpin it"),
        ("/info", "this session's fields, lineage and history"),
        ("/export FORMAT [FILE]", "json, jsonl, markdown, html or base64; to FILE, else to the screen"),
        ("/delete", "delete this session (asks first), then start a new one"),
        ("/undo, /redo", "step back one exchange, or bring it back; the model's context follows"),
        ("/fork", "continue in a copy of this session (the original stays as it is)"),
        ("/snapshot NAME", "mark this state ('agent-sessions restore ID NAME' returns to it)"),
        ("/bookmark NAME", "name the last message ('agent-sessions show ID --since NAME')"),
        ("/search TEXT", "search every session"),
        ("/save", "write what is not stored yet"),
        ("/quit", "save and leave (as Ctrl+D)"),
        ("//TEXT", "send TEXT starting with a slash"),
    ];

    /// <summary>Runs the command <paramref name="line"/> (it starts with '/').</summary>
    public static async Task<Outcome> RunAsync(ChatTerminal chat, string line, CancellationToken ct)
    {
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        var name = (space < 0 ? line : line[..space]).ToLowerInvariant();
        var argument = space < 0 ? "" : line[(space + 1)..].Trim();
        var output = chat.Screen.Text;
        try
        {
            if (name is "/info" or "/export" or "/undo" or "/redo" or "/fork" or "/snapshot" or "/bookmark" or "/search")
            {
                // These read or mark the stored messages: what the runner may hold back is written first, so that
                // they see the conversation as the user does.
                await chat.Runner.SaveAsync(ct);
            }

            switch (name)
            {
                case "/help" or "/?":
                    foreach (var (usage, what) in Help)
                    {
                        output.WriteLine($"  {usage,-22} {what}");
                    }

                    return Outcome.Continue;
                case "/quit" or "/exit" or "/q":
                    return NoArgument(name, argument, output) ? Outcome.Quit : Outcome.Continue;
                case "/list":
                    await ListAsync(chat, ct);
                    return Outcome.Continue;
                case "/load":
                    await LoadAsync(chat, Required(argument, "/load ID"), ct);
                    return Outcome.Continue;
                case "/new":
                    await NewAsync(chat, "new session", ct);
                    return Outcome.Continue;
                case "/rename":
                    var renamed = await chat.Service.RenameAsync(chat.Runner.SessionId, Required(argument, "/rename TITLE"), ct);
                    output.WriteLine($"renamed {renamed.Id}: {TerminalText.NeutralizeLine(renamed.Title)}");
                    return Outcome.Continue;
                case "/tag" or "/tags":
                    await TagAsync(chat, argument, ct);
                    return Outcome.Continue;
                case "/pin" or "/unpin":
                    var pinned = await chat.Service.PinAsync(chat.Runner.SessionId, name == "/pin", ct);
                    output.WriteLine($"{(pinned.Pinned ? "pinned" : "unpinned")} {pinned.Id}");
                    return Outcome.Continue;
                case "/info":
                    await InfoAsync(chat, ct);
                    return Outcome.Continue;
                case "/export":
                    await ExportAsync(chat, argument, ct);
                    return Outcome.Continue;
                case "/delete":
                    await DeleteAsync(chat, ct);
                    return Outcome.Continue;
                case "/undo" or "/redo":
                    await StepAsync(chat, name == "/undo", ct);
                    return Outcome.Continue;
                case "/fork":
                    await ForkAsync(chat, ct);
                    return Outcome.Continue;
                case "/snapshot":
                    var snapshot = await chat.Service.CreateSnapshotAsync(chat.Runner.SessionId, Required(argument, "/snapshot NAME"), cancellationToken: ct);
                    output.WriteLine($"snapshot {snapshot.Name} at message {snapshot.MessageCount}");
                    return Outcome.Continue;
                case "/bookmark":
                    var bookmark = await chat.Service.AddBookmarkAsync(chat.Runner.SessionId, Required(argument, "/bookmark NAME"), cancellationToken: ct);
                    output.WriteLine($"bookmark {bookmark.Name} at message {bookmark.Sequence}");
                    return Outcome.Continue;
                case "/search":
                    await SearchAsync(chat, Required(argument, "/search TEXT"), ct);
                    return Outcome.Continue;
                case "/save":
                    var written = await chat.Runner.SaveAsync(ct);
                    output.WriteLine(written == 0 ? "saved: everything was stored already" : $"saved: {written} message(s) written");
                    return Outcome.Continue;
                default:
                    output.WriteLine($"unknown command {TerminalText.NeutralizeLine(name)}; /help lists the commands (start with // to send a slash)");
                    return Outcome.Continue;
            }
        }
        catch (AgentSessionsException e)
        {
            // Refused (a bad name, a missing id, nothing to undo): the core's message, and the chat goes on.
            output.WriteLine($"error: {TerminalText.NeutralizeLine(CliHints.Describe(e))}");
            return Outcome.Continue;
        }
        catch (IOException e) when (name == "/export")
        {
            output.WriteLine($"error: cannot write the export: {TerminalText.NeutralizeLine(e.Message)}");
            return Outcome.Continue;
        }
        catch (UnauthorizedAccessException e) when (name == "/export")
        {
            output.WriteLine($"error: permission denied: {TerminalText.NeutralizeLine(e.Message)}");
            return Outcome.Continue;
        }
    }

    private static string Required(string argument, string usage)
        => argument.Length > 0 ? argument : throw new AgentSessionsException(ErrorCode.InvalidArgument, $"usage: {usage}");

    private static bool NoArgument(string name, string argument, TextWriter output)
    {
        if (argument.Length == 0)
        {
            return true;
        }

        output.WriteLine($"{name} takes no argument; nothing done");
        return false;
    }

    private static async Task ListAsync(ChatTerminal chat, CancellationToken ct)
    {
        var page = await chat.Service.ListAsync(new SessionQuery { Limit = 20 }, ct);
        // The list command's table, written where the chat writes.
        Console.Out.Flush();
        ConsoleOutput.SessionTable(page.Sessions, hasMore: false, offset: 0);
        if (page.HasMore)
        {
            chat.Screen.Text.WriteLine("More sessions: 'agent-sessions list', or 'agent-sessions chat --resume' to pick among all of them.");
        }
    }

    private static async Task LoadAsync(ChatTerminal chat, string id, CancellationToken ct)
    {
        await chat.SwitchToAsync(id, ct);
        chat.Screen.Text.WriteLine($"saved; now in session {chat.Runner.SessionId} ({chat.Runner.History.Count} messages)");
    }

    private static async Task NewAsync(ChatTerminal chat, string what, CancellationToken ct)
    {
        var session = await chat.Service.CreateAsync(
            new NewSession { Model = chat.Endpoint.Model, ProjectPath = Environment.CurrentDirectory }, ct);
        await chat.SwitchToAsync(session.Id, ct);
        chat.Screen.Text.WriteLine($"saved; now in {what} {session.Id}");
    }

    private static async Task TagAsync(ChatTerminal chat, string argument, CancellationToken ct)
    {
        var words = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var remove = words.Where(w => w.Length > 1 && w[0] == '-').Select(w => w[1..]).ToList();
        var add = words.Where(w => w[0] != '-').ToList();
        var session = words.Length == 0
            ? await chat.Service.GetAsync(chat.Runner.SessionId, ct)
            : await chat.Service.TagAsync(chat.Runner.SessionId, add, remove, ct);
        chat.Screen.Text.WriteLine(session.Tags.Count == 0 ? "no tags" : "tags: " + TerminalText.NeutralizeLine(string.Join(' ', session.Tags)));
    }

    private static async Task InfoAsync(ChatTerminal chat, CancellationToken ct)
    {
        var session = await chat.Service.GetAsync(chat.Runner.SessionId, ct);
        var details = await chat.Service.GetDetailsAsync(chat.Runner.SessionId, ct);
        // show's header: the same fields, neutralised the same way.
        await using var transcript = Transcript.Open();
        transcript.Header(session, details);
        await transcript.FlushAsync();
    }

    private static async Task ExportAsync(ChatTerminal chat, string argument, CancellationToken ct)
    {
        var space = argument.IndexOf(' ', StringComparison.Ordinal);
        var formatName = space < 0 ? argument : argument[..space];
        var path = space < 0 ? "" : argument[(space + 1)..].Trim();
        var format = ExportFormats.Parse(Required(formatName, "/export FORMAT [FILE]"));
        var id = chat.Runner.SessionId;
        if (path.Length > 0)
        {
            await AtomicFile.WriteAsync(path, stream => chat.Service.ExportAsync(id, format, stream, ct), ct);
            chat.Screen.Text.WriteLine($"exported {id} to {TerminalText.NeutralizeLine(path)}");
            return;
        }

        // To the screen through the neutralising writer (the export's bytes are the model's text, exactly).
        using var buffer = new MemoryStream();
        await chat.Service.ExportAsync(id, format, buffer, ct);
        chat.Screen.Text.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length).TrimEnd('\n'));
    }

    private static async Task DeleteAsync(ChatTerminal chat, CancellationToken ct)
    {
        var session = await chat.Service.GetAsync(chat.Runner.SessionId, ct);
        chat.Screen.Text.Write($"Delete session {session.Id} ({TerminalText.NeutralizeLine(session.Title ?? "untitled")}, {session.MessageCount.ToString(CultureInfo.InvariantCulture)} messages)? [y/N] ");
        var key = await chat.Keys.ReadAsync(ct);
        var yes = key.KeyChar is 'y' or 'Y';
        chat.Screen.Text.WriteLine(yes ? "y" : PromptLine.IsPrintable(key.KeyChar) ? key.KeyChar.ToString() : "");
        if (!yes)
        {
            chat.Screen.Text.WriteLine("kept; nothing deleted");
            return;
        }

        // A new session first, so the chat never stands in a deleted one.
        await NewAsync(chat, "new session", ct);
        await chat.Service.DeleteAsync(session.Id, ct);
        chat.Screen.Text.WriteLine($"deleted {session.Id}");
    }

    private static async Task StepAsync(ChatTerminal chat, bool undo, CancellationToken ct)
    {
        var id = chat.Runner.SessionId;
        var result = undo ? await chat.Service.UndoAsync(id, ct) : await chat.Service.RedoAsync(id, ct);
        // The model's next context is the store's, not what the runner held before the step.
        await chat.Runner.ReloadAsync(ct);
        chat.Screen.Text.WriteLine($"{(undo ? "undone" : "redone")}: {id} now shows {result.Session.MessageCount} messages");
        if (result.HiddenMessages > 0)
        {
            chat.Screen.Text.WriteLine($"{result.HiddenMessages} later message(s) kept: /redo brings them back; a new message moves them to a fork");
        }
    }

    private static async Task ForkAsync(ChatTerminal chat, CancellationToken ct)
    {
        var parent = chat.Runner.SessionId;
        var fork = await chat.Service.ForkAsync(parent, null, new NewSession(), ct);
        await chat.SwitchToAsync(fork.Id, ct);
        chat.Screen.Text.WriteLine($"forked {parent} into {fork.Id}; now in {fork.Id} (/load {parent} goes back)");
    }

    private static async Task SearchAsync(ChatTerminal chat, string text, CancellationToken ct)
    {
        var hits = 0;
        Console.Out.Flush();
        await foreach (var hit in chat.Service.SearchAsync(new SearchQuery(text) { Limit = 20 }, ct))
        {
            // The search command's rendering, highlights and all.
            ConsoleOutput.SearchHit(hit);
            hits++;
        }

        chat.Screen.Text.WriteLine(hits == 0 ? "no matches" : $"{hits} match(es); /load ID continues one");
    }
}
