using System.Diagnostics;
using System.Globalization;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>
/// Collects the series the quick run measures (x, then one median per column) and writes them as gnuplot .dat
/// files; then renders every .gp script in the plot directory with gnuplot, when it is installed.
/// </summary>
public sealed class Plots
{
    private readonly Dictionary<string, (string Header, SortedDictionary<double, string> Rows)> _series = new(StringComparer.Ordinal);

    /// <summary>Adds one line <c>x v1 v2 ...</c> to <paramref name="file"/> (a later value for the same x replaces it).</summary>
    public void Add(string file, string header, double x, params double[] values)
    {
        if (!_series.TryGetValue(file, out var series))
        {
            series = (header, new SortedDictionary<double, string>());
            _series[file] = series;
        }

        series.Rows[x] = string.Join(' ', new[] { x }.Concat(values).Select(v => v.ToString("0.######", CultureInfo.InvariantCulture)));
    }

    public void WriteAndRender(string? directory, TextWriter output)
    {
        if (directory is null)
        {
            return;
        }

        Directory.CreateDirectory(directory);
        foreach (var (file, (header, rows)) in _series)
        {
            File.WriteAllLines(Path.Combine(directory, file), new[] { "# " + header }.Concat(rows.Values));
        }

        output.WriteLine($"Plots: wrote {_series.Count} series to {directory}");
        foreach (var script in Directory.GetFiles(directory, "*.gp").Order(StringComparer.Ordinal))
        {
            try
            {
                using var gnuplot = Process.Start(new ProcessStartInfo("gnuplot", Path.GetFileName(script))
                {
                    WorkingDirectory = directory,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                })!;
                var errors = gnuplot.StandardError.ReadToEnd();
                gnuplot.WaitForExit();
                output.WriteLine(gnuplot.ExitCode == 0 ? $"  rendered {Path.GetFileName(script)}" : $"  gnuplot failed on {Path.GetFileName(script)}: {errors.Trim()}");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                output.WriteLine($"  gnuplot not run ({e.Message}); the .dat files are there");
                return;
            }
        }
    }
}
