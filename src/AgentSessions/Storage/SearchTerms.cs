using System.Globalization;
using System.Text;

namespace AgentSessions.Storage;

/// <summary>One thing a search looks for; a hit must contain every term of its query.</summary>
/// <param name="Text">The word, or the quoted phrase's text, as typed; it always holds a letter or a digit.</param>
/// <param name="IsPrefix">Whether the word also matches every word it begins (typed with a trailing <c>*</c>).</param>
public readonly record struct SearchTerm(string Text, bool IsPrefix);

/// <summary>
/// How the text of a <see cref="SearchQuery"/> becomes terms, written once for every backend: words separated by
/// white space, a <c>"quoted phrase"</c> as one term, a trailing <c>*</c> for a prefix. Operators of the
/// underlying engines are not interpreted. The limits keep the cost of a search bounded whatever is typed.
/// </summary>
public static class SearchTerms
{
    /// <summary>
    /// The most different terms one search may hold: 32. A full-text engine scores and marks every occurrence of
    /// every term, so each term multiplies the work per matching message; 32 is far more than people type and
    /// than a pasted error line holds once its common words are dropped (a quoted phrase counts once).
    /// </summary>
    public const int MaxTerms = 32;

    /// <summary>The longest search text, in characters: 1,000. A longer phrase costs more to match than it can help.</summary>
    public const int MaxTextLength = 1_000;

    /// <summary>
    /// The terms of <paramref name="text"/>, in order of first appearance. Repeats count once: terms that differ
    /// only in letter case, or phrases that differ only in the white space between their words, are one term,
    /// since the engines match them alike and a repeat would only multiply the work.
    /// </summary>
    /// <exception cref="AgentSessionsException">
    /// <see cref="ErrorCode.InvalidArgument"/> when the text has no word, is longer than <see cref="MaxTextLength"/>,
    /// or holds more than <see cref="MaxTerms"/> different terms.
    /// </exception>
    public static IReadOnlyList<SearchTerm> Parse(string? text)
    {
        if (text is { Length: > MaxTextLength })
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, string.Create(CultureInfo.InvariantCulture,
                $"the search text is {text.Length:N0} characters long; at most {MaxTextLength:N0} are allowed, so search for its most distinctive words"));
        }

        var terms = new List<SearchTerm>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        while (text is not null && i < text.Length)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                i++;
                continue;
            }

            string term;
            var prefix = false;
            if (text[i] == '"')
            {
                var end = text.IndexOf('"', i + 1);
                end = end < 0 ? text.Length : end;
                term = text[(i + 1)..end];
                i = end + 1;
            }
            else
            {
                var end = i;
                while (end < text.Length && !char.IsWhiteSpace(text[end]))
                {
                    end++;
                }

                term = text[i..end];
                i = end;
                if (term.EndsWith('*'))
                {
                    prefix = true;
                    term = term.TrimEnd('*');
                }
            }

            // A term without letters or digits has no tokens; an engine would reject or ignore it.
            if (term.Any(char.IsLetterOrDigit) && seen.Add(Key(term, prefix)))
            {
                terms.Add(new SearchTerm(term, prefix));
            }
        }

        if (terms.Count == 0)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, "the search text has no words to look for");
        }

        return terms.Count > MaxTerms
            ? throw new AgentSessionsException(ErrorCode.InvalidArgument, string.Create(CultureInfo.InvariantCulture,
                $"the search has {terms.Count} different terms; at most {MaxTerms} are allowed, so drop the common words or quote a phrase (a phrase counts as one term)"))
            : terms;
    }

    private static string Key(string term, bool prefix)
    {
        var key = new StringBuilder(term.Length + 1);
        foreach (var word in term.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            key.Append(key.Length == 0 ? "" : " ").Append(word);
        }

        return key.Append(prefix ? "*" : "").ToString();
    }
}
