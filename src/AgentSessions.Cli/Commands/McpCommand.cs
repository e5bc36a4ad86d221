using System.CommandLine;
using AgentSessions.Mcp;

namespace AgentSessions.Cli.Commands;

/// <summary>mcp: a Model Context Protocol server on stdin/stdout, for coding agents (docs/mcp.md).</summary>
internal static class McpCommand
{
    public static void AddTo(RootCommand root)
    {
        var allowWrite = new Option<bool>("--allow-write")
        {
            Description = "Offer the write tools too (add_note, bookmark, tag); without it the server only reads. Nothing deletes.",
        };
        var command = new Command("mcp", "Serve the store to MCP clients (coding agents) over stdin/stdout until the client closes stdin; see docs/mcp.md")
        {
            allowWrite,
        };
        command.SetAction(async (parse, ct) =>
        {
            await using var service = CliApp.OpenService(parse);
            // stdout carries only protocol messages: anything else that writes to Console.Out (a library, a stray
            // diagnostic) goes to stderr instead of corrupting the stream. The transport writes to the raw stdout.
            var originalOut = Console.Out;
            Console.SetOut(Console.Error);
            try
            {
                await AgentSessionsMcpServer.RunStdioAsync(service, new McpServerSettings
                {
                    AllowWrite = parse.GetValue(allowWrite),
                    Log = Console.Error,
                    Debug = Environment.GetEnvironmentVariable("AGENT_SESSIONS_DEBUG") == "1",
                }, ct);
                return 0;
            }
            finally
            {
                Console.SetOut(originalOut);
            }
        });
        root.Add(command);
    }
}
