using System.Diagnostics;
using System.Text;

namespace AgentSessions.FakeOpenAi;

/// <summary>
/// The fake server as a process of its own (<c>dotnet AgentSessions.FakeOpenAi.dll --port 0 ...</c>), for tests whose
/// client is itself a process that outlives a test method or is killed; killed (its tree) on dispose.
/// </summary>
/// <remarks>
/// It is started with <c>--exit-with-stdin</c> and its stdin held open, so it also ends when the test host dies.
/// Script it with a script file, or while it runs through <c>POST {Root}/_fake/replies</c>.
/// </remarks>
public sealed class FakeOpenAiProcess : IAsyncDisposable
{
    private readonly StringBuilder _stderr = new();

    private FakeOpenAiProcess(Process process) => Process = process;

    /// <summary>The running process.</summary>
    public Process Process { get; }

    /// <summary>The base URL it printed, <c>http://127.0.0.1:PORT/v1</c>.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>The server's root, <c>http://127.0.0.1:PORT</c>, where the <c>/_fake</c> control routes are.</summary>
    public string Root => BaseUrl[..^"/v1".Length];

    /// <summary>What it wrote on stderr so far.</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>The built AgentSessions.FakeOpenAi.dll: this assembly, which a referencing project's output also holds.</summary>
    public static string Dll => typeof(FakeOpenAiProcess).Assembly.Location;

    /// <summary>Starts it with <paramref name="args"/> (<c>--port 0</c> unless they name a port) and waits for its URL.</summary>
    /// <exception cref="InvalidOperationException">It exited, or printed something else, before its URL.</exception>
    /// <exception cref="TimeoutException">No URL within <paramref name="timeout"/> (30 seconds unless given).</exception>
    public static async Task<FakeOpenAiProcess> StartAsync(IEnumerable<string> args, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add(Dll);
        var list = args.ToList();
        foreach (var arg in list.Contains("--port") ? list : ["--port", "0", .. list])
        {
            info.ArgumentList.Add(arg);
        }

        info.ArgumentList.Add("--exit-with-stdin");
        var fake = new FakeOpenAiProcess(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start"));
        fake.Process.ErrorDataReceived += (_, e) =>
        {
            lock (fake._stderr)
            {
                fake._stderr.AppendLine(e.Data);
            }
        };
        fake.Process.BeginErrorReadLine();
        try
        {
            var line = await fake.Process.StandardOutput.ReadLineAsync().WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
            if (line is null || !line.StartsWith("http://127.0.0.1:", StringComparison.Ordinal))
            {
                await fake.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                throw new InvalidOperationException($"the fake server printed {line ?? "nothing"} instead of its URL: {fake.Stderr}");
            }

            fake.BaseUrl = line;
            return fake;
        }
        catch
        {
            await fake.DisposeAsync();
            throw;
        }
    }

    /// <summary>Kills it (its tree) if it still runs, and waits for it to end.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Process.WaitForExitAsync(timeout.Token);
        Process.Dispose();
    }
}
