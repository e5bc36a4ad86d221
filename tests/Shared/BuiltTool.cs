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
}
