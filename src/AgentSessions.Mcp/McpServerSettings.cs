namespace AgentSessions.Mcp;

/// <summary>How <see cref="AgentSessionsMcpServer"/> serves a store.</summary>
public sealed record McpServerSettings
{
    /// <summary>
    /// Offer the write tools (<c>add_note</c>, <c>bookmark</c>, <c>tag</c>) too; false (the default) serves the read
    /// tools only, and a call of a write tool is refused with a tool error that says how to allow it.
    /// </summary>
    public bool AllowWrite { get; init; }

    /// <summary>The command that allows writing, named when a write tool is refused; <c>agent-sessions mcp --allow-write</c> unless set.</summary>
    public string AllowWriteCommand { get; init; } = "agent-sessions mcp --allow-write";

    /// <summary>Where the server logs (never stdout, which carries the protocol); null logs nothing.</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Log debug detail (each request, stack traces of unexpected failures) to <see cref="Log"/>; false unless set.</summary>
    public bool Debug { get; init; }
}
