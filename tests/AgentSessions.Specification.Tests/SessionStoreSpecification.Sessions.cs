using System.Text.Json;
using AgentSessions.Storage;
using Xunit;

namespace AgentSessions.Specification.Tests;

// Sessions: create and get, id rules, list and its filters, update and delete.
public abstract partial class SessionStoreSpecification
{
    // ---- create and get ----

    [Fact]
    public async Task Create_then_get_returns_every_field()
    {
        var created = await Store.CreateAsync(new NewSession
        {
            Id = "spec-1",
            Title = "A title",
            Model = "gpt-5",
            ProjectPath = "/work/project",
            Tags = ["b", "a", "b"],
            Pinned = true,
            Metadata = new Dictionary<string, JsonElement> { ["editor"] = Json("\"emacs\""), ["n"] = Json("3") },
        });

        var loaded = await Store.GetAsync("spec-1");

        Assert.NotNull(loaded);
        Assert.Equal("spec-1", loaded.Id);
        Assert.Equal("A title", loaded.Title);
        Assert.Equal("gpt-5", loaded.Model);
        Assert.Equal("/work/project", loaded.ProjectPath);
        Assert.Equal(["a", "b"], loaded.Tags);
        Assert.True(loaded.Pinned);
        Assert.Equal("emacs", loaded.Metadata["editor"].GetString());
        Assert.Equal(3, loaded.Metadata["n"].GetInt32());
        Assert.Equal(created.CreatedAt, loaded.CreatedAt);
        Assert.Equal(TimeSpan.Zero, loaded.CreatedAt.Offset);
        Assert.Equal(0, loaded.MessageCount);
    }

    [Fact]
    public async Task Create_without_id_generates_a_valid_unique_id()
    {
        var a = await Store.CreateAsync(new NewSession());
        var b = await Store.CreateAsync(new NewSession());

        Assert.True(SessionIds.IsValid(a.Id));
        Assert.StartsWith("session-", a.Id, StringComparison.Ordinal);
        Assert.NotEqual(a.Id, b.Id);
        Assert.True(string.CompareOrdinal(a.Id, b.Id) < 0, "ids made later sort later");
    }

    [Fact]
    public async Task Create_with_a_taken_id_is_a_conflict_and_keeps_the_original()
    {
        await Store.CreateAsync(new NewSession { Id = "taken", Title = "first" });

        await ThrowsCode(ErrorCode.Conflict, async () => await Store.CreateAsync(new NewSession { Id = "taken", Title = "second" }));

        Assert.Equal("first", (await Store.GetAsync("taken"))!.Title);
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("")]
    [InlineData(".hidden")]
    [InlineData("x\u0001y")]
    [InlineData("x y")]
    [InlineData("x'; DROP TABLE sessions; --")]
    public async Task Invalid_ids_are_refused_by_every_operation(string id)
    {
        await ThrowsCode(ErrorCode.InvalidId, async () => await Store.CreateAsync(new NewSession { Id = id }));
        await ThrowsCode(ErrorCode.InvalidId, async () => await Store.GetAsync(id));
        await ThrowsCode(ErrorCode.InvalidId, async () => await Store.AppendAsync(id, [new NewMessage(MessageRole.User, "hi")]));
        await ThrowsCode(ErrorCode.InvalidId, async () => await Store.DeleteAsync(id));
        await ThrowsCode(ErrorCode.InvalidId, async () => await Store.UpdateAsync(id, new SessionUpdate { Title = "t" }));
        await ThrowsCode(ErrorCode.InvalidId, () => ToListAsync(Store.ReadAsync(id)));
        Assert.Empty((await Store.ListAsync(new SessionQuery())).Sessions);
    }

    [Fact]
    public async Task An_id_of_129_characters_is_refused_and_128_accepted()
    {
        await ThrowsCode(ErrorCode.InvalidId, async () => await Store.CreateAsync(new NewSession { Id = new string('a', 129) }));
        var ok = await Store.CreateAsync(new NewSession { Id = new string('a', 128) });
        Assert.Equal(128, ok.Id.Length);
    }

    [Fact]
    public async Task Get_of_an_unknown_session_returns_null()
        => Assert.Null(await Store.GetAsync("nobody-here"));

    // ---- list ----

    [Fact]
    public async Task List_returns_the_most_recently_updated_first_and_pages()
    {
        for (var i = 0; i < 5; i++)
        {
            await Store.CreateAsync(new NewSession { Id = $"s{i}" });
        }

        await Store.AppendAsync("s1", [new NewMessage(MessageRole.User, "bump")]);

        var first = await Store.ListAsync(new SessionQuery { Limit = 2 });
        var second = await Store.ListAsync(new SessionQuery { Limit = 2, Offset = 2 });
        var last = await Store.ListAsync(new SessionQuery { Limit = 2, Offset = 4 });

        Assert.Equal(["s1", "s4"], first.Sessions.Select(s => s.Id));
        Assert.True(first.HasMore);
        Assert.Equal(["s3", "s2"], second.Sessions.Select(s => s.Id));
        Assert.Equal(["s0"], last.Sessions.Select(s => s.Id));
        Assert.False(last.HasMore);
    }

    [Fact]
    public async Task List_filters_by_tag_pinned_project_and_title()
    {
        await Store.CreateAsync(new NewSession { Id = "a", Title = "Fix the parser", Tags = ["bug"], ProjectPath = "/p/one" });
        await Store.CreateAsync(new NewSession { Id = "b", Title = "Write docs", Tags = ["docs", "bug"], Pinned = true });
        await Store.CreateAsync(new NewSession { Id = "c", Title = "PARSER speed", ProjectPath = "/p/one" });

        Assert.Equal(["b", "a"], (await Store.ListAsync(new SessionQuery { Tag = "bug" })).Sessions.Select(s => s.Id));
        Assert.Equal(["b"], (await Store.ListAsync(new SessionQuery { Pinned = true })).Sessions.Select(s => s.Id));
        Assert.Equal(["c", "a"], (await Store.ListAsync(new SessionQuery { ProjectPath = "/p/one" })).Sessions.Select(s => s.Id));
        Assert.Equal(["c", "a"], (await Store.ListAsync(new SessionQuery { TitleContains = "parser" })).Sessions.Select(s => s.Id));
        Assert.Empty((await Store.ListAsync(new SessionQuery { Tag = "none" })).Sessions);
        await ThrowsCode(ErrorCode.InvalidArgument, async () => await Store.ListAsync(new SessionQuery { Limit = 0 }));
    }

    [Fact]
    public async Task A_tagged_session_moves_to_the_top_of_its_tag_when_it_changes()
    {
        await Store.CreateAsync(new NewSession { Id = "old", Tags = ["t"] });
        await Store.CreateAsync(new NewSession { Id = "mid", Tags = ["t", "u"] });
        await Store.CreateAsync(new NewSession { Id = "new", Tags = ["t"] });
        async Task<string[]> Tagged(string tag) => (await Store.ListAsync(new SessionQuery { Tag = tag })).Sessions.Select(s => s.Id).ToArray();
        Assert.Equal(["new", "mid", "old"], await Tagged("t"));

        await Store.AppendAsync("old", [new NewMessage(MessageRole.User, "bump")]);
        Assert.Equal(["old", "new", "mid"], await Tagged("t"));

        await Store.UpdateAsync("mid", new SessionUpdate { Pinned = true });
        Assert.Equal(["mid", "old", "new"], await Tagged("t"));

        await Store.UpdateAsync("new", new SessionUpdate { AddTags = ["u"] });
        Assert.Equal(["new", "mid"], await Tagged("u"));
        Assert.Equal(["mid"], (await Store.ListAsync(new SessionQuery { Tag = "u", Pinned = true })).Sessions.Select(s => s.Id));
        Assert.Equal(["new"], (await Store.ListAsync(new SessionQuery { Tag = "t", Limit = 1 })).Sessions.Select(s => s.Id));
        Assert.Equal(["old"], (await Store.ListAsync(new SessionQuery { Tag = "t", Limit = 1, Offset = 2 })).Sessions.Select(s => s.Id));
    }

    // ---- update and delete ----

    [Fact]
    public async Task Rename_tag_and_pin_change_only_what_they_name()
    {
        await Store.CreateAsync(new NewSession { Id = "u", Title = "old", Tags = ["keep", "drop"], Model = "m" });

        await Store.UpdateAsync("u", new SessionUpdate { Title = "new title" });
        await Store.UpdateAsync("u", new SessionUpdate { AddTags = ["added"], RemoveTags = ["drop", "absent"] });
        var pinned = await Store.UpdateAsync("u", new SessionUpdate { Pinned = true });

        Assert.Equal("new title", pinned.Title);
        Assert.Equal(["added", "keep"], pinned.Tags);
        Assert.True(pinned.Pinned);
        Assert.Equal("m", pinned.Model);
        Assert.Equal(pinned, (await Store.GetAsync("u"))! with { Tags = pinned.Tags, Metadata = pinned.Metadata });
        Assert.Equal(["u"], (await Store.ListAsync(new SessionQuery { Tag = "added" })).Sessions.Select(s => s.Id));
        Assert.Empty((await Store.ListAsync(new SessionQuery { Tag = "drop" })).Sessions);
        Assert.Single(await ToListAsync(Store.SearchAsync(new SearchQuery("title"))));
        Assert.Empty(await ToListAsync(Store.SearchAsync(new SearchQuery("old"))));
        await ThrowsCode(ErrorCode.InvalidArgument, async () => await Store.UpdateAsync("u", new SessionUpdate { AddTags = ["has space"] }));
        await ThrowsCode(ErrorCode.NotFound, async () => await Store.UpdateAsync("nope", new SessionUpdate { Pinned = true }));
    }

    [Fact]
    public async Task Delete_removes_the_session_its_messages_and_its_search_hits()
    {
        await Store.CreateAsync(new NewSession { Id = "gone", Title = "zebra title", Tags = ["t"] });
        await Store.AppendAsync("gone", [new NewMessage(MessageRole.User, "zebra crossing")]);
        await Store.CreateAsync(new NewSession { Id = "stays" });
        await Store.AppendAsync("stays", [new NewMessage(MessageRole.User, "zebra stays")]);

        Assert.True(await Store.DeleteAsync("gone"));
        Assert.False(await Store.DeleteAsync("gone"));

        Assert.Null(await Store.GetAsync("gone"));
        Assert.Equal(["stays"], (await ToListAsync(Store.SearchAsync(new SearchQuery("zebra")))).Select(h => h.SessionId));
        Assert.Empty((await Store.ListAsync(new SessionQuery { Tag = "t" })).Sessions);
        await Store.CreateAsync(new NewSession { Id = "gone" });
        Assert.Empty(await ReadAllAsync("gone"));
    }
}
