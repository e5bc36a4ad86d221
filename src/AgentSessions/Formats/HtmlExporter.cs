using System.Text;
using AgentSessions.Storage;

namespace AgentSessions.Formats;

/// <summary>
/// Writes a session as one self-contained HTML file: inline styles, no scripts, every piece of content escaped,
/// and a Content-Security-Policy that forbids scripts should anything slip through.
/// </summary>
/// <remarks>Messages are written by <see cref="HtmlMessageView"/>, the same view the web pages use, in its export style.</remarks>
public static class HtmlExporter
{
    private const string Style = """
        body{font:15px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f;background:#fafafa}
        h1{font-size:1.5rem;margin-bottom:.25rem}.meta{color:#666;font-size:.85rem}
        article{background:#fff;border:1px solid #e3e3e3;border-radius:8px;margin:1rem 0;padding:.75rem 1rem}
        article header{font-size:.8rem;color:#666;margin-bottom:.4rem}.role{font-weight:600;text-transform:capitalize}
        .user .role{color:#0b5cad}.assistant .role{color:#1a7f37}.system .role{color:#9a6700}.tool .role{color:#8250df}
        .text{white-space:pre-wrap;word-wrap:break-word}.reasoning{white-space:pre-wrap;color:#666;font-style:italic}
        details{margin:.4rem 0}summary{cursor:pointer;color:#444}pre{background:#f4f4f4;padding:.5rem;overflow:auto;border-radius:4px;white-space:pre-wrap}
        .error summary{color:#cf222e}img{max-width:100%}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}
        """;

    /// <summary>Writes the session, streaming the messages.</summary>
    public static async Task WriteAsync(Stream output, Session session, IAsyncEnumerable<SessionMessage> messages, SessionDetails? details = null, CancellationToken cancellationToken = default)
    {
        var writer = new StreamWriter(output, new UTF8Encoding(false), 64 * 1024, leaveOpen: true) { NewLine = "\n" };
        await using (writer.ConfigureAwait(false))
        {
            var title = E(session.Title ?? session.Id);
            await writer.WriteAsync($"""
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8">
                <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <title>{title}</title><style>{Style}</style></head>
                <body><h1>{title}</h1>
                <p class="meta">{E(session.Id)} · created {Time(session.CreatedAt)} · updated {Time(session.UpdatedAt)} · {session.MessageCount} messages · tokens in {session.InputTokens}, out {session.OutputTokens}{(session.Model is null ? "" : " · " + E(session.Model))}{(session.Tags.Count == 0 ? "" : " · tags: " + E(string.Join(", ", session.Tags)))}{(session.ParentId is null ? "" : $" · forked from {E(session.ParentId)} at {session.ForkSequence}")}</p>

                """).ConfigureAwait(false);
            await foreach (var message in messages.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                await writer.WriteAsync(HtmlMessageView.Message(message, HtmlMessageStyle.Export)).ConfigureAwait(false);
            }

            if (details is not null)
            {
                await writer.WriteAsync(FormatDetails(details)).ConfigureAwait(false);
            }

            await writer.WriteAsync("</body></html>\n").ConfigureAwait(false);
        }
    }

    private static string FormatDetails(SessionDetails d)
    {
        var b = new StringBuilder();
        HtmlHistory.AppendSnapshots(b, d.Snapshots, Time);
        HtmlHistory.AppendBookmarks(b, d.Bookmarks);
        if (d.ToolExecutions.Count > 0)
        {
            b.Append("<h2>Tool executions</h2><table><tr><th>Tool</th><th>Result</th><th>Duration</th><th>Agent</th><th>At</th></tr>\n");
            foreach (var t in d.ToolExecutions)
            {
                b.Append($"<tr><td>{E(t.ToolName)}</td><td>{(t.Success ? "ok" : "failed")}</td><td>{(t.DurationMs is { } ms ? ms + " ms" : "")}</td><td>{E(t.AgentName ?? "")}</td><td>{Time(t.CreatedAt)}</td></tr>\n");
            }

            b.Append("</table>\n");
        }

        HtmlHistory.AppendFiles(b, d.Files);
        return b.ToString();
    }

    private static string E(string text) => HtmlText.E(text);

    private static string Time(DateTimeOffset time) => HtmlText.ExportTime(time);
}
