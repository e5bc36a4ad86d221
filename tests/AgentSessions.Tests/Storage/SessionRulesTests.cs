using System.Text.Json;
using AgentSessions.Storage;
using Xunit;

namespace AgentSessions.Tests.Storage;

/// <summary>The rules every backend asks, tested without a store.</summary>
public sealed class SessionRulesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    private static Session Parent(long messages = 4, string? title = "Plan") => new()
    {
        Id = "parent",
        Title = title,
        CreatedAt = T0,
        UpdatedAt = T0,
        Model = "m1",
        ProjectPath = "/p",
        Tags = ["a", "b"],
        MessageCount = messages,
        Metadata = new Dictionary<string, JsonElement> { ["k"] = JsonDocument.Parse("1").RootElement },
    };

    [Fact]
    public void Undo_hides_the_last_user_message_and_what_followed()
    {
        Assert.Equal(2, SessionRules.UndoHead("s", lastUserSequence: 3));
        Assert.Equal(0, SessionRules.UndoHead("s", lastUserSequence: 1));
        Assert.Equal(ErrorCode.Conflict, Assert.Throws<AgentSessionsException>(() => SessionRules.UndoHead("s", null)).Code);
    }

    [Fact]
    public void A_fork_inherits_what_the_request_leaves_unset_and_is_titled_after_its_parent()
    {
        var fork = SessionRules.NewFork(Parent(), atSequence: 2, SessionRules.PrepareFork(new NewSession()), T0.AddHours(1));
        Assert.Equal("Plan (fork)", fork.Title);
        Assert.Equal(("m1", "/p", "parent", 2L), (fork.Model, fork.ProjectPath, fork.ParentId, fork.ForkSequence));
        Assert.Equal(["a", "b"], fork.Tags);
        Assert.True(fork.Metadata.ContainsKey("k"));
        Assert.Equal(T0.AddHours(1), fork.CreatedAt);

        var named = SessionRules.NewFork(Parent(title: null), null, SessionRules.PrepareFork(new NewSession { Id = "f", Tags = [" z "], Model = "m2" }), T0);
        Assert.Equal(("f", (string?)null, "m2", 4L), (named.Id, named.Title, named.Model, named.ForkSequence));
        Assert.Equal(["z"], named.Tags);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(5)]
    public void A_fork_point_outside_the_visible_messages_is_refused(long at)
        => Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<AgentSessionsException>(() => SessionRules.NewFork(Parent(), at, new NewSession(), T0)).Code);

    [Fact]
    public void Undone_messages_are_kept_in_a_fork_named_after_the_session()
    {
        var fork = SessionRules.UndoneMessagesFork(Parent(title: null), head: 2, T0);
        Assert.Equal("Undone messages of parent", fork.Title);
        Assert.Equal(("parent", 2L), (fork.ParentId, fork.ForkSequence));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(5L)]
    public void A_bookmark_must_point_at_a_visible_message(long at)
        => Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<AgentSessionsException>(() => SessionRules.BookmarkPosition(Parent(), at)).Code);

    [Fact]
    public void An_update_removes_then_adds_tags_and_merges_metadata_with_null_removing()
    {
        var update = SessionRules.PrepareUpdate(new SessionUpdate
        {
            AddTags = ["c", "b"],
            RemoveTags = ["a", "b"],
            Metadata = new Dictionary<string, JsonElement> { ["k"] = JsonDocument.Parse("null").RootElement, ["n"] = JsonDocument.Parse("\"v\"").RootElement },
            Title = "  New  ",
        });
        var updated = SessionRules.ApplyUpdate(Parent(), update, T0.AddMinutes(-5));
        Assert.Equal(["b", "c"], updated.Tags);
        Assert.Equal(["n"], updated.Metadata.Keys);
        Assert.Equal("New", updated.Title);
        Assert.Equal(T0, updated.UpdatedAt); // never moves back
        Assert.Throws<AgentSessionsException>(() => SessionRules.PrepareUpdate(new SessionUpdate { Title = "a\u0007" }));
    }

    [Fact]
    public void Only_a_user_message_titles_an_untitled_session()
    {
        Assert.Equal("hello there", SessionRules.AutoTitle(null, MessageRole.User, "  hello\n there "));
        Assert.Null(SessionRules.AutoTitle(null, MessageRole.Assistant, "hello"));
        Assert.Null(SessionRules.AutoTitle("kept", MessageRole.User, "hello"));
    }

    [Fact]
    public void Moving_the_head_beyond_what_is_stored_is_a_conflict()
    {
        var session = Parent();
        var state = SessionRules.StateOf(session) with { MessageCount = 7 };
        Assert.Equal(ErrorCode.Conflict, Assert.Throws<AgentSessionsException>(() => SessionRules.MoveHead(session, 6, state, 0, 0, T0)).Code);
        var moved = SessionRules.MoveHead(session, 6, state with { MessageCount = 2 }, 10, 20, T0.AddSeconds(1));
        Assert.Equal((2L, 10L, 20L, 4L), (moved.Session.MessageCount, moved.Session.InputTokens, moved.Session.OutputTokens, moved.HiddenMessages));
    }

    [Theory]
    [InlineData("{\"\\udfffcmd\": 1}")]
    [InlineData("[\"a\\ud800\"]")]
    public void A_json_value_that_could_never_be_written_again_is_refused_at_the_door(string json)
    {
        // It parses, but every later export or read of the message would fail (found by fuzzing the share export).
        var arguments = JsonDocument.Parse(json).RootElement;
        var call = new NewMessage(MessageRole.Assistant, [new ToolCallPart("c1", "shell", arguments)]);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<AgentSessionsException>(() => StoreRules.ValidateMessage(call)).Code);
        var withMetadata = new NewMessage(MessageRole.User, "hi") { Metadata = new Dictionary<string, JsonElement> { ["k"] = arguments } };
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<AgentSessionsException>(() => StoreRules.ValidateMessage(withMetadata)).Code);
        // A well-formed escape is fine.
        var valid = new NewMessage(MessageRole.Assistant, [new ToolCallPart("c1", "shell", JsonDocument.Parse("{\"caf\\u00e9\": 1}").RootElement)]);
        Assert.Equal("shell", StoreRules.ValidateMessage(valid));
    }
}
