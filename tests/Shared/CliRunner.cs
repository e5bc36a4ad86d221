using System.Diagnostics;
using System.Text.Json;

namespace AgentSessions.Testing;

/// <summary>
/// Runs the built agent-sessions tool as a separate process against one store, the way a user or a script does,
/// and kills it (its whole process tree) when it outlives <see cref="Timeout"/>.
/// </summary>
/// <remarks>
/// The one runner the CLI and server tests share. A hung child must not outlive its test: left running, it keeps
/// the store open and the test host waiting, and the next runs on this shared machine slow down for no visible reason.
/// </remarks>
public sealed class CliRunner(string storeDirectory)
{
    /// <summary>The store every run uses (as <c>AGENT_SESSIONS_HOME</c>).</summary>
    public string StoreDirectory { get; } = storeDirectory;

    /// <summary>The built tool's dll, for tests that start it through a shell.</summary>
    public static string Dll => BuiltTool.CliDll;

    /// <summary>How long one run may take before it is killed; 2 minutes unless set.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Variables set (or, when null, removed) for every run, before a run's own.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>The working directory of every run; the test host's unless set.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>What a run ended with.</summary>
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        /// <summary>Stdout parsed as JSON.</summary>
        public JsonElement Json => JsonDocument.Parse(Stdout).RootElement;

        /// <inheritdoc />
        public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
    }

    /// <summary>Runs with stdin closed.</summary>
    public Task<Result> RunAsync(params string[] args) => RunAsync(args, stdin: null);

    /// <summary>Runs with <paramref name="stdin"/> piped in (then closed) and extra environment variables.</summary>
    /// <exception cref="CliTimeoutException">The run did not end within <see cref="Timeout"/>; it was killed.</exception>
    public async Task<Result> RunAsync(string[] args, byte[]? stdin, IDictionary<string, string?>? environment = null)
    {
        var info = BuiltTool.StartInfo(args);
        info.Environment["AGENT_SESSIONS_HOME"] = StoreDirectory;
        if (WorkingDirectory is not null)
        {
            info.WorkingDirectory = WorkingDirectory;
        }

        info.Environment.Remove("AGENT_SESSIONS_DEBUG");
        foreach (var (key, value) in Environment.Concat(environment ?? new Dictionary<string, string?>()))
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            try
            {
                await process.StandardInput.BaseStream.WriteAsync(stdin);
            }
            catch (IOException)
            {
                // The tool stopped reading early (a size limit, say): its exit code and stderr tell why.
            }
        }

        try
        {
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // Closing flushes; a tool that already stopped reading makes that fail, which changes nothing here.
        }

        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new CliTimeoutException(args, Timeout, process.Id, await stdout, await stderr);
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs and insists on success, returning stdout trimmed.</summary>
    public async Task<string> OkAsync(params string[] args)
    {
        var result = await RunAsync(args);
        if (result.ExitCode != 0)
        {
            throw new Xunit.Sdk.XunitException($"agent-sessions {string.Join(' ', args)} failed: {result}");
        }

        return result.Stdout.Trim();
    }
}

/// <summary>A run of the tool that outlived its time and was killed, with what it had written by then.</summary>
public sealed class CliTimeoutException(IReadOnlyList<string> args, TimeSpan timeout, int processId, string stdout, string stderr)
    : TimeoutException($"agent-sessions {string.Join(' ', args)} was still running after {timeout.TotalSeconds:0.#} s and was killed (pid {processId})\nstdout: {stdout}\nstderr: {stderr}")
{
    /// <summary>The killed process.</summary>
    public int ProcessId { get; } = processId;
}
