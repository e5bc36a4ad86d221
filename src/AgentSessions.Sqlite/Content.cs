using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace AgentSessions.Sqlite;

/// <summary>
/// How a message's content is stored: inline, or for large content compressed in the blobs table under its
/// SHA-256, once however many messages repeat it.
/// </summary>
internal static class Content
{
    /// <summary>Content (as JSON) above this size goes to the blobs table.</summary>
    public const int BlobThresholdBytes = 8 * 1024;

    /// <summary>
    /// How many characters of a large message's text are kept beside it for search and snippets. Indexing all
    /// of a repeated 1 MB tool output for every repetition would undo the deduplication.
    /// </summary>
    public const int MaxIndexedChars = 4096;

    public static bool IsLarge(string json) => json.Length > BlobThresholdBytes / 4 && Encoding.UTF8.GetByteCount(json) > BlobThresholdBytes;

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
            throw new AgentSessionsException(ErrorCode.Corrupt, "a stored content blob is damaged (it does not decompress to its recorded size); run 'agent-sessions doctor'");
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
