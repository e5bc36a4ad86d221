using System.Text.Json;

namespace AgentSessions.Server.Tests.Pages;

/// <summary>Sessions the page tests look at.</summary>
internal static class Seed
{
    public const string HostileScript = "<script>window.pwned=1</script>";
    public const string HostileImage = "<img src=x onerror=\"window.pwned=2\">";
    public const string HostileLink = "[x](javascript:window.pwned=3)";

    /// <summary>A realistic session: Markdown, reasoning, a tool call and its result, tokens, tags.</summary>
    public static async Task<Session> BuildSessionAsync(PageServer server)
    {
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-30);
        var session = await server.CreateSessionAsync("Fix the flaky build", [
            new NewMessage(MessageRole.User, "The CI build is **flaky** on Linux.\nCan you look at `build.sh`?") { CreatedAt = t0, InputTokens = 42 },
            new NewMessage(MessageRole.Assistant, [
                new ReasoningPart("The user wants the flaky test found first."),
                new TextPart("Let me read the script."),
                new ToolCallPart("call-1", "read_file", JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["path"] = "build.sh" })),
            ]) { CreatedAt = t0.AddMinutes(1), OutputTokens = 17, Model = "gpt-test" },
            new NewMessage(MessageRole.Tool, [new ToolResultPart("call-1", JsonSerializer.SerializeToElement("#!/bin/sh\nmake -j test"))]) { CreatedAt = t0.AddMinutes(2) },
            new NewMessage(MessageRole.Assistant, """
                The race is in `make -j`. Run the tests serially:

                ```sh
                make -j1 test
                ```

                | Option | Effect |
                |--------|--------|
                | -j1    | serial |

                See [the manual](https://www.gnu.org/software/make/manual/) for more.
                """) { CreatedAt = t0.AddMinutes(3), InputTokens = 100, OutputTokens = 250, Model = "gpt-test" },
        ], ["build", "ci"]);
        await server.Store.CreateSnapshotAsync(session.Id, "diagnosed", "race found");
        await server.Store.AddBookmarkAsync(session.Id, "the-fix", 4, "serial make");
        return session;
    }

    /// <summary>A session whose messages try to run script in every way the spec names.</summary>
    public static Task<Session> HostileSessionAsync(PageServer server)
        => server.CreateSessionAsync("Hostile content", [
            new NewMessage(MessageRole.User, HostileScript),
            new NewMessage(MessageRole.Assistant, HostileImage),
            new NewMessage(MessageRole.User, HostileLink + " and <javascript:window.pwned=4> and [y](JaVaScRiPt:window.pwned=5) and ![z](javascript:window.pwned=6)"),
            new NewMessage(MessageRole.Assistant, [new ToolCallPart("c\"><script>window.pwned=7</script>", "<b onmouseover=\"window.pwned=8\">tool</b>", null)]),
        ]);

    /// <summary>
    /// Markdown nested far past any sensible depth, each case by name: deep enough to trip a parser's or a
    /// renderer's nesting limit, or to cost it quadratic time.
    /// </summary>
    public static IReadOnlyList<(string Name, string Markdown)> DeeplyNested { get; } =
    [
        ("quotes", new string('>', 200) + " deep quote"),
        ("quotes on lines", string.Concat(Enumerable.Range(1, 200).Select(i => new string('>', i) + " line " + i + "\n"))),
        ("indented list", string.Concat(Enumerable.Range(0, 200).Select(i => new string(' ', 2 * i) + "- level " + i + "\n"))),
        ("list markers", string.Concat(Enumerable.Repeat("- ", 200)) + "deep item"),
        ("mixed containers", string.Concat(Enumerable.Repeat("> - ", 150)) + "deep mix"),
        ("brackets", new string('[', 5000) + "x" + new string(']', 5000) + "(https://example.org)"),
        ("emphasis", string.Concat(Enumerable.Repeat("*_", 300)) + "x" + string.Concat(Enumerable.Repeat("_*", 300))),
        ("link in link", string.Concat(Enumerable.Repeat("[a ", 300)) + "b" + string.Concat(Enumerable.Repeat("](https://example.org)", 300))),
        ("backtick run", new string('`', 20_000) + "code" + new string('`', 19_999)),
        ("backtick ladder", string.Join(" x ", Enumerable.Range(1, 400).Select(i => new string('`', i)))),
    ];

    /// <summary>
    /// A session where every message of <see cref="DeeplyNested"/> is followed by an ordinary one
    /// ("after quotes" and so on), and a last message "the end".
    /// </summary>
    public static Task<Session> DeeplyNestedSessionAsync(PageServer server)
        => server.CreateSessionAsync("Deeply nested", [
            .. DeeplyNested.SelectMany(c => new[]
            {
                new NewMessage(MessageRole.User, c.Markdown),
                new NewMessage(MessageRole.Assistant, "after " + c.Name),
            }),
            new NewMessage(MessageRole.Assistant, "the end"),
        ]);

    /// <summary>Many small sessions, for paging.</summary>
    public static async Task BulkAsync(PageServer server, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await server.CreateSessionAsync($"Bulk session {i:D2}", [new NewMessage(MessageRole.User, $"note number {i}")], ["bulk"]);
        }
    }
}
