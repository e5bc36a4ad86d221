using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace AgentSessions.Testing;

/// <summary>
/// A client written in JavaScript by somebody else's library (vscode-jsonrpc, the MCP TypeScript SDK): a folder with a
/// pinned package.json and lock file, installed with <c>npm ci</c> on first use, whose scripts a test runs with
/// <c>node</c>. Needs Node.js and npm on the PATH (./test installs them).
/// </summary>
/// <param name="directory">The client's folder (package.json, package-lock.json, the scripts).</param>
/// <param name="package">The npm package the client exists to exercise; its pinned version is checked.</param>
public sealed class NodeClient(string directory, string package)
{
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(3);

    /// <summary>Runs <c>npm ci</c> unless the pinned version is installed already; returns the pinned version.</summary>
    public async Task<string> EnsureInstalledAsync()
    {
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(directory, "package.json")));
        var pinned = manifest.RootElement.GetProperty("dependencies").GetProperty(package).GetString()!;
        var installed = Path.Combine([directory, "node_modules", .. package.Split('/'), "package.json"]);
        if (File.Exists(installed))
        {
            using var found = JsonDocument.Parse(await File.ReadAllTextAsync(installed));
            if (found.RootElement.GetProperty("version").GetString() == pinned)
            {
                return pinned;
            }
        }

        var (exit, stdout, stderr) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], InstallTimeout);
        Assert.True(exit == 0, $"npm ci failed with {exit} in {directory}\nstdout: {stdout}\nstderr: {stderr}");
        return pinned;
    }

    /// <summary>Runs <c>node SCRIPT ARGS</c> in the client's folder; a run past <paramref name="timeout"/> is killed and fails the test.</summary>
    public Task<(int Exit, string Stdout, string Stderr)> NodeAsync(string script, IReadOnlyList<string> args, TimeSpan timeout)
        => RunAsync("node", [script, .. args], timeout);

    private async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string tool, string[] args, TimeSpan timeout)
    {
        // npm is a .cmd script on Windows, which only a shell can start.
        var windowsScript = OperatingSystem.IsWindows() && tool == "npm";
        var info = new ProcessStartInfo(windowsScript ? "cmd.exe" : tool)
        {
            WorkingDirectory = directory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in windowsScript ? ["/c", tool, .. args] : args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["npm_config_update_notifier"] = "false";
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (Win32Exception e)
        {
            throw new Xunit.Sdk.XunitException($"'{tool}' could not be started ({e.Message}): install Node.js (20 or later, with npm) and put it on the PATH to run this test");
        }

        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var cancellation = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(cancellation.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                throw new Xunit.Sdk.XunitException($"'{tool} {string.Join(' ', args)}' did not finish within {timeout}\nstdout: {await stdout}\nstderr: {await stderr}");
            }

            return (process.ExitCode, await stdout, await stderr);
        }
    }
}
