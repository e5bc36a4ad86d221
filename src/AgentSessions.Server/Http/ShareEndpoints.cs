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
/// before the slow hash is computed.
/// </remarks>
internal static class ShareEndpoints
{
    /// <summary>The most bytes read from a request body (a password, in a form or JSON).</summary>
    private const int MaxBodyBytes = 16 * 1024;

    public static void Map(WebApplication app, SessionService service, PasswordAttemptLimiter limiter, TimeProvider time)
    {
        var handler = new Handler(service, limiter, time);
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

    private sealed class Handler(SessionService service, PasswordAttemptLimiter limiter, TimeProvider time)
    {
        private enum Outcome
        {
            Granted,
            Handled,
        }

        /// <summary>GET shows the link (or the password form); POST carries the password.</summary>
        public async Task ViewAsync(HttpContext context, string token, string? password, bool posted)
        {
            var (outcome, share) = await OpenAsync(context, token, password, posted, html: true);
            if (outcome == Outcome.Handled)
            {
                return;
            }

            await RenderShareAsync(context, share!);
        }

        /// <summary>Returns the session as our JSON export, when the link allows forking.</summary>
        public async Task ExportAsync(HttpContext context, string token)
        {
            var (password, isForm) = await ReadPasswordAsync(context);
            var (outcome, share) = await OpenAsync(context, token, password, posted: true, html: isForm);
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
            if (await ReadSharedAsync(context, share, html: isForm) is not { } shared)
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
        private async Task<(Outcome Outcome, Share? Share)> OpenAsync(HttpContext context, string token, string? password, bool posted, bool html)
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
                    }

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

        /// <summary>The shared view, or <see langword="null"/> after answering 404 when the session went since the link was opened.</summary>
        private async Task<SharedSession?> ReadSharedAsync(HttpContext context, Share share, bool html)
        {
            try
            {
                return await service.ReadSharedAsync(share, context.RequestAborted);
            }
            catch (AgentSessionsException e) when (e.Code == ErrorCode.NotFound)
            {
                await NotFoundAsync(context, html);
                return null;
            }
        }

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

            b.Append("<form class=\"password\" method=\"post\" action=\"/s/").Append(U(token)).Append("\">")
                .Append("<input type=\"password\" name=\"password\" autocomplete=\"current-password\" required autofocus aria-label=\"Password\" placeholder=\"Password\">")
                .Append("<button type=\"submit\">Open</button></form></section>\n");
            b.Append(Foot);
            await context.Response.WriteAsync(b.ToString(), context.RequestAborted);
        }

        private async Task RenderShareAsync(HttpContext context, Share share)
        {
            // The page renders the shared view, the same one the export writes: what it shows is what the link hands out.
            if (await ReadSharedAsync(context, share, html: true) is not { } shared)
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

            await context.Response.WriteAsync(Foot, context.RequestAborted);
        }
    }
}
