using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using AgentSessions.Testing;

namespace AgentSessions.Server.Tests.Api;

/// <summary>A running <c>agent-sessions serve</c>, the way a user (or an editor) starts it; killed on dispose.</summary>
internal sealed partial class ServeProcess : IAsyncDisposable
{
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly StringBuilder _output = new();
    private readonly List<string> _loginUrls = [];
    private TaskCompletionSource _loginPrinted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServeProcess(Process process) => Process = process;

    public Process Process { get; }

    public string Url { get; private set; } = "";

    public string Token { get; private set; } = "";

    /// <summary>Everything serve wrote so far, stdout and stderr.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The web viewer's login URLs serve printed so far, in order.</summary>
    public IReadOnlyList<string> LoginUrls
    {
        get
        {
            lock (_output)
            {
                return [.. _loginUrls];
            }
        }
    }

    public static async Task<ServeProcess> StartAsync(params string[] args)
    {
        var serve = new ServeProcess(Process.Start(Info(["serve", .. args]))!);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        serve.Process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetException(new InvalidOperationException($"serve exited before printing its URL and token: {serve.Output}"));
                return;
            }

            TaskCompletionSource? printed = null;
            lock (serve._output)
            {
                serve._output.AppendLine(e.Data);
                if (LoginUrl().Match(e.Data) is { Success: true } login)
                {
                    serve._loginUrls.Add(login.Value);
                    printed = serve._loginPrinted;
                    serve._loginPrinted = new(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }

            printed?.TrySetResult();
            if (e.Data.StartsWith("listening on ", StringComparison.Ordinal) && serve.Url.Length == 0)
            {
                serve.Url = e.Data["listening on ".Length..].Trim();
            }
            else if (e.Data.StartsWith("api token: ", StringComparison.Ordinal))
            {
                serve.Token = e.Data["api token: ".Length..].Trim();
                ready.TrySetResult();
            }
        };
        serve.Process.ErrorDataReceived += (_, e) =>
        {
            lock (serve._output)
            {
                serve._output.AppendLine(e.Data);
            }
        };
        serve.Process.BeginOutputReadLine();
        serve.Process.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(StartTimeout);
        }
        catch
        {
            await serve.DisposeAsync();
            throw;
        }

        return serve;
    }

    /// <summary>Waits (bounded) until serve has printed at least <paramref name="count"/> login URLs, and returns the last.</summary>
    public async Task<string> LoginUrlAsync(int count)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            Task next;
            lock (_output)
            {
                if (_loginUrls.Count >= count)
                {
                    return _loginUrls[count - 1];
                }

                next = _loginPrinted.Task;
            }

            var left = TimeSpan.FromSeconds(15) - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"serve printed {LoginUrls.Count} login URLs, not {count}: {Output}");
            }

            await Task.WhenAny(next, Task.Delay(left));
        }
    }

    /// <summary>Runs the tool to its end (killed after the start-up timeout), with the same environment as a started serve.</summary>
    public static async Task<(int Exit, string Stdout, string Stderr)> RunToEndAsync(params string[] args)
    {
        var runner = new CliRunner(UnusedHome)
        {
            Timeout = StartTimeout,
            Environment = new Dictionary<string, string?> { ["AGENT_SESSIONS_DURABILITY"] = "normal", ["ASPNETCORE_URLS"] = null, ["ASPNETCORE_ENVIRONMENT"] = null },
        };
        var result = await runner.RunAsync(args);
        return (result.ExitCode, result.Stdout, result.Stderr);
    }

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

    [GeneratedRegex(@"http://\S+/login\?token=[A-Za-z0-9_-]+")]
    private static partial Regex LoginUrl();

    private static string UnusedHome => Path.Combine(Path.GetTempPath(), "agent-sessions-tests", "unused-home");

    private static ProcessStartInfo Info(string[] args)
    {
        var info = AgentSessions.Testing.BuiltTool.StartInfo(args);

        // Never the developer's own store, whatever the environment says.
        info.Environment["AGENT_SESSIONS_HOME"] = UnusedHome;
        info.Environment["AGENT_SESSIONS_DURABILITY"] = "normal";
        info.Environment.Remove("ASPNETCORE_URLS");
        info.Environment.Remove("ASPNETCORE_ENVIRONMENT");
        return info;
    }
}
