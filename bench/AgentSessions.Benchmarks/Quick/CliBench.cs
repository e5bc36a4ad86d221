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
        if (CliBuild.Dll(temp.Path, output, "CLI cold start") is not { } dll)
        {
            return [];
        }

        var directory = temp.Directory("cli-store");
        await Fixtures.CreateEmptyStoreAsync(directory);
        var path = new SqliteStoreOptions(directory).DatabasePath;
        Fixtures.BulkInsertSessions(path, Sessions, 10);

        // Both must work and list something before anything is timed.
        var (cliCode, cliOut) = CliBuild.Run("dotnet", [dll, "list", "--store", directory]);
        var (sqlCode, sqlOut) = CliBuild.Run("sqlite3", [path, Sql]);
        if (cliCode != 0 || sqlCode != 0 || cliOut.Length == 0 || sqlOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length != 50)
        {
            output.WriteLine($"  CLI exit {cliCode}, sqlite3 exit {sqlCode}: skipped\n{cliOut}\n{sqlOut}");
            return [];
        }

        var stats = await Interleaved.MeasureAsync(
            2,
            10,
            TimeSpan.Zero, // exactly the minimum rounds below
            () => { CliBuild.Run("sqlite3", [path, Sql]); return ValueTask.CompletedTask; },
            () => { CliBuild.Run("dotnet", [dll, "list", "--store", directory]); return ValueTask.CompletedTask; });
        Report.PrintStats(output, "sqlite3 shell, same SELECT", stats[0]);
        Report.PrintStats(output, "agent-sessions list (whole process)", stats[1]);
        plots.Add("cli.dat", "sessions sqlite3_ms cli_list_ms", Sessions, stats[0].MedianMs, stats[1].MedianMs);
        return [ResultRow.TimeTarget($"CLI cold start: list, {Sessions:N0} sessions", stats[1], "sqlite3 shell, same SELECT", stats[0], TargetMs)];
    }
}
