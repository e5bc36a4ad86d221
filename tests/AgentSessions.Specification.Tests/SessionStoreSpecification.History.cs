using AgentSessions.Storage;
using Xunit;

namespace AgentSessions.Specification.Tests;

// History and lineage: undo, redo, snapshots and restore, forks, bookmarks.
public abstract partial class SessionStoreSpecification
{
    private async Task<string> ConversationAsync(string id, int exchanges)
    {
        await Store.CreateAsync(new NewSession { Id = id, Title = "talk", Tags = ["t"] });
        for (var i = 1; i <= exchanges; i++)
        {
            await Store.AppendAsync(id, [
                new NewMessage(MessageRole.User, $"question {i}") { InputTokens = 10 },
                new NewMessage(MessageRole.Assistant, $"answer {i}") { OutputTokens = 20 },
            ]);
        }

        return id;
    }

    private async Task<string[]> TextsAsync(string id) => (await ReadAllAsync(id)).Select(m => m.Text).ToArray();

    [Fact]
    public async Task Undo_hides_the_last_exchange_and_redo_brings_it_back()
    {
        await ConversationAsync("u", 3);

        var undone = await Store.UndoAsync("u");

        Assert.Equal(4, undone.Session.MessageCount);
        Assert.Equal(2, undone.HiddenMessages);
        Assert.Equal(20, undone.Session.InputTokens);
        Assert.Equal(40, undone.Session.OutputTokens);
        Assert.Equal(["question 1", "answer 1", "question 2", "answer 2"], await TextsAsync("u"));
        Assert.Empty(await ToListAsync(Store.SearchAsync(new SearchQuery("question") { SessionId = "u" })).ContinueWith(t => t.Result.Where(h => h.Sequence > 4).ToList()));

        var redone = await Store.RedoAsync("u");
        Assert.Equal(6, redone.Session.MessageCount);
        Assert.Equal(30, redone.Session.InputTokens);
        Assert.Equal(["question 1", "answer 1", "question 2", "answer 2", "question 3", "answer 3"], await TextsAsync("u"));
        var nothing = await Assert.ThrowsAsync<AgentSessionsException>(async () => await Store.RedoAsync("u"));
        Assert.Equal(ErrorCode.Conflict, nothing.Code);
    }

    [Fact]
    public async Task Undo_twice_then_redo_twice_returns_to_the_start()
    {
        await ConversationAsync("u2", 3);
        await Store.UndoAsync("u2");
        await Store.UndoAsync("u2");
        Assert.Equal(2, (await Store.GetAsync("u2"))!.MessageCount);
        await Store.RedoAsync("u2");
        Assert.Equal(4, (await Store.GetAsync("u2"))!.MessageCount);
        await Store.RedoAsync("u2");
        Assert.Equal(6, (await Store.GetAsync("u2"))!.MessageCount);
    }

    [Fact]
    public async Task Undo_without_a_user_message_is_a_clear_conflict()
    {
        await Store.CreateAsync(new NewSession { Id = "empty" });
        var e = await Assert.ThrowsAsync<AgentSessionsException>(async () => await Store.UndoAsync("empty"));
        Assert.Equal(ErrorCode.Conflict, e.Code);
        Assert.Contains("nothing to undo", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_snapshot_is_a_pointer_that_restore_returns_to_with_its_fields()
    {
        await ConversationAsync("s", 2);
        var snapshot = await Store.CreateSnapshotAsync("s", "before-refactor", "two exchanges in");
        await Store.AppendAsync("s", [new NewMessage(MessageRole.User, "question 3")]);
        await Store.UpdateAsync("s", new SessionUpdate { Title = "renamed", AddTags = ["later"] });

        var restored = await Store.RestoreAsync("s", "before-refactor");

        Assert.Equal(4, snapshot.MessageCount);
        Assert.Equal(4, restored.Session.MessageCount);
        Assert.Equal("talk", restored.Session.Title);
        Assert.Equal(["t"], restored.Session.Tags);
        Assert.Equal(1, restored.HiddenMessages);
        Assert.Equal(["s"], (await Store.ListAsync(new SessionQuery { Tag = "t" })).Sessions.Select(x => x.Id));
        Assert.Empty((await Store.ListAsync(new SessionQuery { Tag = "later" })).Sessions);
        var details = await Store.GetDetailsAsync("s");
        Assert.Equal("two exchanges in", Assert.Single(details.Snapshots).Description);
        Assert.True(details.CanRedo);

        var back = await Store.RedoAsync("s");
        Assert.Equal(5, back.Session.MessageCount);
        Assert.Equal("renamed", back.Session.Title);
        var dup = await Assert.ThrowsAsync<AgentSessionsException>(async () => await Store.CreateSnapshotAsync("s", "before-refactor"));
        Assert.Equal(ErrorCode.Conflict, dup.Code);
        var missing = await Assert.ThrowsAsync<AgentSessionsException>(async () => await Store.RestoreAsync("s", "nope"));
        Assert.Equal(ErrorCode.NotFound, missing.Code);
    }

    [Fact]
    public async Task An_append_after_undo_keeps_the_undone_messages_in_a_fork()
    {
        await ConversationAsync("p", 3);
        await Store.CreateSnapshotAsync("p", "all-six");
        await Store.AddBookmarkAsync("p", "last-answer", 6);
        await Store.UndoAsync("p");

        var result = await Store.AppendAsync("p", [new NewMessage(MessageRole.User, "a different question 3")]);

        Assert.NotNull(result.PreservedIn);
        Assert.Equal(5, result.Messages[0].Sequence);
        Assert.Equal(["question 1", "answer 1", "question 2", "answer 2", "a different question 3"], await TextsAsync("p"));
        var stored = (await Store.GetAsync("p"))!;
        Assert.Equal(
            (stored.MessageCount, stored.InputTokens, stored.OutputTokens, stored.UpdatedAt, stored.Title),
            (result.Session.MessageCount, result.Session.InputTokens, result.Session.OutputTokens, result.Session.UpdatedAt, result.Session.Title));
        Assert.Equal(5, stored.MessageCount);
        var kept = result.PreservedIn!;
        Assert.Equal(["question 1", "answer 1", "question 2", "answer 2", "question 3", "answer 3"], await TextsAsync(kept));
        var fork = (await Store.GetAsync(kept))!;
        Assert.Equal("p", fork.ParentId);
        Assert.Equal(4, fork.ForkSequence);
        var forkDetails = await Store.GetDetailsAsync(kept);
        Assert.Equal("all-six", Assert.Single(forkDetails.Snapshots).Name);
        Assert.Equal("last-answer", Assert.Single(forkDetails.Bookmarks).Name);
        var parentDetails = await Store.GetDetailsAsync("p");
        Assert.Empty(parentDetails.Snapshots);
        Assert.False(parentDetails.CanRedo);
        Assert.Equal(0, parentDetails.HiddenMessages);
        Assert.Contains(kept, parentDetails.Forks);
        // The undone answer is still found, once, in the fork that keeps it.
        var hit = Assert.Single(await ToListAsync(Store.SearchAsync(new SearchQuery("answer 3"))));
        Assert.Equal(kept, hit.SessionId);
    }

    [Fact]
    public async Task A_fork_holds_the_messages_up_to_its_point_and_records_its_lineage()
    {
        await ConversationAsync("origin", 3);
        await Store.AddBookmarkAsync("origin", "early", 2);
        await Store.AddBookmarkAsync("origin", "late", 6);

        var fork = await Store.ForkAsync("origin", 4, new NewSession { Title = "try another idea" });

        Assert.Equal("origin", fork.ParentId);
        Assert.Equal(4, fork.ForkSequence);
        Assert.Equal("try another idea", fork.Title);
        Assert.Equal(4, fork.MessageCount);
        Assert.Equal(20, fork.InputTokens);
        Assert.Equal(["question 1", "answer 1", "question 2", "answer 2"], await TextsAsync(fork.Id));
        Assert.Equal(["early"], (await Store.GetDetailsAsync(fork.Id)).Bookmarks.Select(b => b.Name));
        Assert.Equal([fork.Id], (await Store.ListAsync(new SessionQuery { ForksOf = "origin" })).Sessions.Select(s => s.Id));
        Assert.Equal([fork.Id], (await Store.GetDetailsAsync("origin")).Forks);
        var appended = await Store.AppendAsync(fork.Id, [new NewMessage(MessageRole.User, "fork only")]);
        Assert.Equal(5, appended.Messages[0].Sequence);
        Assert.Equal(6, (await Store.GetAsync("origin"))!.MessageCount);

        var whole = await Store.ForkAsync("origin", null, new NewSession { Id = "whole-copy" });
        Assert.Equal(6, whole.MessageCount);
        var bad = await Assert.ThrowsAsync<AgentSessionsException>(async () => await Store.ForkAsync("origin", 7, new NewSession()));
        Assert.Equal(ErrorCode.InvalidArgument, bad.Code);
    }

    [Fact]
    public async Task Search_finds_a_forked_message_once_and_still_finds_it_after_the_parent_is_deleted()
    {
        await Store.CreateAsync(new NewSession { Id = "parent" });
        await Store.AppendAsync("parent", [new NewMessage(MessageRole.User, "unique pelican words")]);
        var fork = await Store.ForkAsync("parent", null, new NewSession { Id = "child" });
        await Store.ForkAsync("child", null, new NewSession { Id = "grandchild" });

        // Forks inherit the parent's title, so title hits name them too; message hits name the parent alone.
        async Task<List<string>> MessageHits() => (await ToListAsync(Store.SearchAsync(new SearchQuery("pelican")))).Where(h => h.Sequence is not null).Select(h => h.SessionId).Order().ToList();
        Assert.Equal(["parent"], await MessageHits());

        await Store.DeleteAsync("parent");

        var hits = await MessageHits();
        Assert.Equal(["child", "grandchild"], hits);
        Assert.Equal(["unique pelican words"], await TextsAsync(fork.Id));
        await Store.DeleteAsync("child");
        Assert.Equal(["grandchild"], await MessageHits());
        Assert.True((await Store.CheckAsync(repair: false)).Healthy);
    }

    [Fact]
    public async Task Bookmarks_name_positions_and_refuse_positions_that_do_not_exist()
    {
        await ConversationAsync("b", 2);

        var last = await Store.AddBookmarkAsync("b", "here");
        var second = await Store.AddBookmarkAsync("b", "second", 2, "the first answer");

        Assert.Equal(4, last.Sequence);
        Assert.Equal(["second", "here"], (await Store.GetDetailsAsync("b")).Bookmarks.Select(x => x.Name));
        Assert.Equal("the first answer", second.Note);
        Assert.Equal(ErrorCode.InvalidArgument, (await Assert.ThrowsAsync<AgentSessionsException>(async () => await Store.AddBookmarkAsync("b", "far", 9))).Code);
        Assert.Equal(ErrorCode.Conflict, (await Assert.ThrowsAsync<AgentSessionsException>(async () => await Store.AddBookmarkAsync("b", "here", 1))).Code);
        Assert.Equal(ErrorCode.InvalidId, (await Assert.ThrowsAsync<AgentSessionsException>(async () => await Store.AddBookmarkAsync("b", "../x", 1))).Code);
    }
}
