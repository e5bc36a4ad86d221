// The fuzz tests parse mutated argument arrays with CliApp.BuildRootCommand() in-process (parse only, never invoke);
// TerminalTextTests check the neutraliser of stored text on its own.
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("AgentSessions.Tests")]
