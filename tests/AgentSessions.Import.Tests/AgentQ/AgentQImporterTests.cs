using System.Text;
using System.Text.Json;
using AgentSessions.Formats.Import;
using AgentSessions.Import.AgentQ;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Import.Tests.AgentQ;

public sealed class AgentQImporterTests
{
    private static readonly AgentQImporter Importer = new();

    private static string Fixture => SeedFixtures.Path("agent-q", "session-20261121-042522-8955.lisp");

    // 4004223922 - 2208988800 (1900..1970 in seconds) = 1795235122 Unix seconds = 20778 days + 15922 s;
    // day 20778 after 1970-01-01 is 2026-11-21 and 15922 s is 04:25:22.
    private static readonly DateTimeOffset FixtureCreated = new(2026, 11, 21, 4, 25, 22, TimeSpan.Zero);

    private static async Task<List<SessionArchive>> ImportAsync(string path, ImportOptions? options = null)
    {
        var archives = new List<SessionArchive>();
        await foreach (var archive in Importer.ReadAsync(new ImportSource(path), options ?? new ImportOptions()))
        {
            archives.Add(archive);
        }

        return archives;
    }

    private static async Task<SessionArchive> ImportTextAsync(TempDirectory temp, string text, string name = "session-test.lisp")
    {
        var path = temp.Combine(name);
        await File.WriteAllTextAsync(path, text, new UTF8Encoding(false));
        return Assert.Single(await ImportAsync(path));
    }

    private static async Task<AgentSessionsException> CorruptAsync(TempDirectory temp, string text, string name = "session-bad.lisp")
    {
        var path = temp.Combine(name);
        await File.WriteAllTextAsync(path, text, new UTF8Encoding(false));
        return await CorruptBytesAsync(path);
    }

    private static async Task<AgentSessionsException> CorruptBytesAsync(string path)
    {
        var e = await Assert.ThrowsAsync<AgentSessionsException>(() => ImportAsync(path));
        Assert.Equal(ErrorCode.Corrupt, e.Code);
        Assert.StartsWith(Path.GetFullPath(path) + ": line ", e.Message, StringComparison.Ordinal);
        return e;
    }

    private static string Minimal(string messages, string extra = "")
        => $"(:version 2 :id \"s-1\" :created-at 4004223922 {extra} :messages ({messages}))";

    [Fact]
    public async Task The_fixture_imports_every_message_in_order_with_exact_text()
    {
        var archive = Assert.Single(await ImportAsync(Fixture));

        var session = archive.Session;
        Assert.Equal("session-20261121-042522-8955", session.Id);
        Assert.Equal("Refactor parser", session.Title);
        Assert.Equal("claude-sonnet-4-20250514", session.Model);
        Assert.Equal(FixtureCreated, session.CreatedAt);
        Assert.Equal(new DateTime(1900, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(4004223922), session.CreatedAt.UtcDateTime);
        Assert.Equal(FixtureCreated.AddSeconds(1), session.UpdatedAt);
        Assert.Equal(4, session.MessageCount);
        Assert.Equal(120, session.InputTokens);
        Assert.Equal(45, session.OutputTokens);

        var messages = archive.Messages;
        Assert.Equal([1L, 2, 3, 4], messages.Select(m => m.Sequence));
        Assert.Equal([MessageRole.User, MessageRole.Assistant, MessageRole.User, MessageRole.Assistant], messages.Select(m => m.Role));
        Assert.Equal(
            [
                "Why does (parse-form nil) signal an error?",
                "Because NIL is not a cons. Quote \"x\", backslash \\, pipe |, hash #. — ünïcödé ✓",
                "Fix it please",
                "(defun parse-form (x)\n  (when (consp x) (car x)))",
            ],
            messages.Select(m => Assert.IsType<TextPart>(Assert.Single(m.Parts)).Text));
        Assert.All(messages, m => Assert.Equal(FixtureCreated, m.CreatedAt));
        Assert.Equal(messages.Count, messages.Select(m => m.Id).Distinct().Count());
        Assert.All(messages, m => Assert.True(SessionIds.IsValid(m.Id)));

        // The file has only totals; they sit on the last assistant message so the store's sums match.
        Assert.Equal([0L, 0, 0, 120], messages.Select(m => m.InputTokens));
        Assert.Equal([0L, 0, 0, 45], messages.Select(m => m.OutputTokens));
    }

    [Fact]
    public async Task The_fixture_keeps_its_metadata_and_provenance()
    {
        var session = Assert.Single(await ImportAsync(Fixture)).Session;

        var agentQ = session.Metadata["agentQ"];
        Assert.Equal("anthropic", agentQ.GetProperty("provider").GetString());
        Assert.Equal(120, agentQ.GetProperty("total-input-tokens").GetInt64());
        Assert.Equal(45, agentQ.GetProperty("total-output-tokens").GetInt64());

        var provenance = session.Metadata[ImportMetadata.Key];
        Assert.Equal("agent-q", provenance.GetProperty("format").GetString());
        Assert.Equal("session-20261121-042522-8955", provenance.GetProperty("originalId").GetString());
        Assert.Equal(Path.GetFullPath(Fixture), provenance.GetProperty("source").GetString());
        Assert.Equal(ImportText.Sha256(Fixture), provenance.GetProperty("sha256").GetString());
    }

    [Fact]
    public void Can_read_recognises_the_header_or_a_lisp_file_that_starts_with_a_list()
    {
        using var temp = TempDirectory.ForCaller();
        Assert.Equal("agent-q", Importer.Format);
        Assert.True(Importer.CanRead(new ImportSource(Fixture)));

        File.WriteAllText(temp.Combine("headerless.lisp"), "; a note\n\n(:version 2)");
        Assert.True(Importer.CanRead(new ImportSource(temp.Combine("headerless.lisp"))));

        File.WriteAllText(temp.Combine("renamed.txt"), ";;; -*- Mode: LISP -*-\n;;; Agent-Q Session v2\n(:version 2)");
        Assert.True(Importer.CanRead(new ImportSource(temp.Combine("renamed.txt"))));

        File.WriteAllText(temp.Combine("list.txt"), "(:version 2)");
        Assert.False(Importer.CanRead(new ImportSource(temp.Combine("list.txt"))));

        File.WriteAllText(temp.Combine("code.lisp"), ";;; some library\n#.(evil)");
        Assert.False(Importer.CanRead(new ImportSource(temp.Combine("code.lisp"))));

        File.WriteAllText(temp.Combine("s.json"), "{\"sessions\":[]}");
        Assert.False(Importer.CanRead(new ImportSource(temp.Combine("s.json"))));

        Directory.CreateDirectory(temp.Combine("dir.lisp"));
        Assert.False(Importer.CanRead(new ImportSource(temp.Combine("dir.lisp"))));
    }

    [Fact]
    public async Task Version_1_files_are_reversed_and_read_emacs_times_and_symbol_roles()
    {
        using var temp = TempDirectory.ForCaller();
        // 1795235122 Unix seconds (2026-11-21T04:25:22Z) = 27393 * 65536 + 7474.
        const string v1 = """
            ;;; Agent-Q Session v1
            (:version 1 :id "old-session" :name nil :created-at (27393 7474 0 0)
             :metadata (:provider anthropic :total-input-tokens 7 :total-output-tokens 3)
             :messages ((:role assistant :content "second, the answer" :timestamp (27393 7484 250000))
                        (:role user :content "first, the question" :timestamp (27393 7480))))
            """;

        var archive = await ImportTextAsync(temp, v1);

        Assert.Equal("old-session", archive.Session.Id);
        Assert.Null(archive.Session.Title);
        Assert.Equal(FixtureCreated, archive.Session.CreatedAt);
        // No :updated-at: the latest time in the file.
        Assert.Equal(FixtureCreated.AddSeconds(10.25), archive.Session.UpdatedAt);
        Assert.Equal([MessageRole.User, MessageRole.Assistant], archive.Messages.Select(m => m.Role));
        Assert.Equal(["first, the question", "second, the answer"], archive.Messages.Select(m => m.Text));
        Assert.Equal([FixtureCreated.AddSeconds(6), FixtureCreated.AddSeconds(10.25)], archive.Messages.Select(m => m.CreatedAt));
        Assert.Equal([1L, 2], archive.Messages.Select(m => m.Sequence));
        Assert.Equal(7, archive.Messages[1].InputTokens);
        Assert.Equal(3, archive.Messages[1].OutputTokens);
        Assert.Equal("anthropic", archive.Session.Metadata["agentQ"].GetProperty("provider").GetString());
    }

    [Fact]
    public async Task A_file_without_version_is_version_1_and_roles_may_be_spelled_either_way()
    {
        using var temp = TempDirectory.ForCaller();
        const string text = """
            (:created-at 4004223922
             :messages ((:role ASSISTANT :content "b") (:role :User :content "a" :timestamp 4004223925)))
            """;

        var archive = await ImportTextAsync(temp, text, "session-20261121-042522-abcd.lisp");

        // No :id: the file name stem, which follows the id rules.
        Assert.Equal("session-20261121-042522-abcd", archive.Session.Id);
        Assert.Equal(["a", "b"], archive.Messages.Select(m => m.Text));
        Assert.Equal([MessageRole.User, MessageRole.Assistant], archive.Messages.Select(m => m.Role));
        Assert.Equal(FixtureCreated.AddSeconds(3), archive.Messages[0].CreatedAt);
        // No :timestamp: the session's creation time.
        Assert.Equal(FixtureCreated, archive.Messages[1].CreatedAt);
        Assert.False(archive.Session.Metadata.ContainsKey("agentQ"));
    }

    [Fact]
    public async Task Unknown_keys_are_ignored_and_nil_content_is_empty_text()
    {
        using var temp = TempDirectory.ForCaller();
        var archive = await ImportTextAsync(temp, Minimal(
            "(:role :system :content nil :extra (1 2 . 3)) (:role :tool :content \"ok\" :tool-id \"x\")",
            ":future-field (:a . \"b\") :model nil"));

        Assert.Equal(["", "ok"], archive.Messages.Select(m => m.Text));
        Assert.Equal([MessageRole.System, MessageRole.Tool], archive.Messages.Select(m => m.Role));
        Assert.Null(archive.Session.Model);
        Assert.Equal(0, archive.Session.InputTokens);
    }

    [Theory]
    [InlineData("#.(sb-ext:run-program \"/bin/touch\" (list \"{0}\"))", "'#.' (read-time evaluation) is refused")]
    [InlineData("(:version 2 :id #.(sb-ext:run-program \"/bin/touch\" (list \"{0}\")) :created-at 1 :messages nil)", "'#.' (read-time evaluation) is refused")]
    [InlineData("(:version 2 :created-at 4004223922 :messages ((:role :user :content \"hi\")) :metadata (:x #.(run-program \"/bin/touch\" \"{0}\")))", "'#.' (read-time evaluation) is refused")]
    [InlineData("(:version 2 :created-at 4004223922 :messages ((:role :user :content #.(progn (run-program \"/bin/touch\" \"{0}\") \"x\"))))", "line 1, column 69: '#.'")]
    public async Task Read_eval_is_refused_and_nothing_runs(string template, string expected)
    {
        using var temp = TempDirectory.ForCaller();
        var marker = temp.Combine("ran");
        var e = await CorruptAsync(temp, string.Format(System.Globalization.CultureInfo.InvariantCulture, template, marker));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(marker));
    }

    [Theory]
    [InlineData("(:a #'car)", "'#' dispatch syntax ('#'')")]
    [InlineData("(:a #|block|# 1)", "'#' dispatch syntax ('#|')")]
    [InlineData("(:a #+sbcl 1)", "'#' dispatch syntax")]
    [InlineData("(:a 'b)", "quote (') is not part")]
    [InlineData("(:a `(b ,c))", "backquote (`)")]
    [InlineData("(:a ,b)", "comma (,)")]
    [InlineData("(:a |odd name|)", "'|' (escaped symbol names)")]
    [InlineData("(:a b\\c)", "backslash outside a string")]
    [InlineData("(:a cl-user::evil)", "package-qualified symbol")]
    [InlineData("(:a ::b)", "not a valid keyword")]
    [InlineData("(:a 1.5)", "'1.5' is not a decimal integer")]
    [InlineData("(:a 1/2)", "'1/2' is not a decimal integer")]
    [InlineData("(:a 1e10)", "'1e10' is not a decimal integer")]
    [InlineData("(:a 99999999999999999999999)", "the integer 99999999999999999999999 does not fit in 64 bits")]
    [InlineData("(:a -9223372036854775809)", "does not fit in 64 bits")]
    [InlineData("(:a \"x\\ny\")", "line 1, column 7: invalid escape '\\n' in string; only \\\" and \\\\ are escapes")]
    [InlineData("(:a \"x\\", "the file ends inside the string opened at line 1, column 5")]
    [InlineData("(:a \"never closed)\n\n", "line 3, column 1: the file ends inside the string opened at line 1, column 5")]
    [InlineData("(:a (1 2)", "the file ends inside the list opened at line 1, column 1")]
    [InlineData("(:a 1))", "unexpected data after the first complete value")]
    [InlineData("(:a 1) (:b 2)", "unexpected data after the first complete value")]
    [InlineData(")", "unexpected ')'")]
    [InlineData("(. a)", "'.' must follow at least one value")]
    [InlineData("(a . )", "'.' must be followed by one value")]
    [InlineData("(a . b c)", "only one value after the '.'")]
    [InlineData(";;; Agent-Q Session v2\n;; nothing else\n", "no data")]
    [InlineData("", "line 1, column 1: no data")]
    public async Task Malformed_or_unsupported_syntax_is_a_clear_error_with_its_position(string text, string expected)
    {
        using var temp = TempDirectory.ForCaller();
        var e = await CorruptAsync(temp, text);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Debug_and_other_unknown_roles_are_imported_with_the_original_kept()
    {
        using var temp = TempDirectory.ForCaller();
        var archive = await ImportTextAsync(temp, """
            ;;; -*- Mode: LISP; Syntax: COMMON-LISP -*-
            ;;; Agent-Q Session v2
            ;;; Created: 2026-11-21 04:25:22

            (:version 2 :id "session-20261121-042522-77aa" :name nil :created-at 4004223922
             :updated-at 4004223930 :model "claude-sonnet-4-20250514" :metadata
             (:provider :anthropic :total-input-tokens 10 :total-output-tokens 20) :messages
             ((:role :user :content "Describe FOO" :timestamp 4004223922)
              (:role :debug :content "[tool] describe-symbol FOO" :timestamp 4004223923)
              (:role :assistant :content "FOO is a function." :timestamp 4004223924)
              (:role :human :content "thanks" :timestamp 4004223925)
              (:role :tool-result :content "42" :timestamp 4004223926)
              (:role "Info" :content "saved" :timestamp 4004223927)
              (:role 7 :content "odd" :timestamp 4004223928)
              (:role :debug :content (:tool "eval" :result "3") :timestamp 4004223929)
              (:role :error :content "late" :timestamp (1 70000))))
            """);

        Assert.Equal(9, archive.Messages.Count);
        Assert.Equal(
            [MessageRole.User, MessageRole.System, MessageRole.Assistant, MessageRole.User, MessageRole.Tool, MessageRole.System, MessageRole.System, MessageRole.System, MessageRole.System],
            archive.Messages.Select(m => m.Role));
        Assert.Equal(
            [null, ":debug", null, ":human", ":tool-result", "Info", "7", ":debug", ":error"],
            archive.Messages.Select(m => m.Metadata.TryGetValue("originalRole", out var r) ? r.GetString() : null));
        Assert.Equal("[tool] describe-symbol FOO", archive.Messages[1].Text);
        Assert.Equal(FixtureCreated.AddSeconds(1), archive.Messages[1].CreatedAt);

        // Content that is data, not text, and a time that cannot be read: imported, with the original kept.
        Assert.Equal("""{"tool":"eval","result":"3"}""", archive.Messages[7].Text);
        Assert.True(archive.Messages[7].Metadata["contentIsLispData"].GetBoolean());
        Assert.Equal(FixtureCreated, archive.Messages[8].CreatedAt);
        Assert.Equal("[1,70000]", archive.Messages[8].Metadata["originalTimestamp"].GetRawText());
        Assert.Equal((10, 20), (archive.Session.InputTokens, archive.Session.OutputTokens));
    }

    [Theory]
    [InlineData("(:version 3 :created-at 1 :messages nil)", "unsupported :version 3")]
    [InlineData("(:version 2 :messages nil)", "the session has no :created-at, which is required")]
    [InlineData("(:version 2 :created-at 1)", "the session has no :messages, which is required")]
    [InlineData("(:version 2 :created-at 1 :messages nil :id foo)", ":id must be a string or nil, not foo")]
    [InlineData("(:version 2 :created-at 1 :messages 5)", ":messages must be a list")]
    [InlineData("(:version 2 :created-at -1 :messages nil)", ":created-at: universal time -1 is out of range")]
    [InlineData("(:version 2 :created-at \"2026-01-01\" :messages nil)", ":created-at must be a universal time")]
    [InlineData("(:version 2 :created-at (1 2 3 4 5) :messages nil)", ":created-at must be a universal time")]
    [InlineData("(:version 2 :created-at (1 70000) :messages nil)", "Emacs time list is out of range")]
    [InlineData("(:version 2 :created-at (99999999999 0) :messages nil)", "Emacs time list is out of range")]
    [InlineData("(:version 2 :created-at 1 :messages nil :metadata (:total-input-tokens -4))", ":total-input-tokens must be a non-negative integer")]
    [InlineData("(:version 2 :created-at 1 :messages nil :metadata 7)", ":metadata must be a property list")]
    [InlineData("(:version 2 :created-at 1 :messages ((:role :user)))", "message 1 of :messages has no :content, which is required")]
    [InlineData("(:version 2 :created-at 1 :messages ((:content \"x\")))", "message 1 of :messages has no :role, which is required")]
    [InlineData("(:version 2 :created-at 1 :messages (\"x\"))", "message 1 of :messages must be a property list")]
    [InlineData("(:version 2 :created-at)", "odd number of elements")]
    [InlineData("(:version 2 \"created-at\" 1 :messages nil)", "expected a key such as :role")]
    [InlineData("\"just a string\"", "the session must be a property list")]
    public async Task Wrong_shapes_are_refused_naming_the_position(string text, string expected)
    {
        using var temp = TempDirectory.ForCaller();
        var e = await CorruptAsync(temp, text);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Every_truncation_of_the_fixture_is_a_corrupt_error_with_a_position()
    {
        using var temp = TempDirectory.ForCaller();
        var bytes = await File.ReadAllBytesAsync(Fixture);
        var path = temp.Combine("cut.lisp");
        // Every cut that loses more than the final new line: inside the header, strings, numbers, keywords,
        // multi-byte characters, and where only closing parentheses are missing (the file ends ")))\n").
        Assert.Equal(")))\n"u8.ToArray(), bytes[^4..]);
        var offsets = Enumerable.Range(0, bytes.Length - 1);
        foreach (var offset in offsets)
        {
            await File.WriteAllBytesAsync(path, bytes[..offset]);
            var e = await Assert.ThrowsAsync<AgentSessionsException>(() => ImportAsync(path));
            Assert.True(e.Code == ErrorCode.Corrupt, $"offset {offset}: {e.Code} {e.Message}");
            Assert.Contains(": line ", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Deep_nesting_is_refused_without_exhausting_the_stack()
    {
        using var temp = TempDirectory.ForCaller();
        var e = await CorruptAsync(temp, new string('(', 10_000) + new string(')', 10_000));
        Assert.Contains("line 1, column 257: lists are nested more than 256 deep", e.Message, StringComparison.Ordinal);

        e = await CorruptAsync(temp, new string('(', 10_000));
        Assert.Contains("nested more than", e.Message, StringComparison.Ordinal);

        // Nesting within the limit is data like any other (here, ignored metadata).
        var archive = await ImportTextAsync(temp, Minimal("", ":deep " + new string('(', 200) + new string(')', 200)));
        Assert.Empty(archive.Messages);
    }

    [Fact]
    public async Task Invalid_utf8_is_a_corrupt_error_naming_its_line()
    {
        using var temp = TempDirectory.ForCaller();
        var path = temp.Combine("latin1.lisp");
        await File.WriteAllBytesAsync(path, [.. "(:a\n \""u8, 0xE9, .. "\")"u8]);

        var e = await CorruptBytesAsync(path);
        Assert.Contains("line 2, column 3: the file is not valid UTF-8 text", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_over_the_size_limit_is_refused()
    {
        var e = await Assert.ThrowsAsync<AgentSessionsException>(() => ImportAsync(Fixture, new ImportOptions { MaxFileBytes = 100 }));
        Assert.Equal(ErrorCode.TooLarge, e.Code);
        Assert.Contains("import limit of 100 bytes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metadata_becomes_json_with_lisp_nil_and_t()
    {
        using var temp = TempDirectory.ForCaller();
        var archive = await ImportTextAsync(temp, Minimal("", ":metadata (:provider :openai :stream t :tags nil :list (1 \"two\" three) :pair (a . 1))"));

        var json = archive.Session.Metadata["agentQ"].GetRawText();
        Assert.Equal("""{"provider":"openai","stream":true,"tags":null,"list":[1,"two","three"],"pair":["a",1]}""", json);
        Assert.Equal(JsonValueKind.Object, archive.Session.Metadata[ImportMetadata.Key].ValueKind);
    }
}
