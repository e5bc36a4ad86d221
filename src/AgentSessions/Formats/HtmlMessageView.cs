using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using AgentSessions.Sharing;
using AgentSessions.Storage;

namespace AgentSessions.Formats;

/// <summary>What differs between the two HTML front ends of <see cref="HtmlMessageView"/>: the web pages and the HTML export.</summary>
/// <remarks>
/// Everything else, which parts are shown and how each piece of content is escaped, is the view's and the same
/// for both: no front end can show a part the other escapes.
/// </remarks>
internal sealed record HtmlMessageStyle
{
    /// <summary>
    /// The web viewer's markup: the classes its stylesheet keys on (<c>msg</c>, <c>tool-call</c>, <c>tool-result</c>,
    /// <c>inline</c>), code elements inside <c>pre</c>, call ids as meta text, a number that links its own anchor,
    /// and http(s)/mailto URIs as links. The export's self-contained file has inline styles for plainer markup and
    /// links nothing.
    /// </summary>
    public required bool SiteMarkup { get; init; }

    /// <summary>
    /// Turns a text or reasoning text into HTML; it must escape everything it does not render safely (the pages'
    /// sanitising Markdown renderer, the export's <see cref="HtmlText.E"/>).
    /// </summary>
    public required Func<string, string> Render { get; init; }

    /// <summary>Writes a time.</summary>
    public required Func<DateTimeOffset, string> Time { get; init; }

    /// <summary>Writes a token count.</summary>
    public required Func<long, string> Count { get; init; }

    /// <summary>
    /// The HTML export's style: text as escaped plain text, times as <c>yyyy-MM-dd HH:mm:ss UTC</c>, plain numbers.
    /// </summary>
    public static HtmlMessageStyle Export { get; } = new()
    {
        SiteMarkup = false,
        Render = HtmlText.E,
        Time = HtmlText.ExportTime,
        Count = n => n.ToString(CultureInfo.InvariantCulture),
    };
}

/// <summary>
/// The one HTML view of a message, used by the HTML export and by the web viewer's session and share pages: header
/// (role, author, number, time, tokens, model) and each part.
/// </summary>
/// <remarks>
/// Every piece of stored content reaches the output through <see cref="HtmlText.E"/>, or through
/// <see cref="HtmlMessageStyle.Render"/> for text; attributes are quoted and escaped; images are inline only for
/// the raster types <see cref="SharedView.IsInlineImage"/> names (an SVG could carry script), and a URI becomes a
/// link only when it is http, https or mailto. Parts of kinds this view does not know are left out.
/// </remarks>
internal static class HtmlMessageView
{
    /// <summary>One message as an <c>article</c> element with the anchor <c>m{seq}</c>.</summary>
    public static string Message(SessionMessage message, HtmlMessageStyle style)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(style);
        var b = new StringBuilder();
        var role = message.Role.ToWireName();
        var seq = message.Sequence.ToString(CultureInfo.InvariantCulture);
        b.Append("<article class=\"").Append(style.SiteMarkup ? "msg " : "").Append(role).Append("\" id=\"m").Append(seq).Append("\"><header><span class=\"role\">").Append(role).Append("</span>");
        if (message.AuthorName is not null)
        {
            b.Append(" (").Append(E(message.AuthorName)).Append(')');
        }

        b.Append(style.SiteMarkup ? $" · <a href=\"#m{seq}\">#{seq}</a> · " : $" · #{seq} · ").Append(style.Time(message.CreatedAt));
        if (message.InputTokens > 0 || message.OutputTokens > 0)
        {
            b.Append(" · tokens in ").Append(style.Count(message.InputTokens)).Append(", out ").Append(style.Count(message.OutputTokens));
        }

        if (message.Model is not null)
        {
            b.Append(" · ").Append(E(message.Model));
        }

        b.Append("</header>\n");
        foreach (var part in message.Parts)
        {
            Part(b, part, style);
        }

        b.Append("</article>\n");
        return b.ToString();
    }

    private static void Part(StringBuilder b, ContentPart part, HtmlMessageStyle style)
    {
        var site = style.SiteMarkup;
        switch (part)
        {
            case TextPart t:
                b.Append(site ? "<div class=\"md\">" : "<div class=\"text\">").Append(style.Render(t.Text)).Append("</div>\n");
                break;
            case ReasoningPart r:
                b.Append(site ? "<details class=\"reasoning\"><summary>Reasoning</summary><div class=\"md\">" : "<details><summary>Reasoning</summary><div class=\"reasoning\">")
                    .Append(style.Render(r.Text)).Append("</div></details>\n");
                break;
            case ToolCallPart c:
                b.Append(site ? "<details class=\"tool-call\">" : "<details>").Append("<summary>Tool call <code>").Append(E(c.Name)).Append("</code> ").Append(CallId(c.CallId, site))
                    .Append("</summary>").Append(Code(c.Arguments is { } a ? Pretty(a) : "{}", site)).Append("</details>\n");
                break;
            case ToolResultPart r:
                var result = r.Result is { ValueKind: JsonValueKind.String } s ? s.GetString()! : r.Result is { } v ? Pretty(v) : "null";
                b.Append((site, r.IsError) switch
                    {
                        (true, true) => "<details class=\"tool-result error\">",
                        (true, false) => "<details class=\"tool-result\">",
                        (false, true) => "<details class=\"error\">",
                        _ => "<details>",
                    })
                    .Append(r.IsError ? "<summary>Tool error " : "<summary>Tool result ").Append(CallId(r.CallId, site)).Append("</summary>").Append(Code(result, site)).Append("</details>\n");
                break;
            case DataPart d when SharedView.IsInlineImage(d):
                // Only raster types as data: URLs; an SVG could carry script. The same test decides which attachments a share hands out.
                b.Append(site ? "<img class=\"inline\" alt=\"" : "<img alt=\"").Append(E(d.Name ?? "image")).Append("\" src=\"data:").Append(d.MediaType).Append(";base64,")
                    .Append(Convert.ToBase64String(d.Data)).Append("\">\n");
                break;
            case DataPart d:
                b.Append("<p class=\"meta\">Attachment ").Append(E(d.Name ?? "(unnamed)")).Append(", ").Append(E(d.MediaType)).Append(", ")
                    .Append(StoreRules.FormatBytes(d.Data.LongLength)).Append("</p>\n");
                break;
            case UriPart u when site:
                b.Append("<p class=\"meta\">Linked ").Append(E(u.MediaType)).Append(": ")
                    .Append(HtmlText.IsSafeUrl(u.Uri) ? $"<a rel=\"nofollow noopener noreferrer\" href=\"{E(u.Uri)}\">{E(u.Uri)}</a>" : E(u.Uri))
                    .Append("</p>\n");
                break;
            case UriPart u:
                b.Append("<p class=\"meta\">Link (").Append(E(u.MediaType)).Append("): ").Append(E(u.Uri)).Append("</p>\n");
                break;
        }
    }

    private static string CallId(string callId, bool site) => site ? $"<span class=\"meta\">{E(callId)}</span>" : $"({E(callId)})";

    private static string Code(string text, bool site) => site ? $"<pre><code>{E(text)}</code></pre>" : $"<pre>{E(text)}</pre>";

    private static string E(string? text) => HtmlText.E(text);

    private static string Pretty(JsonElement element) => JsonSerializer.Serialize(element, AgentSessionsJson.IndentedOptions);
}

/// <summary>Escaping and formatting shared by every HTML writer (the export, its history sections and the web pages).</summary>
internal static class HtmlText
{
    /// <summary>HTML-escapes text for element content and quoted attributes; <see langword="null"/> is empty.</summary>
    /// <remarks>
    /// Control characters are shown, not passed on: a C0 control becomes its Unicode control picture (ESC as ␛),
    /// DEL ␡, and C1 controls and bidirectional overrides U+FFFD. Stored text is written by others, and an
    /// override would reorder what the reader sees around it (the "Trojan Source" trick); tabs and line breaks stay.
    /// </remarks>
    public static string E(string? text) => WebUtility.HtmlEncode(Visible(text ?? ""));

    /// <summary>The text with its control characters replaced as <see cref="E"/> does, unescaped (for a Markdown renderer).</summary>
    public static string Visible(string text)
    {
        if (!text.AsSpan().ContainsAnyInRange('\u0000', '\u001f') && !text.AsSpan().ContainsAnyInRange('\u007f', '\u009f')
            && !text.AsSpan().ContainsAnyInRange('\u202a', '\u202e') && !text.AsSpan().ContainsAnyInRange('\u2066', '\u2069'))
        {
            return text;
        }

        return string.Create(text.Length, text, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                span[i] = c switch
                {
                    '\t' or '\n' or '\r' => c,
                    < '\u0020' => (char)(0x2400 + c),
                    '\u007f' => '\u2421',
                    <= '\u009f' and >= '\u0080' => '\ufffd',
                    >= '\u202a' and <= '\u202e' or >= '\u2066' and <= '\u2069' => '\ufffd',
                    _ => c,
                };
            }
        });
    }

    /// <summary>The HTML export's times: <c>yyyy-MM-dd HH:mm:ss UTC</c>.</summary>
    public static string ExportTime(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>Whether a URL may become a link: absolute http, https or mailto, nothing else.</summary>
    /// <remarks>
    /// Checked on the raw string's prefix rather than on a parsed <see cref="Uri"/>, because what matters is how
    /// a browser reads the attribute: a string that starts with one of these schemes can only be that scheme.
    /// </remarks>
    public static bool IsSafeUrl(string? url)
        => !string.IsNullOrEmpty(url)
            && (url.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
                || url.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
                || url.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase));
}
