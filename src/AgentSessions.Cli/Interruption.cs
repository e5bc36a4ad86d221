using System.Runtime.InteropServices;
using System.Text;

namespace AgentSessions.Cli;

/// <summary>
/// Turns SIGINT (Ctrl+C), SIGTERM, SIGQUIT and SIGHUP (the terminal closed) into cancellation of the running command, with a deadline: a
/// command that has not finished <see cref="GracePeriod"/> after the first signal is ended, and a second signal
/// ends it at once. Either way the exit code is the shell's convention, 128 + the signal's number.
/// </summary>
/// <remarks>
/// <para>
/// The deadline exists because a token cannot reach a thread blocked in a system call or in native code: an
/// open(2) of a FIFO with no writer, a write(2) to a pipe nobody reads, a long SQLite statement. Ending the
/// process then is safe for the store: SQLite in WAL mode commits by appending to the log, so a transaction
/// the process did not finish is simply absent when the store is next opened, and every committed one is
/// there. Nothing else the tool writes is left half-done either: files are written to a temporary name and
/// renamed (<c>AtomicFile</c>).
/// </para>
/// <para>
/// System.CommandLine's own termination handling is turned off in <see cref="CliApp"/>: it only makes
/// <c>InvokeAsync</c> return, which never happens while the command blocks the calling thread.
/// </para>
/// </remarks>
internal sealed class Interruption : IDisposable
{
    /// <summary>How long a command has, after the first signal, to stop by itself.</summary>
    public static readonly TimeSpan GracePeriod = TimeSpan.FromSeconds(2);

    private const int Running = 0;
    private const int Finished = 1;
    private const int Ending = 2;

    private readonly CancellationTokenSource _cancellation = new();
    private readonly ManualResetEventSlim _finished = new();
    private readonly List<PosixSignalRegistration> _registrations = [];
    private int _state = Running;
    private int _firstSignal; // its number; 0 until one arrives

    private Interruption()
    {
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _cancellation.Token;

    /// <summary>Whether a signal has arrived.</summary>
    public bool Received => Volatile.Read(ref _firstSignal) != 0;

    /// <summary>The exit code for being stopped by the first signal: 129 (SIGHUP), 130 (SIGINT), 131 (SIGQUIT), 143 (SIGTERM).</summary>
    public int ExitCode => 128 + Volatile.Read(ref _firstSignal);

    /// <summary>Starts listening; dispose to stop.</summary>
    public static Interruption Register()
    {
        var interruption = new Interruption();
        // SIGHUP too: a closed terminal is a way of leaving, and a chat saves before it goes (the runtime's default
        // would end the process at once).
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGQUIT, PosixSignal.SIGHUP })
        {
            try
            {
                interruption._registrations.Add(PosixSignalRegistration.Create(signal, interruption.OnSignal));
            }
            catch (PlatformNotSupportedException)
            {
                // SIGQUIT, SIGTERM and SIGHUP have no Windows equivalent to listen for; Ctrl+C (SIGINT) does.
            }
        }

        return interruption;
    }

    /// <summary>
    /// Marks the command as done, so the deadline no longer applies. False when the deadline (or a second signal)
    /// is already ending the process: the caller must then print and return nothing more.
    /// </summary>
    public bool TryFinish()
    {
        var won = Interlocked.CompareExchange(ref _state, Finished, Running) == Running;
        _finished.Set();
        return won;
    }

    /// <summary>The line printed when the command stopped by itself after a signal.</summary>
    public string StoppedMessage()
        => $"agent-sessions: interrupted; {Name(Volatile.Read(ref _firstSignal))} received, the command stopped: everything it completed before the signal is stored, nothing after it was written";

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _cancellation.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        // Cancel the default action (the runtime would end the process with no word and no say for the command).
        context.Cancel = true;
        var number = Number(context.Signal);
        if (Interlocked.CompareExchange(ref _firstSignal, number, 0) == 0)
        {
            var watchdog = new Thread(Watch) { IsBackground = true, Name = "agent-sessions interruption deadline" };
            watchdog.Start();
            // Not on this thread: a cancellation callback that blocks would keep the second signal from arriving.
            ThreadPool.UnsafeQueueUserWorkItem(static c => Cancel(c), _cancellation, preferLocal: false);
            return;
        }

        End($"agent-sessions: interrupted; {Name(number)} received again, ended at once (the store keeps every completed write)");
    }

    private static void Cancel(CancellationTokenSource cancellation)
    {
        try
        {
            cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The command finished (and the registration was disposed) before this ran: nothing to cancel.
        }
        catch (AggregateException)
        {
            // A callback registered on the token failed; on this pool thread that would end the process with a
            // crash. The command sees the cancellation all the same, and the deadline still holds.
        }
    }

    private void Watch()
    {
        if (!_finished.Wait(GracePeriod))
        {
            End($"agent-sessions: interrupted; {Name(Volatile.Read(ref _firstSignal))} received, the command did not stop within {GracePeriod.TotalSeconds:0} s and was ended (the store keeps every completed write)");
        }
    }

    private void End(string message)
    {
        if (Interlocked.Exchange(ref _state, Ending) == Finished)
        {
            // The command finished on its own just now: it reports for itself.
            return;
        }

        // Straight to file descriptor 2, not through Console.Error: on Unix every console write holds one lock,
        // which the thread stuck writing to stdout holds too. And stderr may itself be a full pipe: the line gets
        // a moment, the exit does not wait for it.
        var say = new Thread(() => WriteToStandardError(message)) { IsBackground = true };
        say.Start();
        say.Join(TimeSpan.FromMilliseconds(250));
        Exit(ExitCode);
    }

    private static void WriteToStandardError(string message)
    {
        if (OperatingSystem.IsWindows())
        {
            Console.Error.WriteLine(message);
            return;
        }

        try
        {
            using var stderr = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(2, ownsHandle: false), FileAccess.Write, bufferSize: 0);
            stderr.Write(Encoding.UTF8.GetBytes(message + Environment.NewLine));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            // No stderr (closed, or not a writable descriptor): the exit code still tells.
        }
    }

    private static void Exit(int code)
    {
        if (OperatingSystem.IsWindows())
        {
            Environment.Exit(code);
        }

        // _exit, not Environment.Exit: that runs the ProcessExit handlers, and those (the web host's among them)
        // can wait for the very work that is stuck. Console output is unbuffered, so nothing printed is lost.
        NativeExit(code);
    }

    [DllImport("libc", EntryPoint = "_exit")]
    private static extern void NativeExit(int status);

    private static int Number(PosixSignal signal) => signal switch
    {
        PosixSignal.SIGHUP => 1,
        PosixSignal.SIGINT => 2,
        PosixSignal.SIGQUIT => 3,
        PosixSignal.SIGTERM => 15,
        _ => 1, // none other is registered
    };

    private static string Name(int number) => number switch
    {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        15 => "SIGTERM",
        _ => "a signal",
    };
}
