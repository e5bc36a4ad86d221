using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace AgentSessions.Tests.Fuzz;

/// <summary>One thing to fuzz: valid seed inputs, and a call that must end with a result or an <see cref="AgentSessionsException"/>.</summary>
/// <param name="Name">The target's name; regression files start with it, and the default seed is derived from it.</param>
/// <param name="Seeds">Valid inputs the mutations start from; each must be read, not refused, or the target tests nothing.</param>
/// <param name="Read">
/// Reads one input and returns null, or why it refused the input in its result (a malformed frame, a parse error);
/// any exception other than <see cref="AgentSessionsException"/> is a bug.
/// </param>
/// <param name="Tokens">Extra tokens of this format for the mutator.</param>
/// <param name="ThrowsNothing">
/// The target promises to throw nothing at all, and reports bad input in its result, so an
/// <see cref="AgentSessionsException"/> is a failure too: the JSON-RPC frame reader and CLI argument parsing.
/// </param>
internal sealed record FuzzTarget(string Name, IReadOnlyList<byte[]> Seeds, Func<byte[], Task<string?>> Read, IReadOnlyList<byte[]>? Tokens = null, bool ThrowsNothing = false)
{
    /// <summary>A target that refuses bad input by throwing <see cref="AgentSessionsException"/> (every reader of files).</summary>
    public FuzzTarget(string name, IReadOnlyList<byte[]> seeds, Func<byte[], Task> run, IReadOnlyList<byte[]>? tokens = null)
        : this(name, seeds, async input =>
        {
            await run(input).ConfigureAwait(false);
            return null;
        }, tokens)
    {
    }
}

/// <summary>How one input ended.</summary>
internal enum OutcomeKind
{
    /// <summary>The target returned a result.</summary>
    Read,

    /// <summary>The target refused the input: with an <see cref="AgentSessionsException"/> (allowed unless it throws nothing) or in its result.</summary>
    Rejected,

    /// <summary>A bug: another exception, a hang, too much memory, or any exception from a target that throws nothing.</summary>
    Failed,
}

/// <summary>How one input ended, with the rejection's message or what went wrong.</summary>
internal readonly record struct Outcome(OutcomeKind Kind, string Detail)
{
    public static readonly Outcome Read = new(OutcomeKind.Read, "");

    public bool IsAcceptable => Kind != OutcomeKind.Failed;

    public override string ToString() => Kind == OutcomeKind.Read ? "read" : $"{Kind.ToString().ToLowerInvariant()}: {Detail}";
}

/// <summary>Runs a target on mutated inputs for a bounded time and checks the properties every input must keep.</summary>
internal static class Fuzzer
{
    /// <summary>How long one input may run before it counts as hung.</summary>
    public static readonly TimeSpan InputTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The most one input may allocate; inputs are at most <see cref="Mutator.MaxLength"/> bytes.</summary>
    public const long MaxAllocatedPerInput = 512L * 1024 * 1024;

    /// <summary>How much live memory a whole run may leave behind.</summary>
    public const long MaxRetainedPerRun = 256L * 1024 * 1024;

    /// <summary>The environment variable that overrides the seed: an integer replays a run, <c>random</c> draws a fresh one.</summary>
    public const string SeedVariable = "AGENT_SESSIONS_FUZZ_SEED";

    /// <summary>Seconds per target: <c>AGENT_SESSIONS_FUZZ_SECONDS</c>, default 3 (about a minute for all targets in CI).</summary>
    public static TimeSpan Budget
        => TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable("AGENT_SESSIONS_FUZZ_SECONDS"), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 3);

    /// <summary>
    /// The seed of a run: by default fixed per target (<see cref="FixedSeed"/>), so every CI run starts the same
    /// mutations and a failure there fails again when rerun; <c>AGENT_SESSIONS_FUZZ_SEED=N</c> replays a printed
    /// seed; <c>AGENT_SESSIONS_FUZZ_SEED=random</c> (for long campaigns) draws a fresh one, printed like any other.
    /// </summary>
    /// <exception cref="InvalidOperationException">Any other value: a typo must not quietly run some other seed.</exception>
    public static (int Seed, string Source) ChooseSeed(string targetName, string? setting)
    {
        if (string.IsNullOrWhiteSpace(setting))
        {
            return (FixedSeed(targetName), "fixed for this target");
        }

        if (setting.Trim().Equals("random", StringComparison.OrdinalIgnoreCase))
        {
            return (Random.Shared.Next(), $"random: {SeedVariable}=random");
        }

        return int.TryParse(setting, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed)
            ? (seed, $"from {SeedVariable}")
            : throw new InvalidOperationException($"{SeedVariable}={setting}: expected an integer seed or 'random'");
    }

    /// <summary>The default seed of a target: FNV-1a of its name, the same on every run, machine and .NET version.</summary>
    public static int FixedSeed(string targetName)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(targetName))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return (int)(hash & int.MaxValue);
    }

    public static async Task FuzzAsync(FuzzTarget target, ITestOutputHelper output)
    {
        var (seed, source) = ChooseSeed(target.Name, Environment.GetEnvironmentVariable(SeedVariable));
        var budget = Budget;
        output.WriteLine($"fuzz target {target.Name}: seed {seed} ({source}; {SeedVariable}={seed} replays it), budget {budget.TotalSeconds:0.#} s"
            + (target.ThrowsNothing ? ", throws nothing (an AgentSessionsException fails too)" : ""));

        // The seeds themselves first: each must be read, not merely survive (and this warms up the JIT before the
        // clock matters). A seed the target rejects tests nothing: its mutations die at the same check.
        for (var i = 0; i < target.Seeds.Count; i++)
        {
            var input = target.Seeds[i];
            var outcome = await CheckAsync(target, input, TimeSpan.FromSeconds(30));
            if (outcome.Kind == OutcomeKind.Rejected)
            {
                Assert.Fail($"{target.Name}: seed {i + 1} of {target.Seeds.Count} ({input.Length} bytes, starting {Preview(input)}) is rejected, so it tests nothing: {outcome.Detail}");
            }

            Report(target, seed, $"seed input {i + 1} of {target.Seeds.Count}", input, outcome);
        }

        var retainedBefore = GC.GetTotalMemory(forceFullCollection: true);
        var mutator = new Mutator(new Random(seed), target.Seeds, target.Tokens);
        var clock = Stopwatch.StartNew();
        var iterations = 0;
        var rejected = 0;
        while (clock.Elapsed < budget)
        {
            var input = mutator.Next();
            var outcome = await CheckAsync(target, input, InputTimeout);
            if (outcome.Kind == OutcomeKind.Rejected)
            {
                rejected++;
            }

            Report(target, seed, $"iteration {iterations}", input, outcome);
            iterations++;
        }

        clock.Stop();
        var retained = GC.GetTotalMemory(forceFullCollection: true) - retainedBefore;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fuzz target {target.Name}: {iterations} inputs in {clock.Elapsed.TotalSeconds:0.0} s ({iterations / clock.Elapsed.TotalSeconds:0} /s), {rejected} rejected ({(target.ThrowsNothing ? "in the result" : "with AgentSessionsException")}), {iterations - rejected} accepted, retained {retained / 1024} KiB"));
        Assert.True(retained < MaxRetainedPerRun, $"{target.Name}: {retained} bytes still live after the run (seed {seed})");
    }

    /// <summary>Runs one input and says how it ended.</summary>
    public static async Task<Outcome> CheckAsync(FuzzTarget target, byte[] input, TimeSpan timeout)
    {
        for (var attempt = 1; ; attempt++)
        {
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
            var task = Task.Run(() => target.Read(input));
            if (await Task.WhenAny(task, Task.Delay(timeout)).ConfigureAwait(false) != task)
            {
                if (attempt < 2)
                {
                    // A GC pause or a busy machine can stall one run; a hang or a blow-up stalls every run.
                    await Task.WhenAny(task, Task.Delay(timeout * 5)).ConfigureAwait(false);
                    continue;
                }

                return Failed($"did not end within {timeout.TotalSeconds:0.#} s (twice)");
            }

            var allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;
            string? refusal;
            try
            {
                refusal = await task.ConfigureAwait(false);
            }
            catch (AgentSessionsException e) when (target.ThrowsNothing)
            {
                return Failed($"threw AgentSessionsException ({e.Code}), but this target may throw nothing: {e.Message}\n{e.StackTrace}");
            }
            catch (AgentSessionsException e)
            {
                return allocated > MaxAllocatedPerInput
                    ? Failed($"allocated {allocated} bytes before rejecting a {input.Length}-byte input")
                    : new Outcome(OutcomeKind.Rejected, $"{e.Code}: {e.Message}");
            }
            catch (Exception e)
            {
                return Failed($"threw {e.GetType().FullName}: {e.Message}\n{e.StackTrace}");
            }

            return allocated > MaxAllocatedPerInput ? Failed($"allocated {allocated} bytes reading a {input.Length}-byte input")
                : refusal is null ? Outcome.Read
                : new Outcome(OutcomeKind.Rejected, $"refused in its result: {refusal}");
        }
    }

    private static Outcome Failed(string problem) => new(OutcomeKind.Failed, problem);

    private static string Preview(byte[] input)
        => "\"" + Encoding.UTF8.GetString(input, 0, Math.Min(input.Length, 60)).Replace("\0", "\\0", StringComparison.Ordinal).ReplaceLineEndings("\\n") + "\"";

    private static void Report(FuzzTarget target, int seed, string where, byte[] input, Outcome outcome)
    {
        if (outcome.IsAcceptable)
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
        Assert.Fail($"{target.Name}: seed {seed}, {where}, {input.Length}-byte input saved to {file}: {outcome.Detail}{shown}");
    }
}
