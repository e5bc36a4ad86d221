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
    public async Task<int> RunAsync(Stream input, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var reader = new FrameReader(input, _options.MaxMessageBytes);
        var writer = new FrameWriter(output);
        var methods = new RpcMethods(_service, _options, async (body, token) =>
        {
            try
            {
                await writer.WriteAsync(body, token).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new ConnectionLostException(e);
            }
        });
        try
        {
            while (true)
            {
                var frame = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                switch (frame.Kind)
                {
                    case FrameKind.EndOfStream:
                        return 0;
                    case FrameKind.Truncated:
                        Log("the input ended in the middle of a message; closing");
                        return 0;
                    case FrameKind.Malformed:
                        await writer.WriteAsync(ErrorResponse(default, RpcErrors.ParseError, "malformed frame: " + frame.Problem, null), cancellationToken).ConfigureAwait(false);
                        continue;
                    case FrameKind.TooLarge:
                        // The body is not read (it could be anything up to the stream's end), so there is no
                        // way back to a frame boundary: answer, then close.
                        await writer.WriteAsync(ErrorResponse(default, RpcErrors.For(ErrorCode.TooLarge), frame.Problem + "; closing the connection", nameof(ErrorCode.TooLarge)), cancellationToken).ConfigureAwait(false);
                        Log(frame.Problem + "; closing");
                        return 1;
                }

                if (await HandleBodyAsync(methods, frame.Body, cancellationToken).ConfigureAwait(false) is { } response)
                {
                    await writer.WriteAsync(response, cancellationToken).ConfigureAwait(false);
                }

                if (methods.ExitCode is { } code)
                {
                    return code;
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
    }

    /// <summary>Handles one message body: a request, a notification or a batch; null when nothing is to be sent.</summary>
    private async Task<byte[]?> HandleBodyAsync(RpcMethods methods, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var bytes = body.Span.StartsWith("\uFEFF"u8) ? body[3..] : body;
        if (!Utf8.IsValid(bytes.Span))
        {
            return ErrorResponse(default, RpcErrors.ParseError, "the message is not valid UTF-8", null);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 128 });
        }
        catch (JsonException e)
        {
            return ErrorResponse(default, RpcErrors.ParseError, $"the message is not valid JSON (line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1})", null);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array)
            {
                return await HandleRequestAsync(methods, root, cancellationToken).ConfigureAwait(false);
            }

            // A batch: handled in order, answered with one array holding the responses to its requests.
            if (root.GetArrayLength() == 0)
            {
                return ErrorResponse(default, RpcErrors.InvalidRequest, "an empty batch", null);
            }

            var responses = new List<byte[]>();
            foreach (var element in root.EnumerateArray())
            {
                if (await HandleRequestAsync(methods, element, cancellationToken).ConfigureAwait(false) is { } response)
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
    }

    private async Task<byte[]?> HandleRequestAsync(RpcMethods methods, JsonElement request, CancellationToken cancellationToken)
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
        try
        {
            var result = await methods.InvokeAsync(method, parameters, cancellationToken).ConfigureAwait(false);
            return hasId ? Response(id, result) : null;
        }
        catch (RpcException e)
        {
            return hasId ? ErrorResponse(id, e.Code, e.Message, e.DataCode) : null;
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
    private static byte[] ErrorResponse(JsonElement id, int code, string message, string? dataCode)
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
            if (dataCode is not null)
            {
                writer.WriteStartObject("data");
                writer.WriteString("code", dataCode);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
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

/// <summary>Writing a notification in the middle of a method failed: the peer is gone, and so is the connection.</summary>
internal sealed class ConnectionLostException(IOException inner) : Exception(inner.Message, inner);
