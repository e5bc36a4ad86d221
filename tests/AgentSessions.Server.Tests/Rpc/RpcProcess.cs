using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace AgentSessions.Server.Tests.Rpc;

/// <summary>
/// Runs <c>agent-sessions rpc</c> as a process, as an editor does, and speaks framed JSON-RPC over its pipes.
/// Every read is bounded by a timeout, so a server that hangs fails the test instead of the suite.
/// </summary>
internal sealed class RpcProcess : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly Stream _stdin;
    private readonly Stream _stdout;
    private readonly Task<string> _stderr;
    private int _nextId;

    private RpcProcess(Process process)
    {
        _process = process;
        _stdin = process.StandardInput.BaseStream;
        _stdout = new BufferedStream(process.StandardOutput.BaseStream);
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public static string Dll => AgentSessions.Testing.BuiltTool.CliDll;

    /// <summary>The variables chat.send falls back to: never inherited from the test's own environment.</summary>
    public static readonly string[] ChatVariables = ["AGENT_SESSIONS_ENDPOINT", "AGENT_SESSIONS_MODEL", "OPENAI_API_KEY", "AGENT_SESSIONS_API_KEY"];

    public static RpcProcess Start(string storeDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        // Frames are read from the raw stdout stream, so the reader's text encoding plays no part.
        var info = AgentSessions.Testing.BuiltTool.StartInfo(["rpc", "--store", storeDirectory]);
        info.Environment.Remove("AGENT_SESSIONS_HOME");
        info.Environment.Remove("AGENT_SESSIONS_DEBUG");
        foreach (var name in ChatVariables)
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return new RpcProcess(Process.Start(info)!);
    }

    /// <summary>What the server wrote to stderr; complete once it has exited.</summary>
    public Task<string> Stderr => _stderr;

    // ---- sending ----

    public static byte[] Frame(byte[] body)
        => [.. Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n\r\n")), .. body];

    public static byte[] Frame(string json) => Frame(Encoding.UTF8.GetBytes(json));

    public async Task SendRawAsync(byte[] bytes)
    {
        await _stdin.WriteAsync(bytes);
        await _stdin.FlushAsync();
    }

    public Task SendFrameAsync(string json) => SendRawAsync(Frame(json));

    public static string Request(object? id, string method, object? parameters = null)
    {
        var request = new JsonObject { ["jsonrpc"] = "2.0" };
        if (id is not null)
        {
            request["id"] = JsonValue.Create(id);
        }

        request["method"] = method;
        if (parameters is not null)
        {
            request["params"] = JsonSerializer.SerializeToNode(parameters);
        }

        return request.ToJsonString();
    }

    public Task NotifyAsync(string method, object? parameters = null) => SendFrameAsync(Request(null, method, parameters));

    /// <summary>Sends a request and returns the whole response, checking that it answers this request.</summary>
    public async Task<JsonElement> CallAsync(string method, object? parameters = null)
    {
        var id = ++_nextId;
        await SendFrameAsync(Request(id, method, parameters));
        var response = await ReadAsync();
        Assert.Equal("2.0", response.GetProperty("jsonrpc").GetString());
        Assert.Equal(id, response.GetProperty("id").GetInt32());
        return response;
    }

    /// <summary>Sends a request without waiting for its answer; returns its id (see <see cref="ReadResponseAsync"/>).</summary>
    public async Task<int> SendRequestAsync(string method, object? parameters = null)
    {
        var id = ++_nextId;
        await SendFrameAsync(Request(id, method, parameters));
        return id;
    }

    /// <summary>
    /// Reads until the response to request <paramref name="id"/>, adding the notifications met on the way to
    /// <paramref name="notifications"/> (in order) and failing on a response to any other request.
    /// </summary>
    public async Task<JsonElement> ReadResponseAsync(int id, List<JsonElement>? notifications = null)
    {
        while (true)
        {
            var message = await ReadAsync();
            if (!message.TryGetProperty("id", out var responseId))
            {
                Assert.True(notifications is not null, $"unexpected notification: {message}");
                notifications.Add(message);
                continue;
            }

            Assert.Equal(id, responseId.GetInt32());
            return message;
        }
    }

    /// <summary>Calls and insists on success, returning the result.</summary>
    public async Task<JsonElement> ResultAsync(string method, object? parameters = null)
    {
        var response = await CallAsync(method, parameters);
        Assert.False(response.TryGetProperty("error", out var error), $"{method} failed: {error}");
        return response.GetProperty("result");
    }

    /// <summary>Calls and insists on an error with this code, returning the error object.</summary>
    public async Task<JsonElement> ErrorAsync(int code, string method, object? parameters = null)
    {
        var response = await CallAsync(method, parameters);
        Assert.True(response.TryGetProperty("error", out var error), $"{method} succeeded: {response}");
        Assert.Equal(code, error.GetProperty("code").GetInt32());
        Assert.False(response.TryGetProperty("result", out _));
        return error;
    }

    // ---- receiving ----

    /// <summary>Reads one framed message; fails on a timeout, on end of output, or on anything that is not a frame.</summary>
    public async Task<JsonElement> ReadAsync(TimeSpan? timeout = null)
        => await ReadFrameOrEndAsync().WaitAsync(timeout ?? Timeout) ?? throw new Xunit.Sdk.XunitException($"the server closed stdout; stderr: {await StderrSoFar()}");

    /// <summary>Reads to the end of stdout, insisting that nothing more comes.</summary>
    public async Task AssertNoMoreOutputAsync(TimeSpan? timeout = null)
    {
        var next = await ReadFrameOrEndAsync().WaitAsync(timeout ?? Timeout);
        Assert.True(next is null, $"unexpected output: {next}");
    }

    private async Task<JsonElement?> ReadFrameOrEndAsync()
    {
        // Strict on purpose: the server may write nothing but "Content-Length: N\r\n\r\n" and N bytes of JSON.
        var header = new List<byte>();
        while (!(header.Count >= 4 && header[^4] == '\r' && header[^3] == '\n' && header[^2] == '\r' && header[^1] == '\n'))
        {
            var one = new byte[1];
            if (await _stdout.ReadAsync(one) == 0)
            {
                Assert.True(header.Count == 0, $"stdout ended inside a header: {Encoding.ASCII.GetString([.. header])}");
                return null;
            }

            header.Add(one[0]);
            Assert.True(header.Count < 100, $"not a frame header: {Encoding.UTF8.GetString([.. header])}");
        }

        var text = Encoding.ASCII.GetString([.. header]);
        Assert.Matches(@"^Content-Length: \d+\r\n\r\n$", text);
        var body = new byte[int.Parse(text["Content-Length: ".Length..^4], CultureInfo.InvariantCulture)];
        await _stdout.ReadExactlyAsync(body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Reads one framed message, or null at the end of output (fails on a timeout or a torn frame).</summary>
    public Task<JsonElement?> ReadOrEndAsync(TimeSpan? timeout = null) => ReadFrameOrEndAsync().WaitAsync(timeout ?? Timeout);

    // ---- lifetime ----

    /// <summary>SIGKILL: no flush, no clean-up. What the server wrote before it died can still be read.</summary>
    public async Task KillAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        await _process.WaitForExitAsync();
    }

    public void CloseInput() => _stdin.Close();

    /// <summary>Waits for the process to end (failing after the timeout) and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? Timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"the server did not exit within {timeout ?? Timeout}; stderr: {await StderrSoFar()}");
        }

        return _process.ExitCode;
    }

    private async Task<string> StderrSoFar() => _process.HasExited ? await _stderr : "(still running)";

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
