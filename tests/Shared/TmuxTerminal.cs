using System.Diagnostics;
using Xunit;

namespace AgentSessions.Testing;

/// <summary>
/// A real terminal for a test: a tmux server of its own (<c>-L</c>) running one shell command in a window of a
/// fixed size, keys sent to it, its screen read back (scroll-back included, wrapped lines joined).
/// </summary>
/// <remarks>
/// The server's config sets <c>set-clipboard on</c>, so an OSC 52 sequence that reaches the terminal becomes a paste
/// buffer a test can see (<see cref="Buffers"/>). <c>-u</c> makes tmux draw UTF-8 whatever the test host's locale.
/// Nothing of the machine's store or model settings reaches the window through tmux's environment: a test passes
/// what its command needs on the command line.
/// </remarks>
internal sealed class TmuxTerminal : IDisposable
{
    /// <summary>What tmux's server (and so every window) must not inherit from the test host.</summary>
    private static readonly string[] Scrubbed =
        ["AGENT_SESSIONS_HOME", "AGENT_SESSIONS_STORE", "AGENT_SESSIONS_ENDPOINT", "AGENT_SESSIONS_MODEL", "AGENT_SESSIONS_API_KEY", "OPENAI_API_KEY"];

    private readonly string _name = "as-tmux-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _config;

    public TmuxTerminal(string configDirectory)
    {
        _config = Path.Combine(configDirectory, "tmux.conf");
        File.WriteAllText(_config, "set -s set-clipboard on\nset -g history-limit 5000\n");
    }

    /// <summary>Runs <paramref name="shellCommand"/> in a new window of <paramref name="width"/> by <paramref name="height"/>.</summary>
    public void Start(string shellCommand, int width = 160, int height = 45)
        => Assert.Equal(0, Run("new-session", "-d", "-s", _name, "-x", width.ToString(System.Globalization.CultureInfo.InvariantCulture), "-y", height.ToString(System.Globalization.CultureInfo.InvariantCulture), shellCommand).ExitCode);

    /// <summary>Types <paramref name="text"/> as it is (no key names), then Enter.</summary>
    public void TypeLine(string text)
    {
        Type(text);
        Keys("Enter");
    }

    /// <summary>Types <paramref name="text"/> as it is (no key names).</summary>
    public void Type(string text) => Run("send-keys", "-t", _name, "-l", text);

    /// <summary>Sends keys by tmux's names: Enter, Up, Down, Escape, C-c, C-d.</summary>
    public void Keys(params string[] keys) => Run(["send-keys", "-t", _name, .. keys]);

    /// <summary>What the window shows, with its scroll-back.</summary>
    public string Screen() => Run("capture-pane", "-p", "-J", "-S", "-", "-t", _name).Stdout;

    /// <summary>What the window shows now, without the scroll-back (for a full-screen view).</summary>
    public string Visible() => Run("capture-pane", "-p", "-J", "-t", _name).Stdout;

    /// <summary>The window's title, as the program in it may have set it.</summary>
    public string PaneTitle => Run("display-message", "-p", "-t", _name, "#{pane_title}").Stdout;

    /// <summary>The process id of the program in the window (the shell that runs the command).</summary>
    public int PanePid => int.Parse(Run("display-message", "-p", "-t", _name, "#{pane_pid}").Stdout.Trim(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Closes the window as a user closing the terminal would: its programs get SIGHUP.</summary>
    public void Close() => Assert.Equal(0, Run("kill-session", "-t", _name).ExitCode);

    /// <summary>Waits until process <paramref name="pid"/> has exited (or is a zombie); fails the test after 30 s.</summary>
    public static async Task WaitForExitAsync(int pid)
    {
        var clock = Stopwatch.StartNew();
        while (Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"process {pid} was still running 30 s after its terminal closed");
            await Task.Delay(50);
        }
    }

    /// <summary>The paste buffers (an OSC 52 that reached the terminal makes one).</summary>
    public string Buffers => Run("list-buffers").Stdout;

    /// <summary>Waits (up to a minute) until <paramref name="text"/> is on the screen, and returns the screen.</summary>
    public Task<string> WaitForAsync(string text, bool visibleOnly = false)
        => WaitForAsync(screen => screen.Contains(text, StringComparison.Ordinal), $"'{text}'", visibleOnly);

    /// <summary>Waits (up to a minute) until <paramref name="done"/> holds for the screen, and returns the screen.</summary>
    public async Task<string> WaitForAsync(Func<string, bool> done, string what, bool visibleOnly = false)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var screen = visibleOnly ? Visible() : Screen();
            if (done(screen))
            {
                return screen;
            }

            await Task.Delay(100);
        }

        throw new Xunit.Sdk.XunitException($"{what} never appeared on the terminal. Screen:\n{Screen()}");
    }

    public void Dispose() => Run("kill-server");

    private (int ExitCode, string Stdout) Run(params string[] args)
    {
        var info = new ProcessStartInfo("tmux") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["-u", "-L", _name, "-f", _config, .. args])
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var name in Scrubbed)
        {
            info.Environment.Remove(name);
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new Xunit.Sdk.XunitException($"tmux is needed for terminal tests (apt-get install tmux): {e.Message}");
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdout);
        }
    }
}
