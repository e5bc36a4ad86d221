using System.Text.Json;
using AgentSessions.Formats;

namespace AgentSessions.Benchmarks.Shared;

/// <summary>
/// The way the systems we replace save a session: the whole conversation rewritten as one JSON file on every
/// save (serialize every message, write a temp file, fsync it, rename it over the old one).
/// </summary>
/// <remarks>
/// Serialization uses the store's own source-generated JSON contract, so the file holds what our export holds.
/// The directory is not fsynced after the rename (most such systems do not), which makes this baseline a little
/// cheaper than a fully durable rewrite.
/// </remarks>
public sealed class JsonFileSaver
{
    private readonly List<SessionMessage> _messages;
    private readonly string _path;
    private readonly string _temp;

    public JsonFileSaver(string path, IEnumerable<SessionMessage> messages)
    {
        _path = path;
        _temp = path + ".tmp";
        _messages = messages.ToList();
    }

    public int Count => _messages.Count;

    /// <summary>Adds one message and rewrites the whole file durably.</summary>
    public void Save(string text)
    {
        var last = _messages[^1];
        _messages.Add(last with
        {
            Id = SessionIds.NewMessageId(),
            Sequence = last.Sequence + 1,
            Role = MessageRole.Assistant,
            Parts = [new TextPart(text)],
            CreatedAt = DateTimeOffset.UtcNow,
        });

        using (var file = new FileStream(_temp, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024))
        {
            using (var writer = new Utf8JsonWriter(file))
            {
                writer.WriteStartObject();
                writer.WriteString("id", "session");
                writer.WriteStartArray("messages");
                foreach (var message in _messages)
                {
                    JsonSerializer.Serialize(writer, message, AgentSessionsJson.Context.SessionMessage);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            file.Flush(flushToDisk: true);
        }

        File.Move(_temp, _path, overwrite: true);
    }
}
