using System.CommandLine;
using AgentSessions.Server.Rpc;
using AgentSessions.Sqlite;

namespace AgentSessions.Cli.Commands;

/// <summary>rpc: JSON-RPC 2.0 on stdin/stdout with LSP framing, for editors and agents (docs/protocol.md).</summary>
internal static class RpcCommand
{
    public static void AddTo(RootCommand root)
    {
        var command = new Command("rpc", "Serve JSON-RPC 2.0 on stdin/stdout (LSP Content-Length framing) until exit or end of input; see docs/protocol.md");
        command.SetAction(async (parse, ct) =>
        {
            var storeDirectory = CliApp.StoreDirectory(parse);
            await using var service = CliApp.OpenService(parse);
            await using var stdin = Console.OpenStandardInput();
            await using var stdout = Console.OpenStandardOutput();
            // stdout carries only framed messages: anything else that writes to Console.Out (a library, a stray
            // diagnostic) goes to stderr instead of corrupting the stream.
            var originalOut = Console.Out;
            Console.SetOut(Console.Error);
            try
            {
                var server = new RpcServer(service, new RpcServerOptions
                {
                    StoreDirectory = storeDirectory,
                    Log = Console.Error,
                    Debug = Environment.GetEnvironmentVariable("AGENT_SESSIONS_DEBUG") == "1",
                });
                return await server.RunAsync(stdin, stdout, ct);
            }
            finally
            {
                Console.SetOut(originalOut);
            }
        });
        root.Add(command);
    }
}
