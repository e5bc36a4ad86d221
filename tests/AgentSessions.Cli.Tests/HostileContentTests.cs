using System.Text;
using System.Text.Json.Nodes;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Cli.Tests;

/// <summary>
/// Stored text is written by whoever wrote the session (a model, a tool, an imported file), so the human-readable
/// output must never hand it to the terminal as commands: no escape sequences, no C1 controls, no BEL, no lone CR,
/// no bidi overrides. Each test runs the built tool into a pipe and reads the bytes it wrote.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class HostileContentTests : IDisposable
{
    /// <summary>OSC 52 (write the clipboard, ended by BEL), clear screen, cursor up and erase line, an 8-bit CSI, a lone CR, DEL and a bidi override.</summary>
    internal const string Hostile = "ok\u001b]52;c;aGk=\u0007 clip \u001b[2J wipe \u001b[1A\u001b[2K forge \u009b31m csi cr\rover del\u007f \u202eevil\u202c \u2066iso\u2069 end";

    /// <summary>How <see cref="Hostile"/> reads once neutralised (docs/cli.md, "Control characters and line breaks").</summary>
    internal const string Visible = @"ok\x1b]52;c;aGk=\x07 clip \x1b[2J wipe \x1b[1A\x1b[2K forge \x9b31m csi cr\rover del\x7f \u202eevil\u202c \u2066iso\u2069 end";

    /// <summary>A message body: the hostile line, then a tab and newlines (which stay as they are) and a CRLF (kept: it only ends a line).</summary>
    private const string HostileText = Hostile + "\tafter a tab\nsecond line\r\nthird line";

    private readonly TempDirectory _temp = TempDirectory.ForCaller();
    private readonly CliRunner _cli;

    public HostileContentTests() => _cli = new CliRunner(_temp.Combine("store"));

    public void Dispose() => _temp.Dispose();

    /// <summary>
    /// Fails when <paramref name="output"/> holds anything a terminal acts on other than tab and newline: C0 controls
    /// (ESC 0x1B, BEL 0x07, ...), a CR not followed by LF, DEL 0x7F, C1 controls (U+0080-U+009F, in UTF-8 C2 80-C2 9F,
    /// U+009B being the 8-bit CSI) and the bidi embeddings, overrides and isolates. The tool writes UTF-8, so a code
    /// point found here is exactly the bytes it wrote.
    /// </summary>
    internal static void AssertNoTerminalControls(string output, string what)
    {
        for (var i = 0; i < output.Length; i++)
        {
            var c = output[i];
            var allowed = c is '\t' or '\n' || (c == '\r' && i + 1 < output.Length && output[i + 1] == '\n');
            var dangerous = !allowed && (c < ' ' || c is >= '\u007f' and <= '\u009f' || c is >= '\u202a' and <= '\u202e' || c is >= '\u2066' and <= '\u2069');
            Assert.False(dangerous, $"{what} wrote U+{(int)c:X4} at {i}: ...{output[Math.Max(0, i - 30)..Math.Min(output.Length, i + 30)]}...");
        }
    }

    /// <summary>A session whose title, tags, model, author, text, reasoning, tool call and tool result are all hostile.</summary>
    private async Task<string> SeedHostileSessionAsync()
    {
        const string id = "hostile";
        var archive = new JsonObject
        {
            ["format"] = "agent-sessions",
            ["version"] = 2,
            ["session"] = new JsonObject
            {
                ["id"] = id,
                ["title"] = Hostile,
                ["model"] = Hostile,
                ["tags"] = new JsonArray("tag\u202eevil"),
                ["createdAt"] = "2026-01-01T00:00:00Z",
                ["updatedAt"] = "2026-01-01T00:00:00Z",
                ["metadata"] = new JsonObject(),
            },
            ["messages"] = new JsonArray(
                new JsonObject
                {
                    ["id"] = "msg-1",
                    ["seq"] = 1,
                    ["role"] = "assistant",
                    ["authorName"] = Hostile,
                    ["createdAt"] = "2026-01-01T00:00:00Z",
                    ["metadata"] = new JsonObject(),
                    ["parts"] = new JsonArray(
                        new JsonObject { ["type"] = "text", ["text"] = HostileText },
                        new JsonObject { ["type"] = "reasoning", ["text"] = HostileText },
                        new JsonObject { ["type"] = "toolCall", ["callId"] = "call\u001b[2J", ["name"] = Hostile, ["arguments"] = new JsonObject { ["q"] = Hostile } }),
                },
                new JsonObject
                {
                    ["id"] = "msg-2",
                    ["seq"] = 2,
                    ["role"] = "tool",
                    ["createdAt"] = "2026-01-01T00:00:01Z",
                    ["metadata"] = new JsonObject(),
                    ["parts"] = new JsonArray(new JsonObject { ["type"] = "toolResult", ["callId"] = "call\u001b[2J", ["result"] = HostileText }),
                }),
        };
        var file = _temp.Combine("hostile.json");
        await File.WriteAllTextAsync(file, archive.ToJsonString());
        var imported = await _cli.RunAsync("import", file);
        Assert.True(imported.ExitCode == 0, imported.ToString());
        return id;
    }

    [Fact]
    public async Task Show_makes_control_characters_visible_in_text_titles_tool_results_and_history_but_json_keeps_them_exact()
    {
        var id = await SeedHostileSessionAsync();
        // The reproduction from the issue: an OSC 52 clipboard write piped into add.
        var added = await _cli.RunAsync(["add", id, "--role", "assistant"], Encoding.UTF8.GetBytes("a\u001b]52;c;aGk=\u0007b"));
        Assert.True(added.ExitCode == 0, added.ToString());
        await _cli.OkAsync("bookmark", id, "mark", "--at", "1", "--note", Hostile);
        await _cli.OkAsync("snapshot", id, "snap", "--description", Hostile);
        await _cli.OkAsync("tool", id, "--name", Hostile, "--agent", Hostile, "--result", Hostile);
        await _cli.OkAsync("file", id, "src/\u202etxt.exe", "--agent", "a");

        var show = await _cli.RunAsync("show", id);

        Assert.True(show.ExitCode == 0, show.ToString());
        AssertNoTerminalControls(show.Stdout, "show");
        Assert.Contains(Visible + "\tafter a tab\nsecond line\r\nthird line\n", show.Stdout, StringComparison.Ordinal);
        Assert.Contains(@"a\x1b]52;c;aGk=\x07b", show.Stdout, StringComparison.Ordinal);
        Assert.Contains(@"tag\u202eevil", show.Stdout, StringComparison.Ordinal);
        Assert.Contains(@"src/\u202etxt.exe", show.Stdout, StringComparison.Ordinal);
        Assert.Contains(@"call\x1b[2J", show.Stdout, StringComparison.Ordinal);
        Assert.True(show.Stdout.Split(Visible).Length >= 7, "title, model, author, text, reasoning, tool call and tool result all appear visibly:\n" + show.Stdout);

        var json = (await _cli.RunAsync("show", id, "--json")).Json;
        Assert.Equal(Hostile, json.GetProperty("title").GetString());
        var messages = json.GetProperty("messages");
        Assert.Equal(HostileText, messages[0].GetProperty("parts")[0].GetProperty("text").GetString());
        Assert.Equal(HostileText, messages[1].GetProperty("parts")[0].GetProperty("result").GetString());
        Assert.Equal("a\u001b]52;c;aGk=\u0007b", messages[2].GetProperty("text").GetString());
        Assert.Equal(Hostile, json.GetProperty("bookmarks")[0].GetProperty("note").GetString());
    }

    [Fact]
    public async Task List_shows_hostile_titles_and_tags_visibly_on_their_own_line()
    {
        var id = await SeedHostileSessionAsync();
        await _cli.OkAsync("new", "--id", "second", "--title", "two\nlines\ttabbed");

        var list = await _cli.RunAsync("list");

        AssertNoTerminalControls(list.Stdout, "list");
        var lines = list.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Contains(lines, l => l.StartsWith(id, StringComparison.Ordinal) && l.Contains(@"ok\x1b]52;c;aGk=\x07 clip \x1b[2J", StringComparison.Ordinal) && l.Contains(@"tag\u202eevil", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("second", StringComparison.Ordinal) && l.Contains(@"two\nlines\ttabbed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Search_hits_show_hostile_titles_and_snippets_visibly()
    {
        await SeedHostileSessionAsync();

        var search = await _cli.RunAsync("search", "evil");

        Assert.True(search.ExitCode == 0, search.ToString());
        AssertNoTerminalControls(search.Stdout, "search");
        Assert.Contains(Visible, search.Stdout, StringComparison.Ordinal);
        Assert.Contains(@"\u202eevil", search.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_shows_hostile_model_names_visibly()
    {
        var id = await _cli.OkAsync("new", "--title", "t");
        await _cli.OkAsync("add", id, "--role", "assistant", "--content", "hi", "--model", "m\u001b]0;pwned\u0007\u009b2J\u202e", "--output-tokens", "5");

        var stats = await _cli.RunAsync("stats");

        Assert.True(stats.ExitCode == 0, stats.ToString());
        AssertNoTerminalControls(stats.Stdout, "stats");
        Assert.Contains(@"m\x1b]0;pwned\x07\x9b2J\u202e", stats.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bookmarks_and_snapshots_show_hostile_notes_and_descriptions_visibly()
    {
        var id = await _cli.OkAsync("new", "--title", "t");
        await _cli.OkAsync("add", id, "--role", "user", "--content", "hi");
        await _cli.OkAsync("bookmark", id, "mark", "--note", Hostile + "\tnot a column");
        await _cli.OkAsync("snapshot", id, "snap", "--description", Hostile);

        var bookmarks = await _cli.RunAsync("bookmarks", id);
        var snapshots = await _cli.RunAsync("snapshots", id);

        AssertNoTerminalControls(bookmarks.Stdout, "bookmarks");
        AssertNoTerminalControls(snapshots.Stdout, "snapshots");
        // A tab inside the note would add a column to the tab-separated lines: it is shown as \t.
        Assert.EndsWith("\t" + Visible + @"\tnot a column" + "\n", bookmarks.Stdout, StringComparison.Ordinal);
        Assert.Contains(Visible, snapshots.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Info_shows_a_hostile_store_path_visibly()
    {
        var store = _temp.Combine("store\u001b]52;c;aGk=\u0007\u202e");
        var info = await new CliRunner(store).RunAsync("info");

        Assert.True(info.ExitCode == 0, info.ToString());
        AssertNoTerminalControls(info.Stdout, "info");
        Assert.Contains(@"store\x1b]52;c;aGk=\x07\u202e", info.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Error_messages_quote_hostile_user_text_visibly()
    {
        var id = await _cli.OkAsync("new", "--title", "t");

        var noBookmark = await _cli.RunAsync("show", id, "--since", Hostile);
        var noShare = await _cli.RunAsync("unshare", Hostile);
        var unknownCommand = await _cli.RunAsync(Hostile);

        foreach (var (result, name) in new[] { (noBookmark, "show --since"), (noShare, "unshare"), (unknownCommand, "an unknown command") })
        {
            Assert.NotEqual(0, result.ExitCode);
            AssertNoTerminalControls(result.Stderr, name);
            Assert.Contains(Visible, result.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Import_summaries_show_hostile_file_names_visibly()
    {
        var id = await _cli.OkAsync("new", "--title", "t");
        await _cli.OkAsync("add", id, "--role", "user", "--content", "hi");
        var folder = _temp.Combine("in");
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, "x\u001b[2J\u009b1A\u202e.json");
        var exported = await _cli.RunAsync("export", id, "--output", file);
        Assert.True(exported.ExitCode == 0, exported.ToString());

        var import = await new CliRunner(_temp.Combine("other")).RunAsync("import", folder);

        Assert.True(import.ExitCode == 0, import.ToString());
        AssertNoTerminalControls(import.Stderr, "import");
        Assert.Contains(@"x\x1b[2J\x9b1A\u202e.json", import.Stderr, StringComparison.Ordinal);
        AssertNoTerminalControls(exported.Stderr, "export");
    }
}
