using System.Globalization;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>Prints the summary as a Markdown table, padded so it also reads well in a terminal.</summary>
public static class Report
{
    private static readonly string[] Header =
        ["Measurement", "Median ms", "p95 ms", "Baseline", "Baseline median ms", "Baseline p95 ms", "Ratio", "Target", "Met"];

    public static void PrintMarkdown(TextWriter output, IReadOnlyList<ResultRow> rows)
    {
        var cells = new List<string[]> { Header };
        cells.AddRange(rows.Select(r => new[]
        {
            r.Name,
            Ms(r.Measured?.MedianMs),
            Ms(r.Measured?.P95Ms),
            r.Baseline,
            Ms(r.BaselineStats?.MedianMs),
            Ms(r.BaselineStats?.P95Ms),
            double.IsNaN(r.Ratio) ? "-" : r.Ratio >= 100 ? r.Ratio.ToString("0", CultureInfo.InvariantCulture) : r.Ratio.ToString("0.00", CultureInfo.InvariantCulture),
            r.Target,
            r.Met ? "yes" : "**no**",
        }));

        var widths = Enumerable.Range(0, Header.Length).Select(c => cells.Max(row => row[c].Length)).ToArray();
        var numeric = new[] { false, true, true, false, true, true, true, false, false };
        for (var i = 0; i < cells.Count; i++)
        {
            output.WriteLine("| " + string.Join(" | ", cells[i].Select((cell, c) => numeric[c] && i > 0 ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]))) + " |");
            if (i == 0)
            {
                output.WriteLine("|" + string.Join("|", widths.Select((w, c) => new string('-', w + 1) + (numeric[c] ? ":" : "-"))) + "|");
            }
        }
    }

    public static string Ms(double? value) => value is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "-";

    /// <summary>One progress line per operation, printed as soon as a measurement finishes.</summary>
    public static void PrintStats(TextWriter output, string name, Stats stats)
        => output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  {name,-34} median {stats.MedianMs,8:0.000} ms   p95 {stats.P95Ms,8:0.000} ms   min {stats.MinMs,8:0.000} ms   n={stats.Count}"));
}
