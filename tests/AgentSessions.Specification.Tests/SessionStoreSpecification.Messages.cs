using System.Text.Json;
using AgentSessions.Formats;
using AgentSessions.Storage;
using Xunit;

namespace AgentSessions.Specification.Tests;

// Messages: append (numbering, atomic batches, totals, auto-titles, limits) and read (every part kind, ranges, JSON).
public abstract partial class SessionStoreSpecification
{
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
}
