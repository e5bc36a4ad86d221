using System.Globalization;
using System.Text;

namespace AgentSessions.Formats;

/// <summary>
/// A session's snapshots, bookmarks and file changes as HTML sections: the same markup in the HTML export and on
/// the web viewer's session page (both give each message the anchor <c>m{seq}</c>, which the sections link to; the
/// web page shows one page of messages, so it passes links that open the page holding the message).
/// </summary>
internal static class HtmlHistory
{
    /// <summary>The snapshots table, each linking the message it ends at; nothing when there are none.</summary>
    /// <param name="b">Where to write.</param>
    /// <param name="snapshots">The session's snapshots.</param>
    /// <param name="time">How the caller writes a time (the export and the web page differ).</param>
    /// <param name="link">The href of message SEQ; by default the anchor <c>#mSEQ</c> on the same page.</param>
    public static void AppendSnapshots(StringBuilder b, IReadOnlyList<Snapshot> snapshots, Func<DateTimeOffset, string> time, Func<long, string>? link = null)
    {
        if (snapshots.Count == 0)
        {
            return;
        }

        b.Append("<h2 id=\"snapshots\">Snapshots</h2><table class=\"grid\"><tr><th>Name</th><th>Messages</th><th>Taken</th><th>Description</th></tr>\n");
        foreach (var s in snapshots)
        {
            b.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(s.Name)}</td><td><a href=\"{E((link ?? Anchor)(s.MessageCount))}\">{s.MessageCount}</a></td><td>{time(s.CreatedAt)}</td><td>{E(s.Description)}</td></tr>\n");
        }

        b.Append("</table>\n");
    }

    public static void AppendBookmarks(StringBuilder b, IReadOnlyList<Bookmark> bookmarks, Func<long, string>? link = null)
    {
        if (bookmarks.Count == 0)
        {
            return;
        }

        b.Append("<h2 id=\"bookmarks\">Bookmarks</h2><ul>\n");
        foreach (var m in bookmarks)
        {
            b.Append(CultureInfo.InvariantCulture, $"<li><a href=\"{E((link ?? Anchor)(m.Sequence))}\">{E(m.Name)}</a> at #{m.Sequence}{(m.Note is null ? "" : " — " + E(m.Note))}</li>\n");
        }

        b.Append("</ul>\n");
    }

    public static void AppendFiles(StringBuilder b, IReadOnlyList<FileChange> files)
    {
        if (files.Count == 0)
        {
            return;
        }

        b.Append("<h2 id=\"files\">Files</h2><ul>\n");
        foreach (var f in files)
        {
            b.Append(CultureInfo.InvariantCulture, $"<li>{(f.Kind == FileChangeKind.Created ? "created" : "modified")} <code>{E(f.Path)}</code></li>\n");
        }

        b.Append("</ul>\n");
    }

    private static string Anchor(long sequence) => "#m" + sequence.ToString(CultureInfo.InvariantCulture);

    private static string E(string? text) => HtmlText.E(text);
}
