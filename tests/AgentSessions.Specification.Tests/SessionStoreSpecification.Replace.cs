using AgentSessions.Storage;
using Xunit;

namespace AgentSessions.Specification.Tests;

// Replacing the last message: how a streamed answer's checkpoint becomes the final answer.
public abstract partial class SessionStoreSpecification
{
    [Fact]
    public async Task Replace_last_message_puts_the_final_answer_in_the_partial_answers_place()
    {
        await Store.CreateAsync(new NewSession { Id = "replace" });
        await Store.AppendAsync("replace", [new NewMessage(MessageRole.User, "question")]);
        var partial = (await Store.AppendAsync("replace", [new NewMessage(MessageRole.Assistant, "halfway") { OutputTokens = 5 }])).Messages[0];

        var result = await Store.ReplaceLastMessageAsync("replace", partial.Id,
        [
            new NewMessage(MessageRole.Assistant, "complete answer") { OutputTokens = 12, InputTokens = 3 },
            new NewMessage(MessageRole.User, "next"),
        ]);

        var messages = await ReadAllAsync("replace");
        Assert.Equal(["question", "complete answer", "next"], messages.Select(m => m.Text));
        Assert.Equal([1L, 2L, 3L], messages.Select(m => m.Sequence));
        Assert.Equal(partial.Id, messages[1].Id);
        Assert.Equal(partial.Id, result.Messages[0].Id);
        var session = (await Store.GetAsync("replace"))!;
        Assert.Equal((3L, 3L, 12L), (session.MessageCount, session.InputTokens, session.OutputTokens));
        Assert.Equal(session.MessageCount, result.Session.MessageCount);
        Assert.Empty(await ToListAsync(Store.SearchAsync(new SearchQuery("halfway"))));
        Assert.Single(await ToListAsync(Store.SearchAsync(new SearchQuery("complete"))));
    }

    [Fact]
    public async Task Replace_last_message_refuses_when_another_message_is_last_and_changes_nothing()
    {
        await Store.CreateAsync(new NewSession { Id = "stale" });
        var partial = (await Store.AppendAsync("stale", [new NewMessage(MessageRole.Assistant, "partial")])).Messages[0];
        await Store.AppendAsync("stale", [new NewMessage(MessageRole.User, "typed meanwhile")]);

        await ThrowsCode(ErrorCode.Conflict, async () => await Store.ReplaceLastMessageAsync("stale", partial.Id, [new NewMessage(MessageRole.Assistant, "final")]));
        await ThrowsCode(ErrorCode.NotFound, async () => await Store.ReplaceLastMessageAsync("missing", partial.Id, [new NewMessage(MessageRole.Assistant, "final")]));

        Assert.Equal(["partial", "typed meanwhile"], (await ReadAllAsync("stale")).Select(m => m.Text));
    }

    [Fact]
    public async Task Replace_last_message_leaves_a_fork_of_the_partial_answer_as_it_was()
    {
        await Store.CreateAsync(new NewSession { Id = "origin" });
        var partial = (await Store.AppendAsync("origin", [new NewMessage(MessageRole.Assistant, "draft")])).Messages[0];
        var fork = await Store.ForkAsync("origin", null, new NewSession { Id = "copy" });

        await Store.ReplaceLastMessageAsync("origin", partial.Id, [new NewMessage(MessageRole.Assistant, "final")]);

        Assert.Equal(["draft"], (await ReadAllAsync(fork.Id)).Select(m => m.Text));
        Assert.Equal(["final"], (await ReadAllAsync("origin")).Select(m => m.Text));
        Assert.Equal(["copy"], (await ToListAsync(Store.SearchAsync(new SearchQuery("draft")))).Select(h => h.SessionId));
    }
}
