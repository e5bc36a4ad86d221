using System.ComponentModel;
using System.Text;
using ModelContextProtocol;
using ModelContextProtocol.Server;

namespace AgentSessions.Mcp;

/// <summary>Each session as a resource, <c>agent-sessions://session/{id}</c>: its Markdown export.</summary>
[McpServerResourceType]
public sealed class SessionResources(SessionService service)
{
    /// <summary>The URI template of a session.</summary>
    public const string UriTemplate = "agent-sessions://session/{id}";

    /// <summary>The most bytes of Markdown one read returns; past it the text is cut with a note saying so.</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>Reads a session as Markdown.</summary>
    [McpServerResource(UriTemplate = UriTemplate, Name = "session", Title = "A stored agent session", MimeType = "text/markdown")]
    [Description("A stored agent session as Markdown: its fields, then every message with tool calls and results in fenced blocks. Cut at 1 MiB; read_session pages through longer ones.")]
    public async Task<string> Session(
        [Description("The session id.")] string id,
        CancellationToken cancellationToken = default)
    {
        try
        {
            SessionIds.Validate(id);
            using var buffer = new CappedStream(MaxBytes);
            try
            {
                await service.ExportMarkdownAsync(id, buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (CapReachedException)
            {
                // Full: the export stops reading messages here instead of streaming the rest of a huge session.
            }

            var text = Encoding.UTF8.GetString(buffer.Written);
            return buffer.Overflowed
                ? text.TrimEnd('\uFFFD') + $"\n\n*(cut at {MaxBytes} bytes: read the rest with the read_session tool)*\n"
                : text;
        }
        catch (AgentSessionsException e)
        {
            // A protocol error with the store's message: resources have no isError result as tools do.
            throw new McpProtocolException(ToolErrors.Describe(e), McpErrorCode.InvalidParams);
        }
    }

    /// <summary>A write-only stream that keeps the first bytes written to it and then refuses more, remembering that it did.</summary>
    private sealed class CappedStream(int capacity) : Stream
    {
        private readonly MemoryStream _buffer = new();

        public bool Overflowed { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _buffer.Length;

        public override long Position
        {
            get => _buffer.Length;
            set => throw new NotSupportedException();
        }

        public ArraySegment<byte> Written => new(_buffer.GetBuffer(), 0, (int)_buffer.Length);

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            var room = (int)Math.Max(0, capacity - _buffer.Length);
            if (buffer.Length > room)
            {
                Overflowed = true;
                _buffer.Write(buffer[..room]);
                throw new CapReachedException();
            }

            _buffer.Write(buffer);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer.AsSpan(offset, count));
            return Task.CompletedTask;
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _buffer.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    private sealed class CapReachedException : Exception;
}
