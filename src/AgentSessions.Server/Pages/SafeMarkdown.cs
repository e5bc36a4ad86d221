using Markdig;
using Markdig.Renderers;
using Markdig.Renderers.Html.Inlines;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace AgentSessions.Server.Pages;

/// <summary>
/// Renders message text (Markdown written by people and models, so untrusted) to HTML that cannot run script.
/// </summary>
/// <remarks>
/// Three layers: raw HTML is not parsed at all (it comes out as escaped text); every link and image URL must be
/// absolute http, https or mailto, anything else (javascript:, data:, vbscript:, relative tricks) loses its link and
/// keeps only its text; Markdig's renderer escapes all text and attributes. The page's Content-Security-Policy
/// forbids inline script as a last line. Extensions that let Markdown set attributes (generic attributes) are
/// deliberately left out.
/// </remarks>
internal static class SafeMarkdown
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .DisableHtml()
        .UsePipeTables()
        .UseEmphasisExtras()
        .UseTaskLists()
        .UseAutoLinks()
        // Chat text relies on single new lines; Markdown would otherwise join them into one paragraph.
        .UseSoftlineBreakAsHardlineBreak()
        .Build();

    /// <summary>Renders <paramref name="markdown"/> to safe HTML.</summary>
    public static string ToHtml(string markdown)
    {
        var document = Markdown.Parse(markdown, Pipeline);
        Sanitize(document);
        using var writer = new StringWriter();
        var renderer = new HtmlRenderer(writer);
        Pipeline.Setup(renderer);
        // Links lead off the site: no referrer (the page's policy says so too) and no claim on the target.
        if (renderer.ObjectRenderers.FindExact<LinkInlineRenderer>() is { } links)
        {
            links.Rel = "nofollow noopener noreferrer";
        }

        renderer.Render(document);
        writer.Flush();
        return writer.ToString();
    }

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

    private static void Sanitize(MarkdownDocument document)
    {
        foreach (var link in document.Descendants<LinkInline>().ToList())
        {
            if (!IsSafeUrl(link.Url))
            {
                Unwrap(link);
                continue;
            }

            if (link.IsImage)
            {
                // Remote images would be blocked by the CSP anyway (and could track readers): offer a link instead.
                link.IsImage = false;
                if (link.FirstChild is null)
                {
                    link.AppendChild(new LiteralInline("image"));
                }
            }
        }

        foreach (var autolink in document.Descendants<AutolinkInline>().ToList())
        {
            // An autolink such as <javascript:...> is valid CommonMark; keep it as plain text.
            if (!autolink.IsEmail && !IsSafeUrl(autolink.Url))
            {
                autolink.ReplaceBy(new LiteralInline(autolink.Url));
            }
        }
    }

    /// <summary>Replaces a link by its content, so its text stays readable without the link.</summary>
    private static void Unwrap(LinkInline link)
    {
        var child = link.FirstChild;
        if (child is null)
        {
            link.ReplaceBy(new LiteralInline(link.IsImage ? "image" : ""));
            return;
        }

        while (child is not null)
        {
            var next = child.NextSibling;
            child.Remove();
            link.InsertBefore(child);
            child = next;
        }

        link.Remove();
    }
}
