using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;
using AgentSessions.Formats;

namespace AgentSessions.Server.Rpc;

/// <summary>Settings of <see cref="RpcServer"/>.</summary>
public sealed record RpcServerOptions
{
    /// <summary>The default for <see cref="MaxMessageBytes"/>: 64 MiB.</summary>
    public const long DefaultMaxMessageBytes = 64L * 1024 * 1024;

    /// <summary>The store directory, where <c>serve</c> writes <c>server.json</c> (for share URLs); <see langword="null"/> when unknown.</summary>
    public string? StoreDirectory { get; init; }

    /// <summary>The largest request body accepted; a larger one is answered with an error and ends the connection.</summary>
    public long MaxMessageBytes { get; init; } = DefaultMaxMessageBytes;

    /// <summary>Where diagnostics go (standard error for <c>agent-sessions rpc</c>); never the protocol stream.</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Whether internal errors are logged with their stack traces.</summary>
    public bool Debug { get; init; }
}

/// <summary>
/// A JSON-RPC 2.0 server over a pair of streams with LSP framing: one connection, requests handled in order,
/// one response per request, none for notifications. The protocol is documented in docs/protocol.md.
/// </summary>
/// <remarks>
/// The server never throws for anything the peer sends: bad frames, bad JSON and bad requests become error
/// responses, and a stream it cannot recover from ends the connection cleanly. Nothing but framed messages is
/// written to the output stream. The store's lifetime belongs to the caller.
/// </remarks>
public sealed class RpcServer
{
    private const string CancelMethod = "$/cancelRequest";

    /// <summary>The most messages read ahead while a request runs; past it (or past a frame's worth of bytes) the server stops reading until it catches up.</summary>
    /// <remarks>So a client that pipelines without waiting cannot fill the server's memory; the pipe then pushes back.</remarks>
    internal const int MaxWaitingMessages = 1024;

    private readonly SessionService _service;
    private readonly RpcServerOptions _options;

    /// <summary>Creates a server over a session service.</summary>
    public RpcServer(SessionService service, RpcServerOptions? options = null)
    {
        _service = service ?? throw new ArgumentNullException(nameof(service));
        _options = options ?? new RpcServerOptions();
    }

    /// <summary>Serves one connection until <c>exit</c>, the end of the input, or cancellation.</summary>
    /// <returns>
    /// The process exit code: 0 at the end of the input or on <c>exit</c> after <c>shutdown</c>; 1 on <c>exit</c>
    /// without <c>shutdown</c> (as in LSP), or when the connection had to be closed because of an oversize frame.
    /// </returns>
    /// <remarks>
    /// Messages are handled one at a time, in the order they arrive, but while a <c>chat.send</c> runs the input is
    /// read on: a <c>$/cancelRequest</c> notification takes effect at once (it cancels the running <c>chat.send</c>, or
    /// a request still waiting its turn), and everything else waits in order behind the request in progress.
    /// </remarks>
    public async Task<int> RunAsync(Stream input, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var reader = new FrameReader(input, _options.MaxMessageBytes);
        // Linked so that leaving for any reason (a lost peer included) cancels a request still running.
        using var connectionLifetime = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var lifetime = connectionLifetime.Token;
        var connection = new Connection(new FrameWriter(output), lifetime);
        using var methods = new RpcMethods(_service, _options, connection.WriteNotificationAsync);
        var inbox = new Queue<Inbound>();
        long waitingBytes = 0;
        Task<Frame>? read = null;
        Task<int?>? running = null;
        var readingAhead = false;
        var ended = false;
        try
        {
            while (true)
            {
                if (running is not null)
                {
                    // With nothing more to read, or enough read ahead, only the running request can move things on.
                    if (running.IsCompleted || ended || (read is null && (!readingAhead || inbox.Count >= MaxWaitingMessages || waitingBytes >= _options.MaxMessageBytes)))
                    {
                        var code = await running.ConfigureAwait(false);
                        running = null;
                        if (code is { } exit)
                        {
                            return exit;
                        }

                        continue;
                    }
                }
                else if (inbox.TryDequeue(out var next))
                {
                    waitingBytes -= next.Bytes;
                    // Only a long request (chat.send) has the input read on while it runs: for the short ones,
                    // a read and a WhenAny beside every response write cost the round trip about 0.03 ms (rpc-append bench).
                    readingAhead = next.ReadAhead;
                    running = HandleAsync(methods, connection, next, lifetime);
                    continue;
                }
                else if (ended)
                {
                    return 0;
                }

                read ??= reader.ReadAsync(lifetime).AsTask();
                if (running is not null)
                {
                    // A request is in progress (a chat.send streaming its answer): read on, so that a
                    // $/cancelRequest reaches it, and come back to whichever finishes first.
                    await Task.WhenAny(read, running).ConfigureAwait(false);
                    if (!read.IsCompleted)
                    {
                        continue;
                    }
                }

                var frame = await read.ConfigureAwait(false);
                read = null;
                switch (frame.Kind)
                {
                    case FrameKind.EndOfStream:
                        ended = true;
                        break;
                    case FrameKind.Truncated:
                        Log("the input ended in the middle of a message; closing");
                        ended = true;
                        break;
                    case FrameKind.Malformed:
                        inbox.Enqueue(Inbound.Answer(ErrorResponse(default, RpcErrors.ParseError, "malformed frame: " + frame.Problem, null)));
                        break;
                    case FrameKind.TooLarge:
                        // The body is not read (it could be anything up to the stream's end), so there is no
                        // way back to a frame boundary: answer (in turn), then close.
                        inbox.Enqueue(Inbound.Close(ErrorResponse(default, RpcErrors.For(ErrorCode.TooLarge), frame.Problem + "; closing the connection", nameof(ErrorCode.TooLarge)), frame.Problem!));
                        ended = true;
                        break;
                    default:
                        var inbound = Parse(frame.Body);
                        waitingBytes += inbound.Bytes;
                        if (inbound.Document is { } document && IsCancelRequest(document.RootElement))
                        {
                            using (document)
                            {
                                await HandleCancelAsync(connection, document.RootElement).ConfigureAwait(false);
                            }

                            waitingBytes -= inbound.Bytes;
                        }
                        else
                        {
                            connection.Register(inbound);
                            inbox.Enqueue(inbound);
                        }

                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or ConnectionLostException)
        {
            // The client closed its end of a pipe: nobody is left to answer.
            Log($"connection lost: {e.Message}");
            return 0;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 0;
        }
        finally
        {
            await connectionLifetime.CancelAsync().ConfigureAwait(false);
            // A request still running (the peer went away mid-answer) ends on the cancellation, its partial
            // answer stored; the read in flight ends with it, or with the process.
            await Quietly(running).ConfigureAwait(false);
            if (read is not null)
            {
                _ = Quietly(read);
            }

            foreach (var left in inbox)
            {
                left.Document?.Dispose();
            }
        }
    }

    /// <summary>Handles one queued message and writes its answer; returns the exit code when the connection is to end.</summary>
    private async Task<int?> HandleAsync(RpcMethods methods, Connection connection, Inbound inbound, CancellationToken cancellationToken)
    {
        if (inbound.Document is not { } document)
        {
            await connection.WriteAsync(inbound.Ready!, cancellationToken).ConfigureAwait(false);
            if (inbound.Problem is { } problem)
            {
                Log(problem + "; closing");
                return 1;
            }

            return null;
        }

        using (document)
        {
            if (await HandleBodyAsync(methods, connection, document.RootElement, cancellationToken).ConfigureAwait(false) is { } response)
            {
                await connection.WriteAsync(response, cancellationToken).ConfigureAwait(false);
            }
        }

        return methods.ExitCode;
    }

    /// <summary>Checks and parses one message body: a document to handle, or the error response to send.</summary>
    private static Inbound Parse(ReadOnlyMemory<byte> body)
    {
        var bytes = body.Span.StartsWith("\uFEFF"u8) ? body[3..] : body;
        if (!Utf8.IsValid(bytes.Span))
        {
            return Inbound.Answer(ErrorResponse(default, RpcErrors.ParseError, "the message is not valid UTF-8", null));
        }

        try
        {
            // The frame reader gives each body an array of its own, so the document may keep it while it waits.
            return Inbound.Of(JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 128 }), body.Length);
        }
        catch (JsonException e)
        {
            return Inbound.Answer(ErrorResponse(default, RpcErrors.ParseError, $"the message is not valid JSON (line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1})", null));
        }
    }

    /// <summary>Handles one message: a request, a notification or a batch; null when nothing is to be sent.</summary>
    private async Task<byte[]?> HandleBodyAsync(RpcMethods methods, Connection connection, JsonElement root, CancellationToken cancellationToken)
    {
        if (root.ValueKind != JsonValueKind.Array)
        {
            return await HandleRequestAsync(methods, connection, root, cancellationToken).ConfigureAwait(false);
        }

        // A batch: handled in order, answered with one array holding the responses to its requests.
        if (root.GetArrayLength() == 0)
        {
            return ErrorResponse(default, RpcErrors.InvalidRequest, "an empty batch", null);
        }

        var responses = new List<byte[]>();
        foreach (var element in root.EnumerateArray())
        {
            if (await HandleRequestAsync(methods, connection, element, cancellationToken).ConfigureAwait(false) is { } response)
            {
                responses.Add(response);
            }

            if (methods.ExitCode is not null)
            {
                break;
            }
        }

        if (responses.Count == 0)
        {
            return null;
        }

        var joined = new ArrayBufferWriter<byte>();
        joined.Write("["u8);
        for (var i = 0; i < responses.Count; i++)
        {
            if (i > 0)
            {
                joined.Write(","u8);
            }

            joined.Write(responses[i]);
        }

        joined.Write("]"u8);
        return joined.WrittenSpan.ToArray();
    }

    /// <summary>Whether a message is the <c>$/cancelRequest</c> notification (or request), handled as soon as it is read.</summary>
    private static bool IsCancelRequest(JsonElement root)
        => root.ValueKind == JsonValueKind.Object
           && root.TryGetProperty("method", out var method)
           && method.ValueKind == JsonValueKind.String
           && method.ValueEquals(CancelMethod);

    /// <summary>
    /// <c>$/cancelRequest {id}</c>: cancels that request if it is running or waiting; an unknown or finished id is
    /// ignored, as LSP asks. Sent as a request, it is answered with null at once.
    /// </summary>
    private static async ValueTask HandleCancelAsync(Connection connection, JsonElement root)
    {
        if (root.TryGetProperty("params", out var p) && p.ValueKind == JsonValueKind.Object
            && p.TryGetProperty("id", out var target) && Connection.Key(target) is { } key)
        {
            await connection.CancelAsync(key).ConfigureAwait(false);
        }

        if (root.TryGetProperty("id", out var id) && id.ValueKind is JsonValueKind.String or JsonValueKind.Number)
        {
            await connection.WriteAsync(Response(id, RpcMethods.NullResult), connection.Lifetime).ConfigureAwait(false);
        }
    }

    private async Task<byte[]?> HandleRequestAsync(RpcMethods methods, Connection connection, JsonElement request, CancellationToken cancellationToken)
    {
        if (request.ValueKind != JsonValueKind.Object)
        {
            return ErrorResponse(default, RpcErrors.InvalidRequest, "a request must be a JSON object", null);
        }

        var hasId = request.TryGetProperty("id", out var id);
        if (hasId && id.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null))
        {
            return ErrorResponse(default, RpcErrors.InvalidRequest, "\"id\" must be a string, a number or null", null);
        }

        // Registered when the message was read, so a $/cancelRequest could reach it while it waited; released on
        // every path from here, an invalid request's and a batched $/cancelRequest's too: a source left behind
        // would stay for the connection's life, and a later request with the same id would inherit it (cancelled).
        var key = hasId ? Connection.Key(id) : null;
        var cancellation = key is null ? null : connection.Find(key);
        try
        {
            return await HandleRegisteredAsync(methods, connection, request, hasId ? id : null, cancellation, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (cancellation is not null)
            {
                connection.Complete(key!, cancellation);
            }
        }
    }

    /// <summary>Checks and runs one request whose id (if any) is valid; <paramref name="cancellation"/> is its registered source, if any.</summary>
    private async Task<byte[]?> HandleRegisteredAsync(RpcMethods methods, Connection connection, JsonElement request, JsonElement? requestId, CancellationTokenSource? cancellation, CancellationToken cancellationToken)
    {
        var hasId = requestId is not null;
        var id = requestId.GetValueOrDefault();
        if (!request.TryGetProperty("jsonrpc", out var version) || version.ValueKind != JsonValueKind.String || version.GetString() != "2.0")
        {
            return ErrorResponse(id, RpcErrors.InvalidRequest, "\"jsonrpc\" must be \"2.0\"", null);
        }

        if (!request.TryGetProperty("method", out var methodElement) || methodElement.ValueKind != JsonValueKind.String)
        {
            return ErrorResponse(id, RpcErrors.InvalidRequest, "\"method\" must be a string", null);
        }

        JsonElement? parameters = null;
        if (request.TryGetProperty("params", out var p))
        {
            if (p.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array or JsonValueKind.Null))
            {
                return ErrorResponse(id, RpcErrors.InvalidRequest, "\"params\" must be an object", null);
            }

            parameters = p;
        }

        var method = methodElement.GetString()!;
        if (method == CancelMethod)
        {
            // In a batch, or after the request it names: it still cancels what it can.
            await HandleCancelAsync(connection, request).ConfigureAwait(false);
            return null;
        }

        try
        {
            if (cancellation is { IsCancellationRequested: true })
            {
                return hasId ? ErrorResponse(id, RpcErrors.RequestCancelled, $"'{method}' was cancelled before it ran", "Cancelled") : null;
            }

            var call = new RpcCall(hasId ? id : null, cancellation?.Token ?? cancellationToken);
            var result = await methods.InvokeAsync(method, parameters, call, cancellationToken).ConfigureAwait(false);
            return hasId ? Response(id, result) : null;
        }
        catch (RpcException e)
        {
            return hasId ? ErrorResponse(id, e.Code, e.Message, e.DataCode, e.DataProperties) : null;
        }
        catch (AgentSessionsException e)
        {
            return hasId ? ErrorResponse(id, RpcErrors.For(e.Code), ErrorHints.ForRpc(e), e.Code.ToString()) : null;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is not (OutOfMemoryException or ConnectionLostException))
        {
            // A bug: the peer gets a generic answer, stderr gets the details, and the connection goes on.
            Log(_options.Debug ? $"internal error in {method}: {e}" : $"internal error in {method}: {e.GetType().Name}: {e.Message} (set AGENT_SESSIONS_DEBUG=1 for details)");
            return hasId ? ErrorResponse(id, RpcErrors.InternalError, $"internal error ({e.GetType().Name}); see the server's stderr", null) : null;
        }
    }

    private static byte[] Response(JsonElement id, JsonWrite result)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, AgentSessionsJson.WriterOptions(indented: false)))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc", "2.0");
            writer.WritePropertyName("id");
            id.WriteTo(writer);
            writer.WritePropertyName("result");
            result(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>An error response; <paramref name="id"/> is <c>default</c> (written as null) when unknown.</summary>
    private static byte[] ErrorResponse(JsonElement id, int code, string message, string? dataCode, JsonWrite? data = null)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, AgentSessionsJson.WriterOptions(indented: false)))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc", "2.0");
            writer.WritePropertyName("id");
            if (id.ValueKind == JsonValueKind.Undefined)
            {
                writer.WriteNullValue();
            }
            else
            {
                id.WriteTo(writer);
            }

            writer.WriteStartObject("error");
            writer.WriteNumber("code", code);
            writer.WriteString("message", message);
            if (dataCode is not null || data is not null)
            {
                writer.WriteStartObject("data");
                if (dataCode is not null)
                {
                    writer.WriteString("code", dataCode);
                }

                data?.Invoke(writer);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Awaits a task for its end only: what it threw was handled (or did not matter) elsewhere.</summary>
    private static async Task Quietly(Task? task)
    {
        if (task is null)
        {
            return;
        }

        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Observed, so it is not reported as unobserved later.
        }
    }

    private void Log(string message)
    {
        try
        {
            _options.Log?.WriteLine($"agent-sessions rpc: {message}");
        }
        catch (IOException)
        {
            // stderr gone too: nothing left to tell.
        }
    }
}

/// <summary>What a method knows of the request it serves beyond its parameters.</summary>
/// <param name="Id">The request's id; null for a notification.</param>
/// <param name="Cancellation">Cancelled by <c>$/cancelRequest</c> for this request (and when the connection ends).</param>
internal readonly record struct RpcCall(JsonElement? Id, CancellationToken Cancellation);

/// <summary>A message read and waiting its turn: a parsed document, or an answer ready to send.</summary>
internal sealed class Inbound
{
    private Inbound(JsonDocument? document, byte[]? ready, string? problem, long bytes)
    {
        (Document, Ready, Problem, Bytes) = (document, ready, problem, bytes);
        if (document is not null)
        {
            var root = document.RootElement;
            ReadAhead = root.ValueKind == JsonValueKind.Array ? root.EnumerateArray().Any(IsLong) : IsLong(root);
        }
    }

    /// <summary>Whether it holds a request that may run long (chat.send), so the input is read on while it runs.</summary>
    public bool ReadAhead { get; }

    /// <summary>The parsed message (a request, notification or batch); null when <see cref="Ready"/> is set.</summary>
    public JsonDocument? Document { get; }

    /// <summary>An error response prepared when the message was read (bad frame, bad JSON).</summary>
    public byte[]? Ready { get; }

    /// <summary>Set when the connection closes after <see cref="Ready"/> is sent: why.</summary>
    public string? Problem { get; }

    /// <summary>The body's size, counted against how much the server reads ahead.</summary>
    public long Bytes { get; }

    public static Inbound Of(JsonDocument document, long bytes) => new(document, null, null, bytes);

    private static bool IsLong(JsonElement request)
        => request.ValueKind == JsonValueKind.Object
           && request.TryGetProperty("method", out var method)
           && method.ValueKind == JsonValueKind.String
           && RpcMethods.RunsLong(method.GetString()!);

    // Not counted: their bodies are not kept, and the answers are short.
    public static Inbound Answer(byte[] response) => new(null, response, null, 0);

    public static Inbound Close(byte[] response, string problem) => new(null, response, problem, 0);
}

/// <summary>
/// One connection's output and its requests in flight: frames are written one at a time (a response to
/// <c>$/cancelRequest</c> can be written while a chat.send streams), and each request read but not yet answered
/// has a cancellation source that <c>$/cancelRequest</c> can reach.
/// </summary>
internal sealed class Connection(FrameWriter writer, CancellationToken lifetime)
{
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly Lock _gate = new();
    private readonly Dictionary<string, CancellationTokenSource> _requests = new(StringComparer.Ordinal);

    /// <summary>Cancelled when the connection ends.</summary>
    public CancellationToken Lifetime => lifetime;

    /// <summary>The key of a request id (a string and a number that print alike stay apart); null for an id that cannot be cancelled.</summary>
    public static string? Key(JsonElement id) => id.ValueKind switch
    {
        JsonValueKind.String => "s:" + id.GetString(),
        JsonValueKind.Number => "n:" + id.GetRawText(),
        _ => null,
    };

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await writer.WriteAsync(body, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writing.Release();
        }
    }

    /// <summary>Sends a notification from inside a method; a failed write means the peer is gone.</summary>
    public async ValueTask WriteNotificationAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        try
        {
            await WriteAsync(body, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new ConnectionLostException(e);
        }
    }

    /// <summary>Gives each request of a message just read (a batch's too) a cancellation source.</summary>
    /// <remarks>An id already in flight keeps its first source: ids are the client's to keep unique.</remarks>
    public void Register(Inbound inbound)
    {
        if (inbound.Document is not { } document)
        {
            return;
        }

        var root = document.RootElement;
        if (root.ValueKind == JsonValueKind.Array)
        {
            foreach (var element in root.EnumerateArray())
            {
                RegisterOne(element);
            }
        }
        else
        {
            RegisterOne(root);
        }
    }

    public CancellationTokenSource? Find(string key)
    {
        lock (_gate)
        {
            return _requests.GetValueOrDefault(key);
        }
    }

    /// <summary>The request was answered: its id may be used again.</summary>
    public void Complete(string key, CancellationTokenSource source)
    {
        lock (_gate)
        {
            if (_requests.TryGetValue(key, out var registered) && ReferenceEquals(registered, source))
            {
                _requests.Remove(key);
            }
        }

        source.Dispose();
    }

    public async ValueTask CancelAsync(string key)
    {
        CancellationTokenSource? source;
        lock (_gate)
        {
            source = _requests.GetValueOrDefault(key);
        }

        if (source is not null)
        {
            try
            {
                await source.CancelAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                // Answered meanwhile: nothing left to cancel.
            }
        }
    }

    private void RegisterOne(JsonElement request)
    {
        if (request.ValueKind != JsonValueKind.Object || !request.TryGetProperty("id", out var id) || Key(id) is not { } key)
        {
            return;
        }

        lock (_gate)
        {
            if (!_requests.ContainsKey(key))
            {
                _requests[key] = CancellationTokenSource.CreateLinkedTokenSource(lifetime);
            }
        }
    }
}

/// <summary>Writing a notification in the middle of a method failed: the peer is gone, and so is the connection.</summary>
internal sealed class ConnectionLostException(IOException inner) : Exception(inner.Message, inner);
