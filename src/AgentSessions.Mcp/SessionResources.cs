using System.Text;
using AgentSessions.Storage;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace AgentSessions.Mcp;

/// <summary>Each session as a resource, <c>agent-sessions://session/{id}</c>: its Markdown export.</summary>
/// <remarks>
/// Served by plain handlers rather than an attributed method: the SDK builds an attributed resource through the
/// same reflection as a tool (parameter binding, schema), which cost a tenth of the server's start-up for one URI
/// template (docs/mcp.md, "Start-up and search figures"); the handlers need none of it, and can list the sessions too.
/// </remarks>
public static class SessionResources
{
    /// <summary>The URI template of a session.</summary>
    public const string UriTemplate = "agent-sessions://session/{id}";

    /// <summary>The most bytes of Markdown one read returns; past it the text is cut with a note saying so.</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>How many sessions one <c>resources/list</c> page names, newest first.</summary>
    public const int PageSize = 50;

    private const string Prefix = "agent-sessions://session/";

    /// <summary>The template, as <c>resources/templates/list</c> gives it.</summary>
    public static ResourceTemplate Template { get; } = new()
    {
        Name = "session",
        Title = "A stored agent session",
        UriTemplate = UriTemplate,
        MimeType = "text/markdown",
        Description = "A stored agent session as Markdown: its fields, then every message with tool calls and results in fenced blocks. Cut at 1 MiB; the read_session tool pages through longer ones.",
    };

    /// <summary>The URI of a session.</summary>
    public static string UriOf(string sessionId) => Prefix + Uri.EscapeDataString(sessionId);

    /// <summary>One page of the sessions as resources, most recently updated first.</summary>
    public static async ValueTask<ListResourcesResult> ListAsync(SessionService service, string? cursor, CancellationToken cancellationToken)
    {
        var offset = Protocol(() => Paging.Offset(cursor, Paging.MaxListOffset));
        var page = await service.ListAsync(new SessionQuery { Limit = PageSize, Offset = offset }, cancellationToken).ConfigureAwait(false);
        var more = page.HasMore && offset + PageSize <= Paging.MaxListOffset;
        return new ListResourcesResult
        {
            Resources = [.. page.Sessions.Select(s => new Resource
            {
                Name = s.Id,
                Title = s.Title,
                Uri = UriOf(s.Id),
                MimeType = "text/markdown",
                Description = $"{s.MessageCount} messages, updated {s.UpdatedAt:yyyy-MM-dd HH:mm} UTC",
            })],
            NextCursor = Paging.Next(more, offset + PageSize),
        };
    }

    /// <summary>Reads a session as Markdown, given its URI.</summary>
    /// <exception cref="McpProtocolException">The URI names no session of this store, or a malformed one.</exception>
    public static async ValueTask<ReadResourceResult> ReadAsync(SessionService service, string? uri, CancellationToken cancellationToken)
    {
        if (uri is null || !uri.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new McpProtocolException($"unknown resource {Paging.Quote(uri ?? "")}; sessions are {UriTemplate}", McpErrorCode.InvalidParams);
        }

        var id = Uri.UnescapeDataString(uri[Prefix.Length..]);
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
            if (buffer.Overflowed)
            {
                text = text.TrimEnd('\uFFFD') + $"\n\n*(cut at {MaxBytes} bytes: read the rest with the read_session tool)*\n";
            }

            return new ReadResourceResult { Contents = [new TextResourceContents { Uri = uri, MimeType = "text/markdown", Text = text }] };
        }
        catch (AgentSessionsException e)
        {
            // A protocol error with the store's message: resources have no isError result as tools do.
            throw new McpProtocolException(ToolErrors.Describe(e), McpErrorCode.InvalidParams);
        }
    }

    private static T Protocol<T>(Func<T> check)
    {
        try
        {
            return check();
        }
        catch (AgentSessionsException e)
        {
            throw new McpProtocolException(e.Message, McpErrorCode.InvalidParams);
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
