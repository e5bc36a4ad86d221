using AgentSessions.Benchmarks.Quick;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

// quick (the default): a Stopwatch run of a few minutes at most, with ratios to raw SQLite.
// full: the BenchmarkDotNet suite; the remaining arguments go to BenchmarkSwitcher (--filter, --job, --inProcess...).
var mode = args.Length == 0 ? "quick" : args[0].ToLowerInvariant();
switch (mode)
{
    case "quick":
        return await QuickRunner.RunAsync(Console.Out);
    case "full":
        // Reports go beside the binaries (git-ignored), not into whatever directory the command ran from.
        var config = DefaultConfig.Instance.WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"));
        BenchmarkSwitcher.FromAssembly(typeof(QuickRunner).Assembly).Run(args[1..], config);
        return 0;
    default:
        Console.Error.WriteLine("""
            usage: AgentSessions.Benchmarks [quick | full [BenchmarkDotNet options]]
              quick  Stopwatch measurements with raw SQLite baselines, a few minutes at most (default)
              full   BenchmarkDotNet suite, e.g.: full --filter '*'   or   full --filter '*Append*' --job short
                     (add --inProcess to skip BenchmarkDotNet's per-benchmark project build)
            """);
        return mode is "-h" or "--help" or "help" ? 0 : 2;
}
