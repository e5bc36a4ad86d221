using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Emacs.Tests;

/// <summary>
/// Runs ERT tests of editors/emacs/test/agent-sessions-test.el in a fresh <c>emacs --batch -Q</c>, against the built
/// tool, and fails with Emacs's whole output when a test fails, when the selector ran no test, or when Emacs hangs.
/// </summary>
internal static partial class ErtRunner
{
    /// <summary>How long one Emacs may run; a hung one is killed so that it fails its test instead of the suite.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    /// <summary>The repository root (the test assembly is in tests/&lt;project&gt;/bin/&lt;configuration&gt;/&lt;tfm&gt;/).</summary>
    public static string Root
    {
        get
        {
            var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            return output.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        }
    }

    /// <summary>editors/emacs, where agent-sessions.el is.</summary>
    public static string PackageDirectory => Path.Combine(Root, "editors", "emacs");

    /// <summary>Runs the ERT tests whose names match <paramref name="selector"/> (a regexp) and insists they all pass.</summary>
    /// <param name="selector">An ERT selector regexp; it must match at least one test.</param>
    /// <param name="environment">Variables for Emacs (null removes one), after the test defaults.</param>
    /// <returns>Emacs's output (stdout then stderr).</returns>
    public static async Task<string> RunAsync(string selector, IDictionary<string, string?>? environment = null)
    {
        var (exitCode, output) = await RunEmacsAsync(
            ["-l", Path.Combine(PackageDirectory, "test", "agent-sessions-test.el"),
             "--eval", $"(ert-run-tests-batch-and-exit {LispString(selector)})"],
            environment);
        var ran = RanLine().Match(output);
        Assert.True(ran.Success, $"ERT printed no summary (exit {exitCode}):\n{output}");
        Assert.True(int.Parse(ran.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, $"no ERT test matches {selector}:\n{output}");
        // Every test run must pass: a skipped one counts as neither expected nor unexpected, and fails here too.
        Assert.True(exitCode == 0 && ran.Groups[3].Value == "0" && ran.Groups[2].Value == ran.Groups[1].Value, $"ERT tests failed or were skipped (exit {exitCode}):\n{output}");
        return output;
    }

    /// <summary>Runs <c>emacs --batch -Q -L editors/emacs ARGS</c> and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunEmacsAsync(IEnumerable<string> args, IDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo("emacs")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = Root,
        };
        foreach (var arg in (string[])["--batch", "-Q", "-L", PackageDirectory, .. args])
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["AGENT_SESSIONS_TEST_CLI"] = BuiltTool.CliDll;
        // Nothing from the machine running the tests may reach the package: no store, no model, no key.
        foreach (var name in (string[])["AGENT_SESSIONS_HOME", "AGENT_SESSIONS_DEBUG", "AGENT_SESSIONS_ENDPOINT", "AGENT_SESSIONS_MODEL", "AGENT_SESSIONS_API_KEY", "OPENAI_API_KEY", "AGENT_SESSIONS_TEST_STORE", "AGENT_SESSIONS_TEST_SESSION"])
        {
            info.Environment.Remove(name);
        }

        // A HOME of its own: no ~/.authinfo or init file of the user's is read.
        var home = Directory.CreateTempSubdirectory("agent-sessions-emacs-home-");
        info.Environment["HOME"] = home.FullName;
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new Xunit.Sdk.XunitException($"emacs could not be started ({e.Message}); install it: apt-get install emacs-nox");
        }

        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(Timeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                throw new Xunit.Sdk.XunitException($"emacs was still running after {Timeout.TotalMinutes} minutes and was killed:\n{await stdout}\n{await stderr}");
            }
            finally
            {
                try
                {
                    home.Delete(recursive: true);
                }
                catch (IOException)
                {
                    // Emacs may leave a file behind for a moment; the OS temp cleaner gets it.
                }
            }

            return (process.ExitCode, $"{await stdout}\n{await stderr}");
        }
    }

    /// <summary>TEXT as an Emacs Lisp string literal.</summary>
    public static string LispString(string text) => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    // "Ran 3 tests, 3 results as expected, 0 unexpected" (ERT also prints ", N skipped" when some are).
    [GeneratedRegex(@"^Ran (\d+) tests?, (\d+) results? as expected, (\d+) unexpected", RegexOptions.Multiline)]
    private static partial Regex RanLine();
}
