using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AgentSessions.Benchmarks.Shared;
using AgentSessions.Sqlite;
using AgentSessions.Storage;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>
/// The path editors use: <c>session.append</c> over <c>agent-sessions rpc</c> (the published CLI as a child
/// process, real pipes, Content-Length framing), one client, one request at a time, against the same connection's
/// no-op round trip (<c>session.current</c>) and a raw durable one-row commit (WAL, synchronous=FULL) on a file in
/// the same directory, all three interleaved in one run. A fourth operation, the same append in-process on a
/// store in the same directory, splits the figure into what the store costs and what the RPC layer adds.
/// </summary>
/// <remarks>
/// The figure judged is (append - round trip) / raw commit: what an append costs beyond talking to the process at
/// all, in units of the fsync-bound commit every durable append pays anyway. The library-level append bench
/// cannot show this: it never crosses a pipe or writes a response.
/// </remarks>
public static class RpcAppendBench
{
    public const double TargetRatio = 1.2;

    private const int WarmupRounds = 30;
    private const int Rounds = 300;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);

    public static async Task<IReadOnlyList<ResultRow>> RunAsync(TempRoot temp, TextWriter output)
    {
        if (CliBuild.Dll(temp.Path, output, "RPC append") is not { } dll)
        {
            return [];
        }

        var directory = temp.Directory("rpc-append");
        var storeDirectory = Path.Combine(directory, "store");
        using var raw = RawAppender.Open(Path.Combine(directory, "raw.db"));
        await using var rpc = RpcClient.Start(dll, storeDirectory);
        await rpc.CallAsync("session.create", """{"id":"bench-rpc"}""");
        await using var library = SqliteSessionStore.Open(Path.Combine(directory, "library-store"));
        await library.CreateAsync(new NewSession { Id = "bench-library" });

        var n = 0;
        var stats = await Interleaved.MeasureAsync(
            WarmupRounds,
            Rounds,
            Budget,
            Rounds, // all 300 rounds: the ratio subtracts two medians, so it needs them steady
            () => { raw.Insert(BenchText.Get(n++)); return ValueTask.CompletedTask; },
            async () => await rpc.CallAsync("session.current", "{}"),
            async () => await rpc.CallAsync("session.append", "{\"role\":\"assistant\",\"content\":" + JsonSerializer.Serialize(BenchText.Get(n++)) + "}"),
            async () => await library.AppendAsync("bench-library", [new NewMessage(MessageRole.Assistant, BenchText.Get(n++))]));
        var (rawStats, roundTrip, append, inProcess) = (stats[0], stats[1], stats[2], stats[3]);
        Report.PrintStats(output, "raw BEGIN/INSERT/COMMIT", rawStats);
        Report.PrintStats(output, "rpc session.current (round trip)", roundTrip);
        Report.PrintStats(output, "rpc session.append", append);
        Report.PrintStats(output, "store append in-process", inProcess);
        var ratio = (append.MedianMs - roundTrip.MedianMs) / rawStats.MedianMs;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  (append - round trip) / raw commit = {ratio:0.00} (medians; target <= {TargetRatio:0.0})"));
        // Where the time goes: the store's own append against the raw commit, and what is left for the RPC layer
        // (parsing, the result's JSON, the second process) once the round trip and the store are taken away.
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"  store append / raw commit = {inProcess.MedianMs / rawStats.MedianMs:0.00}; RPC layer beyond round trip and store = {append.MedianMs - roundTrip.MedianMs - inProcess.MedianMs:0.000} ms"));
        await rpc.ShutdownAsync();

        return
        [
            ResultRow.Info("RPC no-op round trip (session.current)", roundTrip, "raw BEGIN/INSERT/COMMIT", rawStats),
            new ResultRow(
                "RPC session.append beyond the round trip",
                append,
                "(append - round trip) / raw commit",
                rawStats,
                ratio,
                string.Create(CultureInfo.InvariantCulture, $"ratio <= {TargetRatio:0.0}"),
                ratio <= TargetRatio),
        ];
    }

    /// <summary>A minimal, strict JSON-RPC client over a child's stdin and stdout, as an editor runs the server.</summary>
    private sealed class RpcClient : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly Stream _stdin;
        private readonly BufferedStream _stdout;
        private readonly Task _stderr;
        private readonly byte[] _header = new byte[128];
        private long _id;

        private RpcClient(Process process)
        {
            _process = process;
            _stdin = process.StandardInput.BaseStream;
            _stdout = new BufferedStream(process.StandardOutput.BaseStream, 1 << 16);
            // Drained so a chatty stderr can never block the server.
            _stderr = process.StandardError.ReadToEndAsync();
        }

        public static RpcClient Start(string dll, string storeDirectory)
        {
            var info = new ProcessStartInfo("dotnet")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { dll, "rpc", "--store", storeDirectory })
            {
                info.ArgumentList.Add(arg);
            }

            info.Environment.Remove("AGENT_SESSIONS_HOME");
            info.Environment.Remove("AGENT_SESSIONS_DEBUG");
            return new RpcClient(Process.Start(info)!);
        }

        /// <summary>Sends one request and reads its response; fails on an error response.</summary>
        public async ValueTask CallAsync(string method, string parameters)
        {
            var id = ++_id;
            var body = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":\"{method}\",\"params\":{parameters}}}"));
            var frame = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n\r\n"));
            // One write of header and body, as editors' clients do: two writes could cost a second wake-up.
            var message = new byte[frame.Length + body.Length];
            frame.CopyTo(message, 0);
            body.CopyTo(message, frame.Length);
            await _stdin.WriteAsync(message);
            await _stdin.FlushAsync();

            var response = await ReadFrameAsync();
            if (response.IndexOf("\"error\""u8) >= 0 && response.IndexOf("\"result\""u8) < 0)
            {
                throw new InvalidOperationException($"{method} failed: {Encoding.UTF8.GetString(response)}");
            }
        }

        public async ValueTask ShutdownAsync()
        {
            await CallAsync("shutdown", "null");
            var body = Encoding.UTF8.GetBytes("{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}");
            await _stdin.WriteAsync(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n\r\n")));
            await _stdin.WriteAsync(body);
            await _stdin.FlushAsync();
        }

        private async ValueTask<byte[]> ReadFrameAsync()
        {
            var length = 0;
            while (length < 4 || !_header.AsSpan(length - 4, 4).SequenceEqual("\r\n\r\n"u8))
            {
                var b = _stdout.ReadByte();
                if (b < 0 || length == _header.Length)
                {
                    throw new InvalidOperationException($"the server's output ended or was not a frame header: {Encoding.ASCII.GetString(_header, 0, length)}; stderr: {await StderrAsync()}");
                }

                _header[length++] = (byte)b;
            }

            var text = Encoding.ASCII.GetString(_header, 0, length - 4);
            var body = new byte[int.Parse(text["Content-Length: ".Length..], CultureInfo.InvariantCulture)];
            await _stdout.ReadExactlyAsync(body);
            return body;
        }

        private async Task<string> StderrAsync()
        {
            _process.Kill();
            await _process.WaitForExitAsync();
            return await (Task<string>)_stderr;
        }

        public async ValueTask DisposeAsync()
        {
            _stdin.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }
    }
}
