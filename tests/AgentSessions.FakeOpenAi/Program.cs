using System.Globalization;
using AgentSessions.FakeOpenAi;

// The process mode, for tests that run agent-sessions as a process (CLI, tmux, RPC): the base URL is the first
// line on stdout, so a test (or a shell script) reads one line and points the tool at it.
const string Usage = """
    usage: AgentSessions.FakeOpenAi [--port N] [--script FILE] [--record FILE] [--chunk-delay-ms N] [--exit-with-stdin]
      --port N            port on 127.0.0.1 (default 0: a free one)
      --script FILE       replies to queue: {"replies": [...], "chunkDelayMs": N, "models": [...]} or a replies array
      --record FILE       append every request received as one JSON line (the API key only as its SHA-256)
      --chunk-delay-ms N  pause before each streamed chunk of a reply that sets none (default 0)
      --exit-with-stdin   stop when stdin reaches its end (the test that started it is gone)
    prints its base URL (http://127.0.0.1:PORT/v1) as the first stdout line; stops on SIGTERM or Ctrl+C
    """;

var options = new FakeOpenAiOptions();
string? script = null;
var exitWithStdin = false;
for (var i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    try
    {
        switch (args[i])
        {
            case "--port":
                options = options with { Port = int.Parse(Value(), CultureInfo.InvariantCulture) };
                break;
            case "--script":
                script = Value();
                break;
            case "--record":
                options = options with { RecordPath = Value() };
                break;
            case "--chunk-delay-ms":
                options = options with { ChunkDelayMs = int.Parse(Value(), CultureInfo.InvariantCulture) };
                break;
            case "--exit-with-stdin":
                exitWithStdin = true;
                break;
            case "--help" or "-h":
                Console.WriteLine(Usage);
                return 0;
            default:
                throw new ArgumentException($"unknown option {args[i]}");
        }
    }
    catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
    {
        Console.Error.WriteLine($"fake-openai: {e.Message}\n{Usage}");
        return 2;
    }
}

try
{
    // The script's own chunk delay wins over --chunk-delay-ms only when it sets one.
    options = script is null ? options : FakeOpenAiScript.Load(script, options);
}
catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"fake-openai: {e.Message}");
    return 2;
}

await using var server = await FakeOpenAiServer.StartAsync(options);
Console.Out.WriteLine(server.BaseUrl);
Console.Out.Flush();
using var stop = new CancellationTokenSource();
if (exitWithStdin)
{
    _ = Task.Run(async () =>
    {
        // Reads to the end, whatever is written: a closed pipe means the test that owns this process has gone.
        await Console.OpenStandardInput().CopyToAsync(Stream.Null);
        await stop.CancelAsync();
    });
}

try
{
    await server.WaitForShutdownAsync(stop.Token);
}
catch (OperationCanceledException)
{
    // stdin closed.
}

return 0;
