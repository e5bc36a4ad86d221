using AgentSessions.Benchmarks.Quick;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

// quick (the default): a Stopwatch run of a few minutes at most, with ratios to raw SQLite.
// full: the BenchmarkDotNet suite; the remaining arguments go to BenchmarkSwitcher (--filter, --job, --inProcess...).
var mode = args.Length == 0 ? "quick" : args[0].ToLowerInvariant();
switch (mode)
{
    case "quick":
        return await QuickRunner.RunAsync(Console.Out, QuickOptions.Parse(args.Length == 0 ? [] : args[1..]));
    case "full-scale":
        return await QuickRunner.RunAsync(Console.Out, QuickOptions.Parse(args));
    case ConcurrencyBench.ChildMode:
        // Internal: one writer process of the multi-process append measurement.
        return await ConcurrencyBench.RunChildAsync(args[1..]);
    case "full":
        // Reports go beside the binaries (git-ignored), not into whatever directory the command ran from.
        var config = DefaultConfig.Instance.WithArtifactsPath(Path.Combine(AppContext.BaseDirectory, "BenchmarkDotNet.Artifacts"));
        BenchmarkSwitcher.FromAssembly(typeof(QuickRunner).Assembly).Run(args[1..], config);
        return 0;
    default:
        Console.Error.WriteLine("""
            usage: AgentSessions.Benchmarks [quick [--scale N] [--only a,b] [--no-cli] [--plots DIR | --no-plots] | full-scale | full [BenchmarkDotNet options]]
              quick       Stopwatch measurements with raw SQLite baselines, about three minutes (default);
                          --scale N puts N messages in the search store (default 200,000)
              full-scale  quick with 2,000,000 messages in the search store
              full   BenchmarkDotNet suite, e.g.: full --filter '*'   or   full --filter '*Append*' --job short
                     (add --inProcess to skip BenchmarkDotNet's per-benchmark project build)
            """);
        return mode is "-h" or "--help" or "help" ? 0 : 2;
}
