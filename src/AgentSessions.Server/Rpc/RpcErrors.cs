namespace AgentSessions.Server.Rpc;

/// <summary>The JSON-RPC error codes <c>agent-sessions rpc</c> answers with (documented in docs/protocol.md).</summary>
public static class RpcErrors
{
    /// <summary>The body is not valid UTF-8 JSON, or the frame's headers are malformed.</summary>
    public const int ParseError = -32700;

    /// <summary>Valid JSON that is not a JSON-RPC 2.0 request; also a request after <c>shutdown</c>.</summary>
    public const int InvalidRequest = -32600;

    /// <summary>No such method.</summary>
    public const int MethodNotFound = -32601;

    /// <summary>Missing, unknown or mistyped parameters; also <see cref="ErrorCode.InvalidArgument"/>.</summary>
    public const int InvalidParams = -32602;

    /// <summary>An unexpected failure (a bug); details go to stderr only with AGENT_SESSIONS_DEBUG=1.</summary>
    public const int InternalError = -32603;

    /// <summary>
    /// The request was cancelled with <c>$/cancelRequest</c> (the LSP code): before it ran, or, for
    /// <c>chat.send</c>, while the answer streamed (the partial answer is stored and is in the error's data).
    /// </summary>
    public const int RequestCancelled = -32800;

    /// <summary><c>chat.send</c>: the model failed (refused the request, or the stream broke); the user's message is stored.</summary>
    public const int ModelError = -32010;

    /// <summary>The JSON-RPC code of an <see cref="ErrorCode"/>; stable, like the enum's values.</summary>
    public static int For(ErrorCode code) => code switch
    {
        ErrorCode.NotFound => -32001,
        ErrorCode.InvalidId => -32002,
        ErrorCode.Conflict => -32003,
        ErrorCode.TooLarge => -32004,
        ErrorCode.Corrupt => -32005,
        ErrorCode.UnsupportedVersion => -32006,
        ErrorCode.StoreFull => -32007,
        ErrorCode.Busy => -32008,
        ErrorCode.InvalidArgument => InvalidParams,
        _ => InternalError,
    };
}

/// <summary>A JSON-RPC error raised while handling a request; becomes the response's <c>error</c>.</summary>
internal sealed class RpcException(int code, string message, string? dataCode = null, JsonWrite? data = null) : Exception(message)
{
    public int Code { get; } = code;

    /// <summary>The <c>data.code</c> name, when the error maps to an <see cref="ErrorCode"/>.</summary>
    public string? DataCode { get; } = dataCode;

    /// <summary>Writes more properties into the error's <c>data</c> object (after <c>code</c>); null when there are none.</summary>
    public JsonWrite? DataProperties { get; } = data;

    public static RpcException InvalidParams(string message) => new(RpcErrors.InvalidParams, message, nameof(ErrorCode.InvalidArgument));
}
