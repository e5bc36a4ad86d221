namespace AgentSessions.Server.Http;

/// <summary>Settings of <c>agent-sessions serve</c>.</summary>
public sealed record ServerOptions
{
    /// <summary>The default cap on a request body: 64 MiB, room for a large import or a batch of messages.</summary>
    public const long DefaultMaxRequestBodyBytes = 64L * 1024 * 1024;

    /// <summary>The store directory (the SQLite store's data directory; the API token and server.json live there too).</summary>
    public required string StoreDirectory { get; init; }

    /// <summary>The URLs to listen on. Default: <c>http://127.0.0.1:8765</c>; port 0 picks a free port.</summary>
    public IReadOnlyList<string> Urls { get; init; } = ["http://127.0.0.1:8765"];

    /// <summary>Whether a non-loopback address may be bound (off by default: sessions are private).</summary>
    public bool AllowRemote { get; init; }

    /// <summary>
    /// The API's bearer token; <see langword="null"/> (the default) loads the one at <see cref="TokenPath"/>,
    /// generating it on first start (see <see cref="ApiTokenFile.LoadOrCreate(string)"/>).
    /// </summary>
    public string? ApiToken { get; init; }

    /// <summary>The largest request body accepted, in bytes; larger ones get 413.</summary>
    public long MaxRequestBodyBytes { get; init; } = DefaultMaxRequestBodyBytes;

    /// <summary>Offer the MCP write tools (add_note, bookmark, tag) at <c>/api/mcp</c> too; false (the default) serves the read tools only.</summary>
    public bool McpAllowWrite { get; init; }

    /// <summary>The file holding the API's bearer token (generated 0600 on first start).</summary>
    public string TokenPath => Path.Combine(StoreDirectory, "api-token");

    /// <summary>The file holding the key that signs the cookies of unlocked private share links (generated 0600 on first start).</summary>
    public string ShareKeyPath => Path.Combine(StoreDirectory, "share-key");

    /// <summary>The file where a running server records its URL, for <c>agent-sessions share</c> to print links.</summary>
    public string ServerInfoPath => Path.Combine(StoreDirectory, "server.json");
}
