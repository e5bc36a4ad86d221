using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace AgentSessions.Sqlite;

/// <summary>
/// How large values are stored: each part field over <see cref="BlobThresholdBytes"/> (a tool output, a file
/// dump, an image's bytes) is compressed into the blobs table under its SHA-256 and named in the parts JSON as
/// <c>"&lt;field&gt;$blob": "&lt;hex&gt;"</c>. Identical values are stored once whatever surrounds them.
/// </summary>
internal static class Content
{
    /// <summary>A part field whose JSON is larger than this goes to the blobs table.</summary>
    public const int BlobThresholdBytes = 8 * 1024;

    /// <summary>
    /// How many characters of a large message's text are kept beside it for search and snippets. Indexing all
    /// of a repeated 1 MB tool output for every repetition would undo the deduplication.
    /// </summary>
    public const int MaxIndexedChars = 4096;

    private const string BlobSuffix = "$blob";
    private static readonly string[] LargeFields = ["text", "result", "data", "arguments"];

    /// <summary>Whether a parts JSON may hold a field worth moving out (cheap pre-check).</summary>
    public static bool MayBeLarge(string json) => json.Length > BlobThresholdBytes / 4;

    /// <summary>Moves large fields of a parts JSON array into blobs; returns null when nothing was large.</summary>
    public static (string Json, List<Blob> Blobs)? Externalize(string partsJson)
    {
        var array = JsonNode.Parse(partsJson)!.AsArray();
        var blobs = new List<Blob>();
        foreach (var element in array)
        {
            var part = element!.AsObject();
            foreach (var field in LargeFields)
            {
                if (part[field] is { } value)
                {
                    var raw = value.ToJsonString();
                    if (raw.Length > BlobThresholdBytes / 4 && Encoding.UTF8.GetByteCount(raw) > BlobThresholdBytes)
                    {
                        var blob = ToBlob(raw);
                        blobs.Add(blob);
                        part.Remove(field);
                        part[field + BlobSuffix] = Convert.ToHexStringLower(blob.Hash);
                    }
                }
            }
        }

        return blobs.Count == 0 ? null : (array.ToJsonString(), blobs);
    }

    /// <summary>Whether a stored parts JSON names blobs.</summary>
    public static bool HasBlobs(string storedJson) => storedJson.Contains(BlobSuffix + "\"", StringComparison.Ordinal);

    /// <summary>Whether a stored parts JSON, as UTF-8, names blobs.</summary>
    public static bool HasBlobs(ReadOnlySpan<byte> storedJson) => storedJson.IndexOf("$blob\""u8) >= 0;

    /// <summary>Puts the blobs' values back into a stored parts JSON.</summary>
    public static string Internalize(string storedJson, Func<byte[], string?> load)
    {
        var array = JsonNode.Parse(storedJson)!.AsArray();
        foreach (var element in array)
        {
            var part = element!.AsObject();
            foreach (var name in part.Select(p => p.Key).Where(k => k.EndsWith(BlobSuffix, StringComparison.Ordinal)).ToList())
            {
                var hex = part[name]!.GetValue<string>();
                var raw = load(Convert.FromHexString(hex))
                    ?? throw new AgentSessionsException(ErrorCode.Corrupt, $"stored content {hex[..12]}… is missing", ErrorHint.RunDoctor);
                part.Remove(name);
                part[name[..^BlobSuffix.Length]] = JsonNode.Parse(raw);
            }
        }

        return array.ToJsonString();
    }

    public static Blob ToBlob(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var hash = SHA256.HashData(bytes);
        var buffer = new byte[BrotliEncoder.GetMaxCompressedLength(bytes.Length)];
        // Quality 4 compresses tool output and file dumps well at a speed that keeps appends short.
        if (!BrotliEncoder.TryCompress(bytes, buffer, out var written, quality: 4, window: 22))
        {
            throw new InvalidOperationException("Brotli compression failed");
        }

        return new Blob(hash, bytes.Length, buffer[..written]);
    }

    public static string FromBlob(byte[] data, long size)
    {
        var output = new byte[size];
        if (!BrotliDecoder.TryDecompress(data, output, out var written) || written != size)
        {
            throw new AgentSessionsException(ErrorCode.Corrupt, "a stored content blob is damaged (it does not decompress to its recorded size)", ErrorHint.RunDoctor);
        }

        return Encoding.UTF8.GetString(output);
    }

    public static string SearchPrefix(string text)
    {
        if (text.Length <= MaxIndexedChars)
        {
            return text;
        }

        var length = char.IsHighSurrogate(text[MaxIndexedChars - 1]) ? MaxIndexedChars - 1 : MaxIndexedChars;
        return text[..length];
    }

    internal sealed record Blob(byte[] Hash, long Size, byte[] Data);
}
