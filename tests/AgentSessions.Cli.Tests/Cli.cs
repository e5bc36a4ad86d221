using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace AgentSessions.Cli.Tests;

/// <summary>Runs the built agent-sessions tool as a separate process, the way a user or a script does.</summary>
internal sealed class Cli(string storeDirectory)
{
    public string StoreDirectory { get; } = storeDirectory;

    public static string Dll => AgentSessions.Testing.BuiltTool.CliDll;

    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public JsonElement Json => JsonDocument.Parse(Stdout).RootElement;

        public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
    }

    public Task<Result> RunAsync(params string[] args) => RunAsync(args, stdin: null);

    public async Task<Result> RunAsync(string[] args, byte[]? stdin, IDictionary<string, string?>? environment = null)
    {
        var info = AgentSessions.Testing.BuiltTool.StartInfo(args);

        info.Environment["AGENT_SESSIONS_HOME"] = StoreDirectory;
        info.Environment.Remove("AGENT_SESSIONS_DEBUG");
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
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
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            try
            {
                await process.StandardInput.BaseStream.WriteAsync(stdin);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The tool stopped reading early (a size limit, say): its exit code and stderr tell why.
            }
        }
        else
        {
            process.StandardInput.Close();
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
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
