using AgentSessions.Storage;
using Microsoft.Data.Sqlite;

namespace AgentSessions.Sqlite;

public sealed partial class SqliteSessionStore
{
    // A share holds its session's row id, and reads the session's id through it (schema 4): the join is what
    // makes a link unable to reach a later session that took the same id.
    private const string ShareColumns = "sh.token, s.id, sh.visibility, sh.password_hash, sh.expires_at, sh.allow_fork, sh.show_history, sh.created_at, sh.revoked_at";
    private const string SharesWithSessions = "shares sh JOIN sessions s ON s.row_id = sh.session_row";

    /// <inheritdoc />
    public ValueTask CreateShareAsync(Share share, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(share);
        SessionIds.Validate(share.SessionId);
        SessionRules.ValidateShareToken(share.Token);

        return new ValueTask(WriteAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = """
                INSERT INTO shares (token, session_row, visibility, password_hash, expires_at, allow_fork, show_history, created_at, revoked_at)
                SELECT $token, row_id, $visibility, $password, $expires, $fork, $history, $created, NULL FROM sessions WHERE id = $session
                """;
            command.Parameters.AddWithValue("$token", share.Token);
            command.Parameters.AddWithValue("$session", share.SessionId);
            command.Parameters.AddWithValue("$visibility", (int)share.Visibility);
            command.Parameters.AddWithValue("$password", Nullable(share.PasswordHash));
            command.Parameters.AddWithValue("$expires", share.ExpiresAt is { } expires ? ToTicks(expires) : DBNull.Value);
            command.Parameters.AddWithValue("$fork", share.AllowFork ? 1 : 0);
            command.Parameters.AddWithValue("$history", share.ShowHistory ? 1 : 0);
            command.Parameters.AddWithValue("$created", ToTicks(share.CreatedAt));
            try
            {
                if (command.ExecuteNonQuery() == 0)
                {
                    throw AgentSessionsException.SessionNotFound(share.SessionId);
                }
            }
            catch (SqliteException e) when (e.SqliteErrorCode == 19)
            {
                throw new AgentSessionsException(ErrorCode.Conflict, "that share token already exists", e);
            }

            return true;
        }, cancellationToken).AsTask());
    }

    /// <inheritdoc />
    public ValueTask<Share?> GetShareAsync(string token, CancellationToken cancellationToken = default)
    {
        if (!SessionRules.IsWellFormedShareToken(token))
        {
            return ValueTask.FromResult<Share?>(null);
        }

        return ValueTask.FromResult(Read(reader =>
        {
            var command = reader.Command($"SELECT {ShareColumns} FROM {SharesWithSessions} WHERE sh.token = $token");
            command.Parameters.AddWithValue("$token", token);
            using var r = command.ExecuteReader();
            return r.Read() ? ReadShare(r) : null;
        }));
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<Share>> ListSharesAsync(string? sessionId = null, bool includeRevoked = false, CancellationToken cancellationToken = default)
    {
        if (sessionId is not null)
        {
            SessionIds.Validate(sessionId);
        }

        return ValueTask.FromResult<IReadOnlyList<Share>>(Read(reader =>
        {
            var command = reader.Command($"""
                SELECT {ShareColumns} FROM {SharesWithSessions}
                WHERE ($session IS NULL OR s.id = $session) AND ($revoked = 1 OR sh.revoked_at IS NULL)
                ORDER BY sh.created_at DESC
                """);
            command.Parameters.AddWithValue("$session", Nullable(sessionId));
            command.Parameters.AddWithValue("$revoked", includeRevoked ? 1 : 0);
            using var r = command.ExecuteReader();
            var list = new List<Share>();
            while (r.Read())
            {
                list.Add(ReadShare(r));
            }

            return list;
        }));
    }

    /// <inheritdoc />
    public ValueTask<bool> RevokeShareAsync(string token, CancellationToken cancellationToken = default)
    {
        if (!SessionRules.IsWellFormedShareToken(token))
        {
            return ValueTask.FromResult(false);
        }

        return WriteAsync(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE shares SET revoked_at = $now WHERE token = $token AND revoked_at IS NULL";
            command.Parameters.AddWithValue("$now", ToTicks(DateTimeOffset.UtcNow));
            command.Parameters.AddWithValue("$token", token);
            return command.ExecuteNonQuery() == 1;
        }, cancellationToken);
    }

    private static Share ReadShare(SqliteDataReader r) => new()
    {
        Token = r.GetString(0),
        SessionId = r.GetString(1),
        Visibility = (ShareVisibility)r.GetInt32(2),
        PasswordHash = r.IsDBNull(3) ? null : r.GetString(3),
        ExpiresAt = r.IsDBNull(4) ? null : FromTicks(r.GetInt64(4)),
        AllowFork = r.GetInt64(5) != 0,
        ShowHistory = r.GetInt64(6) != 0,
        CreatedAt = FromTicks(r.GetInt64(7)),
        RevokedAt = r.IsDBNull(8) ? null : FromTicks(r.GetInt64(8)),
    };
}
