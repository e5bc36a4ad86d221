using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using AgentSessions.Server.Rpc;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Server.Tests.Rpc;

/// <summary>How a frame reaches the pipe: a client must never see a header without its body.</summary>
public sealed class FrameWriterTests
{
    /// <summary>Records every write the writer makes, as the pipe (one write(2) per call) would see them.</summary>
    private sealed class RecordingStream : Stream
    {
        public List<byte[]> Writes { get; } = [];

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Writes.Add(buffer.AsSpan(offset, count).ToArray());

        public override void Write(ReadOnlySpan<byte> buffer) => Writes.Add(buffer.ToArray());

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            Write(buffer, offset, count);
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
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(70_000)]
    public async Task Each_frame_is_one_write_of_header_and_body(int bodyLength)
    {
        // Two writes (header, then body) made Emacs's jsonrpc.el wait about 20 ms on a third of its calls: it saw
        // the header, found no body yet and went back to its event loop's timer.
        var stream = new RecordingStream();
        var writer = new FrameWriter(stream);
        var body = Encoding.UTF8.GetBytes(new string('x', bodyLength));

        await writer.WriteAsync(body);
        await writer.WriteAsync(Encoding.UTF8.GetBytes("{}"));

        Assert.Equal(2, stream.Writes.Count);
        Assert.Equal(Encoding.ASCII.GetBytes($"Content-Length: {bodyLength}\r\n\r\n").Concat(body), stream.Writes[0]);
        Assert.Equal("Content-Length: 2\r\n\r\n{}"u8.ToArray(), stream.Writes[1]);
    }

    [Fact]
    public async Task The_rpc_server_answers_each_request_with_one_write_system_call()
    {
        // The same promise, seen where the client sees it: strace records each write(2) the server makes to stdout.
        using var temp = TempDirectory.ForCaller();
        var requests = new MemoryStream();
        foreach (var (id, method, parameters) in new[] { (1, "session.create", "{\"id\":\"one\"}"), (2, "session.list", "{}"), (3, "session.get", "{\"id\":\"one\"}") })
        {
            requests.Write(RpcProcess.Frame($"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"{method}\",\"params\":{parameters}}}"));
        }

        var log = temp.Combine("strace.log");
        var info = new ProcessStartInfo("strace") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-f", "-qq", "-e", "trace=write", "-e", "signal=none", "-s", "24", "-o", log, "dotnet", RpcProcess.Dll, "rpc", "--store", temp.Combine("store") })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var received = new MemoryStream();
        var stdout = process.StandardOutput.BaseStream.CopyToAsync(received);
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.BaseStream.WriteAsync(requests.ToArray());
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        await stdout;
        Assert.True(process.ExitCode == 0, await stderr);

        // e.g. 4242  write(77, "Content-Length: 75\r\n\r\n"..., 97) = 97 (the runtime writes stdout through a dup of fd 1)
        var writes = File.ReadAllLines(log).Select(line => Regex.Match(line, @"write\(\d+, ""Content-Length: (\d+)\\r\\n.*\) = (\d+)$")).Where(m => m.Success).ToList();
        Assert.Equal(3, writes.Count);
        foreach (var write in writes)
        {
            var bodyLength = int.Parse(write.Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.Equal($"Content-Length: {bodyLength}\r\n\r\n".Length + bodyLength, int.Parse(write.Groups[2].Value, CultureInfo.InvariantCulture));
        }

        // And those three writes are all that reached the pipe.
        Assert.Equal(received.Length, writes.Sum(w => long.Parse(w.Groups[2].Value, CultureInfo.InvariantCulture)));
    }
}
