using System.Text;
using System.Text.Json;
using AgentSessions.Storage;
using AgentSessions.Formats;
using Microsoft.Data.Sqlite;

namespace AgentSessions.Sqlite;

public sealed partial class SqliteSessionStore
{
    private const string SessionColumns =
        "id, title, created_at, updated_at, model, project_path, tags, pinned, parent_id, fork_seq, metadata, message_count, input_tokens, output_tokens";

    private const string QualifiedSessionColumns =
        "s.id, s.title, s.created_at, s.updated_at, s.model, s.project_path, s.tags, s.pinned, s.parent_id, s.fork_seq, s.metadata, s.message_count, s.input_tokens, s.output_tokens";

    private const string MessageColumns =
        "seq, message_id, role, text, parts, author, created_at, input_tokens, output_tokens, model, metadata";

    /// <summary><see cref="MessageColumns"/> and whether the row's stored JSON is well-formed.</summary>
    private const string MessageJsonColumns =
        MessageColumns + ", (parts IS NULL OR json_valid(parts)) AND (metadata IS NULL OR json_valid(metadata))";

    private static Session ReadSession(SqliteDataReader r, int o = 0) => new()
    {
        Id = r.GetString(o),
        Title = r.IsDBNull(o + 1) ? null : r.GetString(o + 1),
        CreatedAt = FromTicks(r.GetInt64(o + 2)),
        UpdatedAt = FromTicks(r.GetInt64(o + 3)),
        Model = r.IsDBNull(o + 4) ? null : r.GetString(o + 4),
        ProjectPath = r.IsDBNull(o + 5) ? null : r.GetString(o + 5),
        Tags = ParseTags(r.GetString(o + 6)),
        Pinned = r.GetInt64(o + 7) != 0,
        ParentId = r.IsDBNull(o + 8) ? null : r.GetString(o + 8),
        ForkSequence = r.IsDBNull(o + 9) ? null : r.GetInt64(o + 9),
        Metadata = r.IsDBNull(o + 10) ? EmptyMetadataDictionary : ParseMetadata(r.GetString(o + 10)),
        MessageCount = r.GetInt64(o + 11),
        InputTokens = r.GetInt64(o + 12),
        OutputTokens = r.GetInt64(o + 13),
    };

    /// <param name="r">A reader positioned on a row of <see cref="MessageColumns"/>.</param>
    /// <param name="loadBlob">Loads a blob's JSON by hash, for messages whose large fields live in blobs.</param>
    private static SessionMessage ReadMessage(SqliteDataReader r, Func<byte[], string?> loadBlob)
    {
        var text = r.GetString(3);
        return new SessionMessage
        {
            Sequence = r.GetInt64(0),
            Id = r.GetString(1),
            Role = (MessageRole)r.GetInt32(2),
            Parts = r.IsDBNull(4) ? [new TextPart(text)] : ParseStoredParts(r.GetString(4), loadBlob),
            AuthorName = r.IsDBNull(5) ? null : r.GetString(5),
            CreatedAt = FromTicks(r.GetInt64(6)),
            InputTokens = r.GetInt64(7),
            OutputTokens = r.GetInt64(8),
            Model = r.IsDBNull(9) ? null : r.GetString(9),
            Metadata = r.IsDBNull(10) ? EmptyMetadataDictionary : ParseMetadata(r.GetString(10)),
        };
    }

    /// <param name="r">A reader positioned on a row of <see cref="MessageJsonColumns"/>.</param>
    /// <param name="loadBlob">Loads a blob's JSON by hash, for messages whose large fields live in blobs.</param>
    /// <exception cref="JsonException">The row's stored parts or metadata are not well-formed JSON.</exception>
    private static SessionMessageJson ReadMessageJson(SqliteDataReader r, Func<byte[], string?> loadBlob)
    {
        if (r.GetInt64(11) == 0)
        {
            throw new JsonException("its parts or metadata are not well-formed JSON");
        }

        // A TEXT column read as bytes is its UTF-8 as stored: no decoding into a string and back.
        ReadOnlyMemory<byte> parts = r.IsDBNull(4)
            ? SessionMessageJson.TextPartsJson(r.GetString(3))
            : r.GetFieldValue<byte[]>(4);
        if (Content.HasBlobs(parts.Span))
        {
            parts = Encoding.UTF8.GetBytes(Content.Internalize(Encoding.UTF8.GetString(parts.Span), loadBlob));
        }

        return new SessionMessageJson
        {
            Sequence = r.GetInt64(0),
            Id = r.GetString(1),
            Role = (MessageRole)r.GetInt32(2),
            PartsJson = parts,
            AuthorName = r.IsDBNull(5) ? null : r.GetString(5),
            CreatedAt = FromTicks(r.GetInt64(6)),
            InputTokens = r.GetInt64(7),
            OutputTokens = r.GetInt64(8),
            Model = r.IsDBNull(9) ? null : r.GetString(9),
            MetadataJson = r.IsDBNull(10) ? default : r.GetFieldValue<byte[]>(10),
        };
    }

    private static readonly IReadOnlyDictionary<string, JsonElement> EmptyMetadataDictionary = new Dictionary<string, JsonElement>();

    private static DateTimeOffset FromTicks(long ticks) => new(ticks, TimeSpan.Zero);

    private static long ToTicks(DateTimeOffset time) => time.UtcTicks;

    private static IReadOnlyList<string> ParseTags(string json)
        => json == "[]" ? [] : JsonSerializer.Deserialize(json, AgentSessionsJson.Context.ListString) ?? [];

    private static string FormatTags(IReadOnlyList<string> tags)
        => tags.Count == 0 ? "[]" : JsonSerializer.Serialize(tags.ToList(), AgentSessionsJson.Context.ListString);

    private static IReadOnlyDictionary<string, JsonElement> ParseMetadata(string json)
        => JsonSerializer.Deserialize(json, AgentSessionsJson.Context.DictionaryStringJsonElement) ?? EmptyMetadataDictionary;

    private static object FormatMetadata(IReadOnlyDictionary<string, JsonElement>? metadata)
        => metadata is null || metadata.Count == 0
            ? DBNull.Value
            : JsonSerializer.Serialize(metadata.ToDictionary(), AgentSessionsJson.Context.DictionaryStringJsonElement);

    private static IReadOnlyList<ContentPart> ParseStoredParts(string json, Func<byte[], string?> loadBlob)
        => ParseParts(Content.HasBlobs(json) ? Content.Internalize(json, loadBlob) : json);

    /// <summary>A blob loader over a connection (the caller owns the command's lifetime through the connection).</summary>
    private static Func<byte[], string?> BlobLoader(SqliteCommand command)
        => hash =>
        {
            command.Parameters.Clear();
            command.Parameters.AddWithValue("$hash", hash);
            using var reader = command.ExecuteReader();
            return reader.Read() ? Content.FromBlob((byte[])reader.GetValue(1), reader.GetInt64(0)) : null;
        };

    private const string LoadBlobSql = "SELECT size, data FROM blobs WHERE hash = $hash";

    // The parts column holds StoredParts' encoding, not the export format's: see StoredParts.
    private static IReadOnlyList<ContentPart> ParseParts(string json) => StoredParts.Read(json);

    /// <summary>The parts column: NULL for the common single-text-part message, whose text column already holds it.</summary>
    private static object FormatParts(IReadOnlyList<ContentPart> parts)
        => parts is [TextPart] ? DBNull.Value : FormatPartsAlways(parts);

    private static string FormatPartsAlways(IReadOnlyList<ContentPart> parts)
        => StoredParts.ToJson(parts);

    private static object Nullable(string? value) => value is null ? DBNull.Value : value;

    private static object Nullable(long? value) => value is null ? DBNull.Value : value.Value;
}
