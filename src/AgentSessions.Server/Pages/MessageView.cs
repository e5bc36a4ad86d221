using System.Text;
using System.Text.Json;
using AgentSessions.Formats;
using AgentSessions.Storage;
using static AgentSessions.Server.Pages.Html;

namespace AgentSessions.Server.Pages;

/// <summary>Renders messages, search snippets and a session's history for the pages.</summary>
internal static class MessageView
{
    /// <summary>One message: header (role, author, number, time, tokens, model) and each part.</summary>
    /// <remarks>A share page passes the message as <see cref="Sharing.SharedView"/> reduced it, and shows all of it.</remarks>
    /// <param name="message">The message.</param>
    public static string Message(SessionMessage message)
    {
        var b = new StringBuilder();
        var role = message.Role.ToWireName();
        b.Append($"<article class=\"msg {role}\" id=\"m{message.Sequence}\"><header><span class=\"role\">{role}</span>");
        if (message.AuthorName is not null)
        {
            b.Append(" (").Append(E(message.AuthorName)).Append(')');
        }

        b.Append($" · <a href=\"#m{message.Sequence}\">#{message.Sequence}</a> · ").Append(Time(message.CreatedAt));
        if (message.InputTokens > 0 || message.OutputTokens > 0)
        {
            b.Append(" · tokens in ").Append(N(message.InputTokens)).Append(", out ").Append(N(message.OutputTokens));
        }

        if (message.Model is not null)
        {
            b.Append(" · ").Append(E(message.Model));
        }

        b.Append("</header>\n");
        foreach (var part in message.Parts)
        {
            Part(b, part);
        }

        b.Append("</article>\n");
        return b.ToString();
    }

    private static void Part(StringBuilder b, ContentPart part)
    {
        switch (part)
        {
            case TextPart t:
                b.Append("<div class=\"md\">").Append(SafeMarkdown.ToHtml(t.Text)).Append("</div>\n");
                break;
            case ReasoningPart r:
                b.Append("<details class=\"reasoning\"><summary>Reasoning</summary><div class=\"md\">").Append(SafeMarkdown.ToHtml(r.Text)).Append("</div></details>\n");
                break;
            case ToolCallPart c:
                b.Append("<details class=\"tool-call\"><summary>Tool call <code>").Append(E(c.Name)).Append("</code> <span class=\"meta\">").Append(E(c.CallId))
                    .Append("</span></summary><pre><code>").Append(E(c.Arguments is { } a ? Pretty(a) : "{}")).Append("</code></pre></details>\n");
                break;
            case ToolResultPart r:
                var result = r.Result is { ValueKind: JsonValueKind.String } s ? s.GetString()! : r.Result is { } v ? Pretty(v) : "null";
                b.Append(r.IsError ? "<details class=\"tool-result error\"><summary>Tool error " : "<details class=\"tool-result\"><summary>Tool result ")
                    .Append("<span class=\"meta\">").Append(E(r.CallId)).Append("</span></summary><pre><code>").Append(E(result)).Append("</code></pre></details>\n");
                break;
            case DataPart d when Sharing.SharedView.IsInlineImage(d):
                // Only raster types as data: URLs (the CSP allows them); an SVG could carry script. The same test
                // decides which attachments a share hands out.
                b.Append("<img class=\"inline\" alt=\"").Append(E(d.Name ?? "image")).Append("\" src=\"data:").Append(d.MediaType).Append(";base64,")
                    .Append(Convert.ToBase64String(d.Data)).Append("\">\n");
                break;
            case DataPart d:
                b.Append("<p class=\"meta\">Attachment ").Append(E(d.Name ?? "(unnamed)")).Append(", ").Append(E(d.MediaType)).Append(", ")
                    .Append(StoreRules.FormatBytes(d.Data.LongLength)).Append("</p>\n");
                break;
            case UriPart u:
                b.Append("<p class=\"meta\">Linked ").Append(E(u.MediaType)).Append(": ");
                if (SafeMarkdown.IsSafeUrl(u.Uri))
                {
                    b.Append("<a rel=\"nofollow noopener noreferrer\" href=\"").Append(E(u.Uri)).Append("\">").Append(E(u.Uri)).Append("</a>");
                }
                else
                {
                    b.Append(E(u.Uri));
                }

                b.Append("</p>\n");
                break;
        }
    }

    /// <summary>A search snippet with its matched ranges in mark elements; each piece escaped on its own.</summary>
    public static string Snippet(string snippet, IReadOnlyList<TextRange> highlights)
    {
        var b = new StringBuilder();
        var position = 0;
        foreach (var range in highlights.OrderBy(h => h.Start))
        {
            // Ranges come from the store; clamp them rather than trust them, and skip overlaps.
            var start = Math.Clamp(range.Start, position, snippet.Length);
            var end = Math.Clamp(range.Start + range.Length, start, snippet.Length);
            if (end <= start)
            {
                continue;
            }

            b.Append(E(snippet[position..start])).Append("<mark>").Append(E(snippet[start..end])).Append("</mark>");
            position = end;
        }

        b.Append(E(snippet[position..]));
        return b.ToString();
    }

    /// <summary>The session page that shows message <paramref name="sequence"/> first, scrolled to it.</summary>
    /// <remarks>A session page shows one page of messages, so a plain <c>#m{seq}</c> would miss most of a long session.</remarks>
    public static string MessageUrl(string sessionId, long sequence)
    {
        var seq = sequence.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return $"/sessions/{U(sessionId)}?from={seq}#m{seq}";
    }

    /// <summary>Snapshots, bookmarks and forks of a session (owner page only: it links other owner pages).</summary>
    public static string History(string sessionId, SessionDetails details)
    {
        var b = new StringBuilder();
        HtmlHistory.AppendSnapshots(b, details.Snapshots, Time, seq => MessageUrl(sessionId, seq));
        HtmlHistory.AppendBookmarks(b, details.Bookmarks, seq => MessageUrl(sessionId, seq));
        if (details.Forks.Count > 0)
        {
            b.Append("<h2 id=\"forks\">Forks</h2><ul>\n");
            foreach (var fork in details.Forks)
            {
                b.Append($"<li><a href=\"/sessions/{U(fork)}\">{E(fork)}</a></li>\n");
            }

            b.Append("</ul>\n");
        }

        HtmlHistory.AppendFiles(b, details.Files);
        return b.ToString();
    }

    private static string Pretty(JsonElement element) => JsonSerializer.Serialize(element, AgentSessionsJson.IndentedOptions);
}
