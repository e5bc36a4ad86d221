using System.Globalization;
using System.Text;
using System.Text.Json;
using AgentSessions.Formats;
using AgentSessions.Server.Pages;
using AgentSessions.Sharing;
using AgentSessions.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using static AgentSessions.Server.Pages.Html;

namespace AgentSessions.Server.Http;

/// <summary>Share links: <c>/s/{token}</c> (view, password form) and <c>POST /s/{token}/export</c> (fork).</summary>
/// <remarks>
/// Passwords travel only in POST bodies, never in URLs (they would end up in histories and logs). Wrong
/// passwords are rate limited per (token, client address) by <see cref="PasswordAttemptLimiter"/>, checked
/// before the slow hash is computed. The page shows one page of messages at a time, as the owner's session page
/// does (<see cref="PageEndpoints.SessionPageMessages"/>, <c>?before=SEQ</c> / <c>?from=SEQ</c>); after the right
/// password, a <see cref="ShareUnlock"/> cookie lets the reader page on without typing it again.
/// </remarks>
internal static class ShareEndpoints
{
    /// <summary>The most bytes read from a request body (a password, in a form or JSON).</summary>
    private const int MaxBodyBytes = 16 * 1024;

    public static void Map(WebApplication app, SessionService service, PasswordAttemptLimiter limiter, ShareUnlock unlock, TimeProvider time)
    {
        var handler = new Handler(service, limiter, unlock, time);
        app.MapGet("/s/{token}", context => handler.ViewAsync(context, Token(context), password: null, posted: false));
        app.MapPost("/s/{token}", async context =>
        {
            var (password, _) = await ReadPasswordAsync(context);
            await handler.ViewAsync(context, Token(context), password, posted: true);
        });
        app.MapPost("/s/{token}/export", context => handler.ExportAsync(context, Token(context)));
    }

    private static string Token(HttpContext context) => (string)context.Request.RouteValues["token"]!;

    /// <summary>Reads the <c>password</c> field of a form or a JSON object; also tells whether the body was a form.</summary>
    private static async Task<(string? Password, bool IsForm)> ReadPasswordAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.ContentLength is > MaxBodyBytes)
        {
            return (null, request.HasFormContentType);
        }

        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(context.RequestAborted);
            var value = form["password"].ToString();
            return (value.Length == 0 ? null : value, true);
        }

        if (request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true)
        {
            var buffer = new MemoryStream();
            var chunk = new byte[4096];
            int read;
            while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > MaxBodyBytes)
                {
                    return (null, false);
                }
            }

            try
            {
                using var document = JsonDocument.Parse(buffer.ToArray());
                return document.RootElement is { ValueKind: JsonValueKind.Object } root
                    && root.TryGetProperty("password", out var p) && p.ValueKind == JsonValueKind.String && p.GetString() is { Length: > 0 } text
                    ? (text, false)
                    : (null, false);
            }
            catch (JsonException)
            {
                return (null, false);
            }
        }

        return (null, false);
    }

    private sealed class Handler(SessionService service, PasswordAttemptLimiter limiter, ShareUnlock unlock, TimeProvider time)
    {
        private enum Outcome
        {
            Granted,
            Handled,
        }

        /// <summary>GET shows the link (or the password form); POST carries the password.</summary>
        public async Task ViewAsync(HttpContext context, string token, string? password, bool posted)
        {
            var (outcome, share) = await OpenAsync(context, token, password, posted, html: true, viewing: true);
            if (outcome == Outcome.Handled)
            {
                return;
            }

            await RenderShareAsync(context, share!, PageEndpoints.RequestedWindow(context));
        }

        /// <summary>Returns the session as our JSON export, when the link allows forking.</summary>
        public async Task ExportAsync(HttpContext context, string token)
        {
            var (password, isForm) = await ReadPasswordAsync(context);
            var (outcome, share) = await OpenAsync(context, token, password, posted: true, html: isForm, viewing: false);
            if (outcome == Outcome.Handled)
            {
                return;
            }

            if (!share!.AllowFork)
            {
                await FailAsync(context, isForm, StatusCodes.Status403Forbidden, "Forking not allowed", "The owner of this link does not allow forking it.");
                return;
            }

            // Exactly what the page shows (SharedView), never the stored session with its metadata and history.
            if (await ReadSharedAsync(context, share, window: null, html: isForm) is not { } shared)
            {
                return;
            }

            // The JSON writer flushes synchronously, which Kestrel refuses on the response body: write into a
            // buffer that spills to a temporary file past 32 KiB, then copy it out asynchronously.
            await using var buffer = new FileBufferingWriteStream();
            await SessionJsonFormat.WriteAsync(buffer, shared.Session, shared.Messages, details: null, context.RequestAborted);

            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json; charset=utf-8";
            context.Response.Headers.CacheControl = "no-store";
            context.Response.Headers.ContentDisposition = $"attachment; filename=\"{SharedView.SessionId}.json\"";
            context.Response.ContentLength = buffer.Length;
            await buffer.DrainBufferAsync(context.Response.Body, context.RequestAborted);
        }

        /// <summary>Applies the access rules; writes the refusal itself and says so, or hands back the granted link.</summary>
        /// <param name="context">The request.</param>
        /// <param name="token">The link's token, from the path.</param>
        /// <param name="password">The password sent in the body, if any.</param>
        /// <param name="posted">Whether this is a POST (only those count against the attempt limit).</param>
        /// <param name="html">Whether refusals are pages (else JSON).</param>
        /// <param name="viewing">
        /// Whether this shows the page: then the unlock cookie stands in for the password, and the right password
        /// sets it. The export keeps asking for the password, as fork-share sends it.
        /// </param>
        private async Task<(Outcome Outcome, Share? Share)> OpenAsync(HttpContext context, string token, string? password, bool posted, bool html, bool viewing)
        {
            if (!ShareService.IsWellFormedToken(token))
            {
                await NotFoundAsync(context, html);
                return (Outcome.Handled, null);
            }

            var client = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            if (posted && limiter.IsBlocked(token, client, out var retryAfter))
            {
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                await FailAsync(context, html, StatusCodes.Status429TooManyRequests, "Too many attempts",
                    $"Too many wrong passwords for this link. Try again in {Wait(seconds)}.");
                return (Outcome.Handled, null);
            }

            var (access, share) = await service.OpenShareAsync(token, password, time.GetUtcNow(), context.RequestAborted);
            switch (access)
            {
                case ShareAccess.Granted:
                    if (password is not null)
                    {
                        limiter.Reset(token, client);
                        if (viewing && share!.Visibility == ShareVisibility.Private)
                        {
                            SetUnlockCookie(context, share);
                        }
                    }

                    return (Outcome.Granted, share);
                case ShareAccess.PasswordRequired when viewing && unlock.Verify(share!, context.Request.Cookies[ShareUnlock.CookieName]):
                    // Checked only after the link was found live and unexpired: the cookie stands in for the password, nothing more.
                    return (Outcome.Granted, share);
                case ShareAccess.Expired:
                    await FailAsync(context, html, StatusCodes.Status410Gone, "Link expired", "This share link has expired. Ask its owner for a new one.");
                    return (Outcome.Handled, null);
                case ShareAccess.PasswordRequired when !posted:
                    await PasswordPageAsync(context, token, StatusCodes.Status200OK, error: null);
                    return (Outcome.Handled, null);
                case ShareAccess.PasswordRequired:
                    if (html)
                    {
                        await PasswordPageAsync(context, token, StatusCodes.Status401Unauthorized, "Enter the password.");
                    }
                    else
                    {
                        await FailAsync(context, html, StatusCodes.Status401Unauthorized, "Password required", "This share link needs a password.");
                    }

                    return (Outcome.Handled, null);
                case ShareAccess.WrongPassword:
                    limiter.RecordFailure(token, client);
                    if (html)
                    {
                        await PasswordPageAsync(context, token, StatusCodes.Status401Unauthorized, "Wrong password. Try again.");
                    }
                    else
                    {
                        await FailAsync(context, html, StatusCodes.Status401Unauthorized, "Wrong password", "The password is wrong.");
                    }

                    return (Outcome.Handled, null);
                default:
                    await NotFoundAsync(context, html);
                    return (Outcome.Handled, null);
            }
        }

        /// <summary>
        /// The shared view (one page of it, or all for <paramref name="window"/> <see langword="null"/>), or
        /// <see langword="null"/> after answering 404 when the session went since the link was opened.
        /// </summary>
        private async Task<SharedSession?> ReadSharedAsync(HttpContext context, Share share, MessageWindow? window, bool html)
        {
            try
            {
                return window is { } page
                    ? await service.ReadSharedAsync(share, page, context.RequestAborted)
                    : await service.ReadSharedAsync(share, context.RequestAborted);
            }
            catch (AgentSessionsException e) when (e.Code == ErrorCode.NotFound)
            {
                await NotFoundAsync(context, html);
                return null;
            }
        }

        /// <summary>Remembers in this browser, for this link only, that the password was right (see <see cref="ShareUnlock"/>).</summary>
        private void SetUnlockCookie(HttpContext context, Share share)
            // HttpOnly: no script reads it. Strict: no other site's page sends it. The link's own path: no other
            // link, and no owner page, ever receives it. No expiry on the browser side (it ends with the browser
            // session); the value itself stops working after ShareUnlock.Lifetime.
            => context.Response.Cookies.Append(ShareUnlock.CookieName, unlock.Issue(share), new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Path = "/s/" + share.Token,
                Secure = context.Request.IsHttps,
                IsEssential = true,
            });

        private static string Wait(int seconds)
            => seconds < 90 ? $"{seconds} seconds" : $"{(seconds + 59) / 60} minutes";

        private static Task NotFoundAsync(HttpContext context, bool html)
            => FailAsync(context, html, StatusCodes.Status404NotFound, "Link not found", "This share link does not exist or was revoked.");

        /// <summary>An error as a page for browsers, or as <c>{"error": ...}</c> for programs (fork-share).</summary>
        private static async Task FailAsync(HttpContext context, bool html, int status, string title, string message)
        {
            if (html)
            {
                await WriteMessagePageAsync(context, status, title, $"<p>{E(message)}</p>");
                return;
            }

            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json; charset=utf-8";
            context.Response.Headers.CacheControl = "no-store";
            var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteString("error", message);
                writer.WriteEndObject();
            }

            await context.Response.Body.WriteAsync(buffer.ToArray(), context.RequestAborted);
        }

        private static async Task PasswordPageAsync(HttpContext context, string token, int status, string? error)
        {
            Begin(context, status);
            var b = new StringBuilder();
            b.Append(Head("Password required", ownerNav: false, noIndex: true));
            b.Append("<section class=\"notice\"><h1>Password required</h1><p>This shared session is protected by a password.</p>\n");
            if (error is not null)
            {
                b.Append("<p class=\"error-text\" role=\"alert\">").Append(E(error)).Append("</p>\n");
            }

            // The form posts back to the page that was asked for, so a link to a later page lands there after the password.
            b.Append("<form class=\"password\" method=\"post\" action=\"/s/").Append(U(token)).Append(WindowQuery(PageEndpoints.RequestedWindow(context))).Append("\">")
                .Append("<input type=\"password\" name=\"password\" autocomplete=\"current-password\" required autofocus aria-label=\"Password\" placeholder=\"Password\">")
                .Append("<button type=\"submit\">Open</button></form></section>\n");
            b.Append(Foot);
            await context.Response.WriteAsync(b.ToString(), context.RequestAborted);
        }

        /// <summary><c>?from=N</c> or <c>?before=N</c> as <paramref name="window"/> asks, or nothing for the newest page.</summary>
        private static string WindowQuery(MessageWindow window)
            => window.From is { } from ? "?from=" + from.ToString(CultureInfo.InvariantCulture)
                : window.Before is { } before ? "?before=" + before.ToString(CultureInfo.InvariantCulture)
                : "";

        private async Task RenderShareAsync(HttpContext context, Share share, MessageWindow window)
        {
            // The page renders the shared view, the same one the export writes: what it shows is what the link hands
            // out. One page of it: the window is resolved against the shared messages in the core, never the stored ones.
            if (await ReadSharedAsync(context, share, window, html: true) is not { } shared)
            {
                return;
            }

            var session = shared.Session;
            var url = $"{context.Request.Scheme}://{context.Request.Host}/s/{share.Token}";
            var b = new StringBuilder();
            b.Append(Head(session.Title ?? "Shared session", ownerNav: false, noIndex: share.Visibility != ShareVisibility.Public));
            b.Append("<h1>").Append(E(session.Title ?? "(untitled)")).Append("</h1>\n<p class=\"meta\"><span>shared session</span>");
            b.Append(shared.FinalAnswerOnly ? "<span>final answer only</span>" : $"<span>{N(session.MessageCount)} messages</span>");
            b.Append("<span>started ").Append(Time(session.CreatedAt)).Append("</span>");
            b.Append("<span>updated ").Append(Time(session.UpdatedAt)).Append("</span>");
            if (share.ExpiresAt is { } expires)
            {
                b.Append("<span>link works until ").Append(Time(expires)).Append("</span>");
            }

            b.Append("</p>\n");
            var path = "/s/" + U(share.Token);
            var pager = PageEndpoints.MessagePager(path, shared.First, shared.Last, session.MessageCount);
            if (share.AllowFork)
            {
                var password = share.Visibility == ShareVisibility.Private;
                b.Append("<section class=\"box fork\"><h2>Fork this session</h2><p>Copy it into your own store as a new session:</p>")
                    .Append("<pre><code>agent-sessions fork-share ").Append(E(url)).Append(password ? " --password PASSWORD" : "").Append("</code></pre>")
                    .Append("<form class=\"password\" method=\"post\" action=\"/s/").Append(U(share.Token)).Append("/export\">");
                if (password)
                {
                    // The reader types the password again: echoing it into the page would keep it in the HTML.
                    b.Append("<input type=\"password\" name=\"password\" autocomplete=\"current-password\" required aria-label=\"Password\" placeholder=\"Password\">");
                }

                b.Append("<button type=\"submit\" class=\"secondary\">Download JSON export</button></form></section>\n");
            }

            b.Append(pager);
            Begin(context, StatusCodes.Status200OK);
            await context.Response.WriteAsync(b.ToString(), context.RequestAborted);
            var any = false;
            await foreach (var message in shared.Messages.WithCancellation(context.RequestAborted))
            {
                await context.Response.WriteAsync((shared.FinalAnswerOnly && !any ? "<h2>Final answer</h2>\n" : "") + MessageView.Message(message), context.RequestAborted);
                any = true;
            }

            if (!any)
            {
                await context.Response.WriteAsync(shared.FinalAnswerOnly ? "<p class=\"empty\">There is no answer to show.</p>\n" : "<p class=\"empty\">No messages.</p>\n", context.RequestAborted);
            }

            await context.Response.WriteAsync(pager + Foot, context.RequestAborted);
        }
    }
}
