using System.Globalization;
using System.Text;
using AgentSessions.Storage;

namespace AgentSessions.Sqlite;

/// <summary>
/// Cuts a hit's snippet from FTS5's <c>highlight()</c> of the whole indexed text. FTS5's own <c>snippet()</c>
/// scores a window at every match against every other match of the row, which is quadratic in the matches:
/// one 4,096-character message of "a a a ..." searched for sixty copies of "a" held 120,000 matches and ran for
/// minutes inside a single SQLite call that neither a progress handler nor an interrupt can stop. Here the
/// window is chosen in one pass over the matches, so a snippet costs time linear in the indexed text.
/// </summary>
internal static class Snippets
{
    /// <summary>The most tokens a snippet shows, as the 24 given to <c>snippet()</c> before.</summary>
    public const int WindowTokens = 24;

    private const string Ellipsis = "…";
    private const char HighlightStart = '\u0002';
    private const char HighlightEnd = '\u0003';

    /// <summary>
    /// The window of at most <see cref="WindowTokens"/> tokens holding the most different matched words (then the
    /// most matches), centred on them; <c>…</c> marks text cut at either end. A text that fits is returned whole.
    /// </summary>
    /// <param name="marked">The text with each match between <c>\u0002</c> and <c>\u0003</c>.</param>
    public static (string Text, IReadOnlyList<TextRange> Highlights) Cut(string marked)
    {
        var (text, highlights) = Parse(marked);
        var tokens = Tokens(text);
        if (tokens.Count <= WindowTokens)
        {
            return (text, highlights);
        }

        var (first, last) = Window(text, tokens, highlights);
        var start = first == 0 ? 0 : tokens[first].Start;
        var end = last == tokens.Count - 1 ? text.Length : tokens[last].End;
        var prefix = first == 0 ? "" : Ellipsis;
        var snippet = new StringBuilder(prefix, end - start + 2).Append(text, start, end - start).Append(last == tokens.Count - 1 ? "" : Ellipsis);
        var shown = new List<TextRange>();
        foreach (var range in highlights)
        {
            var from = Math.Max(range.Start, start);
            var to = Math.Min(range.Start + range.Length, end);
            if (from < to)
            {
                shown.Add(new TextRange(from - start + prefix.Length, to - from));
            }
        }

        return (snippet.ToString(), shown);
    }

    /// <summary>The first and last token of the best window (see <see cref="Cut"/>).</summary>
    private static (int First, int Last) Window(string text, List<(int Start, int End)> tokens, IReadOnlyList<TextRange> highlights)
    {
        // Each match as (its first token, what it matched, case-folded): the window counts different words.
        var matches = new List<(int Token, string Word)>(highlights.Count);
        var t = 0;
        foreach (var range in highlights)
        {
            while (t < tokens.Count && tokens[t].End <= range.Start)
            {
                t++;
            }

            if (t < tokens.Count)
            {
                matches.Add((t, text.Substring(range.Start, range.Length).ToUpperInvariant()));
            }
        }

        if (matches.Count == 0)
        {
            return (0, WindowTokens - 1);
        }

        // Slide a window that starts at each match in turn; both ends only move forward, so this is one pass.
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var (bestScore, bestFirst, bestLast) = (-1L, 0, 0);
        var end = 0;
        for (var begin = 0; begin < matches.Count; begin++)
        {
            var limit = matches[begin].Token + WindowTokens;
            for (; end < matches.Count && matches[end].Token < limit; end++)
            {
                counts[matches[end].Word] = counts.GetValueOrDefault(matches[end].Word) + 1;
            }

            // Different words first (1,000 each), then any further matches: FTS5's own weighting.
            var score = (1_000L * counts.Count) + (end - begin - counts.Count);
            if (score > bestScore)
            {
                (bestScore, bestFirst, bestLast) = (score, matches[begin].Token, matches[end - 1].Token);
            }

            var word = matches[begin].Word;
            if (--counts[word] == 0)
            {
                counts.Remove(word);
            }
        }

        var first = Math.Clamp(bestFirst - ((WindowTokens - (bestLast - bestFirst + 1)) / 2), 0, tokens.Count - WindowTokens);
        return (first, first + WindowTokens - 1);
    }

    /// <summary>
    /// Token spans as FTS5's unicode61 tokenizer (with remove_diacritics) finds them: runs of letters, digits,
    /// private-use characters and combining marks; everything else separates.
    /// </summary>
    private static List<(int Start, int End)> Tokens(string text)
    {
        var tokens = new List<(int, int)>();
        var start = -1;
        var i = 0;
        while (i < text.Length)
        {
            Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var length);
            var inToken = Rune.GetUnicodeCategory(rune) switch
            {
                >= UnicodeCategory.UppercaseLetter and <= UnicodeCategory.OtherNumber => true, // L*, M*, N*
                UnicodeCategory.PrivateUse => true,
                _ => false,
            };
            if (inToken && start < 0)
            {
                start = i;
            }
            else if (!inToken && start >= 0)
            {
                tokens.Add((start, i));
                start = -1;
            }

            i += length;
        }

        if (start >= 0)
        {
            tokens.Add((start, text.Length));
        }

        return tokens;
    }

    /// <summary>Turns FTS5's marked-up text into plain text (white space as spaces, no control characters) plus highlight ranges.</summary>
    private static (string Text, IReadOnlyList<TextRange> Highlights) Parse(string marked)
    {
        var text = new StringBuilder(marked.Length);
        var ranges = new List<TextRange>();
        var start = -1;
        foreach (var c in marked)
        {
            switch (c)
            {
                case HighlightStart:
                    start = text.Length;
                    break;
                case HighlightEnd when start >= 0:
                    ranges.Add(new TextRange(start, text.Length - start));
                    start = -1;
                    break;
                case '\n' or '\r' or '\t':
                    text.Append(' ');
                    break;
                default:
                    if (!char.IsControl(c))
                    {
                        text.Append(c);
                    }

                    break;
            }
        }

        return (text.ToString(), ranges);
    }
}
