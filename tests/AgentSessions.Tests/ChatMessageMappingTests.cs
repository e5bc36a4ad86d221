using System.Text.Json;
using AgentSessions.Formats;
using Microsoft.Extensions.AI;
using Xunit;

namespace AgentSessions.Tests;

public sealed class ChatMessageMappingTests
{
    private static readonly DateTimeOffset Created = new(2026, 11, 21, 10, 0, 0, TimeSpan.Zero);

    private static SessionMessage Stored(NewMessage m, long seq = 7) => new()
    {
        Id = m.Id ?? "generated",
        Sequence = seq,
        Role = m.Role,
        Parts = m.Parts,
        AuthorName = m.AuthorName,
        CreatedAt = m.CreatedAt ?? Created,
        InputTokens = m.InputTokens,
        OutputTokens = m.OutputTokens,
        Model = m.Model,
        Metadata = m.Metadata,
    };

    private static string Json(SessionMessage m) => JsonSerializer.Serialize(m, AgentSessionsJson.Context.SessionMessage);

    [Fact]
    public void A_ChatMessage_with_every_content_kind_round_trips()
    {
        var original = new ChatMessage(ChatRole.Assistant,
        [
            new TextContent("Here is the plan."),
            new TextReasoningContent("Consider the WAL first.") { ProtectedData = "sig==" },
            new FunctionCallContent("call-1", "read_file", new Dictionary<string, object?> { ["path"] = "/tmp/x", ["lines"] = new[] { 1, 2 }, ["opts"] = null }),
            new FunctionResultContent("call-1", "file contents"),
            new FunctionResultContent("call-2", new { code = 2, reason = "denied" }) { AdditionalProperties = new() { ["isError"] = true } },
            new DataContent(new byte[] { 1, 2, 3, 250 }, "image/png") { Name = "dot.png" },
            new UriContent(new Uri("https://example.com/doc.pdf"), "application/pdf"),
        ])
        {
            MessageId = "msg-1",
            AuthorName = "planner",
            CreatedAt = Created,
            AdditionalProperties = new() { ["trace"] = "abc", ["agentSessions.inputTokens"] = 12L, ["agentSessions.outputTokens"] = 34L, ["agentSessions.model"] = "gpt-5" },
        };

        var converted = original.ToNewMessage();
        var back = Stored(converted).ToChatMessage();

        Assert.Equal(ChatRole.Assistant, back.Role);
        Assert.Equal("msg-1", back.MessageId);
        Assert.Equal("planner", back.AuthorName);
        Assert.Equal(Created, back.CreatedAt);
        Assert.Equal(12, converted.InputTokens);
        Assert.Equal(34, converted.OutputTokens);
        Assert.Equal("gpt-5", converted.Model);
        Assert.Equal("abc", ((JsonElement)back.AdditionalProperties!["trace"]!).GetString());
        Assert.Equal(original.Contents.Count, back.Contents.Count);

        Assert.Equal("Here is the plan.", Assert.IsType<TextContent>(back.Contents[0]).Text);
        var reasoning = Assert.IsType<TextReasoningContent>(back.Contents[1]);
        Assert.Equal(("Consider the WAL first.", "sig=="), (reasoning.Text, reasoning.ProtectedData));
        var call = Assert.IsType<FunctionCallContent>(back.Contents[2]);
        Assert.Equal(("call-1", "read_file"), (call.CallId, call.Name));
        Assert.Equal(
            JsonSerializer.Serialize(((FunctionCallContent)original.Contents[2]).Arguments),
            JsonSerializer.Serialize(call.Arguments));
        var result = Assert.IsType<FunctionResultContent>(back.Contents[3]);
        Assert.Equal("file contents", result.Result);
        var error = Assert.IsType<FunctionResultContent>(back.Contents[4]);
        Assert.Equal("""{"code":2,"reason":"denied"}""", ((JsonElement)error.Result!).GetRawText());
        Assert.Equal(true, error.AdditionalProperties?["isError"]);
        var data = Assert.IsType<DataContent>(back.Contents[5]);
        Assert.Equal(new byte[] { 1, 2, 3, 250 }, data.Data.ToArray());
        Assert.Equal(("image/png", "dot.png"), (data.MediaType, data.Name));
        var uri = Assert.IsType<UriContent>(back.Contents[6]);
        Assert.Equal(("https://example.com/doc.pdf", "application/pdf"), (uri.Uri.ToString(), uri.MediaType));

        // And once more: the second trip changes nothing at all.
        Assert.Equal(Json(Stored(converted)), Json(Stored(back.ToNewMessage())));
    }

    [Fact]
    public void A_stored_message_round_trips_through_ChatMessage_exactly()
    {
        var message = Stored(new NewMessage(MessageRole.Tool, [new ToolResultPart("c9", JsonDocument.Parse("[1,{\"a\":null}]").RootElement, IsError: true)])
        {
            Id = "m-9",
            AuthorName = "shell",
            CreatedAt = Created.AddTicks(1234567),
            InputTokens = 5,
            OutputTokens = 6,
            Model = "local-model",
            Metadata = new Dictionary<string, JsonElement> { ["k"] = JsonDocument.Parse("{\"nested\":[true]}").RootElement },
        }, seq: 42);

        var chat = message.ToChatMessage();
        var back = Stored(chat.ToNewMessage(), seq: 42);

        Assert.Equal(42L, chat.AdditionalProperties![ChatMessageMapping.SequenceKey]);
        Assert.Equal(Json(message), Json(back));
    }

    [Theory]
    [InlineData("user", MessageRole.User)]
    [InlineData("assistant", MessageRole.Assistant)]
    [InlineData("system", MessageRole.System)]
    [InlineData("tool", MessageRole.Tool)]
    public void Roles_map_both_ways(string chatRole, MessageRole role)
    {
        Assert.Equal(role, ChatMessageMapping.FromChatRole(new ChatRole(chatRole)));
        Assert.Equal(chatRole, ChatMessageMapping.ToChatRole(role).Value);
    }

    [Fact]
    public void Unknown_roles_and_content_are_refused_not_dropped()
    {
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<AgentSessionsException>(() => new ChatMessage(new ChatRole("developer"), "x").ToNewMessage()).Code);
        var e = Assert.Throws<AgentSessionsException>(() => new ChatMessage(ChatRole.Assistant, [new UsageContent(new UsageDetails())]).ToNewMessage());
        Assert.Contains("UsageContent", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_function_result_with_an_exception_is_an_error_part_carrying_the_message()
    {
        var chat = new ChatMessage(ChatRole.Tool, [new FunctionResultContent("c1", null) { Exception = new InvalidOperationException("disk on fire") }]);

        var part = Assert.IsType<ToolResultPart>(Assert.Single(chat.ToNewMessage().Parts));

        Assert.True(part.IsError);
        Assert.Equal("disk on fire", part.Result!.Value.GetString());
    }
}
