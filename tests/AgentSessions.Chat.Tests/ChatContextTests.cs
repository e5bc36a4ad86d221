using Microsoft.Extensions.AI;
using Xunit;

namespace AgentSessions.Chat.Tests;

/// <summary><see cref="ChatContext"/>: the token estimate and the cut of a context to a budget.</summary>
public sealed class ChatContextTests
{
    private static ChatMessage User(string text) => new(ChatRole.User, text);

    private static ChatMessage Assistant(string text) => new(ChatRole.Assistant, text);

    private static string[] Roles(IReadOnlyList<ChatMessage> messages) => [.. messages.Select(m => $"{m.Role.Value}: {m.Text}")];

    [Fact]
    public void The_estimate_is_four_characters_a_token_rounded_up_plus_the_framing()
    {
        Assert.Equal(ChatContext.TokensPerMessage, ChatContext.EstimateTokens(User("")));
        Assert.Equal(ChatContext.TokensPerMessage + 1, ChatContext.EstimateTokens(User("abcd")));
        Assert.Equal(ChatContext.TokensPerMessage + 2, ChatContext.EstimateTokens(User("abcde")));
        // A tool call counts its name and its arguments as JSON; usage and other bookkeeping count nothing.
        var call = new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("c1", "get", new Dictionary<string, object?> { ["city"] = "Paris" }), new UsageContent()]);
        Assert.Equal(ChatContext.TokensPerMessage + ((3 + """{"city":"Paris"}""".Length + 3) / 4), ChatContext.EstimateTokens(call));
    }

    [Fact]
    public void A_context_within_the_budget_is_sent_as_it_is()
    {
        List<ChatMessage> messages = [User("one"), Assistant("two"), User("three")];

        var (kept, dropped) = ChatContext.Trim(messages, ChatContext.EstimateTokens(messages));

        Assert.Same(messages, kept);
        Assert.Equal(0, dropped);
    }

    [Fact]
    public void Whole_oldest_turns_go_first_and_system_messages_stay_where_they_are()
    {
        List<ChatMessage> messages =
        [
            new(ChatRole.System, "rules"), User("q1"), Assistant("a1"), User("q2"), Assistant("a2"), new(ChatRole.System, "more rules"), User("q3"),
        ];
        var budget = ChatContext.EstimateTokens(messages) - ChatContext.EstimateTokens(messages[1]); // one message too many

        var (kept, dropped) = ChatContext.Trim(messages, budget);

        // Not just q1: its answer goes with it.
        Assert.Equal(["system: rules", "user: q2", "assistant: a2", "system: more rules", "user: q3"], Roles(kept));
        Assert.Equal(2, dropped);
    }

    [Fact]
    public void A_tool_call_and_its_result_are_dropped_together_or_kept_together()
    {
        List<ChatMessage> messages =
        [
            User("weather?"),
            new(ChatRole.Assistant, [new FunctionCallContent("c1", "get_weather")]),
            new(ChatRole.Tool, [new FunctionResultContent("c1", "sunny")]),
            Assistant("It is sunny."),
            User("and tomorrow?"),
        ];

        for (var budget = 1; budget <= ChatContext.EstimateTokens(messages); budget++)
        {
            var (kept, _) = ChatContext.Trim(messages, budget);
            var calls = kept.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Count();
            var results = kept.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Count();
            Assert.Equal(calls, results);
            Assert.Equal("and tomorrow?", kept[^1].Text);
        }
    }

    [Fact]
    public void The_last_turn_is_sent_even_when_it_alone_is_over_the_budget()
    {
        List<ChatMessage> messages = [User("old"), Assistant("answer"), User(new string('x', 400))];

        var (kept, dropped) = ChatContext.Trim(messages, 10);

        Assert.Equal([messages[2]], kept);
        Assert.Equal(2, dropped);
    }

    [Fact]
    public void Messages_before_the_first_user_message_belong_to_the_first_turn()
    {
        List<ChatMessage> messages = [Assistant("Hello, how can I help?"), User("q1"), Assistant("a1"), User("q2")];

        var (kept, dropped) = ChatContext.Trim(messages, ChatContext.EstimateTokens(messages) - 1);

        Assert.Equal(["user: q2"], Roles(kept));
        Assert.Equal(3, dropped);
    }
}
