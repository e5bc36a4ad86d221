namespace AgentSessions.Formats.Import;

/// <summary>Reads one foreign (or our own) session format into <see cref="SessionArchive"/>s.</summary>
/// <remarks>
/// <para>
/// An importer never writes to a store: the import service detects the format, assigns free ids,
/// spots duplicates and writes each archive in one transaction. Importers only parse, as data: nothing in a
/// file is ever evaluated, and input is bounded (depth, size) so a hostile file ends in a clear error.
/// </para>
/// <para>
/// Archives carry the original session id when it follows the id rules (else a generated one) and record where
/// they came from in <see cref="Session.Metadata"/> under <see cref="ImportMetadata.Key"/>. Messages are
/// numbered 1..n in conversation order, with their original text exactly.
/// </para>
/// </remarks>
public interface ISessionImporter
{
    /// <summary>The format's name for <c>--format</c> and reports (<c>agent-q</c>, <c>superqode</c>...).</summary>
    string Format { get; }

    /// <summary>Whether <paramref name="source"/> looks like this format, judged from its content (and name).</summary>
    bool CanRead(ImportSource source);

    /// <summary>Reads the sessions in <paramref name="source"/> (usually one).</summary>
    /// <exception cref="AgentSessionsException">
    /// <see cref="ErrorCode.Corrupt"/> with a message naming the file and the position of the problem.
    /// </exception>
    IAsyncEnumerable<SessionArchive> ReadAsync(ImportSource source, ImportOptions options, CancellationToken cancellationToken = default);
}

/// <summary>A file or directory offered to the importers.</summary>
public sealed class ImportSource
{
    private const int HeadLength = 4096;
    private byte[]? _head;

    /// <summary>Creates a source for a path.</summary>
    public ImportSource(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        IsDirectory = Directory.Exists(Path);
    }

    /// <summary>The full path.</summary>
    public string Path { get; }

    /// <summary>Whether it is a directory.</summary>
    public bool IsDirectory { get; }

    /// <summary>The file name (or directory name).</summary>
    public string Name => System.IO.Path.GetFileName(Path.TrimEnd(System.IO.Path.DirectorySeparatorChar));

    /// <summary>The first 4 KiB of a file (empty for a directory), for content sniffing.</summary>
    public ReadOnlySpan<byte> Head
    {
        get
        {
            if (_head is null)
            {
                if (IsDirectory)
                {
                    _head = [];
                }
                else
                {
                    using var stream = File.OpenRead(Path);
                    var buffer = new byte[HeadLength];
                    var read = stream.ReadAtLeast(buffer, HeadLength, throwOnEndOfStream: false);
                    _head = buffer[..read];
                }
            }

            return _head;
        }
    }

    /// <summary>Whether the file starts with the gzip magic bytes.</summary>
    public bool IsGzip => Head is [0x1f, 0x8b, ..];

    /// <summary>
    /// Decodes the longest whole part of a base64 (or base64url) prefix such as <see cref="Head"/>, for sniffing
    /// formats that are also shared as base64 text; <see langword="null"/> when it is not base64. Whitespace is skipped.
    /// </summary>
    public static byte[]? Base64Prefix(ReadOnlySpan<byte> text)
    {
        // Only the head is here: decode the longest whole number of 4-character groups.
        var chars = new List<char>(text.Length);
        foreach (var b in text)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                continue;
            }

            if (!(char.IsAsciiLetterOrDigit((char)b) || b is (byte)'+' or (byte)'/' or (byte)'=' or (byte)'-' or (byte)'_'))
            {
                return null;
            }

            chars.Add(b switch { (byte)'-' => '+', (byte)'_' => '/', _ => (char)b });
        }

        var length = chars.Count / 4 * 4;
        if (length == 0)
        {
            return null;
        }

        try
        {
            return Convert.FromBase64CharArray([.. chars], 0, length);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>Opens the file for reading.</summary>
    public Stream OpenRead() => new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);

    /// <inheritdoc />
    public override string ToString() => Path;
}

/// <summary>Settings for reading foreign formats.</summary>
public sealed record ImportOptions
{
    /// <summary>
    /// The time zone that naive local times (ISO times without an offset) were written in. Default: this
    /// machine's zone, the assumption those systems themselves made.
    /// </summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Local;

    /// <summary>The largest file read, in bytes (default 256 MiB). Larger files are refused, not truncated.</summary>
    public long MaxFileBytes { get; init; } = 256L * 1024 * 1024;
}

/// <summary>Where an imported session came from, kept in its metadata under <see cref="Key"/>.</summary>
public static class ImportMetadata
{
    /// <summary>The metadata key: <c>{"format": ..., "originalId": ..., "source": ..., "sha256": ...}</c>.</summary>
    public const string Key = "importedFrom";
}
