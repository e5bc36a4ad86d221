using Microsoft.AspNetCore.Builder;

namespace AgentSessions.Server.Http;

/// <summary>The JSON API under <c>/api</c>.</summary>
internal static class ApiEndpoints
{
    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
    }
}
