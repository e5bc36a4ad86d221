using System.CommandLine;
using AgentSessions.Chat;
using AgentSessions.Cli.Output;
using AgentSessions.Storage;

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
        var continueNewest = new Option<bool>("--continue") { Description = "Continue the newest session of the current directory (its project path)" };
        var autosaveInterval = new Option<string?>("--autosave-interval")
        {
            Description = "Save a streaming answer at most every SECONDS (decimals allowed; default 1; 0: only at the end of each answer)",
            HelpName = "SECONDS",
        };
        var noAutosave = new Option<bool>("--no-autosave") { Description = "Keep the conversation in memory and save it when leaving (end of input, SIGTERM, SIGHUP, Ctrl+C)" };
        var maxContextTokens = new Option<string?>("--max-context-tokens")
        {
            Description = "Send at most about N tokens of context (4 characters a token): the oldest turns are left out of the request, never out of the store",
            HelpName = "N",
        };
        var command = new Command("chat", "Talk to a model; every turn is saved as it streams. The API key comes from $OPENAI_API_KEY or $AGENT_SESSIONS_API_KEY and is never stored")
        {
            endpoint, model, id, resume, continueNewest, title, tags, autosaveInterval, noAutosave, maxContextTokens,
        };
        command.SetAction(async (parse, ct) =>
        {
            // A terminal on both sides: the interactive chat (ChatTerminal); otherwise one prompt per line of stdin.
            var interactive = !Console.IsInputRedirected && !Console.IsOutputRedirected;
            var endpointSettings = ChatEndpoint.Resolve(parse.GetValue(endpoint), parse.GetValue(model), modelHint: "--model NAME");
            var explicitId = parse.GetValue(id);
            var resumeId = parse.GetValue(resume);
            var pick = resumeId is null && parse.GetResult(resume) is { Implicit: false };
            var continuing = parse.GetValue(continueNewest);
            if (explicitId is not null && (resumeId is not null || pick))
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, "--id and --resume name the session twice; use one of them");
            }

            if (continuing && (explicitId is not null || resumeId is not null || pick))
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, $"--continue picks the session itself, and {(explicitId is not null ? "--id" : "--resume")} names one; use one of them");
            }

            if (pick && !interactive)
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, "--resume without an id opens a picker, which needs a terminal; name the session: --resume ID ('agent-sessions list' shows them)");
            }

            var options = RunnerOptions(parse.GetValue(autosaveInterval), parse.GetValue(noAutosave), parse.GetValue(maxContextTokens));
            await using var service = CliApp.OpenService(parse);
            var keys = interactive ? TerminalKeys.Start() : null;
            if (pick)
            {
                resumeId = await SessionPicker.PickAsync(service, keys!, ct)
                    ?? throw new AgentSessionsException(ErrorCode.InvalidArgument, "no session picked; nothing was started");
            }

            var session = await OpenSessionAsync(service, explicitId, resumeId, continuing, parse.GetValue(title), parse.GetValue(tags) ?? [], endpointSettings.Model, ct);

            // The whole stored context goes to the model with every request, from whatever directory this runs in.
            using var modelClient = endpointSettings.CreateClient();
            var runner = await ChatRunner.OpenAsync(service, session.Id, modelClient, options, ct);
            if (keys is not null)
            {
                return await ChatTerminal.RunAsync(
                    service, endpointSettings, keys, runner, (sessionId, c) => ChatRunner.OpenAsync(service, sessionId, modelClient, options, c), ct);
            }

            Console.Error.WriteLine(runner.History.Count == 0
                ? $"agent-sessions: session {session.Id} (new)"
                : $"agent-sessions: session {session.Id} ({runner.History.Count} messages, resumed)");
            if (runner.Deferred)
            {
                Console.Error.WriteLine("agent-sessions: --no-autosave: the conversation is saved when the chat ends (a kill -9 or a crash loses it)");
            }

            // Leaving saves first, however it leaves: the end of input, a model failure, a signal (whose grace period
            // this must fit in; the token is the signal's, hence none in the save).
            int exitCode;
            try
            {
                exitCode = await RunLinesAsync(runner, endpointSettings, options.MaxContextTokens, ct);
            }
            catch
            {
                await SaveOnLeavingAsync(runner);
                throw;
            }

            return await SaveOnLeavingAsync(runner) ? exitCode : ExitCodes.Failure;
        });
        return command;
    }

    /// <summary>The runner's options from the command line, each checked with a clear message (exit 2).</summary>
    private static ChatRunnerOptions RunnerOptions(string? interval, bool deferred, string? maxContextTokens)
    {
        var options = new ChatRunnerOptions { Deferred = deferred };
        if (interval is not null)
        {
            if (deferred)
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, "--autosave-interval and --no-autosave contradict each other; use one of them");
            }

            // Digits and one point only: no sign, exponent, NaN or infinity, and at most a day.
            if (!decimal.TryParse(interval, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var seconds) || seconds > 86_400)
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, $"--autosave-interval takes seconds, from 0 to 86400 (decimals allowed, such as 0.5; 0 saves only at the end of each answer), not '{interval}'");
            }

            options.CheckpointInterval = TimeSpan.FromMilliseconds((double)(seconds * 1000));
        }

        if (maxContextTokens is not null)
        {
            if (!long.TryParse(maxContextTokens, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var tokens) || tokens <= 0)
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, $"--max-context-tokens takes a whole number of tokens above 0 (such as 8000), not '{maxContextTokens}'");
            }

            options.MaxContextTokens = tokens;
        }

        return options;
    }

    /// <summary>
    /// Saves what a deferred runner holds and says so on stderr; false when the save failed (one line says why), so
    /// a chat that otherwise succeeded does not exit 0 having lost the conversation.
    /// </summary>
    private static async Task<bool> SaveOnLeavingAsync(ChatRunner runner)
    {
        if (runner.PendingCount == 0)
        {
            return true;
        }

        string notice;
        var saved = false;
        try
        {
            notice = $"agent-sessions: saved {await runner.SaveAsync(CancellationToken.None)} messages to session {runner.SessionId}";
            saved = true;
        }
        catch (AgentSessionsException e)
        {
            // A signal's own message and exit code still follow: this is one more line.
            notice = $"agent-sessions: error: the conversation could not be saved: {TerminalText.NeutralizeLine(CliHints.Describe(e))}";
        }

        try
        {
            Console.Error.WriteLine(notice);
        }
        catch (IOException)
        {
            // stderr is a terminal that hung up (SIGHUP): the save is what mattered.
        }

        return saved;
    }

    private static async Task<Session> OpenSessionAsync(
        SessionService service, string? explicitId, string? resumeId, bool continuing, string? title, string[] tags, string model, CancellationToken ct)
    {
        if (resumeId is not null)
        {
            // GetAsync throws NotFound for a missing session: exit 3 with the core's message.
            return await ApplyAsync(await service.GetAsync(resumeId, ct));
        }

        if (continuing)
        {
            // "The newest" is the one last written to, as list shows them; the project path is the directory a
            // session was started in, compared exactly.
            var page = await service.ListAsync(new SessionQuery { ProjectPath = Environment.CurrentDirectory, Limit = 1 }, ct);
            return page.Sessions.Count > 0
                ? await ApplyAsync(page.Sessions[0])
                : throw new AgentSessionsException(ErrorCode.NotFound, $"no session of this directory ({Environment.CurrentDirectory}) to continue; start one with chat, or name one with --resume ID");
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
    private static async Task<int> RunLinesAsync(ChatRunner runner, ChatEndpoint endpoint, long? maxContextTokens, CancellationToken ct)
    {
        var toldTrimmed = false;
        Console.Out.Flush();
        // Plain text on a pipe, neutralised as show's plain output is: model text never reaches a terminal raw. The
        // raw writer is buffered and EPIPE-aware; it is flushed after every chunk, so an answer shows as it streams.
        await using var raw = StandardOutput.OpenWriter();
        var output = new AnswerWriter(new TerminalTextWriter(raw));
        var input = new PromptLines(new StreamReader(Console.OpenStandardInput(), Console.InputEncoding));
        while (true)
        {
            // WaitAsync: a read of a terminal or pipe blocks in the kernel and ignores the token, so on a signal the
            // command stops waiting for it rather than for the next line.
            var line = await input.ReadAsync(ct).AsTask().WaitAsync(ct);
            if (line is null)
            {
                return ExitCodes.Success;
            }

            if (string.IsNullOrWhiteSpace(line))
            {
                // A blank line is no prompt: sending it would only spend a turn (and a stored message) on nothing.
                continue;
            }

            ChatTurn turn;
            IOException? outputFailed = null;
            try
            {
                turn = await runner.SendAsync(
                    line,
                    async delta =>
                    {
                        if (outputFailed is not null)
                        {
                            return;
                        }

                        try
                        {
                            output.Write(delta);
                            // No token: a cancellation thrown here, outside the stream, would make the chat client mark
                            // the partial answer "abandoned"; the stream's next step reports it as "cancelled", which it is.
                            await raw.FlushAsync(CancellationToken.None);
                        }
                        catch (IOException e) when (e is not ReaderGoneException)
                        {
                            // A terminal that hung up (EIO, its SIGHUP on the way) or a full disk: the answer is still
                            // received and stored, and the error reported once it is. Thrown here, it would cut the
                            // answer short as "abandoned" and race the signal's "cancelled". (A reader that closed the
                            // pipe, `| head`, wants no more: that one stops the answer at once.)
                            outputFailed = e;
                        }
                    },
                    ct);
            }
            catch (Exception e) when (e is not AgentSessionsException and not ReaderGoneException && !ct.IsCancellationRequested)
            {
                // The user message is stored already (and what streamed, marked interrupted): say what failed, once.
                output.EndAnswer();
                await raw.FlushAsync(ct);
                Console.Error.WriteLine($"agent-sessions: error: the model at {endpoint.DisplayUrl} failed: {TerminalText.NeutralizeLine(endpoint.Redact(e.Message))} (the prompt is stored; continue with --resume {runner.SessionId})");
                return ExitCodes.Failure;
            }

            if (outputFailed is not null)
            {
                // The turn is stored in full; the output is not, which the command's exit code must say.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(outputFailed);
            }

            output.EndAnswer();
            await raw.FlushAsync(ct);
            if (turn.ContextMessagesDropped > 0 && !toldTrimmed)
            {
                // Once a run: every later turn is cut too, and saying so each time would drown the stderr of a script.
                toldTrimmed = true;
                Console.Error.WriteLine($"agent-sessions: {TrimmedNotice(maxContextTokens, turn)}");
            }
        }
    }

    /// <summary>
    /// The prompts of a piped chat, a line each, none longer than one message may be: a stdin without line ends
    /// (a binary file, say) is refused once it passes that, instead of being read whole into one string.
    /// </summary>
    internal sealed class PromptLines(TextReader reader)
    {
        /// <summary>The longest prompt line, in characters: the store's limit for one message, in bytes.</summary>
        public const int MaxLength = (int)StoreRules.DefaultMaxMessageBytes;

        private readonly char[] _buffer = new char[64 * 1024];
        private readonly System.Text.StringBuilder _line = new();
        private int _start;
        private int _end;

        /// <summary>The next line without its end (LF or CR LF), or null at the end of input.</summary>
        /// <exception cref="AgentSessionsException"><see cref="ErrorCode.TooLarge"/> for a line over <see cref="MaxLength"/>.</exception>
        public async ValueTask<string?> ReadAsync(CancellationToken cancellationToken)
        {
            _line.Clear();
            while (true)
            {
                if (_start == _end)
                {
                    (_start, _end) = (0, await reader.ReadAsync(_buffer, cancellationToken));
                    if (_end == 0)
                    {
                        return _line.Length == 0 ? null : Line();
                    }
                }

                var newline = Array.IndexOf(_buffer, '\n', _start, _end - _start);
                var stop = newline < 0 ? _end : newline;
                if (_line.Length + (stop - _start) > MaxLength)
                {
                    throw new AgentSessionsException(ErrorCode.TooLarge, $"a prompt line on stdin is longer than {MaxLength:N0} characters, more than one message may hold; end each prompt with a newline, and split long ones");
                }

                _line.Append(_buffer, _start, stop - _start);
                _start = newline < 0 ? _end : newline + 1;
                if (newline >= 0)
                {
                    return Line();
                }
            }
        }

        private string Line() => _line.Length > 0 && _line[^1] == '\r' ? _line.ToString(0, _line.Length - 1) : _line.ToString();
    }

    /// <summary>What the chat says, once a run, when the first turn's request had to leave out old turns.</summary>
    internal static string TrimmedNotice(long? maxContextTokens, ChatTurn turn)
        => $"the context is over --max-context-tokens {maxContextTokens}: the oldest turns are left out of the requests ({turn.ContextMessagesDropped} messages this time); the store keeps them all";

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
