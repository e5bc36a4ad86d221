using AgentSessions.Cli;

return await CliApp.RunAsync(args);
