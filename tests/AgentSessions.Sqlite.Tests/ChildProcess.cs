using System.Diagnostics;

namespace AgentSessions.Sqlite.Tests;

/// <summary>Starts AgentSessions.TestChild (built beside the tests) and reads its acknowledgement lines.</summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;

    private ChildProcess(Process process) => _process = process;

    public static string ChildDll
    {
        get
        {
            // The test project references TestChild without its assembly, so find its own output folder.
            var testOutput = AppContext.BaseDirectory; // .../tests/AgentSessions.Sqlite.Tests/bin/Debug/net10.0/
            var path = Path.GetFullPath(Path.Combine(testOutput, "..", "..", "..", "..", "AgentSessions.TestChild", "bin",
                new DirectoryInfo(testOutput).Parent!.Name, new DirectoryInfo(testOutput).Name, "AgentSessions.TestChild.dll"));
            return File.Exists(path) ? path : throw new FileNotFoundException("build tests/AgentSessions.TestChild first", path);
        }
    }

    public static ChildProcess Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(ChildDll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return new ChildProcess(Process.Start(info)!);
    }

    public Process Process => _process;

    public string? ReadLine() => _process.StandardOutput.ReadLine();

    public void Kill()
    {
        // Process.Kill sends SIGKILL on Unix: no finalizers, no flush, no chance to clean up.
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }

        _process.WaitForExit();
    }

    public async Task<(int ExitCode, string Stdout, string Stderr)> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var stdout = _process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = _process.StandardError.ReadToEndAsync(cts.Token);
        await _process.WaitForExitAsync(cts.Token);
        return (_process.ExitCode, await stdout, await stderr);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }
}
