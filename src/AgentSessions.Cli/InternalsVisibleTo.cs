// The fuzz tests parse mutated argument arrays with CliApp.BuildRootCommand() in-process (parse only, never invoke).
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("AgentSessions.Tests")]
