using System.Text;
using System.Text.Json;
using AgentSessions.Formats;
using AgentSessions.Storage;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Specification.Tests;

/// <summary>
/// The behaviour every <see cref="ISessionStore"/> must share. A backend closes this class with an empty sealed
/// subclass that says how to open a fresh, empty store; each test gets its own.
/// </summary>
public abstract class SessionStoreSpecification : SessionStoreSpecificationBase
{
    private static async Task<AgentSessionsException> ThrowsCode(ErrorCode code, Func<Task> action)
    {
        var e = await Assert.ThrowsAsync<AgentSessionsException>(action);
        Assert.Equal(code, e.Code);
        return e;
    }

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

    // ---- append and read ----

    [Fact]
    public async Task Append_assigns_gap_free_sequence_numbers_from_one()
    {
        await Store.CreateAsync(new NewSession { Id = "seq" });

        var first = await Store.AppendAsync("seq", [new NewMessage(MessageRole.User, "one")]);
        var batch = await Store.AppendAsync("seq", [new NewMessage(MessageRole.Assistant, "two"), new NewMessage(MessageRole.User, "three")]);

        Assert.Equal(1, first.Messages[0].Sequence);
        Assert.Equal([2L, 3L], batch.Messages.Select(m => m.Sequence));
        Assert.Equal(["one", "two", "three"], (await ReadAllAsync("seq")).Select(m => m.Text));
        Assert.Equal(3, batch.Session.MessageCount);
    }

    [Fact]
    public async Task Append_of_a_batch_is_atomic_when_one_message_is_invalid()
    {
        await Store.CreateAsync(new NewSession { Id = "atomic" });
        await Store.AppendAsync("atomic", [new NewMessage(MessageRole.User, "kept")]);

        await Assert.ThrowsAsync<AgentSessionsException>(async () => await Store.AppendAsync("atomic",
        [
            new NewMessage(MessageRole.Assistant, "would be 2"),
            new NewMessage(MessageRole.Assistant, []),
        ]));
        await ThrowsCode(ErrorCode.Conflict, async () => await Store.AppendAsync("atomic",
        [
            new NewMessage(MessageRole.Assistant, "would be 2") { Id = "dup" },
            new NewMessage(MessageRole.Assistant, "would be 3") { Id = "dup" },
        ]));

        var messages = await ReadAllAsync("atomic");
        Assert.Equal(["kept"], messages.Select(m => m.Text));
        Assert.Equal(1, (await Store.GetAsync("atomic"))!.MessageCount);
        var next = await Store.AppendAsync("atomic", [new NewMessage(MessageRole.User, "two")]);
        Assert.Equal(2, next.Messages[0].Sequence);
    }

    [Fact]
    public async Task Append_keeps_totals_and_update_time_current()
    {
        var created = await Store.CreateAsync(new NewSession { Id = "totals" });

        await Store.AppendAsync("totals", [new NewMessage(MessageRole.User, "q") { InputTokens = 10 }]);
        var result = await Store.AppendAsync("totals", [new NewMessage(MessageRole.Assistant, "a") { InputTokens = 5, OutputTokens = 7 }]);

        var session = (await Store.GetAsync("totals"))!;
        Assert.Equal(2, session.MessageCount);
        Assert.Equal(15, session.InputTokens);
        Assert.Equal(7, session.OutputTokens);
        Assert.True(session.UpdatedAt >= created.UpdatedAt);
        Assert.Equal(session, result.Session with { Tags = session.Tags, Metadata = session.Metadata });
    }

    [Fact]
    public async Task Append_to_an_unknown_session_is_not_found()
        => await ThrowsCode(ErrorCode.NotFound, async () => await Store.AppendAsync("missing", [new NewMessage(MessageRole.User, "x")]));

    [Fact]
    public async Task Append_refuses_negative_tokens_and_empty_messages()
    {
        await Store.CreateAsync(new NewSession { Id = "rules" });
        await ThrowsCode(ErrorCode.InvalidArgument, async () => await Store.AppendAsync("rules", [new NewMessage(MessageRole.User, "x") { InputTokens = -1 }]));
        await ThrowsCode(ErrorCode.InvalidArgument, async () => await Store.AppendAsync("rules", []));
        await ThrowsCode(ErrorCode.InvalidId, async () => await Store.AppendAsync("rules", [new NewMessage(MessageRole.User, "x") { Id = "../m" }]));
        Assert.Equal(0, (await Store.GetAsync("rules"))!.MessageCount);
    }

    [Fact]
    public async Task Append_refuses_absurd_token_counts_and_keeps_totals_exact_at_the_maximum()
    {
        await Store.CreateAsync(new NewSession { Id = "tokens" });
        var max = StoreRules.MaxTokensPerMessage;

        // Two appends of long.MaxValue used to wrap the session total to -2.
        var e = await ThrowsCode(ErrorCode.InvalidArgument, async () => await Store.AppendAsync("tokens", [new NewMessage(MessageRole.Assistant, "x") { OutputTokens = long.MaxValue }]));
        Assert.Contains("1,000,000,000", e.Message, StringComparison.Ordinal);
        await ThrowsCode(ErrorCode.InvalidArgument, async () => await Store.AppendAsync("tokens", [new NewMessage(MessageRole.User, "x") { InputTokens = max + 1 }]));
        Assert.Equal(0, (await Store.GetAsync("tokens"))!.MessageCount);

        await Store.AppendAsync("tokens", [new NewMessage(MessageRole.User, "a") { InputTokens = max }, new NewMessage(MessageRole.Assistant, "b") { OutputTokens = max }]);
        await Store.AppendAsync("tokens", [new NewMessage(MessageRole.Assistant, "c") { InputTokens = max, OutputTokens = max }]);

        var session = (await Store.GetAsync("tokens"))!;
        Assert.Equal(2 * max, session.InputTokens);
        Assert.Equal(2 * max, session.OutputTokens);
        var stats = await Store.GetStatsAsync(new StatsQuery());
        Assert.Equal(2 * max, stats.InputTokens);
        Assert.Equal(2 * max, stats.OutputTokens);
    }

    [Fact]
    public async Task The_first_user_message_titles_an_untitled_session()
    {
        await Store.CreateAsync(new NewSession { Id = "auto" });

        await Store.AppendAsync("auto", [new NewMessage(MessageRole.System, "You are helpful.")]);
        Assert.Null((await Store.GetAsync("auto"))!.Title);
        var result = await Store.AppendAsync("auto", [new NewMessage(MessageRole.User, "Please explain   how write-ahead logging keeps SQLite commits durable after a crash")]);

        Assert.Equal("Please explain how write-ahead logging keeps SQLite commits…", result.Session.Title);
        await Store.AppendAsync("auto", [new NewMessage(MessageRole.User, "another question")]);
        Assert.Equal(result.Session.Title, (await Store.GetAsync("auto"))!.Title);
        var hit = Assert.Single(await ToListAsync(Store.SearchAsync(new SearchQuery("write-ahead"))));
        Assert.Equal(result.Session.Title, hit.SessionTitle);
    }

    [Fact]
    public async Task An_explicit_title_is_never_replaced_by_the_automatic_one()
    {
        await Store.CreateAsync(new NewSession { Id = "titled", Title = "Mine" });
        var result = await Store.AppendAsync("titled", [new NewMessage(MessageRole.User, "something else entirely")]);
        Assert.Equal("Mine", result.Session.Title);
    }

    [Fact]
    public async Task Every_part_kind_and_field_survives_storage()
    {
        await Store.CreateAsync(new NewSession { Id = "parts" });
        var created = new DateTimeOffset(2026, 11, 21, 14, 30, 22, 123, TimeSpan.FromHours(2)).AddTicks(4567);
        var message = new NewMessage(MessageRole.Assistant,
        [
            new TextPart("Let me look. ```code``` and émojis 🎉"),
            new ReasoningPart("thinking…", "opaque-signature"),
            new ToolCallPart("call_1", "read_file", Json("""{"path":"/etc/hosts","lines":[1,2],"deep":{"x":null}}""")),
            new ToolResultPart("call_1", Json("\"127.0.0.1 localhost\"")),
            new ToolResultPart("call_2", Json("""{"code":2}"""), IsError: true),
            new DataPart([0, 1, 2, 255], "image/png", "pixel.png"),
            new UriPart("https://example.com/a?b=c", "text/html"),
        ])
        {
            Id = "m-1",
            AuthorName = "coder-agent",
            CreatedAt = created,
            InputTokens = 120,
            OutputTokens = 45,
            Model = "claude-x",
            Metadata = new Dictionary<string, JsonElement> { ["latencyMs"] = Json("812") },
        };

        var appended = (await Store.AppendAsync("parts", [message])).Messages[0];
        var loaded = Assert.Single(await ReadAllAsync("parts"));

        Assert.Equal("m-1", loaded.Id);
        Assert.Equal(created, loaded.CreatedAt);
        Assert.Equal(created.UtcTicks, loaded.CreatedAt.UtcTicks);
        Assert.Equal("coder-agent", loaded.AuthorName);
        Assert.Equal(120, loaded.InputTokens);
        Assert.Equal(45, loaded.OutputTokens);
        Assert.Equal("claude-x", loaded.Model);
        Assert.Equal(812, loaded.Metadata["latencyMs"].GetInt32());
        Assert.Equal(
            JsonSerializer.Serialize(appended, AgentSessionsJson.Context.SessionMessage),
            JsonSerializer.Serialize(loaded, AgentSessionsJson.Context.SessionMessage));
        Assert.Equal(message.Parts, loaded.Parts, new PartComparer());
    }

    [Fact]
    public async Task ReadJson_gives_the_same_messages_as_Read_for_every_part_kind()
    {
        await Store.CreateAsync(new NewSession { Id = "json" });
        var huge = new string('x', 20_000); // above the SQLite store's blob threshold
        await Store.AppendAsync("json",
        [
            new NewMessage(MessageRole.User, "plain \"text\" <b> & `tick` émojis 🎉\nline two"),
            new NewMessage(MessageRole.Assistant,
            [
                new TextPart("Let me look."),
                new ReasoningPart("thinking…", "opaque-signature"),
                new ToolCallPart("call_1", "read_file", Json("""{"path":"/etc/hosts","lines":[1,2],"deep":{"x":null}}""")),
                new ToolCallPart("call_0", "now", null),
                new DataPart([0, 1, 2, 255], "image/png", "pixel.png"),
                new UriPart("https://example.com/a?b=c", "text/html"),
            ])
            {
                AuthorName = "coder-agent",
                InputTokens = 120,
                OutputTokens = 45,
                Model = "claude-x",
                Metadata = new Dictionary<string, JsonElement> { ["latencyMs"] = Json("812") },
            },
            new NewMessage(MessageRole.Tool, [new ToolResultPart("call_1", Json(JsonSerializer.Serialize(huge))), new ToolResultPart("call_2", Json("""{"code":2}"""), IsError: true)]),
            new NewMessage(MessageRole.User, huge),
        ]);

        var messages = await ReadAllAsync("json");
        var json = new List<SessionMessageJson>();
        await foreach (var message in Store.ReadJsonAsync("json"))
        {
            json.Add(message);
        }

        Assert.Equal(messages.Count, json.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            var expected = SessionMessageJson.From(messages[i]);
            var actual = json[i];
            Assert.Equal(expected with { PartsJson = default, MetadataJson = default }, actual with { PartsJson = default, MetadataJson = default });
            Assert.Equal(messages[i].Parts, JsonSerializer.Deserialize(actual.PartsJson.Span, AgentSessionsJson.Context.ListContentPart)!, new PartComparer());
            Assert.Equal(
                JsonSerializer.Serialize(messages[i].Metadata, AgentSessionsJson.Context.IReadOnlyDictionaryStringJsonElement),
                actual.MetadataJson.IsEmpty ? "{}" : JsonSerializer.Serialize(JsonDocument.Parse(actual.MetadataJson).RootElement));
        }

        var range = new List<long>();
        await foreach (var message in Store.ReadJsonAsync("json", new MessageRange(2, 2)))
        {
            range.Add(message.Sequence);
        }

        Assert.Equal([2L, 3L], range);
        await ThrowsCode(ErrorCode.NotFound, async () =>
        {
            await foreach (var _ in Store.ReadJsonAsync("no-such-session"))
            {
            }
        });
    }

    [Fact]
    public async Task Read_returns_the_requested_range_in_order()
    {
        await Store.CreateAsync(new NewSession { Id = "range" });
        await Store.AppendAsync("range", Enumerable.Range(1, 30).Select(i => new NewMessage(MessageRole.User, $"m{i}")).ToList());

        Assert.Equal(["m10", "m11", "m12"], (await ReadAllAsync("range", new MessageRange(10, 3))).Select(m => m.Text));
        Assert.Equal(30, (await ReadAllAsync("range")).Count);
        Assert.Equal(["m29", "m30"], (await ReadAllAsync("range", new MessageRange(29))).Select(m => m.Text));
        Assert.Empty(await ReadAllAsync("range", new MessageRange(31)));
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (long)i), (await ReadAllAsync("range")).Select(m => m.Sequence));
    }

    [Fact]
    public async Task Read_of_an_unknown_session_is_not_found()
        => await ThrowsCode(ErrorCode.NotFound, () => ToListAsync(Store.ReadAsync("ghost")));

    [Fact]
    public async Task Concurrent_appends_to_one_session_stay_gap_free()
    {
        await Store.CreateAsync(new NewSession { Id = "busy" });

        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++)
            {
                await Store.AppendAsync("busy", [new NewMessage(MessageRole.User, $"w{worker}-{i}")]);
            }
        })));

        var messages = await ReadAllAsync("busy");
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), messages.Select(m => m.Sequence));
        Assert.Equal(200, messages.Select(m => m.Text).Distinct().Count());
        Assert.Equal(200, (await Store.GetAsync("busy"))!.MessageCount);
    }

    [Fact]
    public async Task A_message_over_the_size_limit_is_refused_and_nothing_is_stored()
    {
        await Store.CreateAsync(new NewSession { Id = "big" });
        var huge = new string('x', (int)StoreRules.DefaultMaxMessageBytes + 1);

        var e = await ThrowsCode(ErrorCode.TooLarge, async () => await Store.AppendAsync("big", [new NewMessage(MessageRole.Tool, huge)]));

        Assert.Contains("16 MiB", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await Store.GetAsync("big"))!.MessageCount);
        var ok = await Store.AppendAsync("big", [new NewMessage(MessageRole.Tool, new string('y', 1_000_000))]);
        Assert.Equal(1_000_000, Assert.Single(await ReadAllAsync("big")).Text.Length);
        Assert.Equal(1, ok.Messages[0].Sequence);
    }

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

    // ---- import and export ----

    [Fact]
    public async Task Export_then_import_round_trips_exactly()
    {
        await Store.CreateAsync(new NewSession { Id = "orig", Title = "T", Tags = ["x"], Model = "m", ProjectPath = "/p", Metadata = new Dictionary<string, JsonElement> { ["k"] = Json("[1,2]") } });
        await Store.AppendAsync("orig",
        [
            new NewMessage(MessageRole.System, "sys"),
            new NewMessage(MessageRole.User, "hello") { InputTokens = 3 },
            new NewMessage(MessageRole.Assistant, [new TextPart("hi"), new ToolCallPart("c1", "ls", Json("{}"))]) { OutputTokens = 9, AuthorName = "bot" },
            new NewMessage(MessageRole.Tool, [new ToolResultPart("c1", Json("\"a\\nb\""))]),
        ]);
        var service = new SessionService(Store);
        using var first = new MemoryStream();
        await service.ExportJsonAsync("orig", first);

        first.Position = 0;
        var copy = await service.ImportJsonAsync(first, "export.json", newId: "copy");
        using var second = new MemoryStream();
        await service.ExportJsonAsync("copy", second);

        static string WithoutVolatile(MemoryStream s) => System.Text.RegularExpressions.Regex.Replace(
            Encoding.UTF8.GetString(s.ToArray()), "\"exportedAt\": \"[^\"]+\"", "").Replace("\"id\": \"copy\"", "\"id\": \"orig\"", StringComparison.Ordinal);
        Assert.Equal(WithoutVolatile(first), WithoutVolatile(second));
        Assert.Equal(4, copy.MessageCount);
        Assert.Equal(3, copy.InputTokens);
        var original = (await Store.GetAsync("orig"))!;
        Assert.Equal(original.UpdatedAt, (await Store.GetAsync("copy"))!.UpdatedAt);
    }

    [Fact]
    public async Task Import_of_an_existing_id_conflicts_unless_replace_is_asked()
    {
        await Store.CreateAsync(new NewSession { Id = "dup", Title = "one" });
        await Store.AppendAsync("dup", [new NewMessage(MessageRole.User, "first")]);
        var session = (await Store.GetAsync("dup"))!;
        var messages = await ReadAllAsync("dup");

        await ThrowsCode(ErrorCode.Conflict, async () => await Store.ImportAsync(new SessionArchive { Session = session with { Title = "two" }, Messages = messages }));
        Assert.Equal("one", (await Store.GetAsync("dup"))!.Title);

        var replaced = await Store.ImportAsync(new SessionArchive { Session = session with { Title = "two" }, Messages = messages }, replace: true);
        Assert.Equal("two", replaced.Title);
        Assert.Equal(["first"], (await ReadAllAsync("dup")).Select(m => m.Text));
        Assert.Single(await ToListAsync(Store.SearchAsync(new SearchQuery("first"))));
    }

    [Fact]
    public async Task Import_refuses_gaps_in_sequence_numbers_and_stores_nothing()
    {
        var now = DateTimeOffset.UtcNow;
        var session = new Session { Id = "gappy", CreatedAt = now, UpdatedAt = now };
        SessionMessage M(long seq) => new() { Id = $"m{seq}", Sequence = seq, Role = MessageRole.User, Parts = [new TextPart("t")], CreatedAt = now };

        await ThrowsCode(ErrorCode.InvalidArgument, async () => await Store.ImportAsync(new SessionArchive { Session = session, Messages = [M(1), M(3)] }));

        Assert.Null(await Store.GetAsync("gappy"));
    }

    [Fact]
    public async Task Info_counts_sessions_and_messages()
    {
        await Store.CreateAsync(new NewSession { Id = "i1" });
        await Store.CreateAsync(new NewSession { Id = "i2" });
        await Store.AppendAsync("i1", [new NewMessage(MessageRole.User, "a"), new NewMessage(MessageRole.User, "b")]);

        var info = await Store.GetInfoAsync();

        Assert.Equal(2, info.SessionCount);
        Assert.Equal(2, info.MessageCount);
        Assert.Equal(Store.Location, info.Location);
    }

    private sealed class PartComparer : IEqualityComparer<ContentPart>
    {
        public bool Equals(ContentPart? x, ContentPart? y)
            => JsonSerializer.Serialize(x, AgentSessionsJson.Context.ContentPart) == JsonSerializer.Serialize(y, AgentSessionsJson.Context.ContentPart);

        public int GetHashCode(ContentPart obj) => 0;
    }
}

/// <summary>Opens a fresh, empty store per test; the specification classes derive from it.</summary>
public abstract class SessionStoreSpecificationBase : IAsyncLifetime
{
    private ISessionStore? _store;

    protected ISessionStore Store => _store ?? throw new InvalidOperationException("store not opened");

    /// <summary>Opens a fresh, empty store for one test.</summary>
    protected abstract Task<ISessionStore> OpenEmptyStoreAsync();

    /// <summary>A fresh directory for the test, removed after it; file-based backends keep their store here.</summary>
    protected TempDirectory Directory { get; } = TempDirectory.ForCaller();

    /// <summary>Releases what <see cref="OpenEmptyStoreAsync"/> created (after the store is disposed).</summary>
    protected virtual Task CleanUpAsync() => Task.CompletedTask;

    public async Task InitializeAsync() => _store = await OpenEmptyStoreAsync();

    public async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        await CleanUpAsync();
        Directory.Dispose();
    }

    protected async Task<List<SessionMessage>> ReadAllAsync(string id, MessageRange range = default)
    {
        var list = new List<SessionMessage>();
        await foreach (var m in Store.ReadAsync(id, range))
        {
            list.Add(m);
        }

        return list;
    }

    protected static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }

    protected static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
