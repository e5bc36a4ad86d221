using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AgentSessions.Formats;

namespace AgentSessions.Server.Rpc;

/// <summary>Writes a method's result into the response being written.</summary>
/// <remarks>Methods finish all store work before returning one, so writing it cannot fail half-way for a store error.</remarks>
internal delegate void JsonWrite(Utf8JsonWriter writer);

/// <summary>The methods of one connection and the connection's state: the current session and its deferred messages.</summary>
internal sealed partial class RpcMethods : IDisposable
{
    private readonly SessionService _service;
    private readonly RpcServerOptions _options;

    /// <summary>Sends a notification body to the peer at once (streamed results).</summary>
    private readonly Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> _notify;
    private readonly Dictionary<string, Func<RpcParams, CancellationToken, ValueTask<JsonWrite>>> _methods;

    /// <summary>The connection's current session and its deferred messages.</summary>
    private readonly Conversation _conversation;
    private bool _shutdown;

    /// <summary>The request being handled. A field, not a parameter of every method: the server runs one request at a time.</summary>
    private RpcCall _call;

    public RpcMethods(SessionService service, RpcServerOptions options, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> notify)
    {
        _service = service;
        _options = options;
        _notify = notify;
        _conversation = new Conversation(service, options.MaxMessageBytes, MaxPendingMessages);
        _methods = new(StringComparer.Ordinal)
        {
            ["initialize"] = InitializeAsync,
            ["shutdown"] = ShutdownAsync,
            ["exit"] = ExitAsync,
            ["session.create"] = CreateAsync,
            ["session.list"] = ListAsync,
            ["session.load"] = LoadAsync,
            ["session.append"] = AppendAsync,
            ["session.rename"] = RenameAsync,
            ["session.tag"] = TagAsync,
            ["session.pin"] = PinAsync,
            ["session.metadata"] = MetadataAsync,
            ["session.delete"] = DeleteAsync,
            ["session.search"] = SearchAsync,
            ["session.export"] = ExportAsync,
            ["session.import"] = ImportAsync,
            ["session.fork"] = ForkAsync,
            ["session.snapshot"] = SnapshotAsync,
            ["session.restore"] = RestoreAsync,
            ["session.undo"] = UndoAsync,
            ["session.redo"] = RedoAsync,
            ["session.bookmark"] = BookmarkAsync,
            ["session.share"] = ShareAsync,
            ["session.current"] = CurrentAsync,
            ["session.switch"] = SwitchAsync,
            ["session.save"] = SaveAsync,
            ["session.discard"] = DiscardAsync,
            ["chat.send"] = ChatSendAsync,
        };
    }

    /// <summary>
    /// Whether a method may run long enough that the server should read on while it runs (so that
    /// <c>$/cancelRequest</c> reaches it): chat.send, which waits for a model.
    /// </summary>
    public static bool RunsLong(string method) => method == "chat.send";

    /// <summary>Set once <c>exit</c> arrived: the code the process ends with.</summary>
    public int? ExitCode { get; private set; }

    /// <summary>Runs one method.</summary>
    /// <param name="method">Its name.</param>
    /// <param name="parameters">The request's <c>params</c>.</param>
    /// <param name="call">The request's id and its own cancellation (honoured by chat.send only: the store methods are short, and a write cancelled half-way would answer "cancelled" for a change that was made).</param>
    /// <param name="cancellationToken">The connection's lifetime.</param>
    public async ValueTask<JsonWrite> InvokeAsync(string method, JsonElement? parameters, RpcCall call, CancellationToken cancellationToken)
    {
        if (!_methods.TryGetValue(method, out var handler))
        {
            throw new RpcException(RpcErrors.MethodNotFound, $"unknown method '{method}'; see docs/protocol.md for the methods");
        }

        if (_shutdown && method != "exit")
        {
            // As in LSP: after shutdown only exit is accepted.
            throw new RpcException(RpcErrors.InvalidRequest, "the server is shutting down; only 'exit' is accepted now");
        }

        _call = call;
        try
        {
            return await handler(RpcParams.From(parameters), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _call = default;
        }
    }

    /// <summary>Releases the connection's model client, if chat.send made one.</summary>
    public void Dispose() => CloseChat();

    private async ValueTask<JsonWrite> InitializeAsync(RpcParams p, CancellationToken cancellationToken)
    {
        // LSP clients send their capabilities and the like; nothing in them changes how this server behaves, but
        // initializationOptions.chat configures chat.send (endpoint, model, API key).
        await ReadChatOptionsAsync(p, cancellationToken).ConfigureAwait(false);
        var chatModel = ConfiguredChatModel();
        var version = typeof(RpcServer).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        var names = _methods.Keys.Order(StringComparer.Ordinal).ToList();
        return w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("serverInfo");
            w.WriteString("name", ServerInfo.Name);
            w.WriteString("version", version);
            w.WriteEndObject();
            w.WriteStartObject("capabilities");
            w.WriteStartArray("methods");
            foreach (var name in names)
            {
                w.WriteStringValue(name);
            }

            w.WriteEndArray();
            // Which model chat.send talks to unless a call names one (null: none configured yet). Never the key.
            w.WriteStartObject("chat");
            w.WriteString("model", chatModel);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        };
    }

    private async ValueTask<JsonWrite> ShutdownAsync(RpcParams p, CancellationToken cancellationToken)
    {
        p.EnsureNoneUnknown();
        // A polite goodbye keeps deferred messages; if they cannot be saved the client hears why and may retry
        // or discard them, so shutdown is recorded only once nothing is pending.
        await _conversation.SaveAsync(cancellationToken).ConfigureAwait(false);
        await SaveChatAsync(cancellationToken).ConfigureAwait(false);
        _shutdown = true;
        return Null;
    }

    private ValueTask<JsonWrite> ExitAsync(RpcParams p, CancellationToken cancellationToken)
    {
        // Deferred messages not saved by now are dropped: exit without shutdown is an abnormal end (LSP).
        ExitCode = _shutdown ? 0 : 1;
        return ValueTask.FromResult(Null);
    }

    // ---- helpers shared by the methods ----

    private static readonly JsonWrite Null = w => w.WriteNullValue();

    /// <summary>A null result, for the server's own answers.</summary>
    public static JsonWrite NullResult => Null;

    private static ValueTask<JsonWrite> Result(JsonWrite write) => ValueTask.FromResult(write);

    private static JsonWrite Json<T>(T value, JsonTypeInfo<T> typeInfo) => w => JsonSerializer.Serialize(w, value, typeInfo);

    /// <summary>Writes the properties of <paramref name="value"/> into the object being written.</summary>
    private static void WriteProperties<T>(Utf8JsonWriter writer, T value, JsonTypeInfo<T> typeInfo)
    {
        foreach (var property in JsonSerializer.SerializeToElement(value, typeInfo).EnumerateObject())
        {
            property.WriteTo(writer);
        }
    }

    /// <summary>The session a method works on: <c>id</c>, else the connection's current session.</summary>
    private string SessionId(RpcParams p)
        => p.String("id") ?? _conversation.CurrentId
            ?? throw RpcException.InvalidParams("no 'id' given and no current session; pass \"id\", or call session.switch (or session.create) first");

    /// <summary>An absolute time (UTC when it has no offset) or an age such as 7d, 12h, 30m before now.</summary>
    private static DateTimeOffset ParseSince(string text, string name) => Durations.ParseSince(text, DateTimeOffset.UtcNow, name);
}
