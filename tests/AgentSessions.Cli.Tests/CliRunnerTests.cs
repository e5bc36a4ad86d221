using System.Diagnostics;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Cli.Tests;

/// <summary>The shared runner itself: a run that hangs must not outlive its test.</summary>
public sealed class CliRunnerTests : IDisposable
{
    private readonly TempDirectory _temp = TempDirectory.ForCaller();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_run_that_outlives_its_timeout_is_killed_and_reported_with_its_output()
    {
        // serve runs until it is stopped: exactly what a hung run looks like from outside.
        var runner = new CliRunner(_temp.Combine("store")) { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<CliTimeoutException>(() => runner.RunAsync("serve", "--urls", "http://127.0.0.1:0"));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}");
        Assert.Contains("agent-sessions serve --urls http://127.0.0.1:0 was still running after 5 s and was killed", e.Message, StringComparison.Ordinal);
        Assert.Contains("http://127.0.0.1:", e.Message, StringComparison.Ordinal); // what it printed before the kill
        Assert.False(IsRunning(e.ProcessId), $"pid {e.ProcessId} is still running");
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
    }
}
