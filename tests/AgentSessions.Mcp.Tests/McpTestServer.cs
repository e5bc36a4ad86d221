using System.IO.Pipelines;
using System.Text.Json;
using AgentSessions.Sqlite;
using AgentSessions.Testing;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Xunit;

namespace AgentSessions.Mcp.Tests;

/// <summary>
/// The server run in this process over a real SQLite store in a temp directory, with the SDK's own client on the
/// other end of a pair of pipes (the SDK's stream transports): the protocol as a client sees it, without a process.
/// </summary>
public sealed class McpTestServer : IAsyncDisposable
{
    private readonly TempDirectory _directory;
    private readonly CancellationTokenSource _stop = new();
    private readonly Pipe _toServer = new();
    private readonly Pipe _toClient = new();
    private readonly StringWriter _log = new();
    private Task _running = Task.CompletedTask;

    private McpTestServer(TempDirectory directory, SessionService service)
    {
        _directory = directory;
        Service = service;
    }

    /// <summary>The service over the store the server serves, to seed it and to check what tools did.</summary>
    public SessionService Service { get; }

    /// <summary>The client, connected and initialised.</summary>
    public McpClient Client { get; private set; } = null!;

    /// <summary>What the server logged.</summary>
    public string Log => _log.ToString();

    public static async Task<McpTestServer> StartAsync(bool allowWrite = false, Func<SessionService, Task>? seed = null, [System.Runtime.CompilerServices.CallerMemberName] string caller = "")
    {
        var directory = TempDirectory.ForCaller(caller);
        var server = new McpTestServer(directory, new SessionService(SqliteSessionStore.Open(directory.Path), ownsStore: true));
        if (seed is not null)
        {
            await seed(server.Service);
        }

        var settings = new McpServerSettings { AllowWrite = allowWrite, Log = TextWriter.Synchronized(server._log) };
        server._running = AgentSessionsMcpServer.RunAsync(server.Service, settings, server._toServer.Reader.AsStream(), server._toClient.Writer.AsStream(), server._stop.Token);
        server.Client = await McpClient.CreateAsync(new StreamClientTransport(server._toServer.Writer.AsStream(), server._toClient.Reader.AsStream()));
        return server;
    }

    /// <summary>Calls a tool with arguments given as JSON.</summary>
    public Task<CallToolResult> CallAsync(string tool, string argumentsJson = "{}")
    {
        var arguments = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(argumentsJson)!
            .ToDictionary(p => p.Key, p => (object?)p.Value);
        return Client.CallToolAsync(tool, arguments).AsTask();
    }

    /// <summary>Calls a tool that must succeed; returns its structured result.</summary>
    public async Task<JsonElement> CallOkAsync(string tool, string argumentsJson = "{}")
    {
        var result = await CallAsync(tool, argumentsJson);
        Assert.True(result.IsError is not true, $"{tool} failed: {Text(result)}");
        var structured = Assert.IsType<JsonElement>(result.StructuredContent);
        // The text content carries the same result, for clients that ignore structured content.
        Assert.True(JsonElement.DeepEquals(structured, JsonDocument.Parse(Text(result)).RootElement), $"the text and structured results differ: {Text(result)}");
        return structured;
    }

    /// <summary>Calls a tool that must fail with a tool error (not a protocol error); returns its message.</summary>
    public async Task<string> CallErrorAsync(string tool, string argumentsJson = "{}")
    {
        var result = await CallAsync(tool, argumentsJson);
        Assert.True(result.IsError, $"{tool} {argumentsJson} succeeded: {Text(result)}");
        Assert.Null(result.StructuredContent);
        return Text(result);
    }

    public static string Text(CallToolResult result) => string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text));

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        _toServer.Writer.Complete();
        await _stop.CancelAsync();
        await _running;
        await Service.DisposeAsync();
        _stop.Dispose();
        _directory.Dispose();
    }
}
