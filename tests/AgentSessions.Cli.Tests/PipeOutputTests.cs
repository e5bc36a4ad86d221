using System.Diagnostics;
using System.Text.Json.Nodes;
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
    private readonly CliRunner _cli;

    public PipeOutputTests() => _cli = new CliRunner(_temp.Combine("store"));

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

    [Fact]
    public async Task Output_redirected_to_a_file_moves_the_shared_offset_so_the_next_writer_appends()
    {
        // `{ agent-sessions show ID; echo AFTER; } > out.txt`: the shell's next command writes at the file's shared
        // offset. A stream writing at positions of its own left that offset at 0, and AFTER overwrote the output.
        var id = await _cli.OkAsync("new", "--title", "redirected");
        await _cli.OkAsync("add", id, "--role", "user", "--content", "first line of the session");
        var output = _temp.Combine("out.txt");
        var info = new ProcessStartInfo("bash")
        {
            ArgumentList = { "-c", "{ \"$0\" \"$1\" show \"$2\"; echo AFTER-MARKER; } > \"$3\"", "dotnet", BuiltTool.CliDll, id, output },
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["AGENT_SESSIONS_HOME"] = _cli.StoreDirectory;
        using var process = Process.Start(info)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(process.ExitCode == 0, stderr);
        var text = await File.ReadAllTextAsync(output);
        Assert.Contains("first line of the session", text, StringComparison.Ordinal);
        Assert.EndsWith("AFTER-MARKER\n", text, StringComparison.Ordinal);
        Assert.True(text.IndexOf("first line of the session", StringComparison.Ordinal) < text.IndexOf("AFTER-MARKER", StringComparison.Ordinal), text);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Show_into_a_pipe_that_head_closes_gives_the_first_lines_then_ends_quietly_with_141(bool json)
    {
        // 2,000 messages of 1 KB: far more than a pipe holds (64 KB), so the tool is still writing when the pipe closes.
        var id = "session-20260101-000000-pipeclosedxx1";
        var file = _temp.Combine("long.json");
        await File.WriteAllTextAsync(file, LongSessionExport(id, 2000, 1000));
        await _cli.OkAsync("import", file);
        var info = BuiltTool.StartInfo(json ? ["show", id, "--json"] : ["show", id]);
        info.Environment["AGENT_SESSIONS_HOME"] = _cli.StoreDirectory;

        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        // What `| head -n 3` does: read three lines, then close the pipe.
        var lines = new[] { await process.StandardOutput.ReadLineAsync(), await process.StandardOutput.ReadLineAsync(), await process.StandardOutput.ReadLineAsync() };
        process.StandardOutput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);

        if (json)
        {
            Assert.Equal(new[] { "{", $"  \"id\": \"{id}\",", "  \"title\": \"long\"," }, lines!);
        }
        else
        {
            Assert.StartsWith("── long ──", lines[0], StringComparison.Ordinal);
            Assert.Equal(["id", id], lines[1]!.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }

        // 141 = 128 + SIGPIPE, the code the shell reports for a writer whose reader went away: the tool noticed the
        // closed pipe and stopped, where it used to render the rest of the session into nothing and exit 0.
        Assert.True(process.ExitCode == 141, $"exit {process.ExitCode}; stderr: {await stderr}");
        Assert.Equal("", await stderr);
    }

    /// <summary>An agent-sessions JSON export of <paramref name="count"/> messages of about <paramref name="length"/> characters.</summary>
    internal static string LongSessionExport(string id, int count, int length)
    {
        var messages = new JsonArray();
        for (var i = 1; i <= count; i++)
        {
            var text = $"message {i} " + string.Concat(Enumerable.Repeat("lorem ipsum ", length / 12));
            messages.Add(new JsonObject
            {
                ["id"] = $"msg-20260101-000000-{i:D13}",
                ["seq"] = i,
                ["role"] = i % 2 == 1 ? "user" : "assistant",
                ["parts"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = text }),
                ["createdAt"] = "2026-01-01T00:00:00+00:00",
            });
        }

        var session = new JsonObject { ["id"] = id, ["title"] = "long", ["createdAt"] = "2026-01-01T00:00:00+00:00", ["updatedAt"] = "2026-01-01T00:00:00+00:00" };
        return new JsonObject { ["format"] = "agent-sessions", ["version"] = 2, ["session"] = session, ["messages"] = messages }.ToJsonString();
    }
}
