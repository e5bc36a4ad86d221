using AgentSessions.Sqlite;
using AgentSessions.Storage;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Sqlite.Tests;

/// <summary>
/// Every search answers or refuses in bounded time whatever the query: repeated terms count once, snippets cost
/// time linear in the message, a search past its time limit is refused, and cancellation stops a running
/// statement. The limits here are generous (tens of seconds) against searches that ran for minutes.
/// </summary>
public sealed class SqliteSearchBoundTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Spellings the index folds to the one token "a" (case and diacritics removed) but that are different
    /// terms to the query parser: the most expensive query that stays under the term cap.
    /// </summary>
    private static readonly string[] SpellingsOfA =
    [
        "a", "á", "à", "â", "ä", "ã", "å", "ā", "ă", "ą", "ǎ", "ȁ", "ȃ", "ạ", "ả", "ấ",
        "ầ", "ẩ", "ẫ", "ậ", "ắ", "ằ", "ẳ", "ẵ", "ặ", "ǻ", "ȧ", "ǟ", "ḁ", "a*", "á*", "à*",
    ];

    [Fact]
    public async Task Sixty_repeated_one_letter_terms_over_a_100000_word_message_answer_quickly()
    {
        using var temp = TempDirectory.ForCaller();
        await using var store = SqliteSessionStore.Open(temp.Path);
        await store.CreateAsync(new NewSession { Id = "huge" });
        await store.AppendAsync("huge", [new NewMessage(MessageRole.Tool, string.Join(' ', Enumerable.Repeat("a", 100_000)))]);

        // Before the bound, each of these ran for minutes inside one call of FTS5's snippet function.
        var repeated = await SearchAsync(store, new SearchQuery(string.Join(' ', Enumerable.Repeat("a", 60)))).WaitAsync(Generous);
        var equivalent = await SearchAsync(store, new SearchQuery(string.Join(' ', SpellingsOfA))).WaitAsync(Generous);

        foreach (var hits in new[] { repeated, equivalent })
        {
            var hit = Assert.Single(hits);
            Assert.Equal(("huge", 1L), (hit.SessionId, hit.Sequence));
            Assert.StartsWith("a a a", hit.Snippet, StringComparison.Ordinal);
            Assert.EndsWith("…", hit.Snippet, StringComparison.Ordinal);
            Assert.NotEmpty(hit.Highlights);
            Assert.All(hit.Highlights, r => Assert.Equal("a", hit.Snippet.Substring(r.Start, r.Length)));
        }
    }

    [Fact]
    public async Task A_cancelled_token_interrupts_a_running_search_and_the_store_searches_again()
    {
        using var temp = TempDirectory.ForCaller();
        await using var store = SqliteSessionStore.Open(temp.Path);
        await AddExpensiveMessagesAsync(store);
        var expensive = new SearchQuery(string.Join(' ', SpellingsOfA)) { Exhaustive = true };

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var search = SearchAsync(store, expensive, cancel.Token);

        // A TimeoutException here means the statement ran on past the cancellation.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => search.WaitAsync(Generous));
        var after = await SearchAsync(store, new SearchQuery("zebra")).WaitAsync(Generous);
        Assert.Equal("marker", Assert.Single(after).SessionId);
    }

    [Fact]
    public async Task A_search_past_its_time_limit_is_refused_with_advice_to_narrow_it()
    {
        using var temp = TempDirectory.ForCaller();
        await using var store = SqliteSessionStore.Open(new SqliteStoreOptions(temp.Path) { SearchTimeout = TimeSpan.FromMilliseconds(100) });
        await AddExpensiveMessagesAsync(store);

        var e = await Assert.ThrowsAsync<AgentSessionsException>(
            () => SearchAsync(store, new SearchQuery(string.Join(' ', SpellingsOfA)) { Exhaustive = true }).WaitAsync(Generous));

        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("took longer than 0.1 s", e.Message, StringComparison.Ordinal);
        Assert.Contains("narrow", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal("marker", Assert.Single(await SearchAsync(store, new SearchQuery("zebra")).WaitAsync(Generous)).SessionId);
    }

    [Fact]
    public void A_search_time_limit_must_be_positive()
    {
        var e = Assert.Throws<AgentSessionsException>(() => new SqliteStoreOptions("/tmp/x") { SearchTimeout = TimeSpan.Zero });
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
    }

    /// <summary>
    /// Two thousand messages whose indexed text is nothing but the token "a": every spelling of it matches
    /// every position of every message, so ranking them all takes seconds even when each row is cheap.
    /// </summary>
    private static async Task AddExpensiveMessagesAsync(SqliteSessionStore store)
    {
        await store.CreateAsync(new NewSession { Id = "heavy" });
        var text = string.Join(' ', Enumerable.Repeat("a", 2_048));
        foreach (var batch in Enumerable.Range(0, 2_000).Select(_ => new NewMessage(MessageRole.Tool, text)).Chunk(500))
        {
            await store.AppendAsync("heavy", batch);
        }

        await store.CreateAsync(new NewSession { Id = "marker" });
        await store.AppendAsync("marker", [new NewMessage(MessageRole.User, "zebra")]);
    }

    /// <summary>The search on a pool thread: the store works synchronously, so only then can a test time it out.</summary>
    private static Task<List<SearchHit>> SearchAsync(ISessionStore store, SearchQuery query, CancellationToken cancellationToken = default)
        => Task.Run(async () =>
        {
            var hits = new List<SearchHit>();
            await foreach (var hit in store.SearchAsync(query, cancellationToken))
            {
                hits.Add(hit);
            }

            return hits;
        });
}
