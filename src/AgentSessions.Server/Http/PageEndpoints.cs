using Microsoft.AspNetCore.Builder;

namespace AgentSessions.Server.Http;

/// <summary>The web viewer and the share pages.</summary>
internal static class PageEndpoints
{
    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
    }
}
