using AgentSessions;
using AgentSessions.AI;

namespace Microsoft.Extensions.AI;

/// <summary>Adds <see cref="AgentSessionsChatClient"/> to a <see cref="ChatClientBuilder"/> pipeline.</summary>
public static class AgentSessionsChatClientBuilderExtensions
{
    /// <summary>
    /// Saves every turn through <paramref name="service"/>: the request messages before the model is called, the
    /// answer as it streams. Put it before <c>UseFunctionInvocation()</c> to store user-visible turns (tool calls
    /// and results included), after it to store every model call.
    /// </summary>
    public static ChatClientBuilder UseAgentSessions(this ChatClientBuilder builder, SessionService service, Action<AgentSessionsChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(service);
        var options = new AgentSessionsChatClientOptions();
        configure?.Invoke(options);
        return builder.Use(inner => new AgentSessionsChatClient(inner, service, options));
    }
}
