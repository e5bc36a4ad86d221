using System.Diagnostics;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Sqlite.Tests;

/// <summary>The turn-taking hint between writer processes (see <see cref="WriterTurns"/>).</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class WriterTurnsTests
{
    [Fact]
    public async Task A_waiting_process_is_seen_by_the_writer_until_it_is_done()
    {
        using var temp = TempDirectory.ForCaller();
        var db = temp.Combine("sessions.db");
        using var writer = WriterTurns.Open(db);
        Assert.False(writer.OthersWaiting());

        // fcntl locks belong to a process, so the waiter must be another one, as in real use.
        var info = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(ChildProcess.ChildDll);
        info.ArgumentList.Add("wait-turn");
        info.ArgumentList.Add(db);
        using var waiter = Process.Start(info)!;
        try
        {
            Assert.Equal("waiting", await waiter.StandardOutput.ReadLineAsync());
            Assert.True(writer.OthersWaiting());
            Assert.True(writer.OthersWaiting(), "looking does not take the announcement away");

            waiter.StandardInput.Close();
            Assert.Equal("done", await waiter.StandardOutput.ReadLineAsync());
            await waiter.WaitForExitAsync();
            Assert.False(writer.OthersWaiting());
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(db + "-writers"));
        }
        finally
        {
            if (!waiter.HasExited)
            {
                waiter.Kill();
            }
        }
    }
}
