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
/// with a result or an <see cref="AgentSessionsException"/>, and memory must stay bounded. ~5 s per target;
/// <c>AGENT_SESSIONS_FUZZ_SECONDS</c> runs longer and <c>AGENT_SESSIONS_FUZZ_SEED</c> replays a printed seed.
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
        output.WriteLine($"{file}: {(result.Length == 0 ? "read" : result)}");
        Assert.True(result is Fuzzer.Accepted.Read or Fuzzer.Accepted.Rejected, $"{file}: {result}");
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
}
