using AgentSessions.Storage;
using Xunit;

namespace AgentSessions.Specification.Tests;

// Search: ranking, snippets, filters, the query language and its bounds.
public abstract partial class SessionStoreSpecification
{
    // ---- search ----

    [Fact]
    public async Task Search_ranks_matches_and_marks_them_in_the_snippet()
    {
        await Store.CreateAsync(new NewSession { Id = "s1", Title = "Durability notes" });
        await Store.AppendAsync("s1",
        [
            new NewMessage(MessageRole.User, "How does fsync interact with the write-ahead log?"),
            new NewMessage(MessageRole.Assistant, "Each commit appends frames to the log; fsync makes them durable. fsync fsync."),
            new NewMessage(MessageRole.User, "Unrelated: what is for lunch?"),
        ]);

        var hits = await ToListAsync(Store.SearchAsync(new SearchQuery("fsync")));

        Assert.Equal(2, hits.Count);
        Assert.Equal(2, hits[0].Sequence); // more occurrences rank higher
        Assert.True(hits[0].Score >= hits[1].Score);
        Assert.All(hits, h =>
        {
            Assert.NotEmpty(h.Highlights);
            Assert.All(h.Highlights, r => Assert.Equal("fsync", h.Snippet.Substring(r.Start, r.Length)));
            Assert.Equal("Durability notes", h.SessionTitle);
        });
        Assert.Equal(MessageRole.Assistant, hits[0].Role);
    }

    [Fact]
    public async Task Search_filters_by_role_tag_time_and_session()
    {
        var old = DateTimeOffset.UtcNow.AddDays(-10);
        await Store.CreateAsync(new NewSession { Id = "x", Tags = ["work"] });
        await Store.CreateAsync(new NewSession { Id = "y" });
        await Store.AppendAsync("x",
        [
            new NewMessage(MessageRole.User, "kiwi question") { CreatedAt = old },
            new NewMessage(MessageRole.Assistant, "kiwi answer"),
        ]);
        await Store.AppendAsync("y", [new NewMessage(MessageRole.User, "kiwi elsewhere")]);

        static async Task<string[]> Hits(ISessionStore store, SearchQuery q)
            => (await ToListAsync(store.SearchAsync(q))).Where(h => h.Sequence is not null).Select(h => $"{h.SessionId}#{h.Sequence}").Order().ToArray();

        Assert.Equal(["x#1", "x#2", "y#1"], await Hits(Store, new SearchQuery("kiwi")));
        Assert.Equal(["x#1", "y#1"], await Hits(Store, new SearchQuery("kiwi") { Role = MessageRole.User }));
        Assert.Equal(["x#1", "x#2"], await Hits(Store, new SearchQuery("kiwi") { Tag = "work" }));
        Assert.Equal(["x#2", "y#1"], await Hits(Store, new SearchQuery("kiwi") { Since = DateTimeOffset.UtcNow.AddDays(-1) }));
        Assert.Equal(["y#1"], await Hits(Store, new SearchQuery("kiwi") { SessionId = "y" }));
        Assert.Single(await ToListAsync(Store.SearchAsync(new SearchQuery("kiwi") { Limit = 1 })));
    }

    [Theory]
    [InlineData("\"unbalanced")]
    [InlineData("AND OR NOT")]
    [InlineData("NEAR(a b")]
    [InlineData("col:value")]
    [InlineData("-minus +plus ^caret")]
    [InlineData("a*")]
    public async Task Search_treats_operators_and_punctuation_as_plain_text(string query)
    {
        await Store.CreateAsync(new NewSession { Id = "ops" });
        await Store.AppendAsync("ops", [new NewMessage(MessageRole.User, "unbalanced AND OR NOT NEAR a b col value minus plus caret apple")]);

        var hits = await ToListAsync(Store.SearchAsync(new SearchQuery(query)));

        Assert.Single(hits);
    }

    [Fact]
    public async Task Search_supports_phrases_and_prefixes_and_refuses_empty_text()
    {
        await Store.CreateAsync(new NewSession { Id = "ph" });
        await Store.AppendAsync("ph", [new NewMessage(MessageRole.User, "the quick brown fox"), new NewMessage(MessageRole.User, "brown quick")]);

        Assert.Single(await ToListAsync(Store.SearchAsync(new SearchQuery("\"quick brown\""))));
        Assert.Equal(2, (await ToListAsync(Store.SearchAsync(new SearchQuery("qui*")))).Count);
        Assert.Empty(await ToListAsync(Store.SearchAsync(new SearchQuery("qui"))));
        await ThrowsCode(ErrorCode.InvalidArgument, () => ToListAsync(Store.SearchAsync(new SearchQuery("  ?! "))));
    }

    [Fact]
    public async Task Search_with_repeated_terms_finds_and_scores_exactly_what_one_term_does()
    {
        await Store.CreateAsync(new NewSession { Id = "rep", Title = "Kiwi notes" });
        await Store.AppendAsync("rep",
        [
            new NewMessage(MessageRole.User, "kiwi kiwi and a kiwi"),
            new NewMessage(MessageRole.Assistant, "one kiwi among many other words in a longer message"),
            new NewMessage(MessageRole.User, "no fruit here"),
        ]);

        static async Task<string[]> Hits(ISessionStore store, string text)
            => (await ToListAsync(store.SearchAsync(new SearchQuery(text)))).Select(h => $"{h.SessionId}#{h.Sequence} {h.Score:R} {h.Snippet} {string.Join(',', h.Highlights)}").ToArray();

        var one = await Hits(Store, "kiwi");
        Assert.Equal(2, one.Length);
        Assert.Equal(one, await Hits(Store, "kiwi kiwi KIWI \"kiwi\" kiwi"));
        Assert.Equal(await Hits(Store, "kiwi* \"and a\""), await Hits(Store, "kiwi* \"and a\" \"AND A\" kiwi*"));
    }

    [Fact]
    public async Task Search_refuses_more_than_32_different_terms_or_1000_characters_with_a_one_line_message()
    {
        await Store.CreateAsync(new NewSession { Id = "cap" });
        var words = Enumerable.Range(0, 33).Select(i => $"w{i}").ToList();
        await Store.AppendAsync("cap", [new NewMessage(MessageRole.User, string.Join(' ', words))]);

        // Repeats count once, so a long run of one word is no more than that word.
        Assert.Single(await ToListAsync(Store.SearchAsync(new SearchQuery(string.Join(' ', words.Take(32))))));
        Assert.Single(await ToListAsync(Store.SearchAsync(new SearchQuery(string.Join(' ', Enumerable.Repeat("w1", 300))))));

        var tooMany = await ThrowsCode(ErrorCode.InvalidArgument, () => ToListAsync(Store.SearchAsync(new SearchQuery(string.Join(' ', words)))));
        Assert.Contains("33 different terms", tooMany.Message, StringComparison.Ordinal);
        Assert.Contains("at most 32", tooMany.Message, StringComparison.Ordinal);
        var tooLong = await ThrowsCode(ErrorCode.InvalidArgument, () => ToListAsync(Store.SearchAsync(new SearchQuery("\"" + new string('w', 1_001) + "\""))));
        Assert.Contains("at most 1,000", tooLong.Message, StringComparison.Ordinal);
        Assert.All(new[] { tooMany.Message, tooLong.Message }, m => Assert.DoesNotContain('\n', m));
    }
}
