using System.Diagnostics;
using System.Text;

namespace AgentSessions.Testing;

/// <summary>Finds the built agent-sessions tool, so tests run it as a process the way users and editors do.</summary>
public static class BuiltTool
{
    /// <summary>
    /// src/AgentSessions.Cli/bin/&lt;configuration&gt;/&lt;tfm&gt;/agent-sessions.dll, for the configuration and target
    /// framework the running test assembly was built with (tests/&lt;project&gt;/bin/&lt;configuration&gt;/&lt;tfm&gt;/).
    /// </summary>
    public static string CliDll
    {
        get
        {
            var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            var root = output.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
            var path = Path.Combine(root, "src", "AgentSessions.Cli", "bin", output.Parent.Name, output.Name, "agent-sessions.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("build src/AgentSessions.Cli first", path);
        }
    }

    /// <summary>Starts <c>dotnet agent-sessions.dll ARGS</c> with all three streams redirected (stdout/stderr as UTF-8).</summary>
    /// <remarks>The caller sets the environment (the store above all) before starting it.</remarks>
    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(CliDll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }
}
