using System.Text;
using AgentSessions.Formats;
using AgentSessions.Storage;
using static AgentSessions.Server.Pages.Html;

namespace AgentSessions.Server.Pages;

/// <summary>Renders messages, search snippets and a session's history for the pages.</summary>
internal static class MessageView
{
    /// <summary>How the pages write a message: the site's markup, Markdown rendered by <see cref="SafeMarkdown"/>, time elements, grouped digits.</summary>
    private static readonly HtmlMessageStyle Style = new()
    {
        SiteMarkup = true,
        Render = SafeMarkdown.ToHtml,
        Time = Html.Time,
        Count = N,
    };

    /// <summary>One message: header (role, author, number, time, tokens, model) and each part, by <see cref="HtmlMessageView"/>, the view the HTML export uses too.</summary>
    /// <remarks>A share page passes the message as <see cref="Sharing.SharedView"/> reduced it, and shows all of it.</remarks>
    /// <param name="message">The message.</param>
    public static string Message(SessionMessage message) => HtmlMessageView.Message(message, Style);

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
}
