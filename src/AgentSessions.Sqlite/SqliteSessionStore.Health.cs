using System.Globalization;
using AgentSessions.Storage;
using Microsoft.Data.Sqlite;

namespace AgentSessions.Sqlite;

public sealed partial class SqliteSessionStore
{
    // .NET ticks at the Unix epoch: converts stored ticks to SQLite's date functions.
    private const long UnixEpochTicks = 621_355_968_000_000_000;

    /// <summary>
    /// The SQL sum of a token column with each value held to 0..<see cref="StoreRules.MaxTokensPerMessage"/>. New
    /// appends cannot store anything outside that range, but older stores can hold wrapped or absurd counts, and
    /// SQLite's integer sum() fails the whole query ("integer overflow") on them; clamped, no sum can overflow.
    /// </summary>
    private static string TokenSum(string column)
        => string.Create(CultureInfo.InvariantCulture, $"coalesce(sum(min(max({column}, 0), {StoreRules.MaxTokensPerMessage})), 0)");

    /// <inheritdoc />
    public ValueTask<StoreStats> GetStatsAsync(StatsQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        return ValueTask.FromResult(Read(reader =>
        {
            var connection = reader.Connection;
            var since = query.Since is { } s ? ToTicks(s) : long.MinValue;
            List<TokenUsage> Group(string key) => ReadUsage(connection, $"""
                SELECT {key}, count(*), {TokenSum("m.input_tokens")}, {TokenSum("m.output_tokens")}
                FROM messages m JOIN sessions s ON s.row_id = m.session_row
                WHERE m.seq <= s.message_count AND m.created_at >= $since
                GROUP BY 1 ORDER BY 1
                """, since);
            var byModel = Group("coalesce(m.model, s.model, '(unknown)')");
            var byDay = Group($"date((m.created_at - {UnixEpochTicks}) / 10000000, 'unixepoch')");
            using var count = connection.CreateCommand();
            count.CommandText = "SELECT count(*) FROM sessions";
            return new StoreStats
            {
                Sessions = (long)count.ExecuteScalar()!,
                Messages = byModel.Sum(u => u.Messages),
                InputTokens = byModel.Sum(u => u.InputTokens),
                OutputTokens = byModel.Sum(u => u.OutputTokens),
                ByModel = byModel,
                ByDay = byDay,
            };
        }));
    }

    private static List<TokenUsage> ReadUsage(SqliteConnection connection, string sql, long since)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$since", since);
        using var reader = command.ExecuteReader();
        var list = new List<TokenUsage>();
        while (reader.Read())
        {
            list.Add(new TokenUsage(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
        }

        return list;
    }

    /// <inheritdoc />
    public async ValueTask<DoctorReport> CheckAsync(bool repair, CancellationToken cancellationToken = default)
    {
        var checks = new List<DoctorCheck>();

        // The engine's own check first: if pages are damaged, everything else may be misleading.
        List<string> integrity;
        try
        {
            integrity = Read(r => ReadStrings(r.Connection, "PRAGMA integrity_check"));
        }
        catch (AgentSessionsException e) when (e.Code == ErrorCode.Corrupt)
        {
            // So damaged that the check itself cannot run (a broken schema page, say): that is the finding.
            integrity = [e.Message];
        }

        var engineOk = integrity is ["ok"];
        checks.Add(new DoctorCheck(
            "database integrity (PRAGMA integrity_check)",
            engineOk,
            engineOk ? "ok" : string.Join("; ", integrity.Take(10)) + (repair ? " (not repairable in place: export what still reads, or restore a backup)" : "")));
        if (!engineOk)
        {
            return new DoctorReport { Checks = checks };
        }

        checks.Add(await CheckAndRepairAsync(
            "message search index matches the messages",
            connection => FtsProblem(connection, "messages_fts"),
            connection => Exec(connection, "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')"),
            repair, cancellationToken).ConfigureAwait(false));
        checks.Add(await CheckAndRepairAsync(
            "title search index matches the titles",
            connection => FtsProblem(connection, "titles_fts"),
            connection => Exec(connection, "INSERT INTO titles_fts (titles_fts) VALUES ('rebuild')"),
            repair, cancellationToken).ConfigureAwait(false));
        checks.Add(await CheckAndRepairAsync(
            "sequence numbers run 1..n without gaps",
            connection => Count(connection, "SELECT count(*) FROM sessions s WHERE s.last_seq <> (SELECT count(*) FROM messages WHERE session_row = s.row_id) OR s.last_seq <> (SELECT coalesce(max(seq), 0) FROM messages WHERE session_row = s.row_id)") is var n and > 0
                ? $"{n} session(s) have gaps or a wrong highest sequence number" : null,
            null,
            repair, cancellationToken).ConfigureAwait(false));
        var max = StoreRules.MaxTokensPerMessage.ToString(CultureInfo.InvariantCulture);
        checks.Add(await CheckAndRepairAsync(
            $"message token counts are within 0 to {StoreRules.MaxTokensPerMessage:N0}",
            connection => Count(connection, $"SELECT count(*) FROM messages WHERE input_tokens NOT BETWEEN 0 AND {max} OR output_tokens NOT BETWEEN 0 AND {max}") is var n and > 0
                ? $"{n} message(s) carry token counts out of range (stored before counts were bounded); repair holds them to the range" : null,
            connection => Exec(connection, $"""
                UPDATE messages SET input_tokens = min(max(input_tokens, 0), {max}), output_tokens = min(max(output_tokens, 0), {max})
                WHERE input_tokens NOT BETWEEN 0 AND {max} OR output_tokens NOT BETWEEN 0 AND {max}
                """),
            repair, cancellationToken).ConfigureAwait(false));
        checks.Add(await CheckAndRepairAsync(
            "session totals match their messages",
            connection => Count(connection, $"""
                SELECT count(*) FROM sessions s WHERE
                    s.message_count > s.last_seq
                    OR s.input_tokens <> (SELECT {TokenSum("input_tokens")} FROM messages WHERE session_row = s.row_id AND seq <= s.message_count)
                    OR s.output_tokens <> (SELECT {TokenSum("output_tokens")} FROM messages WHERE session_row = s.row_id AND seq <= s.message_count)
                """) is var n and > 0 ? $"{n} session(s) have totals that do not match their messages" : null,
            connection => Exec(connection, $"""
                UPDATE sessions SET
                    message_count = min(message_count, last_seq),
                    input_tokens = (SELECT {TokenSum("input_tokens")} FROM messages WHERE session_row = sessions.row_id AND seq <= min(sessions.message_count, sessions.last_seq)),
                    output_tokens = (SELECT {TokenSum("output_tokens")} FROM messages WHERE session_row = sessions.row_id AND seq <= min(sessions.message_count, sessions.last_seq))
                """),
            repair, cancellationToken).ConfigureAwait(false));
        checks.Add(await CheckAndRepairAsync(
            "tag index matches the sessions' tags",
            connection => Count(connection, """
                SELECT (SELECT count(*) FROM sessions s, json_each(s.tags) t WHERE NOT EXISTS (SELECT 1 FROM session_tags x WHERE x.tag = t.value AND x.session_row = s.row_id AND x.updated_at = s.updated_at))
                     + (SELECT count(*) FROM session_tags x WHERE NOT EXISTS (SELECT 1 FROM sessions s, json_each(s.tags) t WHERE s.row_id = x.session_row AND t.value = x.tag))
                """) is var n and > 0 ? $"{n} tag index entries are missing or stale" : null,
            connection => Exec(connection, """
                DELETE FROM session_tags;
                INSERT INTO session_tags (tag, session_row, updated_at) SELECT t.value, s.row_id, s.updated_at FROM sessions s, json_each(s.tags) t;
                """),
            repair, cancellationToken).ConfigureAwait(false));
        checks.Add(await CheckAndRepairAsync(
            "stored contents are referenced and present",
            connection =>
            {
                var missing = Count(connection, "SELECT count(*) FROM blob_refs r WHERE NOT EXISTS (SELECT 1 FROM blobs b WHERE b.hash = r.hash)");
                var orphans = Count(connection, """
                    SELECT (SELECT count(*) FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM blob_refs r WHERE r.hash = b.hash))
                         + (SELECT count(*) FROM blob_refs r WHERE r.owner > 0 AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.row_id = r.owner))
                         + (SELECT count(*) FROM blob_refs r WHERE r.owner < 0 AND NOT EXISTS (SELECT 1 FROM tool_executions t WHERE t.row_id = -r.owner))
                    """);
                return missing > 0 ? $"{missing} stored content reference(s) point at content that is gone (not repairable; the messages' search text is still there)"
                    : orphans > 0 ? $"{orphans} stored content blob(s) or reference(s) have no user" : null;
            },
            connection => Exec(connection, """
                DELETE FROM blob_refs WHERE owner > 0 AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.row_id = blob_refs.owner);
                DELETE FROM blob_refs WHERE owner < 0 AND NOT EXISTS (SELECT 1 FROM tool_executions t WHERE t.row_id = -blob_refs.owner);
                DELETE FROM blobs WHERE NOT EXISTS (SELECT 1 FROM blob_refs r WHERE r.hash = blobs.hash);
                """),
            repair, cancellationToken).ConfigureAwait(false));
        return new DoctorReport { Checks = checks };
    }

    private async ValueTask<DoctorCheck> CheckAndRepairAsync(string name, Func<SqliteConnection, string?> check, Action<SqliteConnection>? fix, bool repair, CancellationToken cancellationToken)
    {
        var problem = Read(r => check(r.Connection));
        if (problem is null)
        {
            return new DoctorCheck(name, true, "ok");
        }

        if (!repair || fix is null)
        {
            return new DoctorCheck(name, false, problem) { Repairable = fix is not null };
        }

        var after = await WriteAsync(connection =>
        {
            fix(connection);
            return check(connection);
        }, cancellationToken).ConfigureAwait(false);
        return new DoctorCheck(name, false, after is null ? problem + "; repaired" : problem + "; repair did not help: " + after, Repaired: after is null);
    }

    private static string? FtsProblem(SqliteConnection connection, string table)
    {
        try
        {
            // rank 1: also compare the index with the external content, not only its internal structure.
            Exec(connection, $"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)");
            return null;
        }
        catch (SqliteException e)
        {
            return $"{table}: {e.Message.TrimEnd('.')}";
        }
    }

    private static void Exec(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static long Count(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    private static List<string> ReadStrings(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var list = new List<string>();
        while (reader.Read())
        {
            list.Add(reader.GetString(0));
        }

        return list;
    }
}
