namespace AgentSessions.AI;

/// <summary>Options of <see cref="AgentSessionsChatClient"/>.</summary>
public sealed class AgentSessionsChatClientOptions
{
    /// <summary>
    /// The session of calls whose <see cref="Microsoft.Extensions.AI.ChatOptions"/> name none (see
    /// <see cref="Microsoft.Extensions.AI.AgentSessionsChatOptionsExtensions.WithAgentSession"/>). Default: none, and
    /// such a call fails with <see cref="InvalidOperationException"/> rather than guess.
    /// </summary>
    public string? DefaultSessionId { get; set; }

    /// <summary>Whether a call to a session that does not exist creates it (default <see langword="true"/>); otherwise it fails with <see cref="ErrorCode.NotFound"/>.</summary>
    public bool CreateMissingSessions { get; set; } = true;

    /// <summary>
    /// How often, at most, a streamed answer's partial message is saved durably (default 1 second). The first
    /// checkpoint comes one interval after the stream starts; <see cref="TimeSpan.Zero"/> saves only at the end
    /// (the end of an interrupted stream included).
    /// </summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The clock checkpoints are timed by (default <see cref="TimeProvider.System"/>; tests give their own).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Fields of a session the client creates (its id is the one asked for). Default: no title (the first user message gives one), the model of the first response left unset.</summary>
    public NewSession NewSession { get; set; } = new();
}
