using AgentSessions.Storage;
using Microsoft.AspNetCore.Http;

namespace AgentSessions.Server.Http;

/// <summary>GET /api/search.</summary>
internal static partial class ApiEndpoints
{
    private sealed partial class Handlers
    {
        public async Task Search(HttpContext context)
        {
            var text = Query(context, "q");
            if (string.IsNullOrWhiteSpace(text))
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, "give the words to find as ?q=...");
            }

            var role = Query(context, "role");
            var since = Query(context, "since");
            var query = new SearchQuery(text)
            {
                Limit = Int(context, "limit") ?? 20,
                Tag = Query(context, "tag"),
                Role = role is null ? null : MessageRoles.Parse(role),
                Since = since is null ? null : Durations.ParseSince(since, DateTimeOffset.UtcNow, "since"),
                SessionId = Query(context, "session"),
                Exhaustive = Bool(context, "exhaustive") ?? false,
            };
            var hits = new List<SearchHit>();
            await foreach (var hit in service.SearchAsync(query, context.RequestAborted))
            {
                hits.Add(hit);
            }

            await WriteAsync(context, new SearchResponse(hits));
        }
    }
}
