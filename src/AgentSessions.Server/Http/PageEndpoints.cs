using System.Globalization;
using System.Net;
using System.Text;
using AgentSessions.Server.Pages;
using AgentSessions.Sharing;
using AgentSessions.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using static AgentSessions.Server.Pages.Html;

namespace AgentSessions.Server.Http;

/// <summary>The web viewer and the share pages.</summary>
/// <remarks>
/// Server-rendered HTML without scripts. The owner's pages (<c>/</c>, <c>/sessions/{id}</c>) answer loopback
/// clients only, and of those only the ones logged in through <see cref="OwnerLogin"/> (or holding the API token);
/// <c>/public</c>, <c>/s/{token}</c> and the stylesheet answer anyone the server is reachable by.
/// </remarks>
internal static class PageEndpoints
{
    /// <summary>Sessions or search hits per page of the list.</summary>
    public const int PageSize = 25;

    /// <summary>Messages per page of a session (<c>/sessions/{id}</c>) and of a share (<c>/s/{token}</c>): the newest by default, links to the others.</summary>
    public const int SessionPageMessages = 100;

    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var service = app.Services.GetRequiredService<SessionService>();
        var time = app.Services.GetService<TimeProvider>() ?? TimeProvider.System;
        var login = app.Services.GetRequiredService<OwnerLogin>();
        var options = app.Services.GetRequiredService<ServerOptions>();
        var apiToken = options.ApiToken
            ?? throw new InvalidOperationException("the API token must be resolved before the pages are mapped");

        app.MapGet(StylesheetPath, (HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "public, max-age=3600";
            return Results.Text(Stylesheet.Css, "text/css; charset=utf-8", Encoding.UTF8);
        });
        app.MapGet(OwnerLogin.LoginPath, context => LoginAsync(context, login));
        app.MapGet("/", OwnerOnly(login, apiToken, context => ListPageAsync(context, service)));
        app.MapGet("/sessions/{id}", OwnerOnly(login, apiToken, context => SessionPageAsync(context, service, (string)context.Request.RouteValues["id"]!, time)));
        app.MapGet("/public", context => PublicPageAsync(context, service, time));
        var unlock = new ShareUnlock(ApiTokenFile.LoadOrCreate(options.ShareKeyPath, "share key").Token, time);
        ShareEndpoints.Map(app, service, new PasswordAttemptLimiter(time), unlock, time);
    }

    /// <summary>Whether the request comes from this machine, addressed to this machine.</summary>
    /// <remarks>
    /// The address check keeps other machines out when the server was bound beyond loopback. The Host check stops
    /// DNS rebinding: a web page whose name was re-pointed at 127.0.0.1 reaches us from the loopback address too,
    /// but with its own name in Host.
    /// </remarks>
    public static bool IsOwner(HttpContext context)
    {
        var remote = context.Connection.RemoteIpAddress;
        if (remote is null)
        {
            return false;
        }

        if (remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }

        if (!IPAddress.IsLoopback(remote))
        {
            return false;
        }

        var host = context.Request.Host.Host.Trim('[', ']');
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
    }

    private static RequestDelegate OwnerOnly(OwnerLogin login, string apiToken, RequestDelegate page) => async context =>
    {
        if (!IsOwner(context))
        {
            await ForbiddenAsync(context);
            return;
        }

        if (!login.IsSession(context.Request.Cookies[OwnerLogin.CookieName]) && !ApiEndpoints.Authorized(context.Request, apiToken))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await WriteMessagePageAsync(context, StatusCodes.Status401Unauthorized, "Log in first",
                "<p>The session pages need a login. Open the URL that <code>agent-sessions serve</code> printed "
                + "(<code>http://127.0.0.1:PORT/login?token=...</code>) in this browser. Each printed URL works once; "
                + "serve prints a new one after each use, and every start prints one.</p>");
            return;
        }

        await page(context);
    };

    private static Task ForbiddenAsync(HttpContext context)
        => WriteMessagePageAsync(context, StatusCodes.Status403Forbidden, "Forbidden",
            "<p>The session pages are open only to this machine (open them at http://127.0.0.1). Shared links under /s/ work from anywhere the server is reachable.</p>");

    /// <summary><c>GET /login?token=</c>: trades a one-time login token for the session cookie, then leaves for <c>/</c>.</summary>
    private static async Task LoginAsync(HttpContext context, OwnerLogin login)
    {
        if (!IsOwner(context))
        {
            await ForbiddenAsync(context);
            return;
        }

        var session = login.Redeem(context.Request.Query["token"].ToString() is { Length: > 0 } token ? token : null);
        if (session is null)
        {
            await WriteMessagePageAsync(context, StatusCodes.Status401Unauthorized, "Login link not valid",
                "<p>This login link was used already, or it is not one this server issued (each works once, and a restart "
                + "forgets them). Open the newest URL that <code>agent-sessions serve</code> printed: it prints a new one "
                + "after each use, and every start prints one.</p>");
            return;
        }

        // HttpOnly: no script reads it. Strict: no other site's page or link sends it (no cross-site requests in our
        // name). No expiry: it ends with the browser session, and the server forgets it on restart anyway.
        context.Response.Cookies.Append(OwnerLogin.CookieName, session, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            Secure = context.Request.IsHttps,
            IsEssential = true,
        });
        context.Response.Headers.CacheControl = "no-store";
        // 303 to the bare list: the URL with the token never becomes a page in the history.
        context.Response.StatusCode = StatusCodes.Status303SeeOther;
        context.Response.Headers.Location = "/";
    }

    private static int PageNumber(HttpContext context)
        => int.TryParse(context.Request.Query["page"], NumberStyles.None, CultureInfo.InvariantCulture, out var page) && page is >= 1 and <= 10_000 ? page : 1;

    private static string ListUrl(string q, string tag, int page)
    {
        var parts = new List<string>();
        if (q.Length > 0)
        {
            parts.Add("q=" + U(q));
        }

        if (tag.Length > 0)
        {
            parts.Add("tag=" + U(tag));
        }

        if (page > 1)
        {
            parts.Add("page=" + page.ToString(CultureInfo.InvariantCulture));
        }

        return parts.Count == 0 ? "/" : "/?" + string.Join("&amp;", parts);
    }

    private static string TagLinks(IReadOnlyList<string> tags)
        => string.Concat(tags.Select(t => $"<a class=\"tag\" href=\"{ListUrl("", t, 1)}\">{E(t)}</a>"));

    private static async Task ListPageAsync(HttpContext context, SessionService service)
    {
        var q = context.Request.Query["q"].ToString().Trim();
        var tag = context.Request.Query["tag"].ToString().Trim();
        var page = PageNumber(context);
        var b = new StringBuilder();
        b.Append(Head(q.Length > 0 ? $"Search: {q}" : "Sessions", ownerNav: true, noIndex: true));
        b.Append("<h1>").Append(q.Length > 0 ? "Search" : "Sessions").Append("</h1>\n");
        b.Append("<form class=\"search\" method=\"get\" action=\"/\" role=\"search\">")
            .Append($"<input type=\"search\" name=\"q\" value=\"{E(q)}\" placeholder=\"Search messages and titles\" aria-label=\"Search\">")
            .Append($"<input type=\"text\" class=\"tag-filter\" name=\"tag\" value=\"{E(tag)}\" placeholder=\"Tag\" aria-label=\"Tag\">")
            .Append("<button type=\"submit\">Search</button>");
        if (q.Length > 0 || tag.Length > 0)
        {
            b.Append("<a class=\"meta\" href=\"/\">Clear</a>");
        }

        b.Append("</form>\n");
        bool hasMore;
        try
        {
            hasMore = q.Length > 0
                ? await AppendSearchAsync(b, service, q, tag, page, context.RequestAborted)
                : await AppendListAsync(b, service, tag, page, context.RequestAborted);
        }
        catch (AgentSessionsException e) when (e.Code is ErrorCode.InvalidArgument or ErrorCode.InvalidId)
        {
            await WriteMessagePageAsync(context, StatusCodes.Status400BadRequest, "Cannot search", $"<p>{E(e.Message)}</p>", ownerNav: true);
            return;
        }

        if (page > 1 || hasMore)
        {
            b.Append("<nav class=\"pager\">")
                .Append(page > 1 ? $"<a rel=\"prev\" href=\"{ListUrl(q, tag, page - 1)}\">← Previous</a>" : "<span></span>")
                .Append($"<span class=\"meta\">Page {page}</span>")
                .Append(hasMore ? $"<a rel=\"next\" href=\"{ListUrl(q, tag, page + 1)}\">Next →</a>" : "<span></span>")
                .Append("</nav>\n");
        }

        b.Append(Foot);
        Begin(context, StatusCodes.Status200OK);
        await context.Response.WriteAsync(b.ToString(), context.RequestAborted);
    }

    private static async Task<bool> AppendListAsync(StringBuilder b, SessionService service, string tag, int page, CancellationToken ct)
    {
        var result = await service.ListAsync(new SessionQuery { Limit = PageSize, Offset = (page - 1) * PageSize, Tag = tag.Length > 0 ? tag : null }, ct);
        if (result.Sessions.Count == 0)
        {
            b.Append("<p class=\"empty\">").Append(tag.Length > 0 || page > 1 ? "No sessions here." : "No sessions yet. Agents that use the store will show up here.").Append("</p>\n");
            return result.HasMore;
        }

        b.Append("<ul class=\"list sessions\">\n");
        foreach (var s in result.Sessions)
        {
            b.Append("<li><a class=\"title\" href=\"/sessions/").Append(U(s.Id)).Append("\">").Append(s.Pinned ? "★ " : "").Append(E(s.Title ?? "(untitled)")).Append("</a>")
                .Append("<div class=\"meta\"><span>").Append(E(s.Id)).Append("</span><span>").Append(N(s.MessageCount)).Append(" messages</span><span>updated ")
                .Append(Time(s.UpdatedAt)).Append("</span>");
            if (s.Model is not null)
            {
                b.Append("<span>").Append(E(s.Model)).Append("</span>");
            }

            b.Append("</div>");
            if (s.Tags.Count > 0)
            {
                b.Append("<div>").Append(TagLinks(s.Tags)).Append("</div>");
            }

            b.Append("</li>\n");
        }

        b.Append("</ul>\n");
        return result.HasMore;
    }

    private static async Task<bool> AppendSearchAsync(StringBuilder b, SessionService service, string q, string tag, int page, CancellationToken ct)
    {
        // The search has no offset: ask for everything up to this page and one more, then skip.
        var wanted = page * PageSize + 1;
        var query = new SearchQuery(q) { Limit = Math.Min(wanted, 1000), Tag = tag.Length > 0 ? tag : null };
        var hits = new List<SearchHit>();
        await foreach (var hit in service.SearchAsync(query, ct))
        {
            hits.Add(hit);
        }

        var shown = hits.Skip((page - 1) * PageSize).Take(PageSize).ToList();
        if (shown.Count == 0)
        {
            b.Append("<p class=\"empty\">No matches for <strong>").Append(E(q)).Append("</strong>.</p>\n");
            return false;
        }

        b.Append("<ul class=\"list hits\">\n");
        foreach (var hit in shown)
        {
            // The session page shows one page of messages, so a hit links to the page that starts with its message.
            var href = hit.Sequence is { } seq ? MessageView.MessageUrl(hit.SessionId, seq) : "/sessions/" + U(hit.SessionId);
            b.Append("<li><a class=\"title\" href=\"").Append(href).Append("\">").Append(E(hit.SessionTitle ?? hit.SessionId)).Append("</a>")
                .Append("<div class=\"meta\"><span>").Append(hit.Role is { } role ? role.ToWireName() + (hit.Sequence is { } n ? $" #{n}" : "") : "title").Append("</span><span>")
                .Append(Time(hit.CreatedAt)).Append("</span></div>")
                .Append("<p class=\"snippet\">").Append(MessageView.Snippet(hit.Snippet, hit.Highlights)).Append("</p></li>\n");
        }

        b.Append("</ul>\n");
        return hits.Count > page * PageSize;
    }

    private static async Task SessionPageAsync(HttpContext context, SessionService service, string id, TimeProvider time)
    {
        Session? session;
        try
        {
            session = await service.FindAsync(id, context.RequestAborted);
        }
        catch (AgentSessionsException e) when (e.Code is ErrorCode.InvalidId or ErrorCode.InvalidArgument)
        {
            session = null;
        }

        if (session is null)
        {
            await WriteMessagePageAsync(context, StatusCodes.Status404NotFound, "Session not found", $"<p>There is no session <code>{E(id)}</code>. <a href=\"/\">All sessions</a></p>", ownerNav: true);
            return;
        }

        var details = await service.GetDetailsAsync(id, context.RequestAborted);
        var shares = await service.ListSharesAsync(id, includeRevoked: false, context.RequestAborted);
        var head = new StringBuilder();
        head.Append(Head(session.Title ?? session.Id, ownerNav: true, noIndex: true));
        head.Append("<h1>").Append(E(session.Title ?? "(untitled)")).Append("</h1>\n<p class=\"meta\"><span>").Append(E(session.Id)).Append("</span><span>created ")
            .Append(Time(session.CreatedAt)).Append("</span><span>updated ").Append(Time(session.UpdatedAt)).Append("</span><span>").Append(N(session.MessageCount))
            .Append(" messages</span><span>tokens in ").Append(N(session.InputTokens)).Append(", out ").Append(N(session.OutputTokens)).Append("</span>");
        if (session.Model is not null)
        {
            head.Append("<span>").Append(E(session.Model)).Append("</span>");
        }

        if (session.ProjectPath is not null)
        {
            head.Append("<span><code>").Append(E(session.ProjectPath)).Append("</code></span>");
        }

        if (session.ParentId is not null)
        {
            head.Append("<span>forked from <a href=\"/sessions/").Append(U(session.ParentId)).Append("\">").Append(E(session.ParentId)).Append("</a> after #")
                .Append(session.ForkSequence?.ToString(CultureInfo.InvariantCulture) ?? "?").Append("</span>");
        }

        head.Append("</p>\n");
        if (session.Tags.Count > 0)
        {
            head.Append("<p>").Append(TagLinks(session.Tags)).Append("</p>\n");
        }

        var jumps = new List<string>();
        if (details.Snapshots.Count > 0)
        {
            jumps.Add($"<a href=\"#snapshots\">{Count(details.Snapshots.Count, "snapshot")}</a>");
        }

        if (details.Bookmarks.Count > 0)
        {
            jumps.Add($"<a href=\"#bookmarks\">{Count(details.Bookmarks.Count, "bookmark")}</a>");
        }

        if (details.Forks.Count > 0)
        {
            jumps.Add($"<a href=\"#forks\">{Count(details.Forks.Count, "fork")}</a>");
        }

        if (shares.Count > 0)
        {
            jumps.Add($"<a href=\"#shares\">{Count(shares.Count, "share link")}</a>");
        }

        if (jumps.Count > 0)
        {
            head.Append("<p class=\"meta\">").Append(string.Join(" · ", jumps)).Append("</p>\n");
        }

        var (start, end) = RequestedWindow(context).Resolve(session.MessageCount);
        var pager = MessagePager("/sessions/" + U(session.Id), start, end, session.MessageCount);
        head.Append(pager);
        Begin(context, StatusCodes.Status200OK);
        await context.Response.WriteAsync(head.ToString(), context.RequestAborted);
        // One page, streamed message by message: a long session is never held whole in memory, nor sent whole.
        var any = false;
        if (end >= start)
        {
            await foreach (var message in service.ReadAsync(id, new MessageRange(start, (int)(end - start + 1)), context.RequestAborted))
            {
                any = true;
                await context.Response.WriteAsync(MessageView.Message(message), context.RequestAborted);
            }
        }

        var tail = new StringBuilder();
        if (!any)
        {
            tail.Append("<p class=\"empty\">No messages yet.</p>\n");
        }

        tail.Append(pager);

        tail.Append(MessageView.History(session.Id, details));
        if (shares.Count > 0)
        {
            var now = time.GetUtcNow();
            tail.Append("<h2 id=\"shares\">Share links</h2><table class=\"grid\"><tr><th>Link</th><th>Visibility</th><th>Expires</th><th>Fork</th><th>History</th></tr>\n");
            foreach (var share in shares)
            {
                var expires = share.ExpiresAt is { } at ? (at <= now ? "expired " : "") + Time(at) : "never";
                tail.Append($"<tr><td><a href=\"/s/{U(share.Token)}\">/s/{E(share.Token[..8])}…</a></td><td>{VisibilityName(share.Visibility)}</td><td>{expires}</td>")
                    .Append($"<td>{(share.AllowFork ? "allowed" : "no")}</td><td>{(share.ShowHistory ? "shown" : "final answer only")}</td></tr>\n");
            }

            tail.Append("</table>\n");
        }

        tail.Append(Foot);
        await context.Response.WriteAsync(tail.ToString(), context.RequestAborted);
    }

    /// <summary>
    /// The page of messages a session or share page asks for: the newest <see cref="SessionPageMessages"/>, or that
    /// many before <c>?before=SEQ</c>, or from <c>?from=SEQ</c> on. A value that is not a number (or below 1) is ignored.
    /// </summary>
    internal static MessageWindow RequestedWindow(HttpContext context)
    {
        static long? Number(HttpContext context, string name)
            => long.TryParse(context.Request.Query[name], NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= 1 ? value : null;

        return MessageWindow.Newest(SessionPageMessages) with { From = Number(context, "from"), Before = Number(context, "before") };
    }

    /// <summary>
    /// Which messages the page shows and links to the earlier and later ones (<paramref name="path"/> with
    /// <c>?before=</c> / <c>?from=</c>); empty when all <paramref name="count"/> fit on the page.
    /// </summary>
    internal static string MessagePager(string path, long start, long end, long count)
    {
        if (start <= 1 && end >= count)
        {
            return "";
        }

        var shown = end >= start ? $"messages {N(start)}–{N(end)} of {N(count)}" : $"{N(count)} messages";
        return new StringBuilder("<nav class=\"pager\">")
            .Append(start > 1 ? $"<a rel=\"prev\" href=\"{path}?before={start.ToString(CultureInfo.InvariantCulture)}\">← Earlier messages</a>" : "<span></span>")
            .Append("<span class=\"meta\">").Append(shown).Append("</span>")
            .Append(end < count ? $"<a rel=\"next\" href=\"{path}?from={(end + 1).ToString(CultureInfo.InvariantCulture)}\">Later messages →</a>" : "<span></span>")
            .Append("</nav>\n")
            .ToString();
    }

    private static string Count(int count, string singular) => count == 1 ? $"1 {singular}" : $"{N(count)} {singular}s";

    internal static string VisibilityName(ShareVisibility visibility) => visibility switch
    {
        ShareVisibility.Public => "public",
        ShareVisibility.Unlisted => "unlisted",
        _ => "private",
    };

    private static async Task PublicPageAsync(HttpContext context, SessionService service, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var page = PageNumber(context);
        var shares = (await service.ListSharesAsync(null, includeRevoked: false, context.RequestAborted))
            .Where(s => s.Visibility == ShareVisibility.Public && s.RevokedAt is null && (s.ExpiresAt is null || s.ExpiresAt > now))
            .ToList();
        var b = new StringBuilder();
        b.Append(Head("Public shares", ownerNav: IsOwner(context), noIndex: false));
        b.Append("<h1>Public shares</h1>\n<p class=\"meta\">Sessions their owners chose to list here. Anyone who can reach this server can read them.</p>\n");
        var shown = shares.Skip((page - 1) * PageSize).Take(PageSize).ToList();
        if (shown.Count == 0)
        {
            b.Append("<p class=\"empty\">Nothing is shared publicly.</p>\n");
        }
        else
        {
            b.Append("<ul class=\"list public\">\n");
            foreach (var share in shown)
            {
                var session = await service.FindAsync(share.SessionId, context.RequestAborted);
                if (session is null)
                {
                    continue;
                }

                b.Append("<li><a class=\"title\" href=\"/s/").Append(U(share.Token)).Append("\">").Append(E(session.Title ?? "(untitled)")).Append("</a>")
                    .Append("<div class=\"meta\"><span>").Append(share.ShowHistory ? N(session.MessageCount) + " messages" : "final answer only").Append("</span><span>shared ")
                    .Append(Time(share.CreatedAt)).Append("</span>")
                    .Append(share.ExpiresAt is { } at ? "<span>until " + Time(at) + "</span>" : "")
                    .Append(share.AllowFork ? "<span>can be forked</span>" : "").Append("</div></li>\n");
            }

            b.Append("</ul>\n");
        }

        if (page > 1 || shares.Count > page * PageSize)
        {
            b.Append("<nav class=\"pager\">")
                .Append(page > 1 ? $"<a rel=\"prev\" href=\"/public?page={page - 1}\">← Previous</a>" : "<span></span>")
                .Append($"<span class=\"meta\">Page {page}</span>")
                .Append(shares.Count > page * PageSize ? $"<a rel=\"next\" href=\"/public?page={page + 1}\">Next →</a>" : "<span></span>")
                .Append("</nav>\n");
        }

        b.Append(Foot);
        Begin(context, StatusCodes.Status200OK);
        await context.Response.WriteAsync(b.ToString(), context.RequestAborted);
    }
}
