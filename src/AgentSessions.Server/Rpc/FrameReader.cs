using System.Globalization;
using System.Text;

namespace AgentSessions.Server.Rpc;

/// <summary>What <see cref="FrameReader.ReadAsync"/> found.</summary>
public enum FrameKind
{
    /// <summary>A complete message body.</summary>
    Message,

    /// <summary>The stream ended between messages: the client closed the connection.</summary>
    EndOfStream,

    /// <summary>The stream ended inside a header block or a body: the client went away mid-message.</summary>
    Truncated,

    /// <summary>
    /// A header block without a usable <c>Content-Length</c> (missing, not a number, a line that is not a
    /// header). The body's length is unknown, so the next read skips ahead to the next <c>Content-Length</c>.
    /// </summary>
    Malformed,

    /// <summary>A <c>Content-Length</c> over the limit; the body was not read, and the connection cannot go on.</summary>
    TooLarge,
}

/// <summary>One result of <see cref="FrameReader.ReadAsync"/>.</summary>
/// <param name="Kind">What was found.</param>
/// <param name="Body">The message body for <see cref="FrameKind.Message"/>; empty otherwise.</param>
/// <param name="Problem">For <see cref="FrameKind.Malformed"/> and <see cref="FrameKind.TooLarge"/>, what was wrong, for the error response.</param>
public readonly record struct Frame(FrameKind Kind, ReadOnlyMemory<byte> Body = default, string? Problem = null);

/// <summary>
/// Reads messages framed the way the Language Server Protocol frames them: header lines
/// (<c>Content-Length: N</c>, others ignored, names case-insensitive) ended by an empty line, then N bytes.
/// </summary>
/// <remarks>
/// Memory stays bounded whatever the peer sends: header lines and header blocks have size limits, and a body is
/// allocated only once its declared length has been checked against <see cref="MaxBodyBytes"/>. The reader never
/// throws for bad input; it reports it as a <see cref="Frame"/> so the server can answer and carry on.
/// </remarks>
public sealed class FrameReader
{
    /// <summary>The longest header line accepted, in bytes.</summary>
    public const int MaxHeaderLineBytes = 8 * 1024;

    /// <summary>The most header bytes accepted in one frame.</summary>
    public const int MaxHeaderBlockBytes = 64 * 1024;

    private static readonly byte[] ContentLengthPrefix = "content-length:"u8.ToArray();

    private readonly Stream _input;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private bool _eof;
    private bool _resync;

    /// <summary>Creates a reader over a stream (not owned; never disposed here).</summary>
    /// <param name="input">The stream to read, typically standard input.</param>
    /// <param name="maxBodyBytes">The largest body accepted.</param>
    public FrameReader(Stream input, long maxBodyBytes)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBodyBytes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxBodyBytes, Array.MaxLength);
        _input = input;
        MaxBodyBytes = maxBodyBytes;
    }

    /// <summary>The largest body accepted.</summary>
    public long MaxBodyBytes { get; }

    /// <summary>Reads the next frame.</summary>
    /// <exception cref="IOException">The stream itself failed.</exception>
    public async ValueTask<Frame> ReadAsync(CancellationToken cancellationToken = default)
    {
        string? firstLine = null;
        if (_resync)
        {
            // After a malformed header block the body's length is unknown. LSP frames follow each other with no
            // separator, so the next frame starts at the next "Content-Length:", wherever it appears.
            if (!await SkipToContentLengthAsync(cancellationToken).ConfigureAwait(false))
            {
                return new Frame(FrameKind.EndOfStream);
            }

            _resync = false;
            var rest = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (rest.Kind != LineKind.Line)
            {
                return LineFailure(rest.Kind, headerStarted: true);
            }

            firstLine = "Content-Length:" + rest.Text;
        }

        long? contentLength = null;
        string? problem = null;
        var headerBytes = 0;
        var sawHeader = firstLine is not null;
        while (true)
        {
            string text;
            if (firstLine is not null)
            {
                text = firstLine;
                firstLine = null;
            }
            else
            {
                var line = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
                if (line.Kind != LineKind.Line)
                {
                    return LineFailure(line.Kind, sawHeader);
                }

                text = line.Text;
            }

            if (text.Length == 0)
            {
                if (!sawHeader)
                {
                    // Blank lines between frames (a client that ends bodies with a newline) are harmless.
                    continue;
                }

                break;
            }

            sawHeader = true;
            headerBytes += text.Length + 2;
            if (headerBytes > MaxHeaderBlockBytes)
            {
                _resync = true;
                return new Frame(FrameKind.Malformed, Problem: $"the header block is longer than {MaxHeaderBlockBytes} bytes");
            }

            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || !IsToken(text.AsSpan(0, colon)))
            {
                // Answer at once instead of waiting for the empty line: a client that sends bare JSON lines
                // waits for a reply, and would otherwise hang.
                _resync = true;
                return new Frame(FrameKind.Malformed, Problem: $"'{Printable(text)}' is not a header line (expected 'Content-Length: N' then an empty line)");
            }

            if (!text.AsSpan(0, colon).Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var value = text.AsSpan(colon + 1).Trim(" \t");
            if (value.IsEmpty || !IsDigits(value))
            {
                problem ??= $"Content-Length '{Printable(value.ToString())}' is not a number of bytes";
                continue;
            }

            // Digits that overflow a long are a length over any limit, not a malformed one.
            var length = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : long.MaxValue;
            if (contentLength is { } earlier && earlier != length)
            {
                problem ??= "two different Content-Length headers";
                continue;
            }

            contentLength = length;
        }

        if (problem is not null || contentLength is null)
        {
            _resync = true;
            return new Frame(FrameKind.Malformed, Problem: problem ?? "the header block has no Content-Length");
        }

        if (contentLength > MaxBodyBytes)
        {
            return new Frame(FrameKind.TooLarge, Problem: $"Content-Length {contentLength} is over the {MaxBodyBytes}-byte limit");
        }

        var body = new byte[(int)contentLength.Value];
        return await ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false)
            ? new Frame(FrameKind.Message, body)
            : new Frame(FrameKind.Truncated);
    }

    private static Frame LineFailure(LineKind kind, bool headerStarted) => kind switch
    {
        LineKind.EndOfStream when !headerStarted => new Frame(FrameKind.EndOfStream),
        LineKind.EndOfStream or LineKind.Truncated => new Frame(FrameKind.Truncated),
        _ => new Frame(FrameKind.Malformed, Problem: $"a header line is longer than {MaxHeaderLineBytes} bytes"),
    };

    private enum LineKind
    {
        Line,
        EndOfStream,
        Truncated,
        TooLong,
    }

    /// <summary>Reads one line ended by LF (a CR before it is dropped); header lines are ASCII by the protocol.</summary>
    private async ValueTask<(LineKind Kind, string Text)> ReadLineAsync(CancellationToken cancellationToken)
    {
        var scanned = 0;
        while (true)
        {
            var available = _buffer.AsSpan(_start + scanned, _end - _start - scanned);
            var newline = available.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var length = scanned + newline;
                var line = _buffer.AsSpan(_start, length);
                _start += length + 1;
                if (line.Length > MaxHeaderLineBytes)
                {
                    _resync = true;
                    return (LineKind.TooLong, "");
                }

                if (line.EndsWith((byte)'\r'))
                {
                    line = line[..^1];
                }

                return (LineKind.Line, Encoding.Latin1.GetString(line));
            }

            scanned = _end - _start;
            if (scanned > MaxHeaderLineBytes)
            {
                // Drop what we have and resynchronize on the next Content-Length rather than buffer without end.
                _start = _end;
                _resync = true;
                return (LineKind.TooLong, "");
            }

            if (!await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                return (_end > _start ? LineKind.Truncated : LineKind.EndOfStream, "");
            }
        }
    }

    /// <summary>Discards input up to and including the next "Content-Length:" (any case); false at end of stream.</summary>
    private async ValueTask<bool> SkipToContentLengthAsync(CancellationToken cancellationToken)
    {
        var matched = 0;
        while (true)
        {
            while (_start < _end)
            {
                var b = _buffer[_start++];
                var lower = b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b + 32) : b;
                if (lower == ContentLengthPrefix[matched])
                {
                    if (++matched == ContentLengthPrefix.Length)
                    {
                        return true;
                    }
                }
                else
                {
                    // 'c' occurs only once in the pattern, so a mismatch can restart only at this byte.
                    matched = lower == ContentLengthPrefix[0] ? 1 : 0;
                }
            }

            if (!await FillAsync(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
        }
    }

    private async ValueTask<bool> ReadExactlyAsync(byte[] destination, CancellationToken cancellationToken)
    {
        var copied = Math.Min(destination.Length, _end - _start);
        _buffer.AsSpan(_start, copied).CopyTo(destination);
        _start += copied;
        while (copied < destination.Length)
        {
            var read = await ReadInputAsync(destination.AsMemory(copied), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                _eof = true;
                return false;
            }

            copied += read;
        }

        return true;
    }

    /// <summary>Reads more input into the buffer, compacting it first; false at end of stream.</summary>
    private async ValueTask<bool> FillAsync(CancellationToken cancellationToken)
    {
        if (_eof)
        {
            return false;
        }

        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            // Only a header line can fill the buffer, and those are limited well below its size.
            throw new InvalidOperationException("frame buffer full");
        }

        var read = await ReadInputAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            _eof = true;
            return false;
        }

        _end += read;
        return true;
    }

    /// <summary>Reads from the input, giving up on cancellation even when the stream ignores the token.</summary>
    /// <remarks>Console streams block in a read and never look at the token; after a cancellation the reader is
    /// not used again, so abandoning the read is safe.</remarks>
    private async ValueTask<int> ReadInputAsync(Memory<byte> destination, CancellationToken cancellationToken)
        => cancellationToken.CanBeCanceled
            ? await _input.ReadAsync(destination, cancellationToken).AsTask().WaitAsync(cancellationToken).ConfigureAwait(false)
            : await _input.ReadAsync(destination, cancellationToken).ConfigureAwait(false);

    private static bool IsDigits(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>An HTTP token (RFC 9110): what a header name may be.</summary>
    private static bool IsToken(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A short, printable echo of bad input for an error message.</summary>
    private static string Printable(string text)
    {
        var shortened = text.Length > 40 ? text[..40] + "..." : text;
        return string.Create(shortened.Length, shortened, (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = source[i] is >= ' ' and < (char)0x7f ? source[i] : '?';
            }
        });
    }
}
