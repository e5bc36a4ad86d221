using System.Globalization;
using AgentSessions.Chat;
using AgentSessions.Cli.Output;

namespace AgentSessions.Cli.Commands;

/// <summary>
/// <c>chat</c> on a terminal: a mode line and a prompt, answers streamed as they come, slash commands
/// (<see cref="ChatSlashCommands"/>), Ctrl+C to stop an answer, Ctrl+C at an empty prompt or Ctrl+D to leave.
/// </summary>
/// <remarks>
/// Every turn goes through <see cref="ChatRunner"/>, so the user's message is stored before the model is called and
/// the answer is checkpointed as it streams; a stopped answer stays stored, marked interrupted. Leaving in any way
/// (Ctrl+D, Ctrl+C at the prompt, <c>/quit</c>, a switch of session, a signal) calls <see cref="ChatRunner.SaveAsync"/> first.
/// </remarks>
internal sealed class ChatTerminal
{
    private readonly Func<string, CancellationToken, Task<ChatRunner>> _openRunner;
    private bool _toldTrimmed;

    // Set when a write to the terminal failed (EIO: it hung up, possibly with SIGHUP ignored): nothing more is
    // written, the answer in progress is stopped (and stored), and the chat saves and leaves.
    private bool _terminalGone;

    private ChatTerminal(
        SessionService service, ChatEndpoint endpoint, TerminalKeys keys, TerminalScreen screen, ChatRunner runner, Func<string, CancellationToken, Task<ChatRunner>> openRunner)
    {
        Service = service;
        Endpoint = endpoint;
        Keys = keys;
        Screen = screen;
        Runner = runner;
        _openRunner = openRunner;
    }

    /// <summary>The store's front door.</summary>
    public SessionService Service { get; }

    /// <summary>The model's endpoint (its model name for new sessions, its URL for error lines).</summary>
    public ChatEndpoint Endpoint { get; }

    /// <summary>The keys typed.</summary>
    public TerminalKeys Keys { get; }

    /// <summary>Where everything is shown.</summary>
    public TerminalScreen Screen { get; }

    /// <summary>The session the chat is in now.</summary>
    public ChatRunner Runner { get; private set; }

    /// <summary>Runs the chat until the user leaves; returns the exit code (0 for every way of leaving on purpose).</summary>
    /// <param name="service">The store's front door.</param>
    /// <param name="endpoint">The model's endpoint.</param>
    /// <param name="keys">The terminal's keys (<see cref="TerminalKeys.Start"/>).</param>
    /// <param name="runner">The session to start in.</param>
    /// <param name="openRunner">Opens a runner on another session (for /load, /new, /fork), with the same model and options.</param>
    /// <param name="cancellationToken">The command's cancellation (a signal).</param>
    public static async Task<int> RunAsync(
        SessionService service, ChatEndpoint endpoint, TerminalKeys keys, ChatRunner runner, Func<string, CancellationToken, Task<ChatRunner>> openRunner, CancellationToken cancellationToken)
    {
        var chat = new ChatTerminal(service, endpoint, keys, TerminalScreen.Open(), runner, openRunner);
        try
        {
            return await chat.LoopAsync(cancellationToken);
        }
        catch
        {
            // Whatever ends the chat (a signal, a store error, a write to a terminal that is gone), what the runner
            // holds back (--no-autosave) is written before the command reports it. A failing save is the error that
            // matters then, and replaces the first.
            await chat.Runner.SaveAsync(CancellationToken.None);
            throw;
        }
    }

    /// <summary>Saves the current session, then continues in <paramref name="sessionId"/> (which must exist).</summary>
    public async Task SwitchToAsync(string sessionId, CancellationToken cancellationToken)
    {
        // Opened before the old one is given up: a missing id leaves the chat where it was.
        var next = await _openRunner(sessionId, cancellationToken);
        await Runner.SaveAsync(cancellationToken);
        Runner = next;
    }

    /// <summary>The line above the prompt: <c>[title · 12 msgs · ↑3.4k ↓1.2k]</c>, from the stored session's totals.</summary>
    public static string ModeLine(Session session)
        => $"[{Columns.Truncate(TerminalText.NeutralizeLine(session.Title ?? "untitled"), 50)} · {session.MessageCount.ToString(CultureInfo.InvariantCulture)} msgs · ↑{Tokens(session.InputTokens)} ↓{Tokens(session.OutputTokens)}]";

    /// <summary>A token count the way the mode line shows it: 950, 3.4k, 12k, 1.2M.</summary>
    public static string Tokens(long count) => count switch
    {
        < 1_000 => count.ToString(CultureInfo.InvariantCulture),
        < 10_000 => (count / 1_000d).ToString("0.#", CultureInfo.InvariantCulture) + "k",
        < 1_000_000 => (count / 1_000).ToString(CultureInfo.InvariantCulture) + "k",
        _ => (count / 1_000_000d).ToString("0.#", CultureInfo.InvariantCulture) + "M",
    };

    private async Task<int> LoopAsync(CancellationToken ct)
    {
        Screen.Text.WriteLine(Runner.History.Count == 0
            ? $"session {Runner.SessionId} (new) with {TerminalText.NeutralizeLine(Endpoint.Model)}"
            : $"session {Runner.SessionId} ({Runner.History.Count} messages, resumed) with {TerminalText.NeutralizeLine(Endpoint.Model)}");
        Screen.Text.WriteLine("Enter sends; Ctrl+C stops an answer; Ctrl+D, or Ctrl+C at an empty prompt, saves and leaves; /help lists the commands.");
        while (true)
        {
            var session = await Service.GetAsync(Runner.SessionId, ct);
            Screen.Text.WriteLine();
            Screen.Text.WriteLine(ModeLine(session));
            (PromptResult result, string text) line;
            try
            {
                line = await PromptLine.ReadAsync(Keys, Screen, "> ", ct);
            }
            catch (EndOfStreamException)
            {
                // The terminal went away (hung up): leave as Ctrl+D would, with nobody left to tell.
                return await LeaveAsync(terminalGone: true);
            }

            switch (line.result)
            {
                case PromptResult.Exit:
                    return await LeaveAsync();
                case PromptResult.Discarded:
                    continue;
            }

            var text = line.text;
            if (string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            if (text.StartsWith('/') && !text.StartsWith("//", StringComparison.Ordinal))
            {
                if (await ChatSlashCommands.RunAsync(this, text, ct) == ChatSlashCommands.Outcome.Quit)
                {
                    return await LeaveAsync();
                }

                continue;
            }

            // "//x" sends "/x": a prompt may start with a slash.
            await SendAsync(text.StartsWith("//", StringComparison.Ordinal) ? text[1..] : text, ct);
            if (_terminalGone)
            {
                return await LeaveAsync(terminalGone: true);
            }
        }
    }

    private async Task<int> LeaveAsync(bool terminalGone = false)
    {
        var written = await Runner.SaveAsync(CancellationToken.None);
        if (terminalGone)
        {
            return ExitCodes.Success;
        }

        var session = await Service.GetAsync(Runner.SessionId, CancellationToken.None);
        Screen.Text.WriteLine($"saved{(written > 0 ? $" ({written} messages written)" : "")}: session {session.Id}, {session.MessageCount} messages; continue it with 'agent-sessions chat --resume {session.Id}'");
        return ExitCodes.Success;
    }

    /// <summary>One turn: the answer streams to the screen while a watch on the keys waits for Ctrl+C to stop it.</summary>
    private async Task SendAsync(string text, CancellationToken ct)
    {
        using var turn = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var stopWatching = new CancellationTokenSource();
        var typedAhead = new List<ConsoleKeyInfo>();
        var watch = WatchAsync(turn, typedAhead, stopWatching.Token);
        var output = new ChatCommand.AnswerWriter(Screen.Text);
        try
        {
            var done = await Runner.SendAsync(
                text,
                delta =>
                {
                    // Not thrown from here: the chat client would call the answer abandoned. Cancelling the turn
                    // makes the stream's next step stop it as cancelled, stored as far as it came.
                    if (!Say(() => output.Write(delta)))
                    {
                        turn.Cancel();
                    }

                    return ValueTask.CompletedTask;
                },
                turn.Token);
            Say(output.EndAnswer);
            if (done.ContextMessagesDropped > 0 && !_toldTrimmed)
            {
                // Once a run, as the piped chat says it: every later turn is cut too.
                _toldTrimmed = true;
                Say(() => Screen.Text.WriteLine($"({ChatCommand.TrimmedNotice(Runner.MaxContextTokens, done)})"));
            }
        }
        catch (OperationCanceledException) when (turn.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            Say(() =>
            {
                output.EndAnswer();
                Screen.Text.WriteLine("(interrupted: the answer so far is stored, marked interrupted)");
            });
        }
        catch (AgentSessionsException e)
        {
            Say(() =>
            {
                output.EndAnswer();
                Screen.Text.WriteLine($"error: {TerminalText.NeutralizeLine(CliHints.Describe(e))}");
            });
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // An OperationCanceledException here is the HTTP client's timeout, not the user's Ctrl+C (caught above).
            // The user's message is stored (and what streamed, marked interrupted): say what failed, and stay.
            Say(() =>
            {
                output.EndAnswer();
                Screen.Text.WriteLine($"error: the model at {Endpoint.DisplayUrl} failed: {TerminalText.NeutralizeLine(Endpoint.Redact(e.Message))} (your message is stored; type again to retry)");
            });
        }
        finally
        {
            await stopWatching.CancelAsync();
            await watch;
            Keys.Return(typedAhead);
        }
    }

    /// <summary>Writes to the terminal unless it is gone; false (and nothing more written, ever) once a write fails.</summary>
    private bool Say(Action write)
    {
        if (_terminalGone)
        {
            return false;
        }

        try
        {
            write();
            return true;
        }
        catch (IOException)
        {
            _terminalGone = true;
            return false;
        }
    }

    private async Task WatchAsync(CancellationTokenSource turn, List<ConsoleKeyInfo> typedAhead, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                var key = await Keys.ReadAsync(stop);
                if (TerminalKeys.IsControlC(key))
                {
                    await turn.CancelAsync();
                    return;
                }

                typedAhead.Add(key);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The answer ended first.
        }
        catch (EndOfStreamException)
        {
            // The terminal went away; the prompt that follows finds out.
        }
    }
}
