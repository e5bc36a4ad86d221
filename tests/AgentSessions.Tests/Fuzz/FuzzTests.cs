using AgentSessions.Testing;
using Xunit;
using Xunit.Abstractions;

namespace AgentSessions.Tests.Fuzz;

/// <summary>The fuzz tests share one collection so they run one at a time: timings and memory figures stay honest.</summary>
[CollectionDefinition(Name)]
public sealed class FuzzCollection
{
    public const string Name = "Fuzz";
}

/// <summary>
/// Mutation fuzzing of everything that reads outside input: each importer, our own JSON/JSONL/base64 reader, the
/// JSON-RPC frame reader and CLI argument parsing. Every input must end within <see cref="Fuzzer.InputTimeout"/>
/// with a result or an <see cref="AgentSessionsException"/> (the frame reader and argument parsing may throw
/// nothing at all), every seed must be read, and memory must stay bounded. 3 s per target with a seed fixed per
/// target; <c>AGENT_SESSIONS_FUZZ_SECONDS</c> runs longer, <c>AGENT_SESSIONS_FUZZ_SEED=N</c> replays a printed seed
/// and <c>AGENT_SESSIONS_FUZZ_SEED=random</c> draws a fresh one.
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class FuzzTests(ITestOutputHelper output)
{
    public static TheoryData<string> Targets => [.. FuzzTargets.All.Keys];

    [Theory]
    [MemberData(nameof(Targets))]
    public Task Mutated_input_ends_with_a_result_or_an_AgentSessionsException(string target)
        => Fuzzer.FuzzAsync(FuzzTargets.Get(target), output);

    public static TheoryData<string> RegressionFiles
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var file in Directory.EnumerateFiles(RegressionDirectory).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetFileName(file));
            }

            return data;
        }
    }

    private static string RegressionDirectory => Path.Combine(SeedFixtures.RepositoryRoot, "tests", "AgentSessions.Tests", "Fuzz", "Regressions");

    /// <summary>Inputs that once failed, named <c>&lt;target&gt;--&lt;what&gt;.bin</c>; each must now pass.</summary>
    [Theory]
    [MemberData(nameof(RegressionFiles))]
    public async Task Inputs_that_once_failed_now_pass(string file)
    {
        var target = FuzzTargets.Get(file[..file.IndexOf("--", StringComparison.Ordinal)]);
        var result = await Fuzzer.CheckAsync(target, await File.ReadAllBytesAsync(Path.Combine(RegressionDirectory, file)), Fuzzer.InputTimeout);
        output.WriteLine($"{file}: {result}");
        Assert.True(result.IsAcceptable, $"{file}: {result}");
    }

    [Fact]
    public void Every_regression_file_names_a_target()
    {
        foreach (var file in Directory.EnumerateFiles(RegressionDirectory).Select(Path.GetFileName).Where(f => !f!.EndsWith(".md", StringComparison.Ordinal)))
        {
            var dash = file!.IndexOf("--", StringComparison.Ordinal);
            Assert.True(dash > 0 && FuzzTargets.All.ContainsKey(file[..dash]), $"{file}: name it <target>--<what>.bin with one of {string.Join(", ", FuzzTargets.All.Keys)}");
        }
    }

    [Fact]
    public void Targets_that_promise_to_throw_nothing_are_strict()
    {
        Assert.Equal(["cli-args", "rpc-frames"], FuzzTargets.All.Values.Where(t => t.ThrowsNothing).Select(t => t.Name).Order(StringComparer.Ordinal));
    }

    // The guards of the fuzzer itself, on made-up targets: each check must be able to fail.

    [Fact]
    public async Task A_strict_target_that_throws_an_AgentSessionsException_fails()
    {
        var input = "x"u8.ToArray();
        Task<string?> Refuse(byte[] _) => throw new AgentSessionsException(ErrorCode.Corrupt, "bad frame");

        var lenient = await Fuzzer.CheckAsync(new FuzzTarget("lenient", [input], Refuse), input, Fuzzer.InputTimeout);
        var strict = await Fuzzer.CheckAsync(new FuzzTarget("strict", [input], Refuse, ThrowsNothing: true), input, Fuzzer.InputTimeout);

        Assert.Equal(OutcomeKind.Rejected, lenient.Kind);
        Assert.Equal(OutcomeKind.Failed, strict.Kind);
        Assert.Contains("may throw nothing", strict.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_strict_target_counts_what_it_refuses_in_its_result_as_rejected()
    {
        var target = new FuzzTarget("in-band", ["x"u8.ToArray()], input => Task.FromResult<string?>(input.Length > 1 ? "too long" : null), ThrowsNothing: true);

        Assert.Equal(OutcomeKind.Read, (await Fuzzer.CheckAsync(target, "x"u8.ToArray(), Fuzzer.InputTimeout)).Kind);
        var refused = await Fuzzer.CheckAsync(target, "xy"u8.ToArray(), Fuzzer.InputTimeout);
        Assert.Equal((OutcomeKind.Rejected, "refused in its result: too long"), (refused.Kind, refused.Detail));
    }

    [Fact]
    public async Task A_seed_its_target_rejects_fails_the_run_and_is_named()
    {
        var target = new FuzzTarget("picky", ["good"u8.ToArray(), "bad seed"u8.ToArray()], input
            => input.Length == 4 ? Task.CompletedTask : throw new AgentSessionsException(ErrorCode.Corrupt, "not good"));

        var e = await Assert.ThrowsAnyAsync<Xunit.Sdk.XunitException>(() => Fuzzer.FuzzAsync(target, output));

        Assert.Contains("picky: seed 2 of 2 (8 bytes, starting \"bad seed\") is rejected", e.Message, StringComparison.Ordinal);
        Assert.Contains("not good", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_seed_is_fixed_per_target_unless_overridden_or_asked_to_be_random()
    {
        var (seed, source) = Fuzzer.ChooseSeed("agent-q", null);
        Assert.Equal(Fuzzer.FixedSeed("agent-q"), seed);
        Assert.Equal(seed, Fuzzer.ChooseSeed("agent-q", "").Seed);
        Assert.Contains("fixed", source, StringComparison.Ordinal);
        // FNV-1a of the name: the same on every machine and every run, and different for each target.
        Assert.Equal(FuzzTargets.All.Count, FuzzTargets.All.Keys.Select(Fuzzer.FixedSeed).Distinct().Count());
        Assert.Equal(592708320, Fuzzer.FixedSeed("agent-q"));

        Assert.Equal((12345, "from AGENT_SESSIONS_FUZZ_SEED"), Fuzzer.ChooseSeed("agent-q", "12345"));
        var randoms = Enumerable.Range(0, 8).Select(_ => Fuzzer.ChooseSeed("agent-q", "random")).ToList();
        Assert.All(randoms, r => Assert.Contains("random", r.Source, StringComparison.Ordinal));
        Assert.True(randoms.Select(r => r.Seed).Distinct().Count() > 1);
        Assert.Throws<InvalidOperationException>(() => Fuzzer.ChooseSeed("agent-q", "12x"));
    }
}
