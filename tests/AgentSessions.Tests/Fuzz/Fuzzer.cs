using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Xunit;
using Xunit.Abstractions;

namespace AgentSessions.Tests.Fuzz;

/// <summary>One thing to fuzz: valid seed inputs, and a call that must end with a result or an <see cref="AgentSessionsException"/>.</summary>
/// <param name="Name">The target's name; regression files start with it.</param>
/// <param name="Seeds">Valid inputs the mutations start from.</param>
/// <param name="Run">Reads one input; any exception other than <see cref="AgentSessionsException"/> is a bug.</param>
/// <param name="Tokens">Extra tokens of this format for the mutator.</param>
internal sealed record FuzzTarget(string Name, IReadOnlyList<byte[]> Seeds, Func<byte[], Task> Run, IReadOnlyList<byte[]>? Tokens = null);

/// <summary>Runs a target on mutated inputs for a bounded time and checks the properties every input must keep.</summary>
internal static class Fuzzer
{
    /// <summary>How long one input may run before it counts as hung.</summary>
    public static readonly TimeSpan InputTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The most one input may allocate; inputs are at most <see cref="Mutator.MaxLength"/> bytes.</summary>
    public const long MaxAllocatedPerInput = 512L * 1024 * 1024;

    /// <summary>How much live memory a whole run may leave behind.</summary>
    public const long MaxRetainedPerRun = 256L * 1024 * 1024;

    /// <summary>Seconds per target: <c>AGENT_SESSIONS_FUZZ_SECONDS</c>, default 3 (about a minute for all targets in CI).</summary>
    public static TimeSpan Budget
        => TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable("AGENT_SESSIONS_FUZZ_SECONDS"), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 3);

    /// <summary><c>AGENT_SESSIONS_FUZZ_SEED</c> to replay a run, else a fresh seed (printed).</summary>
    public static int NewSeed()
        => int.TryParse(Environment.GetEnvironmentVariable("AGENT_SESSIONS_FUZZ_SEED"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed) ? seed : Random.Shared.Next();

    public static async Task FuzzAsync(FuzzTarget target, ITestOutputHelper output)
    {
        var seed = NewSeed();
        var budget = Budget;
        output.WriteLine($"fuzz target {target.Name}: seed {seed} (AGENT_SESSIONS_FUZZ_SEED={seed} replays it), budget {budget.TotalSeconds:0.#} s");

        // The seeds themselves first: they must pass (and this warms up the JIT before the clock matters).
        foreach (var input in target.Seeds)
        {
            Report(target, seed, -1, input, await CheckAsync(target, input, TimeSpan.FromSeconds(30)));
        }

        var retainedBefore = GC.GetTotalMemory(forceFullCollection: true);
        var mutator = new Mutator(new Random(seed), target.Seeds, target.Tokens);
        var clock = Stopwatch.StartNew();
        var iterations = 0;
        var rejected = 0;
        while (clock.Elapsed < budget)
        {
            var input = mutator.Next();
            var problem = await CheckAsync(target, input, InputTimeout);
            if (problem == Accepted.Rejected)
            {
                rejected++;
            }

            Report(target, seed, iterations, input, problem);
            iterations++;
        }

        clock.Stop();
        var retained = GC.GetTotalMemory(forceFullCollection: true) - retainedBefore;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fuzz target {target.Name}: {iterations} inputs in {clock.Elapsed.TotalSeconds:0.0} s ({iterations / clock.Elapsed.TotalSeconds:0} /s), {rejected} rejected with AgentSessionsException, {iterations - rejected} accepted, retained {retained / 1024} KiB"));
        Assert.True(retained < MaxRetainedPerRun, $"{target.Name}: {retained} bytes still live after the run (seed {seed})");
    }

    /// <summary>The outcomes that are fine; anything else returned by <see cref="CheckAsync"/> describes a failure.</summary>
    public static class Accepted
    {
        public const string Read = "";
        public const string Rejected = "rejected";
    }

    /// <summary>Runs one input; returns <see cref="Accepted.Read"/>, <see cref="Accepted.Rejected"/> or what went wrong.</summary>
    public static async Task<string> CheckAsync(FuzzTarget target, byte[] input, TimeSpan timeout)
    {
        for (var attempt = 1; ; attempt++)
        {
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
            var task = Task.Run(() => target.Run(input));
            if (await Task.WhenAny(task, Task.Delay(timeout)).ConfigureAwait(false) != task)
            {
                if (attempt < 2)
                {
                    // A GC pause or a busy machine can stall one run; a hang or a blow-up stalls every run.
                    await Task.WhenAny(task, Task.Delay(timeout * 5)).ConfigureAwait(false);
                    continue;
                }

                return $"did not end within {timeout.TotalSeconds:0.#} s (twice)";
            }

            var allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (AgentSessionsException)
            {
                return allocated > MaxAllocatedPerInput ? $"allocated {allocated} bytes before rejecting a {input.Length}-byte input" : Accepted.Rejected;
            }
            catch (Exception e)
            {
                return $"threw {e.GetType().FullName}: {e.Message}\n{e.StackTrace}";
            }

            return allocated > MaxAllocatedPerInput ? $"allocated {allocated} bytes reading a {input.Length}-byte input" : Accepted.Read;
        }
    }

    private static void Report(FuzzTarget target, int seed, int iteration, byte[] input, string problem)
    {
        if (problem is Accepted.Read or Accepted.Rejected)
        {
            return;
        }

        // Keep the input so it can be replayed and added to Fuzz/Regressions as <target>--<what>.bin.
        var hash = Convert.ToHexStringLower(SHA256.HashData(input))[..12];
        var directory = Path.Combine(Path.GetTempPath(), "agent-sessions-fuzz-failures");
        Directory.CreateDirectory(directory);
        var file = Path.Combine(directory, $"{target.Name}--{hash}.bin");
        File.WriteAllBytes(file, input);
        var shown = input.Length <= 2048 ? "\nbase64: " + Convert.ToBase64String(input) : "";
        Assert.Fail($"{target.Name}: seed {seed}, iteration {iteration}, {input.Length}-byte input saved to {file}: {problem}{shown}");
    }
}
