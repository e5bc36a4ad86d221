using System.Diagnostics;
using System.Globalization;
using AgentSessions.Benchmarks.Shared;
using AgentSessions.Sqlite;
using Microsoft.Data.Sqlite;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>
/// Appends per second with 1, 4 and 16 concurrent writers, as threads of one process sharing one store and as
/// separate processes each opening the store, against raw durable single-row commits (same pragmas) from the
/// same number of writer threads or processes; busy errors are counted on both sides and must be zero.
/// </summary>
/// <remarks>
/// The raw side commits one row per transaction, like the store: "batched" raw inserts (many rows per commit)
/// would measure a different durability contract, since every store append is acknowledged only once it is on
/// disk. Each writer appends to its own session, the way concurrent agents write to a shared store.
/// </remarks>
public static class ConcurrencyBench
{
    public const string ChildMode = "child-append";
    public static readonly int[] Writers = [1, 2, 4, 16];

    /// <summary>The longest any single append may wait with several writer processes (issue 11: a waiter was starved for over a second).</summary>
    public const double MaxSingleWaitMs = 250;
    public const double MinRatio = 0.8;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(2);

    public static async Task<IReadOnlyList<ResultRow>> RunAsync(TempRoot temp, TextWriter output, Plots plots)
    {
        output.WriteLine($"Concurrent appends: {string.Join(", ", Writers)} writers, {Duration.TotalSeconds:0} s each, threads and processes...");
        var rows = new List<ResultRow>();
        foreach (var asProcesses in new[] { false, true })
        {
            var kind = asProcesses ? "processes" : "threads";
            foreach (var writers in Writers)
            {
                var storeDir = temp.Directory($"conc-{kind}-{writers}-store");
                await using (var store = SqliteSessionStore.Open(storeDir))
                {
                    for (var w = 0; w < writers; w++)
                    {
                        await store.CreateAsync(new NewSession { Id = "w" + w, Title = "writer " + w });
                    }
                }

                var rawPath = Path.Combine(temp.Directory($"conc-{kind}-{writers}-raw"), "raw.db");
                using (var create = RawSqlite.OpenDurable(rawPath))
                {
                    RawSqlite.Execute(create, "CREATE TABLE messages (id INTEGER PRIMARY KEY, session TEXT, seq INTEGER, text TEXT)");
                }

                // Raw first, then the store, then raw again: the two raw runs bracket the store's.
                var raw1 = asProcesses ? await RunProcessesAsync("raw", rawPath, writers) : await RunThreadsAsync(() => new RawWriter(rawPath), writers);
                var mine = asProcesses ? await RunProcessesAsync("store", storeDir, writers) : await RunThreadsAsync(() => new StoreWriter(storeDir), writers);
                var raw2 = asProcesses ? await RunProcessesAsync("raw", rawPath, writers) : await RunThreadsAsync(() => new RawWriter(rawPath), writers);
                var raw = new Result(raw1.Appends + raw2.Appends, raw1.Busy + raw2.Busy, raw1.Seconds + raw2.Seconds, Math.Max(raw1.LongestMs, raw2.LongestMs));
                var ratio = mine.PerSecond / raw.PerSecond;
                output.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"  {writers,2} {kind,-9}  store {mine.PerSecond,7:0} appends/s (busy {mine.Busy})   raw {raw.PerSecond,7:0} commits/s (busy {raw.Busy})   ratio {ratio:0.00}"));
                plots.Add($"concurrency-{kind}.dat", "writers store_appends_per_s raw_commits_per_s", writers, mine.PerSecond, raw.PerSecond);
                rows.Add(ResultRow.MinRatio(
                    $"Appends/s, {writers} writer {kind}",
                    string.Create(CultureInfo.InvariantCulture, $"store {mine.PerSecond:0}/s, busy {mine.Busy}; raw {raw.PerSecond:0}/s, busy {raw.Busy}"),
                    "raw 1-row commits, same writers",
                    ratio,
                    MinRatio,
                    alsoRequired: mine.Busy == 0));
                if (asProcesses && writers > 1)
                {
                    // Fairness: the longest one append waited, against raw writers that wait with SQLite's busy_timeout.
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {writers,2} {kind,-9}  longest single append: store {mine.LongestMs:0.0} ms   raw {raw.LongestMs:0.0} ms"));
                    rows.Add(new ResultRow(
                        $"Longest single append, {writers} writer processes",
                        null,
                        string.Create(CultureInfo.InvariantCulture, $"store {mine.LongestMs:0.0} ms; raw writers with busy_timeout {raw.LongestMs:0.0} ms"),
                        null,
                        mine.LongestMs / raw.LongestMs,
                        string.Create(CultureInfo.InvariantCulture, $"longest <= {MaxSingleWaitMs:0} ms"),
                        mine.LongestMs <= MaxSingleWaitMs));
                }
            }
        }

        return rows;
    }

    private readonly record struct Result(long Appends, long Busy, double Seconds, double LongestMs = double.NaN)
    {
        public double PerSecond => Appends / Seconds;
    }

    private interface IWriter : IDisposable
    {
        /// <summary>One durable one-message commit; false when it failed as busy/locked.</summary>
        ValueTask<bool> AppendAsync(string session, string text);
    }

    private static async Task<Result> RunThreadsAsync(Func<IWriter> open, int writers)
    {
        // In-process writers share one store (the store serializes its own writes); raw writers get a
        // connection each, as separate SQLite users would.
        using var shared = open();
        var ownConnection = shared is RawWriter;
        var counts = new long[writers];
        var busy = new long[writers];
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ready = new CountdownEvent(writers);
        var clock = new Stopwatch();
        var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            using var mine = ownConnection ? open() : null;
            var writer = mine ?? shared;
            var session = "w" + w;
            ready.Signal();
            await start.Task;
            var i = 0;
            while (clock.Elapsed < Duration)
            {
                if (await writer.AppendAsync(session, BenchText.Get(i++)))
                {
                    counts[w]++;
                }
                else
                {
                    busy[w]++;
                }
            }
        })).ToArray();
        ready.Wait();
        clock.Start();
        start.SetResult();
        await Task.WhenAll(tasks);
        ready.Dispose();
        return new Result(counts.Sum(), busy.Sum(), clock.Elapsed.TotalSeconds);
    }

    private static async Task<Result> RunProcessesAsync(string kind, string path, int writers)
    {
        var host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var dll = typeof(ConcurrencyBench).Assembly.Location;
        var children = new List<Process>();
        try
        {
            for (var w = 0; w < writers; w++)
            {
                var info = new ProcessStartInfo(host) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
                foreach (var arg in new[] { dll, ChildMode, kind, path, "w" + w, ((int)Duration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) })
                {
                    info.ArgumentList.Add(arg);
                }

                children.Add(Process.Start(info)!);
            }

            foreach (var child in children)
            {
                var line = await child.StandardOutput.ReadLineAsync();
                if (line != "ready")
                {
                    throw new InvalidOperationException($"child writer said '{line}' instead of 'ready'");
                }
            }

            foreach (var child in children)
            {
                await child.StandardInput.WriteLineAsync("go");
                await child.StandardInput.FlushAsync();
            }

            long appends = 0, busy = 0;
            double seconds = 0, longest = 0;
            foreach (var child in children)
            {
                var line = await child.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("child writer ended without a result");
                var parts = line.Split(' ');
                appends += long.Parse(parts[1], CultureInfo.InvariantCulture);
                busy += long.Parse(parts[2], CultureInfo.InvariantCulture);
                seconds = Math.Max(seconds, double.Parse(parts[3], CultureInfo.InvariantCulture));
                longest = Math.Max(longest, double.Parse(parts[4], CultureInfo.InvariantCulture));
                await child.WaitForExitAsync();
            }

            return new Result(appends, busy, seconds, longest);
        }
        finally
        {
            foreach (var child in children)
            {
                if (!child.HasExited)
                {
                    child.Kill();
                }

                child.Dispose();
            }
        }
    }

    /// <summary>The child process: <c>child-append store|raw PATH SESSION MILLISECONDS</c>; prints "ready", waits for "go", prints "done APPENDS BUSY SECONDS LONGEST-MS".</summary>
    public static async Task<int> RunChildAsync(string[] args)
    {
        if (args is not [var kind, var path, var session, var ms])
        {
            await Console.Error.WriteLineAsync("usage: child-append store|raw PATH SESSION MILLISECONDS");
            return 2;
        }

        var duration = TimeSpan.FromMilliseconds(int.Parse(ms, CultureInfo.InvariantCulture));
        using IWriter writer = kind == "store" ? new StoreWriter(path) : new RawWriter(path);
        // Warm up before the clock starts, both kinds alike: statement preparation, and enough calls for tiered JIT
        // to promote the append path (30 calls, then a background compile), so a 2-second window measures the
        // steady state of a long-running writer rather than its first tier-0 code.
        for (var w = 0; w < 100; w++)
        {
            await writer.AppendAsync(session, "warm-up");
        }

        await Task.Delay(300);
        Console.WriteLine("ready");
        if (await Console.In.ReadLineAsync() != "go")
        {
            return 2;
        }

        long appends = 0, busy = 0, longest = 0;
        var clock = Stopwatch.StartNew();
        var i = 0;
        while (clock.Elapsed < duration)
        {
            var started = Stopwatch.GetTimestamp();
            var appended = await writer.AppendAsync(session, BenchText.Get(i++));
            longest = Math.Max(longest, Stopwatch.GetTimestamp() - started);
            if (appended)
            {
                appends++;
            }
            else
            {
                busy++;
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done {appends} {busy} {clock.Elapsed.TotalSeconds:0.000000} {longest * 1000.0 / Stopwatch.Frequency:0.000}"));
        return 0;
    }

    private sealed class StoreWriter(string directory) : IWriter
    {
        private readonly SqliteSessionStore _store = SqliteSessionStore.Open(directory);

        public async ValueTask<bool> AppendAsync(string session, string text)
        {
            try
            {
                await _store.AppendAsync(session, [new NewMessage(MessageRole.Assistant, text)]);
                return true;
            }
            catch (AgentSessionsException e) when (e.Code == ErrorCode.Busy)
            {
                return false;
            }
        }

        public void Dispose() => _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private sealed class RawWriter : IWriter
    {
        private readonly SqliteConnection _connection;
        private readonly SqliteCommand _begin;
        private readonly SqliteCommand _insert;
        private readonly SqliteCommand _commit;
        private readonly SqliteCommand _rollback;
        private long _seq;

        public RawWriter(string path)
        {
            _connection = RawSqlite.OpenDurable(path);
            _begin = RawSqlite.Prepare(_connection, "BEGIN IMMEDIATE");
            _insert = RawSqlite.Prepare(_connection, "INSERT INTO messages (session, seq, text) VALUES ($session, $seq, $text)", "$session", "$seq", "$text");
            _commit = RawSqlite.Prepare(_connection, "COMMIT");
            _rollback = RawSqlite.Prepare(_connection, "ROLLBACK");
        }

        public ValueTask<bool> AppendAsync(string session, string text) => ValueTask.FromResult(Append(session, text));

        private bool Append(string session, string text)
        {
            try
            {
                _begin.ExecuteNonQuery();
                _insert.Parameters[0].Value = session;
                _insert.Parameters[1].Value = ++_seq;
                _insert.Parameters[2].Value = text;
                _insert.ExecuteNonQuery();
                _commit.ExecuteNonQuery();
                return true;
            }
            catch (SqliteException e) when (e.SqliteErrorCode is 5 or 6)
            {
                if (!_connection.State.HasFlag(System.Data.ConnectionState.Open))
                {
                    throw;
                }

                try
                {
                    _rollback.ExecuteNonQuery();
                }
                catch (SqliteException)
                {
                    // no transaction was open
                }

                return false;
            }
        }

        public void Dispose()
        {
            _begin.Dispose();
            _insert.Dispose();
            _commit.Dispose();
            _rollback.Dispose();
            _connection.Dispose();
        }
    }
}
