using System.Diagnostics;
using System.Globalization;
using AgentSessions.Benchmarks.Shared;
using AgentSessions.Formats;
using AgentSessions.Sqlite;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>
/// Export of 1,000 sessions (20 messages each) to JSON files with <see cref="SessionService.ExportAsync"/>, and
/// their import into a fresh store with <see cref="SessionService.ImportJsonAsync"/>: time per session.
/// </summary>
/// <remarks>
/// Baselines, each timed per session right after the store's operation: for export, writing the same bytes to a
/// file with fsync (what any export to a durable file costs); for import, one raw durable transaction inserting
/// the same number of one-text rows.
/// </remarks>
public static class TransferBench
{
    public const int Sessions = 1_000;
    public const int MessagesPerSession = 20;

    public static async Task<IReadOnlyList<ResultRow>> RunAsync(TempRoot temp, TextWriter output)
    {
        output.WriteLine($"Export/import: {Sessions:N0} sessions of {MessagesPerSession} messages...");
        var exportDir = temp.Directory("transfer-files");
        var copyDir = temp.Directory("transfer-copies");
        var exportTimes = new List<double>(Sessions);
        var copyTimes = new List<double>(Sessions);
        var ids = new List<string>(Sessions);
        await using (var service = new SessionService(SqliteSessionStore.Open(temp.Directory("transfer-source")), ownsStore: true))
        {
            var clock = Stopwatch.StartNew();
            for (var s = 0; s < Sessions; s++)
            {
                var session = await service.CreateAsync(new NewSession { Title = BenchText.Title(s), Tags = ["t" + (s % 10)] });
                await service.AppendAsync(session.Id, Enumerable.Range(0, MessagesPerSession).Select(i => new NewMessage(i % 2 == 0 ? MessageRole.User : MessageRole.Assistant, BenchText.Get(s + i))).ToArray());
                ids.Add(session.Id);
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  filled in {clock.Elapsed.TotalSeconds:0.0} s"));
            foreach (var id in ids)
            {
                var path = Path.Combine(exportDir, id + ".json");
                var start = Stopwatch.GetTimestamp();
                await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
                {
                    await service.ExportAsync(id, ExportFormat.Json, file);
                    file.Flush(flushToDisk: true);
                }

                exportTimes.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);

                var bytes = await File.ReadAllBytesAsync(path);
                start = Stopwatch.GetTimestamp();
                await using (var file = new FileStream(Path.Combine(copyDir, id + ".json"), FileMode.CreateNew, FileAccess.Write))
                {
                    await file.WriteAsync(bytes);
                    file.Flush(flushToDisk: true);
                }

                copyTimes.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }

        var importTimes = new List<double>(Sessions);
        var rawTimes = new List<double>(Sessions);
        using var raw = RawAppender.Open(Path.Combine(temp.Directory("transfer-raw"), "raw.db"));
        await using (var target = new SessionService(SqliteSessionStore.Open(temp.Directory("transfer-target")), ownsStore: true))
        {
            foreach (var id in ids)
            {
                var start = Stopwatch.GetTimestamp();
                await using (var file = File.OpenRead(Path.Combine(exportDir, id + ".json")))
                {
                    var imported = await target.ImportJsonAsync(file, id + ".json");
                    if (imported.MessageCount != MessagesPerSession)
                    {
                        throw new InvalidOperationException($"imported {imported.MessageCount} messages");
                    }
                }

                importTimes.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);

                start = Stopwatch.GetTimestamp();
                raw.InsertSession(id, MessagesPerSession);
                rawTimes.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }

        var export = Stats.From(exportTimes);
        var copy = Stats.From(copyTimes);
        var import = Stats.From(importTimes);
        var rawImport = Stats.From(rawTimes);
        Report.PrintStats(output, "ExportAsync JSON + fsync, per session", export);
        Report.PrintStats(output, "write same bytes + fsync", copy);
        Report.PrintStats(output, "ImportJsonAsync, per session", import);
        Report.PrintStats(output, $"raw txn of {MessagesPerSession} INSERTs", rawImport);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  totals: export {exportTimes.Sum() / 1000:0.00} s, import {importTimes.Sum() / 1000:0.00} s for {Sessions:N0} sessions"));
        return
        [
            ResultRow.Info($"Export per session ({Sessions:N0} x {MessagesPerSession} msgs, JSON file)", export, "write the same bytes + fsync", copy),
            ResultRow.Info($"Import per session ({Sessions:N0} x {MessagesPerSession} msgs, fresh store)", import, $"raw txn, {MessagesPerSession} INSERTs", rawImport),
        ];
    }
}
