namespace AgentSessions.Server;

/// <summary>Facts shared by the front ends.</summary>
public static class ServerInfo
{
    /// <summary>The name front ends report (JSON-RPC <c>serverInfo</c>, HTTP <c>Server</c> header).</summary>
    public const string Name = "agent-sessions";
}
