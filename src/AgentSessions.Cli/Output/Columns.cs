using System.Text;

namespace AgentSessions.Cli.Output;

/// <summary>
/// Plain aligned columns (the layout of <c>git branch -v</c> or <c>docker ps</c>) for the commands people run most,
/// <c>list</c> above all. A rendering library's table costs tens of milliseconds on a cold start and, writing to a
/// pipe, wraps cells at 80 columns; this writes each row on one line at its natural width, so it reads the same in a
/// terminal, in <c>less</c> and in <c>grep</c>.
/// </summary>
internal sealed class Columns(params (string Header, bool RightAligned)[] columns)
{
    private readonly List<string[]> _rows = [];

    /// <summary>Adds a row; cells are neutralised for one line (<see cref="TerminalText.NeutralizeLine"/>), so user text can neither move the cursor nor break the row.</summary>
    public void Add(params string[] cells)
    {
        if (cells.Length != columns.Length)
        {
            throw new ArgumentException($"expected {columns.Length} cells, got {cells.Length}", nameof(cells));
        }

        _rows.Add(Array.ConvertAll(cells, TerminalText.NeutralizeLine));
    }

    /// <summary>Writes the header and the rows, two spaces between columns, no trailing spaces.</summary>
    public void Write(TextWriter writer)
    {
        var widths = new int[columns.Length];
        for (var i = 0; i < columns.Length; i++)
        {
            widths[i] = DisplayWidth(columns[i].Header);
            foreach (var row in _rows)
            {
                widths[i] = Math.Max(widths[i], DisplayWidth(row[i]));
            }
        }

        var line = new StringBuilder();
        WriteRow(writer, line, widths, Array.ConvertAll(columns, c => c.Header));
        foreach (var row in _rows)
        {
            WriteRow(writer, line, widths, row);
        }
    }

    private void WriteRow(TextWriter writer, StringBuilder line, int[] widths, string[] cells)
    {
        line.Clear();
        for (var i = 0; i < cells.Length; i++)
        {
            var pad = widths[i] - DisplayWidth(cells[i]);
            if (columns[i].RightAligned)
            {
                line.Append(' ', pad).Append(cells[i]);
            }
            else
            {
                line.Append(cells[i]);
                if (i < cells.Length - 1)
                {
                    line.Append(' ', pad);
                }
            }

            if (i < cells.Length - 1)
            {
                line.Append("  ");
            }
        }

        writer.WriteLine(line.ToString().TrimEnd());
    }

    /// <summary>Shortens <paramref name="text"/> to at most <paramref name="width"/> display columns, ending in "…".</summary>
    public static string Truncate(string text, int width)
    {
        if (DisplayWidth(text) <= width)
        {
            return text;
        }

        var result = new StringBuilder();
        var used = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            var w = RuneWidth(rune);
            if (used + w > width - 1)
            {
                break;
            }

            result.Append(rune.ToString());
            used += w;
        }

        return result.Append('…').ToString();
    }

    /// <summary>Terminal columns <paramref name="text"/> takes: two for East Asian wide characters and emoji, none for combining marks.</summary>
    public static int DisplayWidth(string text)
    {
        var width = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            width += RuneWidth(rune);
        }

        return width;
    }

    private static int RuneWidth(Rune rune)
    {
        var category = Rune.GetUnicodeCategory(rune);
        if (category is System.Globalization.UnicodeCategory.NonSpacingMark or System.Globalization.UnicodeCategory.EnclosingMark or System.Globalization.UnicodeCategory.Format)
        {
            return 0;
        }

        var v = rune.Value;
        var wide = v is (>= 0x1100 and <= 0x115F) or (>= 0x2E80 and <= 0x303E) or (>= 0x3041 and <= 0x33FF)
            or (>= 0x3400 and <= 0x4DBF) or (>= 0x4E00 and <= 0x9FFF) or (>= 0xA000 and <= 0xA4CF)
            or (>= 0xAC00 and <= 0xD7A3) or (>= 0xF900 and <= 0xFAFF) or (>= 0xFE30 and <= 0xFE4F)
            or (>= 0xFF00 and <= 0xFF60) or (>= 0xFFE0 and <= 0xFFE6) or (>= 0x1F300 and <= 0x1F64F)
            or (>= 0x1F900 and <= 0x1F9FF) or (>= 0x20000 and <= 0x3FFFD);
        return wide ? 2 : 1;
    }
}
