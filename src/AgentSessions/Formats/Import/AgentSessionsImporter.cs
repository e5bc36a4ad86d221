using System.Runtime.CompilerServices;
using System.Text;

namespace AgentSessions.Formats.Import;

/// <summary>Our own exports: JSON, JSONL, and the base64 form of the JSON.</summary>
public sealed class AgentSessionsImporter : ISessionImporter
{
    /// <inheritdoc />
    public string Format => "agent-sessions";

    /// <inheritdoc />
    public bool CanRead(ImportSource source)
        => !source.IsDirectory && (IsOurJson(source.Head) || (ImportSource.Base64Prefix(source.Head) is { } decoded && IsOurJson(decoded)));

    /// <inheritdoc />
    public async IAsyncEnumerable<SessionArchive> ReadAsync(ImportSource source, ImportOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        var info = new FileInfo(source.Path);
        if (info.Length > options.MaxFileBytes)
        {
            throw new AgentSessionsException(ErrorCode.TooLarge, $"{source.Path}: {info.Length} bytes is over the {options.MaxFileBytes}-byte import limit");
        }

        await using var stream = source.OpenRead();
        if (IsOurJson(source.Head))
        {
            yield return IsJsonl(source.Head)
                ? await SessionJsonlFormat.ReadAsync(stream, source.Path, cancellationToken).ConfigureAwait(false)
                : await SessionJsonFormat.ReadAsync(stream, source.Path, cancellationToken).ConfigureAwait(false);
            yield break;
        }

        using var text = new StreamReader(stream, Encoding.ASCII);
        var encoded = await text.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        byte[] decoded;
        try
        {
            decoded = Convert.FromBase64String(encoded.Trim());
        }
        catch (FormatException e)
        {
            throw new AgentSessionsException(ErrorCode.Corrupt, $"{source.Path}: not valid base64", e);
        }

        using var json = new MemoryStream(decoded, writable: false);
        yield return await SessionJsonFormat.ReadAsync(json, source.Path + " (base64)", cancellationToken).ConfigureAwait(false);
    }

    private static bool IsOurJson(ReadOnlySpan<byte> head)
    {
        // Editors on some systems write a UTF-8 byte-order mark; the JSON readers skip it, so must we.
        var trimmed = (head.StartsWith("\uFEFF"u8) ? head[3..] : head).TrimStart(" \t\r\n"u8);
        if (trimmed.IsEmpty || trimmed[0] != (byte)'{')
        {
            return false;
        }

        return trimmed.IndexOf("\"format\""u8) >= 0
            && (trimmed.IndexOf("\"agent-sessions\""u8) >= 0 || trimmed.IndexOf("\"agent-sessions-jsonl\""u8) >= 0);
    }

    private static bool IsJsonl(ReadOnlySpan<byte> head) => head.IndexOf("\"agent-sessions-jsonl\""u8) >= 0;
}
