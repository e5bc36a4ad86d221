using System.Diagnostics;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>The CLI the process-level measurements run: AGENT_SESSIONS_CLI_DLL, or a Release publish made once per run.</summary>
public static class CliBuild
{
    private static readonly Dictionary<string, string?> Published = [];

    /// <summary>The path of <c>agent-sessions.dll</c>, or null (with the reason written) when there is none.</summary>
    public static string? Dll(string runDirectory, TextWriter output, string who)
    {
        var dll = Environment.GetEnvironmentVariable("AGENT_SESSIONS_CLI_DLL");
        if (!string.IsNullOrEmpty(dll))
        {
            return dll;
        }

        lock (Published)
        {
            if (Published.TryGetValue(runDirectory, out var done))
            {
                return done;
            }

            var root = QuickOptions.FindRepositoryRoot();
            if (root is null)
            {
                output.WriteLine($"{who}: skipped (no repository above the bench binary; set AGENT_SESSIONS_CLI_DLL)");
                return Published[runDirectory] = null;
            }

            var cliDir = Path.Combine(runDirectory, "cli-build");
            Directory.CreateDirectory(cliDir);
            // Published the way ./agent-sessions publishes it (ReadyToRun for this machine's runtime), so the figure
            // is what a user gets.
            output.WriteLine($"{who}: publishing src/AgentSessions.Cli (Release, ReadyToRun) into {cliDir}...");
            var (code, text) = Run("dotnet", ["publish", Path.Combine(root, "src", "AgentSessions.Cli"), "-c", "Release", "--use-current-runtime", "--self-contained", "false", "-o", cliDir, "-nologo", "-v", "q"]);
            if (code != 0)
            {
                output.WriteLine("  build failed, skipped:\n" + text);
                return Published[runDirectory] = null;
            }

            return Published[runDirectory] = Path.Combine(cliDir, "agent-sessions.dll");
        }
    }

    /// <summary>Runs a process to its end; its exit code and its output and error text.</summary>
    public static (int Code, string Output) Run(string file, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }
}
