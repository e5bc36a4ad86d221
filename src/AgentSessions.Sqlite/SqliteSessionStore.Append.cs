using AgentSessions.Storage;
using Microsoft.Data.Sqlite;

namespace AgentSessions.Sqlite;

public sealed partial class SqliteSessionStore
{
    /// <inheritdoc />
    public ValueTask<AppendResult> AppendAsync(string sessionId, IReadOnlyList<NewMessage> messages, CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, "nothing to append: the message list is empty");
        }

        // Validate and serialize before taking the write lock, so the transaction holds it only for I/O.
        var prepared = new PreparedMessage[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i];
            var text = StoreRules.ValidateMessage(message, _options.MaxMessageBytes);
            prepared[i] = new PreparedMessage(message, text, FormatParts(message.Parts), FormatMetadata(message.Metadata));
        }

        return WriteAsync(_ => AppendCore(sessionId, prepared), cancellationToken);
    }

    private readonly record struct PreparedMessage(NewMessage Message, string Text, object Parts, object Metadata);

    private AppendResult AppendCore(string sessionId, PreparedMessage[] prepared)
    {
        var c = _commands;
        c.SessionHead.Parameters[0].Value = sessionId;
        long sessionRow, count;
        bool hasTitle;
        using (var head = c.SessionHead.ExecuteReader())
        {
            if (!head.Read())
            {
                throw AgentSessionsException.SessionNotFound(sessionId);
            }

            sessionRow = head.GetInt64(0);
            count = head.GetInt64(1);
            hasTitle = !head.IsDBNull(2);
        }

        var now = DateTimeOffset.UtcNow;
        var stored = new SessionMessage[prepared.Length];
        long input = 0, output = 0;
        string? autoTitle = null;
        for (var i = 0; i < prepared.Length; i++)
        {
            var (message, text, parts, metadata) = prepared[i];
            stored[i] = new SessionMessage
            {
                Id = message.Id ?? SessionIds.NewMessageId(),
                Sequence = count + i + 1,
                Role = message.Role,
                Parts = message.Parts,
                AuthorName = message.AuthorName,
                CreatedAt = (message.CreatedAt ?? now).ToUniversalTime(),
                InputTokens = message.InputTokens,
                OutputTokens = message.OutputTokens,
                Model = message.Model,
                Metadata = message.Metadata,
            };

            InsertMessageRow(sessionRow, stored[i], text, parts, metadata, sessionId);
            input += message.InputTokens;
            output += message.OutputTokens;
            if (!hasTitle && autoTitle is null && message.Role == MessageRole.User)
            {
                autoTitle = SessionTitles.FromText(text);
            }
        }

        var u = c.UpdateTotals.Parameters;
        u[0].Value = prepared.Length;
        u[1].Value = input;
        u[2].Value = output;
        u[3].Value = ToTicks(now);
        u[4].Value = Nullable(autoTitle);
        u[5].Value = sessionRow;
        Session session;
        using (var reader = c.UpdateTotals.ExecuteReader())
        {
            reader.Read();
            session = ReadSession(reader);
        }

        if (session.Tags.Count > 0)
        {
            c.TouchTags.Parameters[0].Value = ToTicks(session.UpdatedAt);
            c.TouchTags.Parameters[1].Value = sessionRow;
            c.TouchTags.ExecuteNonQuery();
        }

        if (autoTitle is not null)
        {
            c.IndexTitle.Parameters[0].Value = sessionRow;
            c.IndexTitle.Parameters[1].Value = autoTitle;
            c.IndexTitle.ExecuteNonQuery();
        }

        return new AppendResult(session, stored);
    }

    /// <summary>Inserts one message row and its search entry (the caller holds the write transaction).</summary>
    private void InsertMessageRow(long sessionRow, SessionMessage message, string text, object parts, object metadata, string sessionId)
    {
        var c = _commands;
        var p = c.InsertMessage.Parameters;
        p[0].Value = sessionRow;
        p[1].Value = message.Sequence;
        p[2].Value = message.Id;
        p[3].Value = (int)message.Role;
        p[4].Value = text;
        p[5].Value = parts;
        p[6].Value = Nullable(message.AuthorName);
        p[7].Value = ToTicks(message.CreatedAt);
        p[8].Value = message.InputTokens;
        p[9].Value = message.OutputTokens;
        p[10].Value = Nullable(message.Model);
        p[11].Value = metadata;
        try
        {
            c.InsertMessage.ExecuteNonQuery();
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19)
        {
            throw new AgentSessionsException(ErrorCode.Conflict, $"message id '{message.Id}' already exists in session '{sessionId}'", e);
        }

        c.IndexMessage.Parameters[0].Value = text;
        c.IndexMessage.ExecuteNonQuery();
    }
}
