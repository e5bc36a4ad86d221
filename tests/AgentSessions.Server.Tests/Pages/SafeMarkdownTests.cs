using AgentSessions.Server.Pages;
using Xunit;

namespace AgentSessions.Server.Tests.Pages;

/// <summary>The sanitizer and the attempt limiter on their own (the browser tests cover them end to end).</summary>
public sealed class SafeMarkdownTests
{
    [Theory]
    [InlineData("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;")]
    [InlineData("<img src=x onerror=\"alert(1)\">", "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;")]
    [InlineData("<div>\n<b>block</b>\n</div>", "&lt;div&gt;")]
    public void Raw_html_comes_out_as_text(string markdown, string expected)
    {
        var html = SafeMarkdown.ToHtml(markdown);
        Assert.Contains(expected, html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<div", html, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("[x](javascript:alert(1))")]
    [InlineData("[x](JaVaScRiPt:alert(1))")]
    [InlineData("[x]( javascript:alert(1))")]
    [InlineData("[x](java&#x09;script:alert(1))")]
    [InlineData("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)")]
    [InlineData("[x](vbscript:msgbox)")]
    [InlineData("[x][r]\n\n[r]: javascript:alert(1)")]
    [InlineData("<javascript:alert(1)>")]
    [InlineData("![x](javascript:alert(1))")]
    [InlineData("[x](/relative/path)")]
    [InlineData("[x](//evil.example/)")]
    public void Links_other_than_http_https_and_mailto_lose_their_link(string markdown)
    {
        var html = SafeMarkdown.ToHtml(markdown);
        Assert.DoesNotContain("href", html, StringComparison.Ordinal);
        Assert.DoesNotContain("src=", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[x](https://example.org/a?b=1&c=2)", "href=\"https://example.org/a?b=1&amp;c=2\"")]
    [InlineData("[x](http://example.org)", "href=\"http://example.org\"")]
    [InlineData("[mail](mailto:someone@example.org)", "href=\"mailto:someone@example.org\"")]
    [InlineData("<https://example.org>", "href=\"https://example.org\"")]
    [InlineData("see www.example.org now", "href=\"http://www.example.org\"")]
    [InlineData("[x](https://example.org/\"onmouseover=\"alert(1))", "href=\"https://example.org/%22onmouseover=%22alert(1)\"")]
    public void Web_and_mail_links_stay_links_with_their_url_escaped(string markdown, string expected)
        => Assert.Contains(expected, SafeMarkdown.ToHtml(markdown), StringComparison.Ordinal);

    [Fact]
    public void Remote_images_become_links_the_reader_can_follow()
    {
        var html = SafeMarkdown.ToHtml("![diagram](https://example.org/d.png)");
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.Contains(">diagram</a>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Attribute_syntax_is_not_interpreted()
    {
        var html = SafeMarkdown.ToHtml("# Title {onclick=\"alert(1)\"}\n\ntext{#id .cls onmouseover=alert(1)}");
        Assert.DoesNotContain("onclick=\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("onmouseover=alert", html.Replace("onmouseover=alert(1)}", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    public static TheoryData<string> DeeplyNestedCases => [.. Seed.DeeplyNested.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(DeeplyNestedCases))]
    public void Deeply_nested_markdown_renders_with_bounded_depth_and_keeps_its_text(string name)
    {
        var markdown = Seed.DeeplyNested.Single(c => c.Name == name).Markdown;

        var html = SafeMarkdown.ToHtml(markdown);

        Assert.True(ElementDepth(html) <= SafeMarkdown.MaxNestingDepth + 4, $"{name}: elements nest {ElementDepth(html)} deep");
        // Whatever was cut off the tree is still there for the reader, as text.
        var words = markdown.Split([' ', '\n', '>', '-', '[', ']', '*', '_', '`'], StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(words[^1].Split('(')[0], System.Net.WebUtility.HtmlDecode(html), StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>How deep the elements of <paramref name="html"/> nest (Markdig writes well-formed HTML; void elements do not count).</summary>
    private static int ElementDepth(string html)
    {
        int depth = 0, deepest = 0;
        foreach (System.Text.RegularExpressions.Match tag in System.Text.RegularExpressions.Regex.Matches(html, "<(/?)([a-z0-9]+)[^>]*?(/?)>"))
        {
            if (tag.Groups[2].Value is "br" or "hr" or "img" or "input" || tag.Groups[3].Value == "/")
            {
                continue;
            }

            depth += tag.Groups[1].Value == "/" ? -1 : 1;
            deepest = Math.Max(deepest, depth);
        }

        return deepest;
    }

    [Fact]
    public void Snippets_escape_text_and_mark_only_the_ranges()
    {
        // Ranges may overlap or run past the end; they are clamped, never trusted.
        var html = MessageView.Snippet("a <b>flaky</b> build", [new(7, 2), new(5, 5), new(100, 4)]);
        Assert.Equal("a &lt;b&gt;<mark>flaky</mark>&lt;/b&gt; build", html);
    }

    [Fact]
    public void The_limiter_blocks_after_five_failures_in_the_window_and_forgets_them_after()
    {
        var time = new ManualTime(DateTimeOffset.UnixEpoch);
        var limiter = new PasswordAttemptLimiter(time);
        for (var i = 0; i < 5; i++)
        {
            Assert.False(limiter.IsBlocked("t", "1.2.3.4", out _));
            limiter.RecordFailure("t", "1.2.3.4");
            time.Now += TimeSpan.FromSeconds(10);
        }

        Assert.True(limiter.IsBlocked("t", "1.2.3.4", out var retry));
        Assert.Equal(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(50), retry);
        Assert.False(limiter.IsBlocked("t", "5.6.7.8", out _));
        Assert.False(limiter.IsBlocked("u", "1.2.3.4", out _));

        time.Now += retry;
        Assert.False(limiter.IsBlocked("t", "1.2.3.4", out _));
    }

    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
