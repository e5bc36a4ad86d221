using System.Buffers;
using System.Text.Json;
using AgentSessions.Formats;
using AgentSessions.Storage;

namespace AgentSessions.Server.Rpc;

/// <summary>session.load: whole, compact, or streamed in <c>$/progress</c> chunks.</summary>
internal sealed partial class RpcMethods
{
    /// <summary>A streamed chunk is sent once its messages reach this many bytes of JSON.</summary>
    /// <remarks>
    /// Small enough that the client parses one chunk while the server reads and writes the next, large enough
    /// that a frame's fixed costs (a write, a flush, the client's read and parse calls) stay negligible.
    /// </remarks>
    internal const int ChunkBytes = 64 * 1024;

    private async ValueTask<JsonWrite> LoadAsync(RpcParams p, CancellationToken cancellationToken)
    {
        var id = SessionId(p);
        var from = p.Long("from") ?? 1;
        var limit = p.Int("limit");
        var since = p.String("since");
        var compact = p.Bool("compact") ?? false;
        var token = p.Token("partialResultToken");
        p.EnsureNoneUnknown();
        if (limit < 0)
        {
            throw RpcException.InvalidParams("'limit' cannot be negative");
        }

        var session = await _service.GetAsync(id, cancellationToken).ConfigureAwait(false);
        var details = await _service.GetDetailsAsync(id, cancellationToken).ConfigureAwait(false);
        if (since is not null)
        {
            var bookmark = details.Bookmarks.FirstOrDefault(b => b.Name == since)
                ?? throw new AgentSessionsException(ErrorCode.NotFound, $"session '{id}' has no bookmark '{since}'");
            from = Math.Max(from, bookmark.Sequence + 1);
        }

        var range = new MessageRange(from, limit);
        if (token is { } progressToken)
        {
            // The messages go out in $/progress notifications while they are read; the response then carries the
            // rest of the result with an empty message list (LSP's partial results).
            if (compact)
            {
                await StreamAsync(progressToken, _service.ReadJsonAsync(id, range, cancellationToken), CompactMessageFormat.Write, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await StreamAsync(progressToken, _service.ReadAsync(id, range, cancellationToken), WriteFullMessage, cancellationToken).ConfigureAwait(false);
            }

            return w => WriteLoadResult(w, session, details, static w => { w.WriteStartArray(); w.WriteEndArray(); });
        }

        if (compact)
        {
            // Written here, not in the result writer, so a damaged row is an error response and not half a frame.
            var messages = new ArrayBufferWriter<byte>(64 * 1024);
            using (var writer = new Utf8JsonWriter(messages, AgentSessionsJson.WriterOptions(indented: false)))
            {
                writer.WriteStartArray();
                await foreach (var message in _service.ReadJsonAsync(id, range, cancellationToken).ConfigureAwait(false))
                {
                    CompactMessageFormat.Write(writer, message);
                }

                writer.WriteEndArray();
            }

            return w => WriteLoadResult(w, session, details, w => w.WriteRawValue(messages.WrittenSpan, skipInputValidation: true));
        }

        var list = new List<SessionMessage>();
        await foreach (var message in _service.ReadAsync(id, range, cancellationToken).ConfigureAwait(false))
        {
            list.Add(message);
        }

        return w => WriteLoadResult(w, session, details, w =>
        {
            w.WriteStartArray();
            foreach (var message in list)
            {
                WriteFullMessage(w, message);
            }

            w.WriteEndArray();
        });
    }

    private static void WriteFullMessage(Utf8JsonWriter writer, SessionMessage message)
        => JsonSerializer.Serialize(writer, message, AgentSessionsJson.Context.SessionMessage);

    /// <summary>The shape of <c>agent-sessions show --json</c>: the session's fields, its history, then its messages.</summary>
    private static void WriteLoadResult(Utf8JsonWriter w, Session session, SessionDetails details, Action<Utf8JsonWriter> writeMessages)
    {
        w.WriteStartObject();
        WriteProperties(w, session, AgentSessionsJson.Context.Session);
        SessionJsonFormat.WriteDetailsProperties(w, details);
        w.WritePropertyName("messages");
        writeMessages(w);
        w.WriteEndObject();
    }

    /// <summary>
    /// Sends <paramref name="messages"/> as <c>{"jsonrpc":"2.0","method":"$/progress","params":{"token":T,"value":{"messages":[...]}}}</c>
    /// notifications of about <see cref="ChunkBytes"/> each, in order, every message in exactly one of them.
    /// </summary>
    private async ValueTask StreamAsync<T>(JsonElement token, IAsyncEnumerable<T> messages, Action<Utf8JsonWriter, T> write, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(ChunkBytes + (ChunkBytes / 2));
        using var writer = new Utf8JsonWriter(buffer, AgentSessionsJson.WriterOptions(indented: false));
        var open = false;
        await foreach (var message in messages.ConfigureAwait(false))
        {
            if (!open)
            {
                writer.WriteStartObject();
                writer.WriteString("jsonrpc", "2.0");
                writer.WriteString("method", "$/progress");
                writer.WriteStartObject("params");
                writer.WritePropertyName("token");
                token.WriteTo(writer);
                writer.WriteStartObject("value");
                writer.WriteStartArray("messages");
                open = true;
            }

            write(writer, message);
            if (writer.BytesCommitted + writer.BytesPending >= ChunkBytes)
            {
                await SendChunkAsync().ConfigureAwait(false);
            }
        }

        if (open)
        {
            await SendChunkAsync().ConfigureAwait(false);
        }

        async ValueTask SendChunkAsync()
        {
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.Flush();
            await _notify(buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            buffer.ResetWrittenCount();
            writer.Reset(buffer);
            open = false;
        }
    }
}
