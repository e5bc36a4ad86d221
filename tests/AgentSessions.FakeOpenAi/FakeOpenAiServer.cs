using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentSessions.FakeOpenAi;

/// <summary>
/// An OpenAI-compatible chat server for tests on a real socket on 127.0.0.1: <c>POST /v1/chat/completions</c> (plain and
/// <c>"stream": true</c>), <c>GET /v1/models</c>. It answers from a queue of <see cref="ScriptedReply"/> values, then with
/// <see cref="ScriptedReply.Echo"/>, and records every request it receives (<see cref="Requests"/>).
/// </summary>
/// <remarks>
/// <para>Point any OpenAI client at <see cref="BaseUrl"/> with any API key and any model name.</para>
/// <para>
/// Two control routes, for a test that runs the server as a process (<see cref="FakeOpenAiProcess"/>) and scripts it
/// while it runs; they are not recorded: <c>POST /_fake/replies</c> queues a reply (a JSON object) or several (an
/// array), <c>GET /_fake/requests</c> returns the recorded requests as a JSON array.
/// </para>
/// </remarks>
public sealed partial class FakeOpenAiServer : IAsyncDisposable
{
    private const string RequestKey = "fake-openai.request";

    private readonly WebApplication _app;
    private readonly FakeOpenAiOptions _options;
    private readonly Lock _gate = new();
    private readonly Queue<ScriptedReply> _replies;
    private readonly List<RecordedRequest> _requests = [];
    private readonly StreamWriter? _record;
    private int _sequence;

    private FakeOpenAiServer(FakeOpenAiOptions options, StreamWriter? record)
    {
        _options = options;
        _replies = new Queue<ScriptedReply>(options.Replies);
        _record = record;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            EnvironmentName = Environments.Production,
            // Not the working directory: nothing there should configure a test's server.
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, options.Port));
        _app = builder.Build();
        _app.Use(RecordAsync);
        _app.MapPost("/v1/chat/completions", ChatCompletionsAsync);
        _app.MapGet("/v1/models", ModelsAsync);
        _app.MapPost("/_fake/replies", EnqueueAsync);
        _app.MapGet("/_fake/requests", (HttpContext context) => context.Response.WriteAsync(RequestsJson()));
        _app.MapFallback((HttpContext context) => ErrorAsync(context, 404, $"no route {context.Request.Method} {context.Request.Path}", "not_found"));
    }

    /// <summary>The OpenAI base URL, <c>http://127.0.0.1:PORT/v1</c>, as clients take it (their <c>Endpoint</c>).</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>The port it listens on (the one picked, for port 0).</summary>
    public int Port { get; private set; }

    /// <summary>Every request received so far but the control routes', in order of arrival.</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>The requests to <c>/v1/chat/completions</c> so far, in order.</summary>
    public IReadOnlyList<RecordedRequest> ChatRequests => [.. Requests.Where(r => r.Path == "/v1/chat/completions")];

    /// <summary>How many queued replies no request has taken yet.</summary>
    public int PendingReplies
    {
        get
        {
            lock (_gate)
            {
                return _replies.Count;
            }
        }
    }

    /// <summary>Starts a server on 127.0.0.1 (the port of <see cref="FakeOpenAiOptions.Port"/>, a free one by default).</summary>
    public static async Task<FakeOpenAiServer> StartAsync(FakeOpenAiOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new FakeOpenAiOptions();
        StreamWriter? record = null;
        if (options.RecordPath is { } path)
        {
            // Shared read: tests read the file while the server appends to it.
            record = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete), new UTF8Encoding(false));
        }

        var server = new FakeOpenAiServer(options, record);
        try
        {
            await server._app.StartAsync(cancellationToken);
            var address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            server.Port = new Uri(address).Port;
            server.BaseUrl = $"http://127.0.0.1:{server.Port}/v1";
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Queues replies, taken one per chat request after those queued before.</summary>
    public void Enqueue(params ScriptedReply[] replies)
    {
        ArgumentNullException.ThrowIfNull(replies);
        lock (_gate)
        {
            foreach (var reply in replies)
            {
                _replies.Enqueue(reply ?? throw new ArgumentException("a null reply", nameof(replies)));
            }
        }
    }

    /// <summary>Completes when the host is asked to stop (SIGTERM, Ctrl+C in the process mode) or <paramref name="cancellationToken"/> fires.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    /// <summary>Stops listening (answers in progress are cut) and closes the record file.</summary>
    public async ValueTask DisposeAsync()
    {
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                await _app.StopAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // A slow stream still running: disposing the host cuts it.
            }
        }

        await _app.DisposeAsync();
        if (_record is not null)
        {
            await _record.DisposeAsync();
        }
    }

    private async Task RecordAsync(HttpContext context, RequestDelegate next)
    {
        if (context.Request.Path.StartsWithSegments("/_fake"))
        {
            await next(context);
            return;
        }

        JsonElement? body = null;
        using (var buffer = new MemoryStream())
        {
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            if (buffer.Length > 0)
            {
                try
                {
                    body = JsonDocument.Parse(buffer.ToArray()).RootElement.Clone();
                }
                catch (JsonException)
                {
                    // Recorded without a body; the chat route answers 400.
                }
            }
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in context.Request.Headers)
        {
            headers[name] = name.Equals("Authorization", StringComparison.OrdinalIgnoreCase) ? "<redacted>" : values.ToString();
        }

        var authorization = context.Request.Headers.Authorization.ToString();
        var key = authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : null;
        RecordedRequest request;
        lock (_gate)
        {
            request = new RecordedRequest
            {
                Sequence = ++_sequence,
                ReceivedAt = DateTimeOffset.UtcNow,
                Method = context.Request.Method,
                Path = context.Request.Path.Value ?? "",
                Headers = headers,
                HasAuthorization = authorization.Length > 0,
                ApiKeySha256 = key is null ? null : RecordedRequest.Sha256(key),
                Body = body,
            };
            _requests.Add(request);
            if (_record is not null)
            {
                // Whole lines, flushed each: a test may read the file while the server runs, or after killing it.
                _record.WriteLine(request.ToJsonLine());
                _record.Flush();
            }
        }

        context.Items[RequestKey] = request;
        await next(context);
    }

    private ScriptedReply NextReply(RecordedRequest request)
    {
        lock (_gate)
        {
            if (_replies.TryDequeue(out var reply))
            {
                return reply;
            }
        }

        return (_options.Fallback ?? ScriptedReply.Echo)(request);
    }

    private async Task EnqueueAsync(HttpContext context)
    {
        ScriptedReply[] replies;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            replies = document.RootElement.ValueKind == JsonValueKind.Array
                ? document.RootElement.Deserialize<ScriptedReply[]>(FakeOpenAiScript.JsonOptions) ?? []
                : [document.RootElement.Deserialize<ScriptedReply>(FakeOpenAiScript.JsonOptions)!];
        }
        catch (JsonException e)
        {
            await ErrorAsync(context, 400, $"not a reply: {e.Message}", "invalid_request_error");
            return;
        }

        Enqueue(replies);
        context.Response.StatusCode = 204;
    }

    private string RequestsJson()
    {
        var requests = Requests;
        var json = new StringBuilder("[");
        for (var i = 0; i < requests.Count; i++)
        {
            json.Append(i == 0 ? "" : ",").Append(requests[i].ToJsonLine());
        }

        return json.Append(']').ToString();
    }

    private Task ModelsAsync(HttpContext context)
    {
        var json = new StringBuilder("""{"object":"list","data":[""");
        for (var i = 0; i < _options.Models.Count; i++)
        {
            json.Append(i == 0 ? "" : ",")
                .Append(JsonSerializer.Serialize(new { id = _options.Models[i], @object = "model", created = 0, owned_by = "agent-sessions-fake" }, FakeOpenAiScript.WireOptions));
        }

        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json.Append("]}").ToString(), context.RequestAborted);
    }

    private static Task ErrorAsync(HttpContext context, int status, string message, string type)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(ErrorJson(message, type, status), context.RequestAborted);
    }

    private static string ErrorJson(string message, string type, int? status) =>
        JsonSerializer.Serialize(new { error = new { message, type, param = (string?)null, code = status?.ToString(System.Globalization.CultureInfo.InvariantCulture) } }, FakeOpenAiScript.WireOptions);
}
