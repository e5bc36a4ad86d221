using AgentSessions.Sharing;
using Microsoft.AspNetCore.Http;

namespace AgentSessions.Server.Http;

/// <summary>GET and POST /api/sessions/{id}/shares, GET /api/shares, DELETE /api/shares/{token}.</summary>
internal static partial class ApiEndpoints
{
    private sealed partial class Handlers
    {
        /// <summary>GET /api/shares (all, or ?session=ID) and GET /api/sessions/{id}/shares.</summary>
        public async Task Shares(HttpContext context)
        {
            var sessionId = context.Request.RouteValues.ContainsKey("id") ? Route(context, "id") : Query(context, "session");
            if (sessionId is not null)
            {
                await service.GetAsync(sessionId, context.RequestAborted);
            }

            var list = await service.ListSharesAsync(sessionId, Bool(context, "includeRevoked") ?? false, context.RequestAborted);
            var baseUrl = BaseUrl(context);
            await WriteAsync(context, new SharesResponse([.. list.Select(s => ShareView.From(s, baseUrl))]));
        }

        public async Task CreateShare(HttpContext context)
        {
            var body = await ReadAsync<ShareBody>(context, required: false) ?? new ShareBody();
            var request = new ShareRequest
            {
                Visibility = body.Visibility switch
                {
                    null or "unlisted" => ShareVisibility.Unlisted,
                    "public" => ShareVisibility.Public,
                    "private" => ShareVisibility.Private,
                    var other => throw new AgentSessionsException(ErrorCode.InvalidArgument, $"unknown visibility '{other}'; use public, unlisted or private"),
                },
                Password = body.Password,
                ExpiresIn = body.ExpiresIn is null ? null : Durations.Parse(body.ExpiresIn, "expiresIn"),
                AllowFork = body.AllowFork ?? true,
                ShowHistory = body.ShowHistory ?? true,
            };
            var share = await service.CreateShareAsync(Route(context, "id"), request, context.RequestAborted);
            await WriteAsync(context, ShareView.From(share, BaseUrl(context)), StatusCodes.Status201Created);
        }

        public async Task RevokeShare(HttpContext context)
        {
            var token = Route(context, "token");
            // A malformed token cannot exist; checking first keeps odd strings away from the query.
            if (!await service.RevokeShareAsync(token, context.RequestAborted))
            {
                throw new AgentSessionsException(ErrorCode.NotFound, "no active share link with that token; GET /api/shares lists them");
            }

            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }

        /// <summary>The origin the client used to reach us, for share URLs that work from where it stands.</summary>
        private static string BaseUrl(HttpContext context) => $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";
    }
}
