using System.Globalization;
using System.Text;

namespace AgentSessions.Import.Copilot;

/// <summary>
/// Reads the small YAML subset Copilot CLI writes to <c>workspace.yaml</c>: top-level <c>key: value</c> lines whose
/// values are plain, single-quoted (<c>''</c> for a quote) or double-quoted (backslash escapes) scalars, or block
/// scalars (<c>|</c>, <c>&gt;</c>). Values are kept as text; nested structures and list items are skipped, since
/// nothing the importer uses is nested.
/// </summary>
internal static class WorkspaceYaml
{
    /// <summary>Parses <paramref name="text"/>; <paramref name="reader"/> names the file in errors.</summary>
    public static Dictionary<string, string?> Parse(string text, ImportJsonReader reader)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var where = $"line {i + 1}";
            if (line.Length == 0 || char.IsWhiteSpace(line[0]) || line.StartsWith('#') || line.StartsWith("- ", StringComparison.Ordinal) || line is "---" or "..." or "-")
            {
                // Blank, comment, document marker, or part of a nested structure this subset does not use.
                continue;
            }

            var colon = FindColon(line);
            if (colon < 0)
            {
                throw reader.Corrupt(where, "expected 'key: value'");
            }

            var key = line[..colon].Trim();
            if (key.Length > 1 && key[0] is '\'' or '"' && key[^1] == key[0])
            {
                key = key[1..^1];
            }

            var raw = line[(colon + 1)..].Trim();
            if (raw.Length == 0 && i + 1 < lines.Length && lines[i + 1].Length > 0 && (char.IsWhiteSpace(lines[i + 1][0]) || lines[i + 1].StartsWith("- ", StringComparison.Ordinal)))
            {
                // "key:" followed by indented lines or list items opens a nested structure, which this subset skips.
                continue;
            }

            if (raw is ['|' or '>', ..] && raw.Length <= 3)
            {
                values[key] = BlockScalar(lines, ref i, raw);
            }
            else
            {
                values[key] = Scalar(raw, reader, where);
            }
        }

        return values;
    }

    // The key ends at the first ": " (or a colon ending the line) outside quotes.
    private static int FindColon(string line)
    {
        var quote = line[0] is '\'' or '"' ? line[0] : '\0';
        var start = quote == '\0' ? 0 : Math.Max(1, line.IndexOf(quote, 1) + 1);
        for (var i = start; i < line.Length; i++)
        {
            if (line[i] == ':' && (i + 1 == line.Length || line[i + 1] is ' ' or '\t'))
            {
                return i;
            }
        }

        return -1;
    }

    private static string? Scalar(string raw, ImportJsonReader reader, string where)
    {
        if (raw.Length == 0)
        {
            return null;
        }

        if (raw[0] == '\'')
        {
            var value = new StringBuilder();
            for (var i = 1; i < raw.Length; i++)
            {
                if (raw[i] != '\'')
                {
                    value.Append(raw[i]);
                }
                else if (i + 1 < raw.Length && raw[i + 1] == '\'')
                {
                    value.Append('\'');
                    i++;
                }
                else
                {
                    RequireEnd(raw, i + 1, reader, where);
                    return value.ToString();
                }
            }

            throw reader.Corrupt(where, "unterminated single-quoted value (multi-line quoted values are not supported)");
        }

        if (raw[0] == '"')
        {
            var value = new StringBuilder();
            for (var i = 1; i < raw.Length; i++)
            {
                var c = raw[i];
                if (c == '"')
                {
                    RequireEnd(raw, i + 1, reader, where);
                    return value.ToString();
                }

                if (c != '\\')
                {
                    value.Append(c);
                    continue;
                }

                if (++i >= raw.Length)
                {
                    break;
                }

                switch (raw[i])
                {
                    case 'n': value.Append('\n'); break;
                    case 't': value.Append('\t'); break;
                    case 'r': value.Append('\r'); break;
                    case '0': value.Append('\0'); break;
                    case 'x': value.Append(Hex(raw, ref i, 2, reader, where)); break;
                    case 'u': value.Append(Hex(raw, ref i, 4, reader, where)); break;
                    case 'U': value.Append(Hex(raw, ref i, 8, reader, where)); break;
                    case '"' or '\\' or '/' or ' ': value.Append(raw[i]); break;
                    default: throw reader.Corrupt(where, $"unknown escape '\\{raw[i]}' in a double-quoted value");
                }
            }

            throw reader.Corrupt(where, "unterminated double-quoted value (multi-line quoted values are not supported)");
        }

        // A plain scalar ends at " #" (a comment); "~" and "null" are YAML's null.
        var comment = raw.IndexOf(" #", StringComparison.Ordinal);
        var plain = (comment >= 0 ? raw[..comment] : raw).TrimEnd();
        return plain is "~" or "null" or "Null" or "NULL" ? null : plain;
    }

    private static void RequireEnd(string raw, int index, ImportJsonReader reader, string where)
    {
        var rest = raw[index..].TrimStart();
        if (rest.Length > 0 && rest[0] != '#')
        {
            throw reader.Corrupt(where, $"unexpected text after the quoted value: '{rest}'");
        }
    }

    private static string Hex(string raw, ref int i, int digits, ImportJsonReader reader, string where)
    {
        if (i + digits >= raw.Length
            || !int.TryParse(raw.AsSpan(i + 1, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code)
            || code > 0x10FFFF
            || code is >= 0xD800 and <= 0xDFFF && digits == 8)
        {
            throw reader.Corrupt(where, "bad hexadecimal escape in a double-quoted value");
        }

        i += digits;
        return code <= 0xFFFF ? ((char)code).ToString() : char.ConvertFromUtf32(code);
    }

    // "|" keeps line breaks, ">" folds them into spaces; "-" drops the final line break. Indentation is that of the first line.
    private static string BlockScalar(string[] lines, ref int i, string indicator)
    {
        var collected = new List<string>();
        var indent = -1;
        while (i + 1 < lines.Length)
        {
            var next = lines[i + 1];
            if (next.Trim().Length == 0)
            {
                collected.Add("");
                i++;
                continue;
            }

            var leading = next.Length - next.TrimStart(' ').Length;
            if (leading == 0 || (indent >= 0 && leading < indent))
            {
                break;
            }

            if (indent < 0)
            {
                indent = leading;
            }

            collected.Add(next[indent..]);
            i++;
        }

        while (collected.Count > 0 && collected[^1].Length == 0)
        {
            collected.RemoveAt(collected.Count - 1);
        }

        string text;
        if (indicator[0] == '|')
        {
            text = string.Join('\n', collected);
        }
        else
        {
            // Folding: adjacent lines join with a space; each blank line stands for one line break.
            var folded = new StringBuilder();
            for (var k = 0; k < collected.Count; k++)
            {
                if (collected[k].Length == 0)
                {
                    folded.Append('\n');
                }
                else
                {
                    if (k > 0 && collected[k - 1].Length > 0)
                    {
                        folded.Append(' ');
                    }

                    folded.Append(collected[k]);
                }
            }

            text = folded.ToString();
        }

        return indicator.Contains('-', StringComparison.Ordinal) || collected.Count == 0 ? text : text + "\n";
    }
}
