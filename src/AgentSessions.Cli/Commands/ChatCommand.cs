using System.CommandLine;
using AgentSessions.Chat;
using AgentSessions.Cli.Output;

namespace AgentSessions.Cli.Commands;

/// <summary>
/// <c>chat</c>: talks to an OpenAI-compatible endpoint, every turn saved as it streams by the persisting chat client
/// of AgentSessions.AI (<c>UseAgentSessions</c>). On a terminal it is interactive (<see cref="ChatTerminal"/>); otherwise
/// each line of stdin is one prompt, each answer one block on stdout.
/// </summary>
internal static class ChatCommand
{
    public static void AddTo(RootCommand root) => root.Add(Create());

    private static Command Create()
    {
        var endpoint = new Option<string?>("--endpoint") { Description = $"The OpenAI-compatible base URL (default: $AGENT_SESSIONS_ENDPOINT, else {ChatEndpoint.DefaultEndpoint})", HelpName = "URL" };
        var model = new Option<string?>("--model") { Description = "The model to talk to (default: $AGENT_SESSIONS_MODEL)", HelpName = "NAME" };
        var id = new Option<string?>("--id") { Description = "Create the session with this id, or continue it if it exists", HelpName = "ID" };
        var resume = new Option<string?>("--resume") { Description = "Continue this session (it must exist); its whole transcript is sent to the model. Without an id, on a terminal: pick one from all sessions", HelpName = "ID", Arity = ArgumentArity.ZeroOrOne };
        var title = new Option<string?>("--title") { Description = "The title (default: derived from the first user message)" };
        var tags = new Option<string[]>("--tag") { Description = "A tag (repeatable)", AllowMultipleArgumentsPerToken = false };
        var command = new Command("chat", "Talk to a model; every turn is saved as it streams. The API key comes from $OPENAI_API_KEY or $AGENT_SESSIONS_API_KEY and is never stored")
        {
            endpoint, model, id, resume, title, tags,
        };
        command.SetAction(async (parse, ct) =>
        {
            // A terminal on both sides: the interactive chat (ChatTerminal); otherwise one prompt per line of stdin.
            var interactive = !Console.IsInputRedirected && !Console.IsOutputRedirected;
            var endpointSettings = ChatEndpoint.Resolve(parse.GetValue(endpoint), parse.GetValue(model), modelHint: "--model NAME");
            var explicitId = parse.GetValue(id);
            var resumeId = parse.GetValue(resume);
            var pick = resumeId is null && parse.GetResult(resume) is { Implicit: false };
            if (explicitId is not null && (resumeId is not null || pick))
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, "--id and --resume name the session twice; use one of them");
            }

            if (pick && !interactive)
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, "--resume without an id opens a picker, which needs a terminal; name the session: --resume ID ('agent-sessions list' shows them)");
            }

            await using var service = CliApp.OpenService(parse);
            var keys = interactive ? TerminalKeys.Start() : null;
            if (pick)
            {
                resumeId = await SessionPicker.PickAsync(service, keys!, ct)
                    ?? throw new AgentSessionsException(ErrorCode.InvalidArgument, "no session picked; nothing was started");
            }

            var session = await OpenSessionAsync(service, explicitId, resumeId, parse.GetValue(title), parse.GetValue(tags) ?? [], endpointSettings.Model, ct);

            // The whole stored context goes to the model with every request, from whatever directory this runs in.
            using var modelClient = endpointSettings.CreateClient();
            var runner = await ChatRunner.OpenAsync(service, session.Id, modelClient, cancellationToken: ct);
            if (keys is not null)
            {
                return await ChatTerminal.RunAsync(
                    service, endpointSettings, keys, runner, (sessionId, c) => ChatRunner.OpenAsync(service, sessionId, modelClient, cancellationToken: c), ct);
            }

            Console.Error.WriteLine(runner.History.Count == 0
                ? $"agent-sessions: session {session.Id} (new)"
                : $"agent-sessions: session {session.Id} ({runner.History.Count} messages, resumed)");
            return await RunLinesAsync(runner, endpointSettings, ct);
        });
        return command;
    }

    private static async Task<Session> OpenSessionAsync(
        SessionService service, string? explicitId, string? resumeId, string? title, string[] tags, string model, CancellationToken ct)
    {
        if (resumeId is not null)
        {
            // GetAsync throws NotFound for a missing session: exit 3 with the core's message.
            return await ApplyAsync(await service.GetAsync(resumeId, ct));
        }

        if (explicitId is not null && await service.FindAsync(explicitId, ct) is { } existing)
        {
            return await ApplyAsync(existing);
        }

        return await service.CreateAsync(
            new NewSession
            {
                Id = explicitId,
                Title = title,
                Model = model,
                ProjectPath = Environment.CurrentDirectory,
                Tags = tags,
            },
            ct);

        // On a session that exists, --title and --tag do what rename and tag would: the user asked for them.
        async Task<Session> ApplyAsync(Session session)
        {
            if (title is not null && title != session.Title)
            {
                session = await service.RenameAsync(session.Id, title, ct);
            }

            if (tags.Length > 0)
            {
                session = await service.TagAsync(session.Id, tags, [], ct);
            }

            return session;
        }
    }

    /// <summary>
    /// One prompt per line of stdin, one streamed answer per prompt on stdout. The first model failure ends the
    /// command (exit 1): the prompts after it were written for answers that never came.
    /// </summary>
    private static async Task<int> RunLinesAsync(ChatRunner runner, ChatEndpoint endpoint, CancellationToken ct)
    {
        Console.Out.Flush();
        // Plain text on a pipe, neutralised as show's plain output is: model text never reaches a terminal raw. The
        // raw writer is buffered and EPIPE-aware; it is flushed after every chunk, so an answer shows as it streams.
        await using var raw = StandardOutput.OpenWriter();
        var output = new AnswerWriter(new TerminalTextWriter(raw));
        var input = new StreamReader(Console.OpenStandardInput(), Console.InputEncoding);
        while (true)
        {
            // WaitAsync: a read of a terminal or pipe blocks in the kernel and ignores the token, so on a signal the
            // command stops waiting for it rather than for the next line.
            var line = await input.ReadLineAsync(ct).AsTask().WaitAsync(ct);
            if (line is null)
            {
                return ExitCodes.Success;
            }

            if (string.IsNullOrWhiteSpace(line))
            {
                // A blank line is no prompt: sending it would only spend a turn (and a stored message) on nothing.
                continue;
            }

            try
            {
                await runner.SendAsync(
                    line,
                    async delta =>
                    {
                        output.Write(delta);
                        // No token: a cancellation thrown here, outside the stream, would make the chat client mark
                        // the partial answer "abandoned"; the stream's next step reports it as "cancelled", which it is.
                        await raw.FlushAsync(CancellationToken.None);
                    },
                    ct);
            }
            catch (Exception e) when (e is not AgentSessionsException and not ReaderGoneException && !ct.IsCancellationRequested)
            {
                // The user message is stored already (and what streamed, marked interrupted): say what failed, once.
                output.EndAnswer();
                await raw.FlushAsync(ct);
                Console.Error.WriteLine($"agent-sessions: error: the model at {endpoint.Url} failed: {TerminalText.NeutralizeLine(endpoint.Redact(e.Message))} (the prompt is stored; continue with --resume {runner.SessionId})");
                return ExitCodes.Failure;
            }

            output.EndAnswer();
            await raw.FlushAsync(ct);
        }
    }

    /// <summary>
    /// Writes an answer as it streams, ending it with exactly one newline. A CR that ends one chunk is held back
    /// until the next: the neutralising writer sees each call alone and would show the CR of a CR LF split across
    /// two chunks as <c>\r</c>.
    /// </summary>
    internal sealed class AnswerWriter(TextWriter writer)
    {
        private bool _pendingCr;
        private bool _started;
        private bool _endsWithNewline;

        public void Write(string text)
        {
            if (text.Length == 0)
            {
                return;
            }

            if (_pendingCr)
            {
                text = "\r" + text;
                _pendingCr = false;
            }

            if (text[^1] == '\r')
            {
                _pendingCr = true;
                text = text[..^1];
            }

            if (text.Length > 0)
            {
                writer.Write(text);
                _started = true;
                _endsWithNewline = text[^1] == '\n';
            }
        }

        /// <summary>Ends the answer; an empty one is an empty line, so there is still one answer per prompt.</summary>
        public void EndAnswer()
        {
            if (_pendingCr)
            {
                writer.Write("\r");
                _pendingCr = false;
                _started = true;
                _endsWithNewline = false;
            }

            if (!_started || !_endsWithNewline)
            {
                writer.WriteLine();
            }

            _started = false;
            _endsWithNewline = false;
        }
    }
}
