using System.Globalization;
using System.Text;

namespace AgentSessions.Server.Rpc;

/// <summary>Writes messages with LSP framing: <c>Content-Length: N\r\n\r\n</c>, then N bytes of UTF-8 JSON.</summary>
/// <remarks>Each message is written whole and flushed, so a client reading the pipe sees it at once.</remarks>
public sealed class FrameWriter(Stream output)
{
    private readonly Stream _output = output ?? throw new ArgumentNullException(nameof(output));

    /// <summary>Writes one framed message and flushes.</summary>
    /// <exception cref="IOException">The stream failed (for example, the client closed its end).</exception>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        var header = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n\r\n"));
        await _output.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        await _output.WriteAsync(body, cancellationToken).ConfigureAwait(false);
        await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
