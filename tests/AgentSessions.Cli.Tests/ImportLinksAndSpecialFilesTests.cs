using System.Runtime.InteropServices;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Cli.Tests;

/// <summary>
/// Imports meet links and special files: links in a folder are not followed (one leading out of it could pull
/// any readable file into the store), and FIFOs, sockets and devices are never opened (a FIFO blocks open(2)).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ImportLinksAndSpecialFilesTests : IDisposable
{
    private readonly TempDirectory _temp = TempDirectory.ForCaller();

    public void Dispose() => _temp.Dispose();

    private string Store => _temp.Combine("store");

    private static string SessionJsonl(string id, string text)
        => """{"format":"agent-sessions-jsonl","version":2,"session":{"id":""" + $"\"{id}\"" + ""","title":"t","createdAt":"2026-01-01T00:00:00+00:00","updatedAt":"2026-01-01T00:00:00+00:00","tags":[],"metadata":{}}}""" + "\n"
           + """{"id":"msg-20260101-000000-0000000000001","seq":1,"role":"user","parts":[{"type":"text","text":""" + $"\"{text}\"" + """}],"createdAt":"2026-01-01T00:00:00+00:00","metadata":{}}""" + "\n";

    [Fact]
    public async Task A_folder_import_skips_a_fifo_without_opening_it()
    {
        var folder = Directory.CreateDirectory(_temp.Combine("in")).FullName;
        File.WriteAllText(Path.Combine(folder, "a.jsonl"), SessionJsonl("session-20260101-000000-0000000000001", "kept"));
        var fifo = Path.Combine(folder, "b.jsonl");
        Assert.Equal(0, MakeFifo(fifo, 0x180));

        var result = await RunAsync("import", folder);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("session-20260101-000000-0000000000001", result.Stdout.Trim());
        Assert.Contains($"skipped {fifo}: a FIFO (named pipe), not a regular file; not opened", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("1 imported, 1 skipped, 0 failed", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fifo_named_on_the_command_line_is_refused_in_one_line()
    {
        var fifo = _temp.Combine("session.json");
        Assert.Equal(0, MakeFifo(fifo, 0x180));

        var result = await RunAsync("import", fifo);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal($"agent-sessions: error: '{fifo}' is a FIFO (named pipe), not a file or a folder; imports read only regular files", result.Stderr.Trim());
    }

    [Fact]
    public async Task A_device_named_on_the_command_line_is_refused_in_one_line()
    {
        var result = await RunAsync("import", "--format", "superqode", "/dev/zero");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal("agent-sessions: error: '/dev/zero' is a character device, not a file or a folder; imports read only regular files", result.Stderr.Trim());
    }

    [Fact]
    public async Task A_folder_import_refuses_a_link_leading_outside_the_folder_with_a_note()
    {
        var folder = Directory.CreateDirectory(_temp.Combine("in")).FullName;
        File.WriteAllText(Path.Combine(folder, "a.jsonl"), SessionJsonl("session-20260101-000000-0000000000001", "kept"));
        var secret = _temp.Combine("secret.jsonl");
        File.WriteAllText(secret, SessionJsonl("session-20260101-000000-0000000000002", "SECRET-TOKEN"));
        var link = Path.Combine(folder, "b.jsonl");
        File.CreateSymbolicLink(link, secret);

        var result = await RunAsync("import", folder);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"skipped {link}: refused: a symbolic link to '{secret}', outside the folder being imported; links are not followed", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("no matches", (await RunAsync("search", "SECRET")).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_copilot_workspace_yaml_linking_outside_is_not_read_and_the_summary_says_so()
    {
        var session = Directory.CreateDirectory(_temp.Combine("session-state", "linked-session")).FullName;
        File.WriteAllText(Path.Combine(session, "events.jsonl"), """
            {"type":"session.start","data":{"sessionId":"linked-session","startTime":"2026-05-01T10:00:00Z","context":{"cwd":"/w"}},"id":"e1","timestamp":"2026-05-01T10:00:00Z","parentId":null}
            {"type":"user.message","data":{"content":"hello","messageId":"m1"},"id":"e2","timestamp":"2026-05-01T10:00:01Z","parentId":"e1"}

            """);
        var secret = _temp.Combine("secret.yaml");
        File.WriteAllText(secret, "name: SECRET-TOKEN\nsummary: SECRET-TOKEN\n");
        File.CreateSymbolicLink(Path.Combine(session, "workspace.yaml"), secret);

        var result = await RunAsync("import", _temp.Combine("session-state"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"imported linked-session (copilot-cli) from {session}; workspace.yaml not read: refused: a symbolic link to '{secret}', outside", result.Stderr, StringComparison.Ordinal);
        var exported = await RunAsync("export", "linked-session");
        Assert.True(exported.ExitCode == 0, exported.ToString());
        Assert.DoesNotContain("SECRET", exported.Stdout, StringComparison.Ordinal);
    }

    /// <summary>Runs the tool, killing it if it has not ended within 30 seconds (a blocked open, say).</summary>
    private Task<CliRunner.Result> RunAsync(params string[] args)
        => new CliRunner(Store) { Timeout = TimeSpan.FromSeconds(30), Environment = new Dictionary<string, string?> { ["AGENT_SESSIONS_DURABILITY"] = "normal" } }.RunAsync(args);

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MakeFifo([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int mode);
}
