using AgentSessions.AI;

namespace Microsoft.Extensions.AI;

/// <summary>Names the AgentSessions session a call belongs to, in <see cref="ChatOptions.AdditionalProperties"/>.</summary>
public static class AgentSessionsChatOptionsExtensions
{
    /// <summary>Sets <c>AdditionalProperties["agent_sessions.session_id"]</c> and returns the same options.</summary>
    public static ChatOptions WithAgentSession(this ChatOptions options, string sessionId)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(sessionId);
        (options.AdditionalProperties ??= [])[AgentSessionsMetadata.SessionIdProperty] = sessionId;
        return options;
    }

    /// <summary>The session id the options name, or <see langword="null"/>.</summary>
    public static string? GetAgentSession(this ChatOptions? options)
        => options?.AdditionalProperties?.TryGetValue(AgentSessionsMetadata.SessionIdProperty, out var value) == true
            ? value switch
            {
                string s => s,
                System.Text.Json.JsonElement { ValueKind: System.Text.Json.JsonValueKind.String } e => e.GetString(),
                _ => value?.ToString(),
            }
            : null;
}
