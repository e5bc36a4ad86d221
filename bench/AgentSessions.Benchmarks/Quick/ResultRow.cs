using System.Globalization;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>One line of the quick-mode summary.</summary>
/// <param name="Name">What was measured.</param>
/// <param name="Measured">The store's figures, or <see langword="null"/> for a row that only compares two others.</param>
/// <param name="Baseline">What the ratio divides by, described.</param>
/// <param name="BaselineStats">The baseline's figures, when it is a raw measurement of its own.</param>
/// <param name="Ratio">Median over median.</param>
/// <param name="Target">The goal, in words.</param>
/// <param name="Met">Whether the goal was reached.</param>
public sealed record ResultRow(string Name, Stats? Measured, string Baseline, Stats? BaselineStats, double Ratio, string Target, bool Met)
{
    /// <summary>A row judged by its ratio to a raw baseline.</summary>
    public static ResultRow RatioTarget(string name, Stats measured, string baseline, Stats raw, double maxRatio)
    {
        var ratio = measured.MedianMs / raw.MedianMs;
        return new(name, measured, baseline, raw, ratio, string.Create(CultureInfo.InvariantCulture, $"ratio <= {maxRatio:0.0#}"), ratio <= maxRatio);
    }

    /// <summary>A row judged by its absolute median time; the raw baseline is shown for context.</summary>
    public static ResultRow TimeTarget(string name, Stats measured, string baseline, Stats raw, double maxMs)
        => new(name, measured, baseline, raw, measured.MedianMs / raw.MedianMs, string.Create(CultureInfo.InvariantCulture, $"median <= {maxMs:0.0#} ms"), measured.MedianMs <= maxMs);

    /// <summary>A row comparing two store measurements with each other (growth with session length).</summary>
    public static ResultRow Growth(string name, Stats larger, Stats smaller, string smallerName, double maxRatio)
    {
        var ratio = larger.MedianMs / smaller.MedianMs;
        return new(name, null, smallerName, null, ratio, string.Create(CultureInfo.InvariantCulture, $"growth <= {maxRatio:0.0#}"), ratio <= maxRatio);
    }

    /// <summary>A row judged by a ratio where higher is better (throughput): measured over baseline must reach the minimum.</summary>
    public static ResultRow MinRatio(string name, string measuredText, string baseline, double ratio, double minRatio, bool alsoRequired = true)
        => new(name, null, baseline + " (" + measuredText + ")", null, ratio, string.Create(CultureInfo.InvariantCulture, $"ratio >= {minRatio:0.0#}"), ratio >= minRatio && alsoRequired);

    /// <summary>A row with a figure and a baseline but no target (shown for comparison only).</summary>
    public static ResultRow Info(string name, Stats measured, string baseline, Stats? raw)
        => new(name, measured, baseline, raw, raw is { } r ? measured.MedianMs / r.MedianMs : double.NaN, "-", true);
}
