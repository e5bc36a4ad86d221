using System.Text.RegularExpressions;
using AgentSessions.FakeOpenAi;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Emacs.Tests;

/// <summary>
/// agent-sessions.el under <c>emacs --batch</c>: each ERT test in its own Emacs, against the built
/// <c>agent-sessions rpc</c> and, for the chat tests, the fake OpenAI server on 127.0.0.1.
/// </summary>
public sealed class EmacsTests : IAsyncLifetime
{
    private const string Model = "fake-model";

    private FakeOpenAiServer _server = null!;

    /// <summary>The ERT tests that need no model, each run by <see cref="Store_side_ert_test_passes"/>.</summary>
    private static readonly string[] StoreTestNames =
    [
        "agent-sessions-test-byte-compiles-without-warnings",
        "agent-sessions-test-neutralize-control-characters",
        "agent-sessions-test-commands-are-autoloaded",
        "agent-sessions-test-chat-creates-a-session-and-shows-it",
        "agent-sessions-test-transcript-is-read-only-and-input-is-not",
        "agent-sessions-test-many-deltas-are-joined-once",
        "agent-sessions-test-tool-calls-and-results-are-folded",
        "agent-sessions-test-list-renames-tags-pins-exports-and-deletes",
        "agent-sessions-test-search-finds-sessions-by-their-text",
        "agent-sessions-test-undo-redo-fork-and-snapshot",
        "agent-sessions-test-session-switch-saves-a-deferred-message",
        "agent-sessions-test-timer-tick-saves-a-deferred-message-and-the-draft",
        "agent-sessions-test-kill-buffer-saves-and-a-reopened-buffer-has-the-draft",
        "agent-sessions-test-auto-save-off-keeps-changes-until-save",
        "agent-sessions-test-killed-server-is-reported-and-the-buffer-keeps-its-text",
        "agent-sessions-test-deferred-message-lost-with-the-server-is-sent-again",
        "agent-sessions-test-send-without-a-model-gives-the-text-back",
    ];

    /// <summary>The ERT tests the chat facts below run (they need the fake server's state around them).</summary>
    private static readonly string[] ChatTests =
    [
        "agent-sessions-test-chat-two-turns-then-kill-buffer",
        "agent-sessions-test-chat-resume-first-process",
        "agent-sessions-test-chat-resume-second-process",
        "agent-sessions-test-chat-cancel-keeps-the-partial",
        "agent-sessions-test-chat-exit-mid-answer-stores-the-partial-and-the-draft",
        "agent-sessions-test-chat-server-killed-mid-answer-keeps-the-partial",
        "agent-sessions-test-chat-model-text-is-neutralised",
    ];

    public static TheoryData<string> StoreTests => new(StoreTestNames);

    public async Task InitializeAsync() => _server = await FakeOpenAiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [MemberData(nameof(StoreTests))]
    public async Task Store_side_ert_test_passes(string test)
        => await ErtRunner.RunAsync($"^{Regex.Escape(test)}$");

    [Fact]
    public async Task Every_ert_test_is_run_by_one_of_these_tests()
    {
        // An ERT test added to the file but to no list here would never run in ./test.
        var (exitCode, output) = await ErtRunner.RunEmacsAsync(
            ["-l", Path.Combine(ErtRunner.PackageDirectory, "test", "agent-sessions-test.el"),
             "--eval", "(dolist (test (ert-select-tests t t)) (princ (format \"ERT-TEST %s\\n\" (ert-test-name test))))"]);
        Assert.True(exitCode == 0, output);
        var listed = Regex.Matches(output, @"^ERT-TEST (\S+)$", RegexOptions.Multiline).Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal);
        var run = StoreTestNames.Concat(ChatTests).Order(StringComparer.Ordinal);
        Assert.Equal(run, listed);
    }

    private Dictionary<string, string?> ChatEnvironment(string? apiKey = "sk-emacs-env-key") => new()
    {
        ["AGENT_SESSIONS_ENDPOINT"] = _server.BaseUrl,
        ["AGENT_SESSIONS_MODEL"] = Model,
        ["AGENT_SESSIONS_API_KEY"] = apiKey,
    };

    [Fact]
    public async Task Two_turns_then_killing_the_buffer_leave_both_turns_stored()
    {
        // No key in the environment: the ERT test puts one in an authinfo file, which auth-source reads.
        await ErtRunner.RunAsync("^agent-sessions-test-chat-two-turns-then-kill-buffer$", ChatEnvironment(apiKey: null));

        Assert.Equal(2, _server.ChatRequests.Count);
        Assert.All(_server.ChatRequests, r => Assert.True(r.HasApiKey("sk-emacs-authinfo-key"), "the key from auth-source reached the model"));
        Assert.Equal(["user: first question", "assistant: You said: first question (messages: 1)", "user: second question"],
            _server.ChatRequests[1].Messages.Select(m => m.ToString()));
    }

    [Fact]
    public async Task A_new_emacs_resumes_the_session_and_the_model_gets_the_whole_conversation()
    {
        using var store = TempDirectory.ForCaller();
        var environment = ChatEnvironment();
        environment["AGENT_SESSIONS_TEST_STORE"] = store.Path;
        environment["AGENT_SESSIONS_TEST_SESSION"] = "emacs-resume";
        await ErtRunner.RunAsync("^agent-sessions-test-chat-resume-first-process$", environment);
        await ErtRunner.RunAsync("^agent-sessions-test-chat-resume-second-process$", environment);

        Assert.Equal(3, _server.ChatRequests.Count);
        Assert.Equal(
            ["user: one", "assistant: You said: one (messages: 1)", "user: two", "assistant: You said: two (messages: 3)", "user: three"],
            _server.ChatRequests[2].Messages.Select(m => m.ToString()));
        Assert.All(_server.ChatRequests, r => Assert.True(r.HasApiKey("sk-emacs-env-key")));
        AssertKeyNowhere(store.Path, "sk-emacs-env-key");
    }

    [Fact]
    public async Task Cancelling_mid_stream_keeps_the_partial_answer()
    {
        // Slow enough that the cancel lands while it streams: 40 chunks, 150 ms apart.
        _server.Enqueue(ScriptedReply.Words(200) with { Chunks = 40, ChunkDelayMs = 150 });
        await ErtRunner.RunAsync("^agent-sessions-test-chat-cancel-keeps-the-partial$", ChatEnvironment());
        Assert.Single(_server.ChatRequests);
    }

    [Fact]
    public async Task Exiting_emacs_mid_answer_stores_the_partial_answer_and_the_draft()
    {
        _server.Enqueue(ScriptedReply.Words(200) with { Chunks = 40, ChunkDelayMs = 150 });
        await ErtRunner.RunAsync("^agent-sessions-test-chat-exit-mid-answer-stores-the-partial-and-the-draft$", ChatEnvironment());
    }

    [Fact]
    public async Task A_server_killed_mid_answer_is_reported_and_the_partial_stays_in_the_buffer()
    {
        _server.Enqueue(ScriptedReply.Words(200) with { Chunks = 40, ChunkDelayMs = 150 });
        await ErtRunner.RunAsync("^agent-sessions-test-chat-server-killed-mid-answer-keeps-the-partial$", ChatEnvironment());
    }

    [Fact]
    public async Task Control_characters_from_the_model_never_reach_the_buffer_raw()
    {
        _server.Enqueue(ScriptedReply.Answer("\u001b[2J\u001b]52;c;aGk=\u0007 red \u202e evil\r fake"));
        await ErtRunner.RunAsync("^agent-sessions-test-chat-model-text-is-neutralised$", ChatEnvironment());
    }

    private static void AssertKeyNowhere(string directory, string key)
    {
        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            var bytes = File.ReadAllBytes(file);
            Assert.False(bytes.AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(key)) >= 0, $"the API key is in {file}");
        }
    }
}
