using System.Buffers;
using System.Buffers.Text;

namespace AgentSessions.Server.Rpc;

/// <summary>Writes messages with LSP framing: <c>Content-Length: N\r\n\r\n</c>, then N bytes of UTF-8 JSON.</summary>
/// <remarks>
/// Each frame, header and body together, is handed to the stream in one write and flushed, so a client reading the
/// pipe gets it in one read(2). Writing the header and the body separately made clients that parse as bytes arrive
/// (Emacs's jsonrpc.el) find a header without its body and wait for their next timer tick, about 20 ms.
/// </remarks>
public sealed class FrameWriter(Stream output)
{
    private static ReadOnlySpan<byte> Prefix => "Content-Length: "u8;
    private static ReadOnlySpan<byte> Separator => "\r\n\r\n"u8;

    private readonly Stream _output = output ?? throw new ArgumentNullException(nameof(output));

    /// <summary>Writes one framed message and flushes.</summary>
    /// <exception cref="IOException">The stream failed (for example, the client closed its end).</exception>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        // 16 header bytes, at most 10 digits for an int length, 4 separator bytes.
        var frame = ArrayPool<byte>.Shared.Rent(body.Length + 30);
        try
        {
            var length = Header(frame, body.Length);
            body.Span.CopyTo(frame.AsSpan(length));
            length += body.Length;
            await _output.WriteAsync(frame.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    private static int Header(Span<byte> frame, int bodyLength)
    {
        Prefix.CopyTo(frame);
        var length = Prefix.Length;
        Utf8Formatter.TryFormat(bodyLength, frame[length..], out var digits);
        length += digits;
        Separator.CopyTo(frame[length..]);
        return length + Separator.Length;
    }
}
