using System.Text;
using Microsoft.Win32.SafeHandles;

namespace AgentSessions.Cli.Output;

/// <summary>
/// Stdout for a command that writes a lot (<c>show</c>): buffered, and able to tell that the reader has gone.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Console.Out"/> is the wrong tool for megabytes. It flushes every call, and its writer holds 256
/// characters, so one 7 KB message became some thirty write(2) calls: 130,000 for a 28 MB session, each of which
/// can wake the reader at the other end of a pipe. That made <c>show</c> of a long session several times slower
/// than <c>export --format markdown</c>, which writes through a file stream.
/// </para>
/// <para>
/// And .NET's console stream treats EPIPE as success, so after <c>| head</c> had its lines and closed the pipe,
/// <c>show</c> went on rendering the whole session into nothing. This stream writes to file descriptor 1 itself,
/// where EPIPE is an error (the runtime ignores SIGPIPE), and reports it as <see cref="ReaderGoneException"/>.
/// </para>
/// </remarks>
internal static class StandardOutput
{
    /// <summary>Bytes buffered between flushes; a flush also happens wherever the command asks for one.</summary>
    public const int BufferSize = 64 * 1024;

    /// <summary>EPIPE on Linux and macOS; .NET puts the errno in the IOException's HResult.</summary>
    private const int Epipe = 32;

    /// <summary>Opens stdout as a stream of its own (not owning the descriptor) that throws <see cref="ReaderGoneException"/> on EPIPE.</summary>
    public static Stream Open()
    {
        if (OperatingSystem.IsWindows())
        {
            return Console.OpenStandardOutput();
        }

        try
        {
            var stream = new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
            if (stream.CanSeek)
            {
                // A regular file (`> out.txt`): FileStream writes at positions of its own and leaves the descriptor's
                // shared offset where it was, so the shell's next writer would overwrite the output. The console's
                // stream writes with write(2), which moves it; a file has no reader to go away, so EPIPE cannot occur.
                stream.Dispose();
                return Console.OpenStandardOutput();
            }

            return new PipeAware(stream);
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            // Descriptor 1 closed or not writable: the console's stream copes with that (it writes nowhere).
            return Console.OpenStandardOutput();
        }
    }

    /// <summary>A text writer over <see cref="Open"/>, in the console's encoding without a byte-order mark, flushed only when asked.</summary>
    public static StreamWriter OpenWriter()
    {
        var encoding = Console.OutputEncoding;
        if (encoding.CodePage == Encoding.UTF8.CodePage)
        {
            encoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        }

        return new StreamWriter(Open(), encoding, BufferSize, leaveOpen: false) { AutoFlush = false };
    }

    private sealed class PipeAware(FileStream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => Guard(inner.Flush);

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            try
            {
                inner.Write(buffer);
            }
            catch (IOException e) when (e.HResult == Epipe)
            {
                throw new ReaderGoneException(e);
            }
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e) when (e.HResult == Epipe)
            {
                throw new ReaderGoneException(e);
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private static void Guard(Action action)
        {
            try
            {
                action();
            }
            catch (IOException e) when (e.HResult == Epipe)
            {
                throw new ReaderGoneException(e);
            }
        }
    }
}

/// <summary>The reader of stdout closed it (<c>| head</c> had enough): the command stops, and says nothing.</summary>
internal sealed class ReaderGoneException(IOException inner) : IOException("the reader of stdout closed it", inner);
