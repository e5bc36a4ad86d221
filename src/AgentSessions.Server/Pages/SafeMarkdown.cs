using System.Net;
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
    /// <summary>
    /// How deep the Markdown tree (quotes, lists and their items, emphasis, links) may nest; a text nested deeper is
    /// shown as plain escaped text instead.
    /// </summary>
    /// <remarks>
    /// Markdig refuses deeper trees by throwing (its own default is 128). Half of that still leaves real writing
    /// plenty of room (each quote, list or list item is one level) while keeping the renderer's recursion and the
    /// browser's layout shallow.
    /// </remarks>
    public const int MaxNestingDepth = 64;

    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder { MaximumNestingDepth = MaxNestingDepth }
        .DisableHtml()
        .UsePipeTables()
        .UseEmphasisExtras()
        .UseTaskLists()
        .UseAutoLinks()
        // Chat text relies on single new lines; Markdown would otherwise join them into one paragraph.
        .UseSoftlineBreakAsHardlineBreak()
        .Build();

    /// <summary>Renders <paramref name="markdown"/> to safe HTML; never throws.</summary>
    /// <remarks>
    /// Text that Markdig cannot turn into a tree (nested past <see cref="MaxNestingDepth"/>, or anything else it
    /// throws on) comes out as its plain, escaped text. The pages stream message by message, so an exception here
    /// would abort the response after the status was sent: the browser would show the page cut short at this message.
    /// </remarks>
    public static string ToHtml(string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        // Markdig passes control characters through; they are made visible before it sees them (HtmlText.Visible).
        markdown = Formats.HtmlText.Visible(markdown);
        try
        {
            return Render(markdown);
        }
        catch (Exception e)
        {
            // Hostile text may cost its formatting, never the page. Markdig's depth check throws ArgumentException;
            // anything else would be a bug of Markdig's own, and the text is still shown.
            return Unformatted(markdown, e is ArgumentException ? "nested too deeply to format" : "it could not be formatted");
        }
    }

    /// <summary>The text as it was written, escaped, after a note saying why it is not formatted.</summary>
    private static string Unformatted(string markdown, string why)
        => $"<p class=\"meta\">Shown as plain text: {why}.</p><p class=\"plain\">{Formats.HtmlText.E(markdown)}</p>";

    private static string Render(string markdown)
    {
        var document = Markdown.Parse(markdown, Pipeline);
        Sanitize(document);
        using var writer = new StringWriter();
        var renderer = new HtmlRenderer(writer) { MaximumNestingDepth = MaxNestingDepth };
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

    /// <summary>Whether a URL may become a link: absolute http, https or mailto, nothing else (see <see cref="Formats.HtmlText.IsSafeUrl"/>).</summary>
    public static bool IsSafeUrl(string? url) => Formats.HtmlText.IsSafeUrl(url);

    private static void Sanitize(MarkdownDocument document)
    {
        // Collect first, change after: the tree must not change under its own enumeration.
        var nodes = document.Descendants().ToList();
        foreach (var node in nodes)
        {
            switch (node)
            {
                case LinkInline link when !IsSafeUrl(link.Url):
                    // The reader keeps the words; the link goes.
                    link.ReplaceBy(new LiteralInline(PlainText(link) is { Length: > 0 } text ? text : link.IsImage ? "image" : ""), copyChildren: false);
                    break;
                case LinkInline { IsImage: true } image:
                    // Remote images would be blocked by the CSP anyway (and could track readers): offer a link instead.
                    image.IsImage = false;
                    if (image.FirstChild is null)
                    {
                        image.AppendChild(new LiteralInline("image"));
                    }

                    break;
                case AutolinkInline autolink when !autolink.IsEmail && !IsSafeUrl(autolink.Url):
                    // An autolink such as <javascript:...> is valid CommonMark; keep it as the text it was.
                    autolink.ReplaceBy(new LiteralInline("<" + autolink.Url + ">"), copyChildren: false);
                    break;
            }
        }
    }

    /// <summary>The text of a link's content, without its formatting.</summary>
    private static string PlainText(ContainerInline container)
    {
        var text = new System.Text.StringBuilder();
        foreach (var inline in container.Descendants<Inline>())
        {
            switch (inline)
            {
                case LiteralInline literal:
                    text.Append(literal.Content.ToString());
                    break;
                case CodeInline code:
                    text.Append(code.Content);
                    break;
                case LineBreakInline:
                    text.Append(' ');
                    break;
            }
        }

        return text.ToString();
    }
}
