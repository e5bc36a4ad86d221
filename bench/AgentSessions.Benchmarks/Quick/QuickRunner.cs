using System.Diagnostics;
using System.Globalization;
using AgentSessions.Benchmarks.Shared;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>
/// The quick mode: a few minutes at most on a small machine, Stopwatch loops with every store figure set beside
/// a raw SQLite baseline timed in the same run, so the ratios hold on any machine even when the absolute
/// times do not.
/// </summary>
public static class QuickRunner
{
    public static async Task<int> RunAsync(TextWriter output, QuickOptions options)
    {
        var total = Stopwatch.StartNew();
        using var temp = TempRoot.Create();
        // Ctrl+C skips the using's Dispose; clean up anyway so aborted runs do not leave databases in /tmp.
        ConsoleCancelEventHandler onCancel = (_, _) => temp.Dispose();
        Console.CancelKeyPress += onCancel;
        try
        {
            var machine = MachineInfo.Collect(temp.Path);
            output.WriteLine("AgentSessions quick benchmark");
            machine.Print(output);
            output.WriteLine();

            var plots = new Plots();
            var rows = new List<ResultRow>();
            if (options.Runs("append"))
            {
                rows.AddRange(await AppendBench.RunAsync(temp, output, plots));
            }

            if (options.Runs("concurrency"))
            {
                rows.AddRange(await ConcurrencyBench.RunAsync(temp, output, plots));
            }

            if (options.Runs("load"))
            {
                rows.AddRange(await LoadBench.RunAsync(temp, output, plots));
            }

            if (options.Runs("list"))
            {
                rows.AddRange(await ListBench.RunAsync(temp, output, plots));
            }

            if (options.Runs("search"))
            {
                rows.AddRange(await SearchBench.RunAsync(temp, output, plots, options.SearchMessages));
            }

            if (options.Runs("transfer"))
            {
                rows.AddRange(await TransferBench.RunAsync(temp, output));
            }

            if (options.Runs("copy"))
            {
                rows.AddRange(await CopyBench.RunAsync(temp, output));
            }

            if (!options.SkipCli && options.Runs("cli"))
            {
                rows.AddRange(await CliBench.RunAsync(temp, output, plots));
            }

            if (!options.SkipCli && options.Runs("rpc-append"))
            {
                rows.AddRange(await RpcAppendBench.RunAsync(temp, output));
            }

            if (!options.SkipCli && options.Runs("long"))
            {
                rows.AddRange(await LongSessionBench.RunAsync(temp, output));
            }

            if (!options.SkipCli && options.Runs("mcp"))
            {
                rows.AddRange(await McpBench.RunAsync(temp, output, options.SearchMessages));
            }

            if (options.Runs("fork"))
            {
                rows.AddRange(await ForkBench.RunAsync(temp, output));
            }

            if (options.Runs("resume"))
            {
                rows.AddRange(await ResumeBench.RunAsync(temp, output));
            }

            if (options.Runs("chat"))
            {
                rows.AddRange(await ChatBench.RunAsync(temp, output));
            }

            if (options.Runs("size"))
            {
                rows.AddRange(await SizeBench.RunAsync(temp, output));
            }

            plots.WriteAndRender(options.PlotDirectory, output);

            output.WriteLine();
            output.WriteLine("Summary (medians; ratio = store median / baseline median):");
            output.WriteLine();
            output.WriteLine($"Machine: {machine.Summary}");
            output.WriteLine();
            Report.PrintMarkdown(output, rows);
            output.WriteLine();
            var missed = rows.Count(r => !r.Met);
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{rows.Count - missed} of {rows.Count} targets met; total time {total.Elapsed.TotalSeconds:0} s."));
            return 0;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
