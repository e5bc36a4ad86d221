using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using AgentSessions.FakeOpenAi;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Cli.Tests;

/// <summary>
/// <c>agent-sessions chat</c>, non-interactive (prompts piped in), against the fake OpenAI-compatible server on a
/// real loopback socket: the recipe flow of issue 13 end to end, the key kept out of the store, and the failures.
/// </summary>
/// <remarks>
/// The fake server's default reply is <c>You said: TEXT (messages: N)</c>, N counting every message of the request,
/// so stdout alone shows that the whole context arrived; the recorded requests show it message by message.
/// </remarks>
public sealed class ChatCliTests : IAsyncLifetime, IDisposable
{
    private const int Sigterm = 15;
    private const string ApiKey = "sk-test-7f3c9a1e5b2d4c6e8f0a1b3c5d7e9f21";

    private readonly TempDirectory _temp = TempDirectory.ForCaller();
    private FakeOpenAiServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeOpenAiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Chat_the_recipe_flow_two_turns_then_a_resume_from_another_directory_sends_the_whole_context()
    {
        var store = _temp.Combine("store");
        var first = await Runner(store, InDirectory("project")).RunAsync(
            ["chat", "--id", "project-discussion-2024", "--endpoint", _server.BaseUrl, "--model", "m"], Utf8("one\ntwo\n"));

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(["You said: one (messages: 1)", "You said: two (messages: 3)"], Lines(first.Stdout));
        Assert.Contains("project-discussion-2024", first.Stderr, StringComparison.Ordinal);

        var resumed = await Runner(store, InDirectory("elsewhere")).RunAsync(
            ["chat", "--resume", "project-discussion-2024", "--endpoint", _server.BaseUrl, "--model", "m"], Utf8("What were we discussing?\n"));

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(["You said: What were we discussing? (messages: 5)"], Lines(resumed.Stdout));
        var sent = _server.ChatRequests[^1];
        Assert.Equal(
            ["user: one", "assistant: You said: one (messages: 1)", "user: two", "assistant: You said: two (messages: 3)", "user: What were we discussing?"],
            sent.Messages.Select(m => m.ToString()));
        Assert.Equal("m", sent.Model);
        Assert.True(sent.Stream);
        Assert.True(sent.HasApiKey(ApiKey), "the key from OPENAI_API_KEY reached the model");

        var messages = await StoredMessagesAsync(store, "project-discussion-2024");
        Assert.Equal(
            ["user: one", "assistant: You said: one (messages: 1)", "user: two", "assistant: You said: two (messages: 3)",
             "user: What were we discussing?", "assistant: You said: What were we discussing? (messages: 5)"],
            messages.Select(m => $"{m.GetProperty("role").GetString()}: {m.GetProperty("text").GetString()}"));

        // The key went to the model and nowhere else: not into any byte of the store's files, nor onto stderr.
        var key = Encoding.UTF8.GetBytes(ApiKey);
        var files = Directory.GetFiles(store, "*", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        Assert.All(files, file => Assert.True(File.ReadAllBytes(file).AsSpan().IndexOf(key) < 0, $"the API key is in {file}"));
        Assert.DoesNotContain(ApiKey, first.Stderr + resumed.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_without_a_model_says_how_to_name_one_and_exits_2()
    {
        var result = await Runner(_temp.Combine("store")).RunAsync(["chat", "--endpoint", _server.BaseUrl], Utf8("hello\n"));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--model", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("AGENT_SESSIONS_MODEL", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
        Assert.Empty(_server.ChatRequests);
    }

    [Fact]
    public async Task Chat_resume_of_a_missing_session_exits_3_without_calling_the_model()
    {
        var result = await Runner(_temp.Combine("store")).RunAsync(
            ["chat", "--resume", "missing", "--endpoint", _server.BaseUrl, "--model", "m"], Utf8("hello\n"));

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("missing", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
        Assert.Empty(_server.ChatRequests);
    }

    [Fact]
    public async Task Chat_a_model_failing_midway_keeps_the_prompt_stored_says_so_once_and_exits_non_zero()
    {
        _server.Enqueue(ScriptedReply.Words(50) with { FailAfterChunks = 3 });
        var store = _temp.Combine("store");

        var result = await Runner(store).RunAsync(
            ["chat", "--id", "failing", "--endpoint", _server.BaseUrl, "--model", "m"], Utf8("hello\nnever sent\n"));

        Assert.True(result.ExitCode == 1, result.ToString());
        var errors = Lines(result.Stderr).Where(l => l.Contains("error", StringComparison.Ordinal)).ToList();
        Assert.True(errors.Count == 1, result.ToString());
        Assert.Contains("failed", errors[0], StringComparison.Ordinal);
        Assert.DoesNotContain(ApiKey, result.Stderr, StringComparison.Ordinal);
        Assert.Single(_server.ChatRequests); // the second prompt was not sent after the failure

        var messages = await StoredMessagesAsync(store, "failing");
        Assert.Equal("user", messages[0].GetProperty("role").GetString());
        Assert.Equal("hello", messages[0].GetProperty("text").GetString());
        // What streamed before the failure is kept, marked as the chat client marks an interrupted answer.
        Assert.Equal(2, messages.Count);
        Assert.Equal("assistant", messages[1].GetProperty("role").GetString());
        Assert.Equal("failed", messages[1].GetProperty("metadata").GetProperty("agent_sessions.interrupted").GetString());
        Assert.StartsWith(messages[1].GetProperty("text").GetString()!, result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Chat_sigterm_mid_answer_stops_cleanly_with_143_keeping_the_prompt_and_the_partial_answer()
    {
        // 40 words, one chunk each 250 ms apart: ten seconds of answer, so the signal lands mid-stream.
        _server.Enqueue(ScriptedReply.Words(40) with { ChunkDelayMs = 250 });
        var store = _temp.Combine("store");
        var info = BuiltTool.StartInfo(["chat", "--id", "stopped", "--endpoint", _server.BaseUrl, "--model", "m"]);
        info.Environment["AGENT_SESSIONS_HOME"] = store;
        info.Environment["OPENAI_API_KEY"] = ApiKey;
        info.Environment.Remove("AGENT_SESSIONS_DEBUG");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // Stdin stays open: the tool would go on waiting for a next prompt, and the signal must end that too.
        await process.StandardInput.WriteLineAsync("hello");
        await process.StandardInput.FlushAsync();
        try
        {
            var deadline = Stopwatch.StartNew();
            while (_server.ChatRequests.Count == 0)
            {
                // The message is built only on failure: stderr ends when the tool does, and awaiting it here would wait for that.
                if (process.HasExited)
                {
                    Assert.Fail($"the tool exited before the model was called: {await stderr}");
                }

                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), "the model was not called within a minute");
                await Task.Delay(20);
            }

            await Task.Delay(TimeSpan.FromSeconds(1)); // a few words in
            Assert.Equal(0, Kill(process.Id, Sigterm));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        var result = new CliRunner.Result(process.ExitCode, await stdout, await stderr);
        Assert.True(result.ExitCode == 143, result.ToString());
        Assert.Contains("interrupted; SIGTERM received, the command stopped", result.Stderr, StringComparison.Ordinal);
        var messages = await StoredMessagesAsync(store, "stopped");
        Assert.Equal("hello", messages[0].GetProperty("text").GetString());
        Assert.Equal(2, messages.Count);
        // Kept and marked interrupted: cancelled, wherever in the stream the signal's cancellation surfaced (in a
        // checkpoint's save as well as in the model's stream).
        Assert.True(messages[1].GetProperty("metadata").GetProperty("agent_sessions.partial").GetBoolean());
        Assert.Equal("cancelled", messages[1].GetProperty("metadata").GetProperty("agent_sessions.interrupted").GetString());
        // Everything shown is stored (the store may hold a word more: one received but not yet written out).
        Assert.NotEqual("", result.Stdout.Trim());
        Assert.StartsWith(result.Stdout.TrimEnd('\n'), messages[1].GetProperty("text").GetString()!, StringComparison.Ordinal);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private CliRunner Runner(string store, string? workingDirectory = null) => new(store)
    {
        WorkingDirectory = workingDirectory,
        Environment = new Dictionary<string, string?>
        {
            ["OPENAI_API_KEY"] = ApiKey,
            ["AGENT_SESSIONS_API_KEY"] = null,
            ["AGENT_SESSIONS_MODEL"] = null,
            ["AGENT_SESSIONS_ENDPOINT"] = null,
        },
    };

    private string InDirectory(string name) => Directory.CreateDirectory(_temp.Combine(name)).FullName;

    private async Task<List<JsonElement>> StoredMessagesAsync(string store, string id)
    {
        var json = await Runner(store).OkAsync("show", id, "--json");
        return [.. JsonDocument.Parse(json).RootElement.GetProperty("messages").EnumerateArray()];
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
