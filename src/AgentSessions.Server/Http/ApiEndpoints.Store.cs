using AgentSessions.Storage;
using Microsoft.AspNetCore.Http;

namespace AgentSessions.Server.Http;

/// <summary>GET /api/info, GET /api/stats, GET and POST /api/doctor: the store as a whole.</summary>
internal static partial class ApiEndpoints
{
    private sealed partial class Handlers
    {
        public async Task Info(HttpContext context)
            => await WriteAsync(context, await service.GetInfoAsync(context.RequestAborted));

        public async Task Stats(HttpContext context)
        {
            var since = Query(context, "since");
            var query = new StatsQuery { Since = since is null ? null : Durations.ParseSince(since, DateTimeOffset.UtcNow, "since") };
            await WriteAsync(context, await service.GetStatsAsync(query, context.RequestAborted));
        }

        public async Task Doctor(HttpContext context, bool repair)
            => await WriteAsync(context, await service.CheckAsync(repair, context.RequestAborted));
    }
}
