namespace AgentSessions.Benchmarks.Quick;

/// <summary>The summary of many timed iterations of one operation, in milliseconds.</summary>
/// <remarks>
/// The median, not the mean: a durable write's time has a long tail (WAL checkpoints, a slow fsync now and then)
/// that would drag a mean around between runs; the p95 shows that tail separately.
/// </remarks>
public readonly record struct Stats(double MedianMs, double P95Ms, double MinMs, int Count)
{
    public static Stats From(IReadOnlyList<double> samplesMs)
    {
        if (samplesMs.Count == 0)
        {
            throw new ArgumentException("no samples", nameof(samplesMs));
        }

        var sorted = samplesMs.Order().ToArray();
        var n = sorted.Length;
        var median = n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
        var p95 = sorted[Math.Max(0, (int)Math.Ceiling(0.95 * n) - 1)]; // nearest rank
        return new Stats(median, p95, sorted[0], n);
    }
}
