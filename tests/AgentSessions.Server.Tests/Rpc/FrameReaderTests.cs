using System.Text;
using AgentSessions.Server.Rpc;
using Xunit;

namespace AgentSessions.Server.Tests.Rpc;

/// <summary>
/// The frame reader in-process, fed in pieces of every size: exact frames, exact problems, and where it picks up
/// again after one. (RpcFramingTests check the same through the built server; these can see a mutated reader.)
/// </summary>
public sealed class FrameReaderTests
{
    public static TheoryData<int> Chunks => [1, 2, 7, 64 * 1024];

    [Theory]
    [MemberData(nameof(Chunks))]
    public async Task Pipelined_frames_with_any_header_style_are_read_exactly(int chunk)
    {
        var input = "\r\n\nContent-Length: 5\r\n\r\nhello"
            + "content-length:3\nX-Other: y\n\nabc"
            + "Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nCONTENT-LENGTH: \t2 \t\r\nContent-Length: 2\r\n\r\n{}"
            + "Content-Length: 0\r\n\r\n"
            + "\r\n";
        var frames = await ReadAllAsync(input, chunk);
        Assert.Equal(["Message hello", "Message abc", "Message {}", "Message ", "EndOfStream"], frames);
    }

    [Theory]
    [MemberData(nameof(Chunks))]
    public async Task Each_bad_header_block_is_reported_and_the_next_frame_is_found(int chunk)
    {
        var input = "X-Only: 1\r\n\r\nlost body"
            + "Content-Length: 2\r\n\r\nok"
            + "Content-Length: five\r\n\r\nzzzzz"
            + "Content-Length: 2\r\n\r\nk2"
            + "Content-Length: 2\r\nContent-Length: 3\r\n\r\nxyz"
            + "Content-Length: 2\r\n\r\nk3"
            + "{\"jsonrpc\": \"2.0\"}\n"
            + "CoContent-lengthcontent-LENGTH: 2\r\n\r\nk4"
            + "Content-Length : 2\r\n\r\nxx"
            + "Content-Length: 2\r\n\r\nk5";
        var frames = await ReadAllAsync(input, chunk);
        Assert.Equal(
            [
                "Malformed the header block has no Content-Length",
                "Message ok",
                "Malformed Content-Length 'five' is not a number of bytes",
                "Message k2",
                "Malformed two different Content-Length headers",
                "Message k3",
                "Malformed '{\"jsonrpc\": \"2.0\"}' is not a header line (expected 'Content-Length: N' then an empty line)",
                "Message k4",
                "Malformed 'Content-Length : 2' is not a header line (expected 'Content-Length: N' then an empty line)",
                "Message k5",
                "EndOfStream",
            ],
            frames);
    }

    [Theory]
    [InlineData("Content-Length: 10\r\n\r\n0123456789", "Message 0123456789")]
    [InlineData("Content-Length: 11\r\n\r\n0123456789x", "TooLarge Content-Length 11 is over the 10-byte limit")]
    [InlineData("Content-Length: 99999999999999999999999\r\n\r\n", "TooLarge Content-Length 9223372036854775807 is over the 10-byte limit")]
    [InlineData("Content-Length: 5\r\n\r\nabc", "Truncated")]
    [InlineData("Content-Length: 5\r\n", "Truncated")]
    [InlineData("Content-Len", "Truncated")]
    [InlineData("", "EndOfStream")]
    [InlineData("\r\n\r\n", "EndOfStream")]
    public async Task Limits_and_ends_are_told_apart(string input, string expected)
    {
        foreach (var chunk in new[] { 1, 3, 64 * 1024 })
        {
            var frames = await ReadAllAsync(input, chunk, maxBody: 10);
            Assert.Equal(expected, frames[0]);
            if (expected.StartsWith("Message", StringComparison.Ordinal))
            {
                Assert.Equal(["EndOfStream"], frames[1..]);
            }
            else
            {
                Assert.Single(frames);
            }
        }
    }

    [Fact]
    public async Task A_bad_frame_at_the_end_of_input_ends_cleanly()
    {
        Assert.Equal(["Malformed the header block has no Content-Length", "EndOfStream"], await ReadAllAsync("X: 1\r\n\r\nbody without a next frame", 5));
        Assert.Equal(["Malformed the header block has no Content-Length", "Truncated"], await ReadAllAsync("X: 1\r\n\r\nContent-Length: 4", 5));
    }

    [Theory]
    [MemberData(nameof(Chunks))]
    public async Task Header_lines_up_to_the_limit_are_read_and_longer_ones_are_skipped(int chunk)
    {
        // The limit counts the line's bytes before its LF, a CR included.
        var atLimit = "X-Long: " + new string('a', FrameReader.MaxHeaderLineBytes - 1 - "X-Long: ".Length);
        var overLimit = atLimit + "b";
        var input = $"{atLimit}\r\nContent-Length: 2\r\n\r\nk1{overLimit}\r\nContent-Length: 2\r\n\r\nk2"
            + $"{new string('z', 3 * FrameReader.MaxHeaderLineBytes)}\r\nContent-Length: 2\r\n\r\nk3";
        var frames = await ReadAllAsync(input, chunk == 1 ? 2 : chunk);
        Assert.Equal(
            [
                "Message k1",
                $"Malformed a header line is longer than {FrameReader.MaxHeaderLineBytes} bytes",
                "Message k2",
                $"Malformed a header line is longer than {FrameReader.MaxHeaderLineBytes} bytes",
                "Message k3",
                "EndOfStream",
            ],
            frames);
    }

    [Fact]
    public async Task A_header_block_over_its_limit_is_reported_and_skipped()
    {
        var line = "X-Pad: " + new string('p', 1000) + "\r\n";
        var block = string.Concat(Enumerable.Repeat(line, (FrameReader.MaxHeaderBlockBytes / line.Length) + 1));
        var frames = await ReadAllAsync(block + "\r\nbody" + "Content-Length: 2\r\n\r\nk1", 4096);
        Assert.Equal([$"Malformed the header block is longer than {FrameReader.MaxHeaderBlockBytes} bytes", "Message k1", "EndOfStream"], frames);

        // Just under the limit is still a header block.
        var under = string.Concat(Enumerable.Repeat(line, (FrameReader.MaxHeaderBlockBytes - 40) / line.Length));
        Assert.Equal(["Message k2", "EndOfStream"], await ReadAllAsync(under + "Content-Length: 2\r\n\r\nk2", 4096));
    }

    [Fact]
    public async Task Problems_echo_bad_input_shortened_and_printable()
    {
        var frames = await ReadAllAsync("Content-Length: 12\u0001" + new string('9', 50) + "\r\n\r\n", 64 * 1024);
        Assert.Equal($"Malformed Content-Length '12?{new string('9', 37)}...' is not a number of bytes", frames[0]);
        frames = await ReadAllAsync("\u007fbad line\r\n", 64 * 1024);
        Assert.Equal("Malformed '?bad line' is not a header line (expected 'Content-Length: N' then an empty line)", frames[0]);
    }

    [Theory]
    [MemberData(nameof(Chunks))]
    public async Task Edge_cases_found_by_mutation_testing_are_read_as_specified(int chunk)
    {
        var overlong = "X-Long: " + new string('a', FrameReader.MaxHeaderLineBytes + 10);
        var input = ": no name\r\n\r\n"                                        // an empty header name is not a header
            + "Content-Length: 2\r\n\r\nk1"
            + "Content-Length: x\r\nContent-Length: y\r\n\r\n"                // the first problem is the one told
            + "Content-Length: 2\r\n\r\nk2"
            + $"{overlong}\r\nX-After: 1\r\n\r\nzz"                           // the rest of that block is skipped too
            + "Content-Length: 2\r\n\r\nk3"
            + "X: 1\r\n\r\nccontent-length: 2\r\n\r\nk4"                      // a match restarts at a repeated 'c'
            + "X: 1\r\n\r\nxontent-length: 2\r\n\r\nno"                        // but not at any other byte
            + "Content-Length: 2\r\n\r\nk5";
        Assert.Equal(
            [
                "Malformed ': no name' is not a header line (expected 'Content-Length: N' then an empty line)",
                "Message k1",
                "Malformed Content-Length 'x' is not a number of bytes",
                "Message k2",
                $"Malformed a header line is longer than {FrameReader.MaxHeaderLineBytes} bytes",
                "Message k3",
                "Malformed the header block has no Content-Length",
                "Message k4",
                "Malformed the header block has no Content-Length",
                "Message k5",
                "EndOfStream",
            ],
            await ReadAllAsync(input, chunk));
    }

    [Fact]
    public async Task A_header_block_of_exactly_its_limit_is_accepted()
    {
        // The limit counts each line with its CR LF; the Content-Length line takes 19 bytes.
        var pad = new StringBuilder();
        var left = FrameReader.MaxHeaderBlockBytes - 19;
        while (left > 0)
        {
            var length = Math.Min(1002, left);
            pad.Append("X:").Append('p', length - 4).Append("\r\n");
            left -= length;
        }

        Assert.Equal(["Message ok", "EndOfStream"], await ReadAllAsync($"{pad}Content-Length: 2\r\n\r\nok", 4096));
        Assert.StartsWith("Malformed the header block is longer", (await ReadAllAsync($"X:p\r\n{pad}Content-Length: 2\r\n\r\nok", 4096))[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_problem_echoes_40_characters_whole_and_shortens_longer_ones()
    {
        var forty = new string('q', 40);
        Assert.Equal($"Malformed '{forty}' is not a header line (expected 'Content-Length: N' then an empty line)", (await ReadAllAsync(forty + "\r\n", 64))[0]);
        Assert.Equal($"Malformed '{forty}...' is not a header line (expected 'Content-Length: N' then an empty line)", (await ReadAllAsync(forty + "q\r\n", 64))[0]);
    }

    [Fact]
    public async Task A_cancelled_read_returns_even_when_the_stream_ignores_the_token()
    {
        // Console streams block in read(2) and never look at the token.
        var reader = new FrameReader(new NeverStream(), 100);
        using var cancel = new CancellationTokenSource();
        var read = reader.ReadAsync(cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void Limits_must_make_sense()
    {
        using var empty = new MemoryStream();
        Assert.Throws<ArgumentNullException>(() => new FrameReader(null!, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameReader(empty, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameReader(empty, (long)Array.MaxLength + 1));
        Assert.Equal(1, new FrameReader(empty, 1).MaxBodyBytes);
        Assert.Equal(Array.MaxLength, new FrameReader(empty, Array.MaxLength).MaxBodyBytes);
    }

    /// <summary>Frames until the reader says the input is over, as "Kind body-or-problem".</summary>
    private static async Task<List<string>> ReadAllAsync(string input, int chunk, long maxBody = 1000)
    {
        var reader = new FrameReader(new ChunkedStream(Encoding.Latin1.GetBytes(input), chunk), maxBody);
        var frames = new List<string>();
        while (frames.Count < 100)
        {
            var frame = await reader.ReadAsync();
            frames.Add(frame.Kind switch
            {
                FrameKind.Message => $"Message {Encoding.Latin1.GetString(frame.Body.Span)}",
                FrameKind.Malformed or FrameKind.TooLarge => $"{frame.Kind} {frame.Problem}",
                _ => frame.Kind.ToString(),
            });
            if (frame.Kind is FrameKind.EndOfStream or FrameKind.Truncated or FrameKind.TooLarge)
            {
                break;
            }
        }

        return frames;
    }

    /// <summary>A stream whose reads never finish and ignore cancellation.</summary>
    private sealed class NeverStream : Stream
    {
        private readonly TaskCompletionSource<int> _never = new();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => 0; set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => new(_never.Task);

        public override int Read(byte[] buffer, int offset, int count) => _never.Task.GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A stream that hands out at most <paramref name="chunk"/> bytes per read.</summary>
    private sealed class ChunkedStream(byte[] data, int chunk) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => data.Length;

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, chunk), data.Length - _position);
            Array.Copy(data, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
