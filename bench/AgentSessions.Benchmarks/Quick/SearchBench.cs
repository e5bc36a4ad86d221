using System.Diagnostics;
using System.Globalization;
using AgentSessions.Benchmarks.Shared;
using AgentSessions.Sqlite;
using AgentSessions.Storage;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>
/// Full-text search, top 20 hits with snippets, over stores of growing size (1%, 10% and 100% of
/// <see cref="QuickOptions.SearchMessages"/>), against the raw FTS5 query (same MATCH, bm25 order, snippet, no joins).
/// </summary>
/// <remarks>
/// Two queries: two common words that every few messages contain (the worst case: the store ranks the newest
/// <see cref="SqliteSessionStore.RankWindow"/> matches, and with <c>Exhaustive</c> every match), and a rare word in
/// one message of 1,000 (a typical "find that conversation" lookup, ranked exactly either way). Each store query is
/// timed beside the raw FTS5 query doing the same ranking without the store's joins and filters.
/// The messages are bulk-loaded in sessions of 100 with raw SQL, FTS rows included.
/// </remarks>
public static class SearchBench
{
    public const int Limit = 20;
    public const int MessagesPerSession = 100;
    public const double TargetMs = 50;
    public const string CommonQuery = "database timeout";
    private const string CommonMatch = "\"database\" \"timeout\"";

    public static async Task<IReadOnlyList<ResultRow>> RunAsync(TempRoot temp, TextWriter output, Plots plots, int totalMessages)
    {
        var directory = temp.Directory("search-store");
        await Fixtures.CreateEmptyStoreAsync(directory);
        var path = new SqliteStoreOptions(directory).DatabasePath;
        var sessionsSoFar = 0;
        var rows = new List<ResultRow>();
        foreach (var size in new[] { totalMessages / 100, totalMessages / 10, totalMessages })
        {
            var sessions = size / MessagesPerSession;
            output.WriteLine($"Search: bulk-loading up to {size:N0} messages in {sessions:N0} sessions...");
            var clock = Stopwatch.StartNew();
            var add = sessions - sessionsSoFar;
            Fixtures.BulkInsertSessions(path, add, 10, seed: sessions, firstRow: sessionsSoFar + 1);
            Fixtures.BulkInsertMessages(path, Enumerable.Range(sessionsSoFar + 1, add).Select(r => ((long)r, MessagesPerSession)).ToArray(), textOffset: sessionsSoFar * MessagesPerSession);
            sessionsSoFar = sessions;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  loaded in {clock.Elapsed.TotalSeconds:0.0} s"));

            await using var store = SqliteSessionStore.Open(directory);
            using var raw = RawSqlite.OpenReadOnly(path);
            using var rawSearch = RawSqlite.Prepare(
                raw,
                "SELECT rowid, snippet(messages_fts, 0, char(2), char(3), '…', 24) FROM messages_fts WHERE messages_fts MATCH $match ORDER BY bm25(messages_fts) LIMIT $limit",
                "$match", "$limit");
            rawSearch.Parameters[1].Value = Limit;

            // The store's default: bm25 over the newest RankWindow matches, snippets for the best 20 only.
            using var rawBounded = RawSqlite.Prepare(
                raw,
                """
                SELECT rowid, snippet(messages_fts, 0, char(2), char(3), '…', 24) FROM messages_fts
                WHERE messages_fts MATCH $match AND rowid IN (
                    SELECT rowid FROM (
                        SELECT rowid, bm25(messages_fts) AS score FROM messages_fts WHERE messages_fts MATCH $match
                        ORDER BY rowid DESC LIMIT $window)
                    ORDER BY score LIMIT $limit)
                """,
                "$match", "$limit", "$window");
            rawBounded.Parameters[1].Value = Limit;
            rawBounded.Parameters[2].Value = SqliteSessionStore.RankWindow;

            int RawSearch(string match) => Run(rawSearch, match);
            int RawBounded(string match) => Run(rawBounded, match);

            static int Run(Microsoft.Data.Sqlite.SqliteCommand command, string match)
            {
                command.Parameters[0].Value = match;
                using var reader = command.ExecuteReader();
                var n = 0;
                while (reader.Read())
                {
                    _ = reader.GetString(1);
                    n++;
                }

                return n;
            }

            async Task<int> StoreSearch(string text, bool exhaustive = false)
            {
                var n = 0;
                await foreach (var hit in store.SearchAsync(new SearchQuery(text) { Limit = Limit, Exhaustive = exhaustive }))
                {
                    _ = hit.Snippet;
                    n++;
                }

                return n;
            }

            if (await StoreSearch(CommonQuery) != Limit || await StoreSearch(CommonQuery, exhaustive: true) != Limit || await StoreSearch(Fixtures.RareWord) == 0
                || RawSearch(CommonMatch) != Limit || RawBounded(CommonMatch) != Limit)
            {
                throw new InvalidOperationException("the search fixture does not return 20 hits");
            }

            var stats = await Interleaved.MeasureAsync(
                3,
                200,
                size == totalMessages ? TimeSpan.FromSeconds(15) : TimeSpan.FromSeconds(5),
                () => { RawSearch(CommonMatch); return ValueTask.CompletedTask; },
                async () => await StoreSearch(CommonQuery),
                () => { RawSearch("\"" + Fixtures.RareWord + "\""); return ValueTask.CompletedTask; },
                async () => await StoreSearch(Fixtures.RareWord),
                () => { RawBounded(CommonMatch); return ValueTask.CompletedTask; },
                async () => await StoreSearch(CommonQuery, exhaustive: true));

            Report.PrintStats(output, $"raw FTS5 '{CommonQuery}' @{size:N0}", stats[0]);
            Report.PrintStats(output, $"SearchAsync '{CommonQuery}' @{size:N0}", stats[1]);
            Report.PrintStats(output, $"raw FTS5 rare word @{size:N0}", stats[2]);
            Report.PrintStats(output, $"SearchAsync rare word @{size:N0}", stats[3]);
            Report.PrintStats(output, $"raw FTS5 bounded '{CommonQuery}' @{size:N0}", stats[4]);
            Report.PrintStats(output, $"SearchAsync exhaustive '{CommonQuery}' @{size:N0}", stats[5]);
            plots.Add(
                "search.dat",
                "messages raw_common_ms store_common_ms raw_rare_ms store_rare_ms raw_bounded_common_ms store_exhaustive_common_ms",
                size, stats[0].MedianMs, stats[1].MedianMs, stats[2].MedianMs, stats[3].MedianMs, stats[4].MedianMs, stats[5].MedianMs);
            if (size == totalMessages)
            {
                rows.Add(ResultRow.TimeTarget($"Search top {Limit} of {size:N0} msgs, 2 common words", stats[1], $"raw FTS5, bm25 over newest {SqliteSessionStore.RankWindow:N0} + snippet", stats[4], TargetMs));
                rows.Add(ResultRow.TimeTarget($"Search top {Limit} of {size:N0} msgs, rare word", stats[3], "raw FTS5 MATCH + bm25 + snippet", stats[2], TargetMs));
                rows.Add(ResultRow.Info($"Search top {Limit} of {size:N0} msgs, 2 common words, exhaustive", stats[5], "raw FTS5, bm25 over every match + snippet", stats[0]));
            }
        }

        return rows;
    }
}
