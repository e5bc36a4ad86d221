using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Cli.Tests;

/// <summary>
/// What the tool writes into a pipe, the way a script or grep reads it: Spectre.Console wraps at 80 columns when it
/// has no terminal, which broke long lines in two where the user saw one.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PipeOutputTests : IDisposable
{
    private readonly TempDirectory _temp = TempDirectory.ForCaller();
    private readonly Cli _cli;

    public PipeOutputTests() => _cli = new Cli(_temp.Combine("store"));

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Show_into_a_pipe_never_breaks_a_long_line()
    {
        var words = string.Join(' ', Enumerable.Range(0, 500).Select(i => $"w{i:D3}"));
        var line = words[..2000];
        var project = _temp.Combine(string.Join('/', Enumerable.Range(0, 8).Select(i => $"a-rather-long-directory-name-{i}")));
        var title = "A title that goes on " + string.Join(' ', Enumerable.Repeat("and on", 30));
        var id = await _cli.OkAsync("new", "--title", title, "--project", project);
        await _cli.OkAsync("add", id, "--role", "assistant", "--content", line);
        await _cli.OkAsync("snapshot", id, "snap", "--description", title);

        var show = await _cli.RunAsync("show", id);
        var snapshots = await _cli.RunAsync("snapshots", id);
        var search = await _cli.RunAsync("search", "w001");

        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("\n" + line + "\n", show.Stdout, StringComparison.Ordinal);
        Assert.Contains(project, show.Stdout, StringComparison.Ordinal);
        Assert.Contains(title, show.Stdout, StringComparison.Ordinal);
        Assert.Contains(title, snapshots.Stdout, StringComparison.Ordinal);
        Assert.Contains(title, search.Stdout, StringComparison.Ordinal);
    }
}
