using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using AgentSessions.Storage;
using Microsoft.Data.Sqlite;

namespace AgentSessions.Sqlite;

public sealed partial class SqliteSessionStore
{
    /// <inheritdoc />
    public IAsyncEnumerable<SearchHit> SearchAsync(SearchQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var match = FtsQuery.Build(query.Text);
        var limit = StoreRules.ValidateLimit(query.Limit, 1_000);
        var tag = query.Tag is null ? null : StoreRules.ValidateTag(query.Tag);
        if (query.SessionId is not null)
        {
            SessionIds.Validate(query.SessionId);
        }

        return SearchCore(query, match, limit, tag, cancellationToken);
    }

    private async IAsyncEnumerable<SearchHit> SearchCore(SearchQuery query, string match, int limit, string? tag, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        // Appends reach the index in batches: index what waits first, so a search sees every acknowledged message.
        if (Read(connection => connection.Command("SELECT EXISTS (SELECT 1 FROM messages WHERE indexed = 2)").ExecuteScalar() is 1L))
        {
            try
            {
                await WriteAsync(static _ => 0, cancellationToken).ConfigureAwait(false);
            }
            catch (AgentSessionsException e) when (e.Code is ErrorCode.Busy or ErrorCode.StoreFull)
            {
                // A store that cannot be written now (locked by another process past the busy timeout, or full)
                // still answers from its index, which then lacks only the newest waiting messages.
            }
        }

        // Both result lists are small (at most `limit` rows each), so they are gathered, merged by score and
        // streamed; the FTS engine does the ranking and the top-N cut itself. One read transaction, so the
        // snippets come from the same snapshot as the ranking.
        var hits = Read(connection =>
        {
            // Plain BEGIN/COMMIT statements: the cached commands carry no ADO.NET transaction object.
            connection.Command("BEGIN").ExecuteNonQuery();
            var bound = new SearchBound(_options.SearchTimeout, cancellationToken);
            try
            {
                bound.Install(connection.Connection);
                var found = SearchMessages(connection, query, match, limit, tag);
                if (query.Role is null)
                {
                    // A session already represented by a matching message needs no second hit for its title
                    // (automatic titles repeat the first message word for word).
                    var sessions = found.Select(h => h.SessionId).ToHashSet(StringComparer.Ordinal);
                    found.AddRange(SearchTitles(connection, query, match, limit, tag).Where(h => !sessions.Contains(h.SessionId)));
                    // A stable sort: equal scores keep the engine's order (newest first), so the first N hits of a
                    // longer list are the hits of a shorter one and paging by offset neither repeats nor skips.
                    found = [.. found.OrderByDescending(h => h.Score)];
                }

                return found.Count > limit ? found.GetRange(0, limit) : found;
            }
            catch (SqliteException e) when ((e.SqliteErrorCode & 0xFF) == SearchBound.Interrupted)
            {
                throw bound.Failure(query, e);
            }
            finally
            {
                // Off before COMMIT, which a search past its bound would interrupt too; and before the
                // connection goes back to the pool for other reads.
                SearchBound.Remove(connection.Connection);
                if (connection.Connection.IsInTransaction())
                {
                    connection.Command("COMMIT").ExecuteNonQuery();
                }
            }
        });

        foreach (var hit in hits)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return hit;
        }
    }

    /// <summary>
    /// Stops a search's statements at its time limit or on cancellation, through SQLite's progress handler: it
    /// runs between virtual-machine instructions, where SQLite can abandon a statement cleanly, and on the
    /// searching thread, so no interrupt from another thread can reach a later read on the pooled connection.
    /// No instruction costs more than one row's work (snippets are linear, see <see cref="Snippets"/>), so a stop
    /// takes effect within milliseconds even on rows dense with matches.
    /// </summary>
    private sealed class SearchBound(TimeSpan timeout, CancellationToken cancellationToken)
    {
        /// <summary>SQLITE_INTERRUPT: what a statement stopped by the handler fails with.</summary>
        public const int Interrupted = 9;

        // SQLite calls back every this many instructions. An FTS5 instruction on a long row dense with matches
        // can cost milliseconds, so the interval is short; the check is a clock read, negligible at it.
        private const int Instructions = 100;

        private readonly long _deadline = Environment.TickCount64 + (long)Math.Ceiling(timeout.TotalMilliseconds);

        public void Install(SqliteConnection connection)
            => SQLitePCL.raw.sqlite3_progress_handler(connection.Handle, Instructions, static state => ((SearchBound)state).ShouldStop() ? 1 : 0, this);

        public static void Remove(SqliteConnection connection)
            => SQLitePCL.raw.sqlite3_progress_handler(connection.Handle, 0, null, null);

        /// <summary>What a stopped search throws: the cancellation, else the refusal of a search that took too long.</summary>
        public Exception Failure(SearchQuery query, SqliteException e)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return new OperationCanceledException("the search was cancelled", e, cancellationToken);
            }

            var seconds = timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
            return new AgentSessionsException(ErrorCode.InvalidArgument,
                $"the search took longer than {seconds} s, its time limit, and was stopped; narrow it with rarer words, a quoted phrase, or a session, role, tag or time filter{(query.Exhaustive ? ", or rank only the newest matches (not exhaustive)" : "")}",
                e);
        }

        private bool ShouldStop() => cancellationToken.IsCancellationRequested || Environment.TickCount64 >= _deadline;
    }

    /// <summary>
    /// How many of the most recently stored matches are ranked by relevance when more than this many match
    /// (unless <see cref="SearchQuery.Exhaustive"/>). bm25 must score every row it ranks; two common words can
    /// match a million messages in a large store, which costs hundreds of milliseconds to rank in full.
    /// </summary>
    public const int RankWindow = 5_000;

    private static List<SearchHit> SearchMessages(ReadConnection connection, SearchQuery query, string match, int limit, string? tag)
    {
        var parameters = new List<(string Name, object Value)>();
        var filters = new StringBuilder("m.seq <= s.message_count");
        AddFilters(parameters, filters, query, tag, sessionRowColumn: "m.session_row", timeColumn: "m.created_at");
        if (query.Role is { } role)
        {
            filters.Append(" AND m.role = $role");
            parameters.Add(("$role", (int)role));
        }

        return RankedHits(
            connection,
            "messages_fts",
            "s.id, s.title, m.seq, m.role, m.created_at",
            "JOIN messages m ON m.row_id = messages_fts.rowid JOIN sessions s ON s.row_id = m.session_row",
            filters.ToString(),
            parameters,
            query,
            match,
            limit,
            withMessage: true);
    }

    private static List<SearchHit> SearchTitles(ReadConnection connection, SearchQuery query, string match, int limit, string? tag)
    {
        var parameters = new List<(string Name, object Value)>();
        var filters = new StringBuilder("1");
        AddFilters(parameters, filters, query, tag, sessionRowColumn: "s.row_id", timeColumn: "s.updated_at");
        return RankedHits(
            connection,
            "titles_fts",
            "s.id, s.title, NULL, NULL, s.updated_at",
            "JOIN sessions s ON s.row_id = titles_fts.rowid",
            filters.ToString(),
            parameters,
            query,
            match,
            limit,
            withMessage: false);
    }

    /// <summary>
    /// The best <paramref name="limit"/> matches of one FTS5 index, then their snippets. Ranking walks the
    /// matches newest row first (FTS5 reads a doclist backwards without sorting) and stops after
    /// <see cref="RankWindow"/> rows that pass the filters, so a very common word costs a bounded amount;
    /// snippets are made for the winners only, from <c>highlight()</c> (linear) rather than <c>snippet()</c>
    /// (quadratic in a row's matches, see <see cref="Snippets"/>).
    /// </summary>
    private static List<SearchHit> RankedHits(
        ReadConnection connection,
        string index,
        string columns,
        string joins,
        string filters,
        List<(string Name, object Value)> parameters,
        SearchQuery query,
        string match,
        int limit,
        bool withMessage)
    {
        var ranked = connection.Command($"""
            SELECT w.* FROM (
                SELECT {columns}, bm25({index}) AS score, {index}.rowid AS hit_row
                FROM {index} {joins}
                WHERE {index} MATCH $match AND {filters}
                ORDER BY {index}.rowid DESC LIMIT $window
            ) w ORDER BY w.score, w.hit_row DESC LIMIT $limit
            """);
        foreach (var (name, value) in parameters)
        {
            ranked.Parameters.AddWithValue(name, value);
        }

        ranked.Parameters.AddWithValue("$match", match);
        ranked.Parameters.AddWithValue("$window", query.Exhaustive ? -1 : RankWindow);
        ranked.Parameters.AddWithValue("$limit", limit);
        var rows = new List<(long Row, SearchHit Hit)>();
        using (var reader = ranked.ExecuteReader())
        {
            while (reader.Read())
            {
                rows.Add((reader.GetInt64(6), new SearchHit
                {
                    SessionId = reader.GetString(0),
                    SessionTitle = reader.IsDBNull(1) ? null : reader.GetString(1),
                    Sequence = withMessage ? reader.GetInt64(2) : null,
                    Role = withMessage ? (MessageRole)reader.GetInt32(3) : null,
                    CreatedAt = FromTicks(reader.GetInt64(4)),
                    Snippet = "",
                    // bm25() is lower-is-better and negative; flip it so higher is better.
                    Score = -reader.GetDouble(5),
                }));
            }
        }

        if (rows.Count == 0)
        {
            return [];
        }

        var snippets = new Dictionary<long, string>(rows.Count);
        var command = connection.Command($"""
            SELECT rowid, highlight({index}, 0, char(2), char(3)) FROM {index}
            WHERE {index} MATCH $match AND rowid IN (SELECT value FROM json_each($rows))
            """);
        command.Parameters.AddWithValue("$match", match);
        command.Parameters.AddWithValue("$rows", "[" + string.Join(',', rows.Select(r => r.Row)) + "]");
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                snippets[reader.GetInt64(0)] = reader.GetString(1);
            }
        }

        return rows.ConvertAll(r =>
        {
            var (snippet, highlights) = Snippets.Cut(snippets.GetValueOrDefault(r.Row, ""));
            return r.Hit with { Snippet = snippet, Highlights = highlights };
        });
    }

    private static void AddFilters(List<(string Name, object Value)> parameters, StringBuilder sql, SearchQuery query, string? tag, string sessionRowColumn, string timeColumn)
    {
        if (tag is not null)
        {
            sql.Append($" AND {sessionRowColumn} IN (SELECT session_row FROM session_tags WHERE tag = $tag)");
            parameters.Add(("$tag", tag));
        }

        if (query.Since is { } since)
        {
            sql.Append($" AND {timeColumn} >= $since");
            parameters.Add(("$since", ToTicks(since)));
        }

        if (query.SessionId is not null)
        {
            sql.Append(" AND s.id = $session");
            parameters.Add(("$session", query.SessionId));
        }
    }
}

/// <summary>Writes the core's search terms as a safe FTS5 query: every term a quoted string, all of them required.</summary>
internal static class FtsQuery
{
    public static string Build(string? text)
        => string.Join(' ', SearchTerms.Parse(text).Select(t => "\"" + t.Text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" + (t.IsPrefix ? "*" : "")));
}
