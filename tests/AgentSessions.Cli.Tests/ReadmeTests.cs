using System.Diagnostics;
using System.Text.RegularExpressions;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Cli.Tests;

/// <summary>The README's quick start is run as written, so it cannot rot.</summary>
public sealed partial class ReadmeTests
{
    [Fact]
    public async Task The_quick_start_runs_as_written()
    {
        using var temp = TempDirectory.ForCaller();
        var readme = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "README.md"));
        var block = QuickStart().Match(readme);
        Assert.True(block.Success, "README.md has a '## Quick start' section with a sh block");

        // ./agent-sessions builds into .build/; here the already built tool stands in for it.
        var script = $"set -euo pipefail\nagent_sessions() {{ dotnet '{CliRunner.Dll}' \"$@\"; }}\n"
            + block.Groups[1].Value.Replace("./agent-sessions", "agent_sessions", StringComparison.Ordinal);
        var info = new ProcessStartInfo("bash") { WorkingDirectory = temp.Path, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["AGENT_SESSIONS_HOME"] = temp.Combine("store");
        using var bash = Process.Start(info)!;
        await bash.StandardInput.WriteAsync(script);
        bash.StandardInput.Close();
        var stdout = bash.StandardOutput.ReadToEndAsync();
        var stderr = bash.StandardError.ReadToEndAsync();
        await bash.WaitForExitAsync();

        Assert.True(bash.ExitCode == 0, $"quick start failed ({bash.ExitCode}):\n{await stdout}\n{await stderr}");
        Assert.Contains("durable", await stdout, StringComparison.Ordinal);
        Assert.StartsWith("# How do I make appends durable?", await File.ReadAllTextAsync(temp.Combine("notes.md")), StringComparison.Ordinal);
        Assert.True(File.Exists(temp.Combine("session.json")));
    }

    [Fact]
    public async Task The_readme_opens_with_the_two_commands_ci_runs()
    {
        var root = RepositoryRoot();
        var readme = await File.ReadAllTextAsync(Path.Combine(root, "README.md"));
        var first = Regex.Match(readme, "```sh\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
        var commands = first.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('#')[0].Trim()).ToList();

        Assert.Equal(["./agent-sessions list", "./test"], commands);
        Assert.Contains("\n./test", await File.ReadAllTextAsync(Path.Combine(root, ".ci", "run")), StringComparison.Ordinal);
    }

    private static string RepositoryRoot() => SeedFixtures.RepositoryRoot;

    [GeneratedRegex("## Quick start\\s+```sh\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex QuickStart();
}
