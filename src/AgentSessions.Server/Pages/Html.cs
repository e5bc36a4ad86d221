using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace AgentSessions.Server.Pages;

/// <summary>Escaping, formatting and the page frame shared by every page.</summary>
/// <remarks>Every piece of stored content reaches the page through <see cref="E"/> or <see cref="SafeMarkdown"/>.</remarks>
internal static class Html
{
    /// <summary>The stylesheet's path; served from memory by the page endpoints (the CSP allows only 'self' styles).</summary>
    public const string StylesheetPath = "/static/app.css";

    /// <summary>HTML-escapes text for element content and quoted attributes.</summary>
    public static string E(string? text) => Formats.HtmlText.E(text);

    /// <summary>Escapes a value for a URL path segment or query value.</summary>
    public static string U(string text) => Uri.EscapeDataString(text);

    /// <summary>A time element: readable UTC text, the exact instant in the attribute.</summary>
    public static string Time(DateTimeOffset time)
        => $"<time datetime=\"{time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}\">{time.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC</time>";

    /// <summary>A count with thousands separators.</summary>
    public static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>The document head and the top bar; the caller writes the main content and then <see cref="Foot"/>.</summary>
    /// <param name="title">The page title (escaped here).</param>
    /// <param name="ownerNav">Whether to link the owner's pages (only on pages the owner sees).</param>
    /// <param name="noIndex">Whether to ask search engines to stay away (share links are secrets).</param>
    public static string Head(string title, bool ownerNav, bool noIndex)
    {
        var b = new StringBuilder();
        b.Append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
        b.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        if (noIndex)
        {
            b.Append("<meta name=\"robots\" content=\"noindex, nofollow\">\n");
        }

        b.Append("<title>").Append(E(title)).Append(" · agent-sessions</title>\n");
        b.Append("<link rel=\"stylesheet\" href=\"").Append(StylesheetPath).Append("\">\n</head>\n<body>\n");
        b.Append("<header class=\"top\"><div class=\"wrap\">");
        if (ownerNav)
        {
            b.Append("<a class=\"brand\" href=\"/\">agent-sessions</a><nav><a href=\"/\">Sessions</a><a href=\"/public\">Public shares</a></nav>");
        }
        else
        {
            b.Append("<span class=\"brand\">agent-sessions</span><nav><a href=\"/public\">Public shares</a></nav>");
        }

        b.Append("</div></header>\n<main class=\"wrap\">\n");
        return b.ToString();
    }

    /// <summary>Closes what <see cref="Head"/> opened.</summary>
    public const string Foot = "</main>\n<footer class=\"wrap foot\">Served by agent-sessions</footer>\n</body></html>\n";

    /// <summary>Starts an HTML response: status, type, and no caching (every page shows private or secret content).</summary>
    public static void Begin(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
    }

    /// <summary>Writes a whole short page: a heading and a message.</summary>
    public static async Task WriteMessagePageAsync(HttpContext context, int status, string title, string messageHtml, bool ownerNav = false)
    {
        Begin(context, status);
        await context.Response.WriteAsync(
            Head(title, ownerNav, noIndex: true)
            + $"<section class=\"notice\"><h1>{E(title)}</h1>{messageHtml}</section>\n"
            + Foot,
            context.RequestAborted);
    }
}
