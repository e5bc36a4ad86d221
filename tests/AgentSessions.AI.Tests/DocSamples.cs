using System.Text.RegularExpressions;
using AgentSessions.Sqlite;
using AgentSessions.Testing;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Xunit;

namespace AgentSessions.AI.Tests;

/// <summary>
/// The code samples of docs/agents.md: each lies between <c>// &lt;doc:NAME&gt;</c> markers here, is compiled and
/// run, and must appear in the doc verbatim, so the doc cannot drift from code that works.
/// </summary>
public sealed partial class DocSamples
{
    private static async Task ChatClientSample(string directory, IChatClient model, TextWriter output)
    {
        // <doc:chat-client>
        await using var service = new SessionService(SqliteSessionStore.Open(directory), ownsStore: true);
        IChatClient client = model.AsBuilder()
            .UseAgentSessions(service, o => o.DefaultSessionId = "project-discussion-2024")
            .UseFunctionInvocation()
            .Build();

        var history = new List<ChatMessage> { new(ChatRole.User, "Which store should we use?") };
        history.AddMessages(await client.GetResponseAsync(history)); // stored: the question, then the answer

        history.Add(new(ChatRole.User, "Why?"));
        var options = new ChatOptions().WithAgentSession("project-discussion-2024");
        await foreach (var update in client.GetStreamingResponseAsync(history, options))
        {
            output.Write(update.Text); // checkpointed at most every second while it streams
        }
        // </doc:chat-client>
    }

    private static async Task AgentSample(string directory, IChatClient model, TextWriter output)
    {
        await using var service = new SessionService(SqliteSessionStore.Open(directory), ownsStore: true);
        // <doc:agent>
        var provider = new AgentSessionsChatHistoryProvider(service);
        AIAgent agent = model.AsAIAgent(new ChatClientAgentOptions { ChatHistoryProvider = provider });
        var sessions = new AgentSessionsAgentSessionStore(service); // experimental, like AgentSessionStore: MAAI001

        var key = new AgentSessionStoreKey("project-discussion-2024");
        var session = await sessions.GetOrCreateSessionAsync(agent, key);
        var answer = await agent.RunAsync("What were we discussing?", session);
        await sessions.SaveSessionAsync(agent, key, session);
        // </doc:agent>
        output.Write(answer.Text);
    }

    private static async Task InterruptedSample(string directory, TextWriter output)
    {
        await using var service = new SessionService(SqliteSessionStore.Open(directory), ownsStore: true);
        // <doc:interrupted>
        await foreach (var message in service.ReadAsync("project-discussion-2024"))
        {
            if (message.Metadata.TryGetValue(AgentSessionsMetadata.Interrupted, out var why))
            {
                output.WriteLine($"#{message.Sequence} stopped early: {why}");
            }
        }
        // </doc:interrupted>
    }

    [Fact]
    public async Task The_samples_run_and_the_agent_resumes_what_the_chat_client_stored()
    {
        using var directory = TempDirectory.ForCaller();
        var output = new StringWriter();

        await ChatClientSample(directory.Path, new ScriptedChatClient(ScriptedTurn.Text("SQLite."), ScriptedTurn.Text("It is ", "embedded.")), output);
        var agentModel = new ScriptedChatClient(ScriptedTurn.Text("Which store to use, and why."));
        await AgentSample(directory.Path, agentModel, output);

        Assert.Equal("It is embedded.Which store to use, and why.", output.ToString());
        Assert.Equal(
            ["Which store should we use?", "SQLite.", "Why?", "It is embedded.", "What were we discussing?"],
            agentModel.Requests[0].Select(m => m.Text));
    }

    [Fact]
    public async Task The_interrupted_sample_names_the_partial_answer()
    {
        using var directory = TempDirectory.ForCaller();
        await using (var service = new SessionService(SqliteSessionStore.Open(directory.Path), ownsStore: true))
        {
            var client = new ScriptedChatClient(ScriptedTurn.Text("half", " of it", " never")).AsBuilder()
                .UseAgentSessions(service, o => o.DefaultSessionId = "project-discussion-2024").Build();
            await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "long answer please")]))
            {
                if (update.Text == " of it")
                {
                    break;
                }
            }
        }

        var output = new StringWriter();
        await InterruptedSample(directory.Path, output);

        Assert.Equal("#2 stopped early: abandoned" + Environment.NewLine, output.ToString());
    }

    [Fact]
    public void Every_sample_appears_verbatim_in_docs_agents_md()
    {
        var source = File.ReadAllText(Path.Combine(SeedFixtures.RepositoryRoot, "tests", "AgentSessions.AI.Tests", "DocSamples.cs"));
        var doc = File.ReadAllText(Path.Combine(SeedFixtures.RepositoryRoot, "docs", "agents.md")).Replace("\r\n", "\n");
        var samples = Sample().Matches(source.Replace("\r\n", "\n"));
        Assert.Equal(3, samples.Count);
        foreach (Match sample in samples)
        {
            var lines = sample.Groups["code"].Value.TrimEnd().Split('\n');
            var indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
            var code = string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
            Assert.True(doc.Contains("```csharp\n" + code + "\n```", StringComparison.Ordinal), $"docs/agents.md lacks the sample '{sample.Groups["name"].Value}' as written in DocSamples.cs:\n{code}");
        }
    }

    [GeneratedRegex(@"// <doc:(?<name>[a-z-]+)>\n(?<code>.*?)\n\s*// </doc:\k<name>>", RegexOptions.Singleline)]
    private static partial Regex Sample();
}
