using System.Diagnostics;
using System.Text.Json;
using AgentSessions.FakeOpenAi;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Cli.Tests;

/// <summary>
/// The terminal closing under a chat mid-answer, for real: tmux runs the chat in a pane (its output the pane's
/// terminal) and the test kills the session, which hangs the terminal up and sends SIGHUP. The answer so far must
/// be in the store, marked interrupted, though the terminal it was being written to is gone.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ChatHangupTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _temp = TempDirectory.ForCaller();
    private readonly TmuxTerminal _terminal;
    private FakeOpenAiServer _server = null!;

    public ChatHangupTests() => _terminal = new TmuxTerminal(_temp.Path);

    public async Task InitializeAsync() => _server = await FakeOpenAiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose()
    {
        _terminal.Dispose();
        _temp.Dispose();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Closing_the_terminal_mid_answer_keeps_the_prompt_and_the_partial_answer(bool noAutosave)
    {
        var answer = ScriptedReply.Words(300);
        _server.Enqueue(answer with { ChunkDelayMs = 100 });
        var store = _temp.Combine("store");
        var prompts = _temp.Combine("prompts.txt");
        await File.WriteAllTextAsync(prompts, "hello\n");
        // exec: the chat is the pane's process, so the hangup's SIGHUP is its own. Stdin is a file (chat is
        // non-interactive); the answer outlasts the test, so the end of that file is never reached.
        var command = $"AGENT_SESSIONS_HOME='{store}' OPENAI_API_KEY=sk-test exec dotnet '{CliRunner.Dll}' chat --id closed "
            + $"--endpoint {_server.BaseUrl} --model m{(noAutosave ? " --no-autosave" : "")} < '{prompts}'";
        _terminal.Start(command, 200, 50);
        var pid = _terminal.PanePid;
        await _terminal.WaitForAsync("w5 ", visibleOnly: true);

        _terminal.Close();
        await TmuxTerminal.WaitForExitAsync(pid);

        var show = await new CliRunner(store).RunAsync("show", "closed", "--json");
        Assert.True(show.ExitCode == 0, show.ToString());
        var messages = JsonDocument.Parse(show.Stdout).RootElement.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(2, messages.Count);
        Assert.Equal("hello", messages[0].GetProperty("text").GetString());
        var partial = messages[1].GetProperty("text").GetString()!;
        Assert.StartsWith("w1 w2 w3 w4 w5 ", partial, StringComparison.Ordinal);
        Assert.StartsWith(partial, answer.Text!, StringComparison.Ordinal);
        Assert.NotEqual(answer.Text, partial);
        var metadata = messages[1].GetProperty("metadata");
        Assert.True(metadata.GetProperty("agent_sessions.partial").GetBoolean());
        Assert.Equal("cancelled", metadata.GetProperty("agent_sessions.interrupted").GetString());
    }
}
