using System.Diagnostics;
using System.Globalization;
using AgentSessions.Benchmarks.Shared;
using AgentSessions.Sqlite;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>
/// Cold start of the CLI as a whole process: <c>dotnet agent-sessions.dll list --store DIR</c> over 100,000
/// sessions, against the sqlite3 shell running the equivalent SELECT on the same file.
/// </summary>
/// <remarks>
/// The CLI is the Release build of src/AgentSessions.Cli, built by this measurement into the run's temp
/// directory (or the dll named by AGENT_SESSIONS_CLI_DLL). Both processes are timed from start to exit, output
/// read and discarded, in interleaved rounds.
/// </remarks>
public static class CliBench
{
    public const int Sessions = 100_000;
    public const double TargetMs = 150;
    private const string Sql = "SELECT id, title, updated_at FROM sessions ORDER BY updated_at DESC LIMIT 50";

    public static async Task<IReadOnlyList<ResultRow>> RunAsync(TempRoot temp, TextWriter output, Plots plots)
    {
        var dll = FindOrPublishCli(temp, output);
        if (dll is null)
        {
            return [];
        }

        var directory = temp.Directory("cli-store");
        await Fixtures.CreateEmptyStoreAsync(directory);
        var path = new SqliteStoreOptions(directory).DatabasePath;
        Fixtures.BulkInsertSessions(path, Sessions, 10);

        // Both must work and list something before anything is timed.
        var (cliCode, cliOut) = Run("dotnet", [dll, "list", "--store", directory]);
        var (sqlCode, sqlOut) = Run("sqlite3", [path, Sql]);
        if (cliCode != 0 || sqlCode != 0 || cliOut.Length == 0 || sqlOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length != 50)
        {
            output.WriteLine($"  CLI exit {cliCode}, sqlite3 exit {sqlCode}: skipped\n{cliOut}\n{sqlOut}");
            return [];
        }

        var stats = await Interleaved.MeasureAsync(
            2,
            10,
            TimeSpan.Zero, // exactly the minimum rounds below
            () => { Run("sqlite3", [path, Sql]); return ValueTask.CompletedTask; },
            () => { Run("dotnet", [dll, "list", "--store", directory]); return ValueTask.CompletedTask; });
        Report.PrintStats(output, "sqlite3 shell, same SELECT", stats[0]);
        Report.PrintStats(output, "agent-sessions list (whole process)", stats[1]);
        plots.Add("cli.dat", "sessions sqlite3_ms cli_list_ms", Sessions, stats[0].MedianMs, stats[1].MedianMs);
        return [ResultRow.TimeTarget($"CLI cold start: list, {Sessions:N0} sessions", stats[1], "sqlite3 shell, same SELECT", stats[0], TargetMs)];
    }

    /// <summary>
    /// The CLI's dll: AGENT_SESSIONS_CLI_DLL, else src/AgentSessions.Cli published once per run into the run's temp
    /// directory; null (with a line saying why) when neither is possible.
    /// </summary>
    public static string? FindOrPublishCli(TempRoot temp, TextWriter output)
    {
        var dll = Environment.GetEnvironmentVariable("AGENT_SESSIONS_CLI_DLL");
        if (string.IsNullOrEmpty(dll))
        {
            var root = QuickOptions.FindRepositoryRoot();
            if (root is null)
            {
                output.WriteLine("CLI: skipped (no repository above the bench binary; set AGENT_SESSIONS_CLI_DLL)");
                return null;
            }

            var cliDir = temp.Directory("cli-build");
            if (File.Exists(Path.Combine(cliDir, "agent-sessions.dll")))
            {
                return Path.Combine(cliDir, "agent-sessions.dll");
            }

            // Published the way ./agent-sessions publishes it (ReadyToRun for this machine's runtime), so the figure
            // is the start a user gets.
            output.WriteLine($"CLI: publishing src/AgentSessions.Cli (Release, ReadyToRun) into {cliDir}...");
            var (code, text) = Run("dotnet", ["publish", Path.Combine(root, "src", "AgentSessions.Cli"), "-c", "Release", "--use-current-runtime", "--self-contained", "false", "-o", cliDir, "-nologo", "-v", "q"]);
            if (code != 0)
            {
                output.WriteLine("  build failed, skipped:\n" + text);
                return null;
            }

            dll = Path.Combine(cliDir, "agent-sessions.dll");
        }

        return dll;
    }

    private static (int Code, string Output) Run(string file, string[] args)
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
