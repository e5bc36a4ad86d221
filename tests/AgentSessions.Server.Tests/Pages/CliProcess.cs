using System.Diagnostics;
using System.Text;

namespace AgentSessions.Server.Tests.Pages;

/// <summary>Runs the built agent-sessions tool as a process against one store, as a user would.</summary>
internal sealed class CliProcess(string storeDirectory)
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
    }


    public async Task<Result> RunAsync(params string[] args)
    {
        var info = AgentSessions.Testing.BuiltTool.StartInfo(args);

        info.Environment["AGENT_SESSIONS_HOME"] = storeDirectory;
        info.Environment["NO_COLOR"] = "1";
        info.Environment.Remove("AGENT_SESSIONS_DEBUG");
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"agent-sessions {string.Join(' ', args)} did not finish within 2 minutes");
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }

    public async Task<string> OkAsync(params string[] args)
    {
        var result = await RunAsync(args);
        if (result.ExitCode != 0)
        {
            throw new Xunit.Sdk.XunitException($"agent-sessions {string.Join(' ', args)} failed: {result}");
        }

        return result.Stdout.Trim();
    }
}
