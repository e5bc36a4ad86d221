using System.Diagnostics;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>Times several operations in alternating rounds, so that machine noise hits them all alike.</summary>
/// <remarks>
/// Timing A for a while and then B lets a burst of background I/O or a CPU-frequency change land on one side
/// only and show up as a fake ratio. Here every round runs each operation once, and the order rotates from
/// round to round so no operation always follows the same neighbour (and, say, always pays for the WAL
/// checkpoint its neighbour triggered).
/// </remarks>
public static class Interleaved
{
    /// <summary>The fewest measured rounds, even when the time budget runs out (p95 needs a few dozen).</summary>
    public const int MinRounds = 40;

    public static Task<Stats[]> MeasureAsync(int warmupRounds, int rounds, TimeSpan budget, params Func<ValueTask>[] operations)
        => MeasureAsync(warmupRounds, rounds, budget, MinRounds, operations);

    /// <summary>As above, with a smaller floor on the rounds for operations that take a large share of a second.</summary>
    public static async Task<Stats[]> MeasureAsync(int warmupRounds, int rounds, TimeSpan budget, int minRounds, params Func<ValueTask>[] operations)
    {
        // Warm-up: JIT, SQLite's statement and page caches, the OS file cache.
        for (var r = 0; r < warmupRounds; r++)
        {
            foreach (var operation in operations)
            {
                await operation();
            }
        }

        // Start from a clean heap so a collection owed to the set-up does not land in the first samples.
        GC.Collect();
        GC.WaitForPendingFinalizers();

        var samples = operations.Select(_ => new List<double>(rounds)).ToArray();
        var clock = Stopwatch.StartNew();
        for (var r = 0; r < rounds && (r < minRounds || clock.Elapsed < budget); r++)
        {
            for (var k = 0; k < operations.Length; k++)
            {
                var i = (r + k) % operations.Length;
                var start = Stopwatch.GetTimestamp();
                await operations[i]();
                var end = Stopwatch.GetTimestamp();
                samples[i].Add((end - start) * 1000.0 / Stopwatch.Frequency);
            }
        }

        return samples.Select(Stats.From).ToArray();
    }
}
