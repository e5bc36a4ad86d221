using AgentSessions.Sqlite;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Tests;

/// <summary>The current session and its deferred messages, over a real SQLite store.</summary>
public sealed class ConversationTests
{
    [Fact]
    public async Task Deferred_messages_are_stored_only_when_saved_and_keep_the_order_they_were_sent_in()
    {
        using var temp = TempDirectory.ForCaller();
        await using var service = new SessionService(SqliteSessionStore.Open(temp.Path), ownsStore: true);
        var conversation = new Conversation(service, maxPendingBytes: 1 << 20);
        await conversation.CreateAsync(new NewSession { Id = "c" });
        Assert.Equal("c", conversation.CurrentId);

        Assert.Equal(1, conversation.Defer("c", [new NewMessage(MessageRole.User, "one")]));
        Assert.Equal(2, conversation.Defer("c", [new NewMessage(MessageRole.Assistant, "two")]));
        Assert.Equal(0, (await service.GetAsync("c")).MessageCount);

        // A plain append to the current session writes what was deferred first, in the same transaction.
        var appended = await conversation.AppendAsync("c", [new NewMessage(MessageRole.User, "three")]);
        Assert.Equal(["one", "two", "three"], appended.Messages.Select(m => m.Text));
        Assert.Equal(0, conversation.PendingCount);

        conversation.Defer("c", [new NewMessage(MessageRole.Assistant, "four")]);
        await service.CreateAsync(new NewSession { Id = "d" });
        // Switching saves the old session's deferred messages before the current session changes.
        var saved = await conversation.SwitchAsync("d");
        Assert.Equal(["four"], saved!.Messages.Select(m => m.Text));
        Assert.Equal(4, (await service.GetAsync("c")).MessageCount);
        Assert.Equal("d", conversation.CurrentId);
    }

    [Fact]
    public async Task Deferring_is_for_the_current_session_within_bounds_and_a_failed_save_keeps_the_messages()
    {
        using var temp = TempDirectory.ForCaller();
        await using var service = new SessionService(SqliteSessionStore.Open(temp.Path), ownsStore: true);
        var conversation = new Conversation(service, maxPendingBytes: 4_096, maxPendingMessages: 3);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<AgentSessionsException>(() => conversation.Defer("x", [new NewMessage(MessageRole.User, "a")])).Code);

        // A missing target changes nothing.
        await Assert.ThrowsAsync<AgentSessionsException>(async () => await conversation.SwitchAsync("missing"));
        Assert.Null(conversation.CurrentId);

        await conversation.CreateAsync(new NewSession { Id = "s" });
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<AgentSessionsException>(() => conversation.Defer("other", [new NewMessage(MessageRole.User, "a")])).Code);
        conversation.Defer("s", [new NewMessage(MessageRole.User, "a"), new NewMessage(MessageRole.User, "b")]);
        Assert.Equal(ErrorCode.TooLarge, Assert.Throws<AgentSessionsException>(() => conversation.Defer("s", [new NewMessage(MessageRole.User, "c"), new NewMessage(MessageRole.User, "d")])).Code);
        Assert.Equal(ErrorCode.TooLarge, Assert.Throws<AgentSessionsException>(() => conversation.Defer("s", [new NewMessage(MessageRole.User, new string('x', 5_000))])).Code);
        Assert.Equal(2, conversation.PendingCount);

        // The session disappears behind the conversation's back: the save fails and nothing pending is lost.
        await service.DeleteAsync("s");
        await Assert.ThrowsAsync<AgentSessionsException>(async () => await conversation.SaveAsync());
        Assert.Equal(2, conversation.PendingCount);
        Assert.Equal(2, conversation.Discard());
        Assert.Null(await conversation.SaveAsync());
    }
}
