using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Cli.Tests;

/// <summary>
/// SIGTERM and SIGINT sent to the running tool: every command ends soon after, with the shell's exit code
/// (128 + the signal's number) and one line on stderr, and the store passes <c>doctor</c> afterwards.
/// </summary>
/// <remarks>
/// The bounds are generous on purpose (the machine may be busy): what is tested is that the tool ends at all
/// and how, not its timing. The signal is sent once the tool has the store open, so it is past start-up and
/// its own handlers are in place.
/// </remarks>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SignalTests(SignalTests.ManySessions fixture) : IClassFixture<SignalTests.ManySessions>, IDisposable
{
    private const int Sigint = 2;
    private const int Sigterm = 15;
    private static readonly TimeSpan ExitBound = TimeSpan.FromSeconds(10);

    private readonly TempDirectory _temp = TempDirectory.ForCaller();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Sigterm_stops_a_folder_import_with_143_and_leaves_a_healthy_store()
    {
        var store = _temp.Combine("store");
        await using var tool = Running.Start(store, "import", fixture.Folder);
        await tool.WaitUntilStoreIsOpenAsync();

        var result = await tool.SignalAndWaitAsync(Sigterm);

        Assert.True(result.ExitCode == 143, result.ToString());
        Assert.Contains("agent-sessions: interrupted; SIGTERM", result.Stderr, StringComparison.Ordinal);
        await AssertHealthyAsync(store);
    }

    [Fact]
    public async Task Sigint_stops_export_all_with_130_leaving_only_complete_files()
    {
        var target = _temp.Combine("exported");
        await using var tool = Running.Start(fixture.Store, "export", "--all", target);
        await tool.WaitUntilAsync(() => Directory.Exists(target) && Directory.EnumerateFiles(target, "*.json").Any(), "the first exported file");

        var result = await tool.SignalAndWaitAsync(Sigint);

        Assert.True(result.ExitCode == 130, result.ToString());
        Assert.Contains("agent-sessions: interrupted; SIGINT", result.Stderr, StringComparison.Ordinal);
        var files = Directory.GetFiles(target);
        Assert.True(files.Length < ManySessions.Count, $"the export was not interrupted: {files.Length} files");
        Assert.All(files, file =>
        {
            // No temporary file left behind, and no file cut short.
            Assert.EndsWith(".json", file, StringComparison.Ordinal);
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
        });
        await AssertHealthyAsync(fixture.Store);
    }

    [Fact]
    public async Task Sigterm_ends_a_search_stuck_writing_to_a_pipe_nobody_reads()
    {
        // Hundreds of kilobytes of hits into stdout, which this test does not read until the end: the tool
        // blocks in write(2), where no cancellation token reaches it. The deadline must end it anyway.
        await using var tool = Running.Start(fixture.Store, "search", "alpha", "--limit", "1000", "--json");
        await tool.WaitUntilBlockedWritingAsync();

        var result = await tool.SignalAndWaitAsync(Sigterm);

        Assert.True(result.ExitCode == 143, result.ToString());
        Assert.Contains("agent-sessions: interrupted; SIGTERM", result.Stderr, StringComparison.Ordinal);
        await AssertHealthyAsync(fixture.Store);
    }

    [Fact]
    public async Task A_second_sigint_ends_a_stuck_command_at_once()
    {
        await using var tool = Running.Start(fixture.Store, "search", "alpha", "--limit", "1000", "--json");
        await tool.WaitUntilBlockedWritingAsync();
        Assert.Equal(0, Kill(tool.Process.Id, Sigint));
        await Task.Delay(TimeSpan.FromMilliseconds(300));

        var result = await tool.SignalAndWaitAsync(Sigint);

        Assert.True(result.ExitCode == 130, result.ToString());
        Assert.Contains("agent-sessions: interrupted; SIGINT received again, ended at once", result.Stderr, StringComparison.Ordinal);
    }

    private static async Task AssertHealthyAsync(string store)
    {
        var doctor = await new CliRunner(store).RunAsync("doctor");
        Assert.True(doctor.ExitCode == 0, doctor.ToString());
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>A folder of <see cref="Count"/> small sessions in our JSONL format, and a store holding them.</summary>
    public sealed class ManySessions : IAsyncLifetime
    {
        public const int Count = 3000;

        private readonly TempDirectory _temp = TempDirectory.ForCaller();

        public string Folder => _temp.Combine("sessions");

        public string Store => _temp.Combine("store");

        public async Task InitializeAsync()
        {
            Directory.CreateDirectory(Folder);
            for (var i = 0; i < Count; i++)
            {
                var id = $"session-20260101-000000-{i:D13}";
                var text = new StringBuilder();
                text.Append("{\"format\":\"agent-sessions-jsonl\",\"version\":2,\"session\":{\"id\":\"").Append(id)
                    .Append("\",\"title\":\"signal test ").Append(i).Append("\",\"createdAt\":\"2026-01-01T00:00:00+00:00\",\"updatedAt\":\"2026-01-01T00:00:00+00:00\",\"tags\":[],\"metadata\":{}}}\n");
                for (var seq = 1; seq <= 2; seq++)
                {
                    text.Append("{\"id\":\"msg-20260101-000000-").Append($"{i:D7}{seq:D6}").Append("\",\"seq\":").Append(seq)
                        .Append(",\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"text\":\"alpha words to find, number ").Append(i)
                        .Append("\"}],\"createdAt\":\"2026-01-01T00:00:00+00:00\",\"metadata\":{}}\n");
                }

                await File.WriteAllTextAsync(Path.Combine(Folder, $"s{i:D5}.jsonl"), text.ToString());
            }

            var import = await new CliRunner(Store).RunAsync(["import", Folder], stdin: null, new Dictionary<string, string?> { ["AGENT_SESSIONS_DURABILITY"] = "normal" });
            Assert.True(import.ExitCode == 0, import.ToString());
        }

        public Task DisposeAsync()
        {
            _temp.Dispose();
            return Task.CompletedTask;
        }
    }

    /// <summary>The tool running in the background; stdout and stderr are read only once it has ended.</summary>
    private sealed class Running : IAsyncDisposable
    {
        private readonly string _store;

        private Running(Process process, string store)
        {
            Process = process;
            _store = store;
        }

        public Process Process { get; }

        public static Running Start(string store, params string[] args)
        {
            var info = BuiltTool.StartInfo(args);
            info.Environment["AGENT_SESSIONS_HOME"] = store;
            info.Environment["AGENT_SESSIONS_DURABILITY"] = "normal";
            info.Environment.Remove("AGENT_SESSIONS_DEBUG");
            var process = Process.Start(info)!;
            process.StandardInput.Close();
            return new Running(process, store);
        }

        /// <summary>Until the tool holds the store's database open (seen in /proc): it is then past start-up.</summary>
        public Task WaitUntilStoreIsOpenAsync()
        {
            var database = Path.Combine(Path.GetFullPath(_store), "sessions.db");
            return WaitUntilAsync(
                () =>
                {
                    try
                    {
                        return Directory.EnumerateFileSystemEntries($"/proc/{Process.Id}/fd")
                            .Any(fd => new FileInfo(fd).LinkTarget == database);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        return false; // an fd closed while it was looked at
                    }
                },
                "the store to be opened");
        }

        /// <summary>
        /// Until one of the tool's threads sleeps in the kernel writing to a full pipe (its wchan names pipe_write):
        /// only then is it truly stuck where no cancellation reaches. A fixed delay was not enough on a loaded
        /// machine, where the search sometimes had not filled the pipe yet and the first signal ended it cleanly.
        /// </summary>
        public Task WaitUntilBlockedWritingAsync()
            => WaitUntilAsync(
                () =>
                {
                    try
                    {
                        return Directory.EnumerateDirectories($"/proc/{Process.Id}/task")
                            .Any(task => File.ReadAllText(Path.Combine(task, "wchan")).Contains("pipe_write", StringComparison.Ordinal));
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        return false; // a thread ended while it was looked at
                    }
                },
                "the tool to block writing to its full stdout");

        public async Task WaitUntilAsync(Func<bool> condition, string what)
        {
            var deadline = Stopwatch.StartNew();
            while (!condition())
            {
                if (Process.HasExited)
                {
                    throw new Xunit.Sdk.XunitException($"the tool exited (code {Process.ExitCode}) before {what}: {await Process.StandardError.ReadToEndAsync()}");
                }

                if (deadline.Elapsed > TimeSpan.FromSeconds(60))
                {
                    throw new TimeoutException($"waited a minute for {what}");
                }

                await Task.Delay(20);
            }
        }

        /// <summary>Sends the signal, then waits (at most <see cref="ExitBound"/>) for the tool to end.</summary>
        public async Task<CliRunner.Result> SignalAndWaitAsync(int signal)
        {
            Assert.False(Process.HasExited, "the tool ended before the signal was sent");
            Assert.Equal(0, Kill(Process.Id, signal));
            // stdout is left unread until the end: reading it would unblock a tool stuck writing to it.
            var stderr = Process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(ExitBound);
            try
            {
                await Process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Process.Kill(entireProcessTree: true);
                throw new Xunit.Sdk.XunitException($"still running {ExitBound.TotalSeconds} s after signal {signal}");
            }

            return new CliRunner.Result(Process.ExitCode, "", await stderr);
        }

        public async ValueTask DisposeAsync()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                await Process.WaitForExitAsync();
            }

            Process.Dispose();
        }
    }
}
