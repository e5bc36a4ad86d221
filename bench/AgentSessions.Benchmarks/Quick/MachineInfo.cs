using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using AgentSessions.Benchmarks.Shared;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>What the figures were measured on; durable-write times mean little without the filesystem.</summary>
public sealed record MachineInfo(
    int ProcessorCount,
    string Os,
    string Architecture,
    string Runtime,
    string SqliteVersion,
    string TempDirectory,
    string FileSystem,
    string? FileSystemWarning,
    Stats Fsync)
{
    public static MachineInfo Collect(string tempRoot)
    {
        var (fileSystem, warning) = DescribeFileSystem(tempRoot);
        return new MachineInfo(
            Environment.ProcessorCount,
            RuntimeInformation.OSDescription,
            RuntimeInformation.ProcessArchitecture.ToString(),
            RuntimeInformation.FrameworkDescription,
            RawSqlite.SqliteVersion(),
            Path.GetTempPath(),
            fileSystem,
            warning,
            MeasureFsync(tempRoot));
    }

    public void Print(TextWriter output)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Machine:    {ProcessorCount} logical CPUs, {Architecture}, {Os}"));
        output.WriteLine($"Runtime:    {Runtime}, SQLite {SqliteVersion}");
        output.WriteLine($"Temp dir:   {TempDirectory} ({FileSystem})");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fsync:      4 KiB write + fsync on that filesystem: median {Fsync.MedianMs:0.000} ms, p95 {Fsync.P95Ms:0.000} ms (n={Fsync.Count})"));
        if (FileSystemWarning is not null)
        {
            output.WriteLine($"Note:       {FileSystemWarning}");
        }
    }

    /// <summary>One line for the Markdown summary.</summary>
    public string Summary => string.Create(
        CultureInfo.InvariantCulture,
        $"{ProcessorCount} CPUs {Architecture}, {Os}, {Runtime}, SQLite {SqliteVersion}, temp on {FileSystem}, fsync median {Fsync.MedianMs:0.000} ms");

    /// <summary>
    /// A plain write + fsync of one page, timed alone: the floor under every durable commit, which tells
    /// whether a slow append is the store's doing or the disk's.
    /// </summary>
    private static Stats MeasureFsync(string directory)
    {
        var path = Path.Combine(directory, "fsync-probe.bin");
        var page = new byte[4096];
        var samples = new List<double>();
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1))
        {
            for (var i = 0; i < 60; i++)
            {
                file.Position = 0;
                var start = Stopwatch.GetTimestamp();
                file.Write(page);
                file.Flush(flushToDisk: true);
                var end = Stopwatch.GetTimestamp();
                if (i >= 10)
                {
                    samples.Add((end - start) * 1000.0 / Stopwatch.Frequency);
                }
            }
        }

        File.Delete(path);
        return Stats.From(samples);
    }

    /// <summary>The type of the filesystem holding <paramref name="path"/> (Linux: from /proc/mounts), and a caveat when it distorts fsync.</summary>
    private static (string Description, string? Warning) DescribeFileSystem(string path)
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/proc/mounts"))
        {
            return ("filesystem type not detected on this OS", null);
        }

        try
        {
            var full = Path.GetFullPath(path);
            string[]? best = null;
            foreach (var line in File.ReadLines("/proc/mounts"))
            {
                var fields = line.Split(' ');
                if (fields.Length < 4)
                {
                    continue;
                }

                var mountPoint = fields[1].Replace("\\040", " ", StringComparison.Ordinal);
                var covers = mountPoint == "/" || full == mountPoint || full.StartsWith(mountPoint + "/", StringComparison.Ordinal);
                if (covers && (best is null || mountPoint.Length >= best[1].Length))
                {
                    best = [fields[0], mountPoint, fields[2], fields[3]];
                }
            }

            if (best is null)
            {
                return ("filesystem not found in /proc/mounts", null);
            }

            var description = $"{best[2]} on {best[0]}, mounted at {best[1]}";
            string? warning = best[2] switch
            {
                "tmpfs" or "ramfs" => "the temp directory is in memory: fsync does nothing there, so durable-write figures are far below a real disk's.",
                "overlay" => "the temp directory is on an overlay filesystem: fsync cost is that of the layer beneath.",
                _ when best[3].Split(',').Contains("nobarrier") => "mounted with nobarrier: fsync may not reach stable storage, so durable writes look cheaper than they are.",
                _ => null,
            };
            return (description, warning);
        }
        catch (IOException)
        {
            return ("filesystem type unreadable", null);
        }
    }
}
