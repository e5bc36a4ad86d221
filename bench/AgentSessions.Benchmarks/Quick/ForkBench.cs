using AgentSessions.Benchmarks.Shared;
using AgentSessions.Sqlite;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>Forking a 10,000-message session, against a raw durable INSERT...SELECT of the same rows.</summary>
public static class ForkBench
{
    public const int Messages = 10_000;
    public const double TargetMs = 50;

    private const int WarmupRounds = 2;
    private const int Rounds = 20;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(30);

    public static async Task<IReadOnlyList<ResultRow>> RunAsync(TempRoot temp, TextWriter output)
    {
        output.WriteLine($"Fork: filling a session of {Messages:N0} messages...");
        await using var store = SqliteSessionStore.Open(temp.Directory("fork-store"));
        await Fixtures.CreateSessionAsync(store, "origin", Messages);

        using var raw = RawSqlite.OpenDurable(Path.Combine(temp.Directory("fork-raw"), "raw.db"));
        RawSqlite.Execute(raw, "CREATE TABLE m (id INTEGER PRIMARY KEY, session INTEGER NOT NULL, seq INTEGER NOT NULL, text TEXT NOT NULL)");
        RawSqlite.Execute(raw, "BEGIN");
        using (var insert = RawSqlite.Prepare(raw, "INSERT INTO m (session, seq, text) VALUES (0, $seq, $text)", "$seq", "$text"))
        {
            for (var i = 0; i < Messages; i++)
            {
                insert.Parameters[0].Value = i + 1;
                insert.Parameters[1].Value = BenchText.Get(i);
                insert.ExecuteNonQuery();
            }
        }

        RawSqlite.Execute(raw, "COMMIT");
        var copies = 0;
        using var copy = RawSqlite.Prepare(raw, "INSERT INTO m (session, seq, text) SELECT $to, seq, text FROM m WHERE session = 0", "$to");

        var stats = await Interleaved.MeasureAsync(
            WarmupRounds,
            Rounds,
            Budget,
            () =>
            {
                RawSqlite.Execute(raw, "BEGIN IMMEDIATE");
                copy.Parameters[0].Value = ++copies;
                copy.ExecuteNonQuery();
                RawSqlite.Execute(raw, "COMMIT");
                return ValueTask.CompletedTask;
            },
            async () =>
            {
                var fork = await store.ForkAsync("origin", null, new NewSession());
                if (fork.MessageCount != Messages)
                {
                    throw new InvalidOperationException($"the fork holds {fork.MessageCount} messages");
                }
            });

        Report.PrintStats(output, "raw INSERT...SELECT of 10,000 rows", stats[0]);
        Report.PrintStats(output, $"ForkAsync of {Messages:N0} messages", stats[1]);
        return [ResultRow.TimeTarget($"Fork a {Messages:N0}-message session", stats[1], "raw INSERT...SELECT, same rows", stats[0], TargetMs)];
    }
}
