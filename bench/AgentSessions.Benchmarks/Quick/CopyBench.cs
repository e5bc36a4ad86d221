using System.Diagnostics;
using System.Globalization;
using AgentSessions.Benchmarks.Shared;
using AgentSessions.Sqlite;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>
/// <see cref="SessionService.CopyToAsync"/> of 100 sessions (100 messages each) into a fresh durable store, and a
/// second run that finds everything present: the time of the whole copy.
/// </summary>
/// <remarks>
/// Baselines, timed in the same rounds (interleaved, so a busy moment of the machine hits all three alike): the same
/// sessions moved by hand through the service (<see cref="SessionService.ExportJsonAsync"/> into memory, then
/// <see cref="SessionService.ImportJsonAsync"/> into a fresh store), and one raw durable transaction per session
/// inserting the same number of one-text rows (the least any durable per-session copy costs).
/// </remarks>
public static class CopyBench
{
    public const int Sessions = 100;
    public const int MessagesPerSession = 100;
    public const int Rounds = 5;

    public static async Task<IReadOnlyList<ResultRow>> RunAsync(TempRoot temp, TextWriter output)
    {
        output.WriteLine($"Copy: {Sessions:N0} sessions of {MessagesPerSession} messages, {Rounds} rounds...");
        var ids = new List<string>(Sessions);
        await using var source = new SessionService(SqliteSessionStore.Open(temp.Directory("copy-source")), ownsStore: true);
        for (var s = 0; s < Sessions; s++)
        {
            var session = await source.CreateAsync(new NewSession { Title = BenchText.Title(s), Tags = ["t" + (s % 10)] });
            await source.AppendAsync(session.Id, Enumerable.Range(0, MessagesPerSession).Select(i => new NewMessage(i % 2 == 0 ? MessageRole.User : MessageRole.Assistant, BenchText.Get(s + i)) { InputTokens = 10, OutputTokens = 20 }).ToArray());
            await source.AddBookmarkAsync(session.Id, "mark");
            ids.Add(session.Id);
        }

        var copyTimes = new List<double>(Rounds);
        var rerunTimes = new List<double>(Rounds);
        var handTimes = new List<double>(Rounds);
        var rawTimes = new List<double>(Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            await using (var target = new SessionService(SqliteSessionStore.Open(temp.Directory($"copy-target-{round}")), ownsStore: true))
            {
                var start = Stopwatch.GetTimestamp();
                var summary = await source.CopyToAsync(target, new CopyRequest());
                copyTimes.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                if (summary.Copied.Count != Sessions || summary.Messages != (long)Sessions * MessagesPerSession)
                {
                    throw new InvalidOperationException($"copied {summary.Copied.Count} sessions, {summary.Messages} messages");
                }

                start = Stopwatch.GetTimestamp();
                var again = await source.CopyToAsync(target, new CopyRequest());
                rerunTimes.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                if (again.AlreadyPresent != Sessions)
                {
                    throw new InvalidOperationException($"the second run found {again.AlreadyPresent} sessions present");
                }
            }

            await using (var target = new SessionService(SqliteSessionStore.Open(temp.Directory($"copy-by-hand-{round}")), ownsStore: true))
            {
                var start = Stopwatch.GetTimestamp();
                foreach (var id in ids)
                {
                    using var buffer = new MemoryStream();
                    await source.ExportJsonAsync(id, buffer);
                    buffer.Position = 0;
                    await target.ImportJsonAsync(buffer, id);
                }

                handTimes.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }

            using var raw = RawAppender.Open(Path.Combine(temp.Directory($"copy-raw-{round}"), "raw.db"));
            var rawStart = Stopwatch.GetTimestamp();
            for (var s = 0; s < Sessions; s++)
            {
                raw.InsertSession(ids[s], MessagesPerSession, textOffset: s);
            }

            rawTimes.Add(Stopwatch.GetElapsedTime(rawStart).TotalMilliseconds);
        }

        var copy = Stats.From(copyTimes);
        var rerun = Stats.From(rerunTimes);
        var byHand = Stats.From(handTimes);
        var rawCopy = Stats.From(rawTimes);
        Report.PrintStats(output, $"CopyToAsync, {Sessions} sessions", copy);
        Report.PrintStats(output, "second run (all present)", rerun);
        Report.PrintStats(output, "export + import by hand", byHand);
        Report.PrintStats(output, $"raw txn of {MessagesPerSession} INSERTs per session", rawCopy);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  copy: {copy.MedianMs / Sessions:0.00} ms per session, {Sessions * (double)MessagesPerSession / (copy.MedianMs / 1000):N0} messages/s"));
        return
        [
            ResultRow.RatioTarget($"Copy {Sessions} x {MessagesPerSession} msgs to a fresh store", copy, "export + import by hand", byHand, 1.5),
            ResultRow.Info($"Copy {Sessions} x {MessagesPerSession} msgs vs raw", copy, $"raw txn per session, {MessagesPerSession} INSERTs", rawCopy),
            ResultRow.Info($"Copy again, all {Sessions} present", rerun, "first copy", copy),
        ];
    }
}
