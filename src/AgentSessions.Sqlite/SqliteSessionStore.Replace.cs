using AgentSessions.Storage;
using Microsoft.Data.Sqlite;

namespace AgentSessions.Sqlite;

// Replacing the last message: a streamed answer's checkpoint becomes the final answer in one transaction.
public sealed partial class SqliteSessionStore
{
    /// <inheritdoc />
    public ValueTask<AppendResult> ReplaceLastMessageAsync(string sessionId, string lastMessageId, IReadOnlyList<NewMessage> messages, CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        SessionIds.Validate(lastMessageId, "message");
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, "nothing to replace the last message with: the message list is empty");
        }

        // The first replacement keeps the replaced message's id unless it brings its own, so a reader that showed
        // the partial answer finds the final one under the same id.
        var replacing = messages[0].Id is null ? [messages[0] with { Id = lastMessageId }, .. messages.Skip(1)] : messages;
        var prepared = new PreparedMessage[replacing.Count];
        for (var i = 0; i < replacing.Count; i++)
        {
            var text = StoreRules.ValidateMessage(replacing[i], _options.MaxMessageBytes);
            prepared[i] = PreparedMessage.Create(replacing[i].Parts, text, replacing[i].Metadata);
        }

        return WriteAsync(connection => ReplaceLastCore(connection, sessionId, lastMessageId, replacing, prepared), cancellationToken, indexesLater: true);
    }

    /// <summary>
    /// Releases the last message as a shortened head would (index entry, blob references, fork copies made
    /// independent), takes its tokens off the totals, and appends the replacement through the append path, so
    /// numbering, totals, title and indexing follow the append's rules exactly.
    /// </summary>
    private AppendResult ReplaceLastCore(SqliteConnection connection, string sessionId, string lastMessageId, IReadOnlyList<NewMessage> messages, PreparedMessage[] prepared)
    {
        var (before, sessionRow, lastSeq) = ReadSessionHead(sessionId);
        var count = before.MessageCount;
        if (lastSeq > count)
        {
            throw new AgentSessionsException(ErrorCode.Conflict, $"session '{sessionId}' has undone messages after its last message; the last message is not replaced so that they stay for redo");
        }

        using var command = connection.CreateCommand();
        command.CommandText = "SELECT message_id, input_tokens, output_tokens FROM messages WHERE session_row = $row AND seq = $seq";
        command.Parameters.AddWithValue("$row", sessionRow);
        command.Parameters.AddWithValue("$seq", count);
        long input, output;
        using (var reader = command.ExecuteReader())
        {
            if (!reader.Read() || reader.GetString(0) != lastMessageId)
            {
                throw new AgentSessionsException(ErrorCode.Conflict, $"the last message of session '{sessionId}' is not '{lastMessageId}' any more; nothing was replaced");
            }

            input = reader.GetInt64(1);
            output = reader.GetInt64(2);
        }

        ReleaseMessages(connection, sessionRow, afterSequence: count - 1);
        command.CommandText = """
            UPDATE sessions SET message_count = $count, last_seq = $count,
                                input_tokens = max(0, input_tokens - $input), output_tokens = max(0, output_tokens - $output)
            WHERE row_id = $row
            """;
        command.Parameters.Clear();
        command.Parameters.AddWithValue("$row", sessionRow);
        command.Parameters.AddWithValue("$count", count - 1);
        command.Parameters.AddWithValue("$input", input);
        command.Parameters.AddWithValue("$output", output);
        command.ExecuteNonQuery();
        return AppendCore(connection, sessionId, messages, prepared);
    }
}
