using AgentSessions.Sqlite;
using AgentSessions.Storage;
using AgentSessions.Testing;
using Xunit;
using Xunit.Abstractions;

namespace AgentSessions.Sqlite.Tests.Faults;

/// <summary>Damaged files and rows: every failing operation gives a clear Corrupt error, never another exception type.</summary>
public sealed class CorruptionTests(ITestOutputHelper output)
{
    private const int Sessions = 12;

    [Fact]
    public async Task A_truncated_database_reads_as_Corrupt_naming_the_file()
    {
        using var temp = TempDirectory.ForCaller();
        var options = new SqliteStoreOptions(temp.Combine("store"));
        var written = await FillAsync(options);
        using (var file = new FileStream(options.DatabasePath, FileMode.Open))
        {
            file.SetLength(file.Length / 2);
        }

        var errors = await TouchEverythingAsync(options, written);
        Assert.NotEmpty(errors);
        Assert.All(errors, e =>
        {
            Assert.Equal(ErrorCode.Corrupt, e.Code);
            Assert.Contains(options.DatabasePath, e.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Flipped_bytes_give_Corrupt_errors_where_they_land_and_doctor_reports_them()
    {
        using var temp = TempDirectory.ForCaller();
        var options = new SqliteStoreOptions(temp.Combine("store"));
        var written = await FillAsync(options);
        var length = new FileInfo(options.DatabasePath).Length;
        Assert.False(File.Exists(options.DatabasePath + "-wal") && new FileInfo(options.DatabasePath + "-wal").Length > 0, "the WAL was not checkpointed on close");
        using (var file = new FileStream(options.DatabasePath, FileMode.Open))
        {
            // Invert two whole pages in the middle: headers, cell pointers and content all turn to nonsense.
            var buffer = new byte[8192];
            file.Position = (length / 2) & ~4095L;
            file.ReadExactly(buffer);
            for (var i = 0; i < buffer.Length; i++)
            {
                buffer[i] ^= 0xFF;
            }

            file.Position = (length / 2) & ~4095L;
            file.Write(buffer);
        }

        var succeeded = new List<string>();
        var errors = await TouchEverythingAsync(options, written, succeeded);
        output.WriteLine($"{errors.Count} failing operations, {succeeded.Count} working");
        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.Equal(ErrorCode.Corrupt, e.Code));
        Assert.All(errors, e => Assert.Contains(options.DatabasePath, e.Message, StringComparison.Ordinal));

        // Best effort: the sessions on undamaged pages still read in full, and exactly as written (checked in
        // TouchEverythingAsync: a read that succeeds with other content fails the test).
        Assert.Contains(succeeded, s => s.StartsWith("read s", StringComparison.Ordinal));

        await using var store = SqliteSessionStore.Open(options);
        var report = await store.CheckAsync(repair: false);
        output.WriteLine(FaultHelpers.Failures(report));
        Assert.False(report.Healthy);
        Assert.False(report.Checks[0].Ok);
        Assert.Contains("integrity", report.Checks[0].Name, StringComparison.Ordinal);
        var repaired = await store.CheckAsync(repair: true);
        Assert.False(repaired.Healthy);
        Assert.Contains("not repairable", repaired.Checks[0].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_search_index_is_reported_rebuilt_by_repair_and_search_works_again()
    {
        using var temp = TempDirectory.ForCaller();
        var options = new SqliteStoreOptions(temp.Combine("store"));
        await FillAsync(options);
        FaultHelpers.RawExec(options.DatabasePath, "INSERT INTO messages_fts (messages_fts) VALUES ('delete-all')");

        await using var store = SqliteSessionStore.Open(options);
        Assert.Empty(await SearchAsync(store, "zebra7"));
        var report = await store.CheckAsync(repair: false);
        Assert.False(report.Healthy);
        var failed = Assert.Single(report.Checks, c => !c.Ok);
        Assert.Contains("message search index", failed.Name, StringComparison.Ordinal);
        Assert.True(failed.Repairable, failed.Detail);
        Assert.DoesNotContain("--", failed.Detail, StringComparison.Ordinal); // the CLI adds its own flag

        var repaired = await store.CheckAsync(repair: true);
        Assert.True(repaired.Healthy, FaultHelpers.Failures(repaired));
        Assert.Contains(repaired.Checks, c => c.Repaired);
        var hits = await SearchAsync(store, "zebra7");
        Assert.Equal(["s7"], hits.Select(h => h.SessionId).Distinct());
        Assert.True((await store.CheckAsync(repair: false)).Checks.All(c => c.Ok));
    }

    [Fact]
    public async Task A_damaged_row_reads_as_Corrupt_naming_the_message_while_other_sessions_read_fine()
    {
        using var temp = TempDirectory.ForCaller();
        var options = new SqliteStoreOptions(temp.Combine("store"));
        var written = await FillAsync(options);
        // Message 2 of s3 has several parts, so its parts column holds JSON; break it.
        FaultHelpers.RawExec(options.DatabasePath, "UPDATE messages SET parts = '[{\"type\":\"text\",\"te' WHERE seq = 2 AND session_row = (SELECT row_id FROM sessions WHERE id = 's3')");
        // And a session's tags.
        FaultHelpers.RawExec(options.DatabasePath, "UPDATE sessions SET tags = '[\"unterminated' WHERE id = 's5'");

        await using var store = SqliteSessionStore.Open(options);
        var e = await Assert.ThrowsAsync<AgentSessionsException>(() => FaultHelpers.ReadAllAsync(store, "s3"));
        Assert.Equal(ErrorCode.Corrupt, e.Code);
        Assert.Contains("message 2 of session 's3'", e.Message, StringComparison.Ordinal);
        Assert.Contains(options.DatabasePath, e.Message, StringComparison.Ordinal);
        AssertAsWritten(written["s3"][..1], await ReadRangeAsync(store, "s3", new MessageRange(1, 1)), "s3 message 1");

        var tags = await Assert.ThrowsAsync<AgentSessionsException>(async () => await store.GetAsync("s5"));
        Assert.Equal(ErrorCode.Corrupt, tags.Code);

        for (var i = 0; i < Sessions; i++)
        {
            if (i is 3 or 5)
            {
                continue;
            }

            AssertAsWritten(written[$"s{i}"], await FaultHelpers.ReadAllAsync(store, $"s{i}"), $"s{i}");
            Assert.NotNull(await store.GetAsync($"s{i}"));
        }
    }

    // Found by the concurrent-process test: the title index once had every sessions row as its content, while
    // only titled sessions are entered into it, so untitled sessions failed doctor. Schema 2 indexes the view of
    // titled sessions instead.
    [Fact]
    public async Task An_untitled_session_passes_doctor()
    {
        using var temp = TempDirectory.ForCaller();
        await using var store = SqliteSessionStore.Open(temp.Combine("store"));
        await store.CreateAsync(new NewSession { Id = "untitled" });
        await store.AppendAsync("untitled", [new NewMessage(MessageRole.Assistant, "no user message, so no derived title")]);
        var report = await store.CheckAsync(repair: false);
        Assert.True(report.Healthy, FaultHelpers.Failures(report));
    }

    /// <summary>
    /// Sessions s0..s11 with four messages each (one of several parts), closed so the WAL is checkpointed. Returns
    /// the messages as the store acknowledged them (ids, sequence numbers, content), to compare every later read with.
    /// </summary>
    private static async Task<Dictionary<string, List<SessionMessage>>> FillAsync(SqliteStoreOptions options)
    {
        var written = new Dictionary<string, List<SessionMessage>>();
        await using var store = SqliteSessionStore.Open(options);
        for (var i = 0; i < Sessions; i++)
        {
            var id = $"s{i}";
            var messages = written[id] = [];
            await store.CreateAsync(new NewSession { Id = id, Title = $"session {i}", Tags = ["fault", $"t{i}"] });
            messages.AddRange((await store.AppendAsync(id, [new NewMessage(MessageRole.User, $"question zebra{i} " + new string('q', 3000))])).Messages);
            messages.AddRange((await store.AppendAsync(id, [new NewMessage(MessageRole.Assistant, [new TextPart($"answer {i} " + new string('a', 2000)), new TextPart("second part")]) { InputTokens = 10, OutputTokens = 20 }])).Messages);
            messages.AddRange((await store.AppendAsync(id, [new NewMessage(MessageRole.User, $"more {i} " + string.Concat(Enumerable.Range(0, 400).Select(k => $"{k * i:x} "))), new NewMessage(MessageRole.Assistant, "done")])).Messages);
            await store.CreateSnapshotAsync(id, "snap");
        }

        return written;
    }

    /// <summary>Fails (with an exception that is not the store's) unless <paramref name="read"/> is exactly what was written, in order.</summary>
    private static void AssertAsWritten(IReadOnlyList<SessionMessage> written, IReadOnlyList<SessionMessage> read, string what)
    {
        static string Of(SessionMessage m) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{m.Id} #{m.Sequence} {m.Role} in={m.InputTokens} out={m.OutputTokens} at={m.CreatedAt.ToUnixTimeMilliseconds()} {System.Text.Json.JsonSerializer.Serialize(m.Parts, Formats.AgentSessionsJson.Context.IReadOnlyListContentPart)}");
        if (!written.Select(Of).SequenceEqual(read.Select(Of)))
        {
            var first = Enumerable.Range(0, Math.Max(written.Count, read.Count)).First(i => i >= written.Count || i >= read.Count || Of(written[i]) != Of(read[i]));
            string Show(IReadOnlyList<SessionMessage> list) => first < list.Count ? Of(list[first])[..Math.Min(200, Of(list[first]).Length)] : "(none)";
            throw new Xunit.Sdk.XunitException($"{what}: read back something else than was written, silently: message {first + 1} of {written.Count} written, {read.Count} read\nwritten: {Show(written)}\nread:    {Show(read)}");
        }
    }

    /// <summary>
    /// Opens the store and runs every kind of read on every session; returns the errors, failing on any non-store
    /// exception and on any read that succeeds with other messages than were written.
    /// </summary>
    private async Task<List<AgentSessionsException>> TouchEverythingAsync(SqliteStoreOptions options, Dictionary<string, List<SessionMessage>> written, List<string>? succeeded = null)
    {
        var errors = new List<AgentSessionsException>();
        async Task Try(Func<Task> work, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(work))] string what = "")
        {
            try
            {
                await work();
                succeeded?.Add(what);
            }
            catch (AgentSessionsException e)
            {
                output.WriteLine($"{what}: {e.Code}: {e.Message}");
                errors.Add(e);
            }
        }

        SqliteSessionStore? store = null;
        await Try(() =>
        {
            store = SqliteSessionStore.Open(options);
            return Task.CompletedTask;
        }, "open");
        if (store is null)
        {
            return errors;
        }

        await using (store)
        {
            await Try(async () => await store.GetInfoAsync());
            await Try(async () => await store.ListAsync(new SessionQuery { Limit = 100 }));
            await Try(async () => await SearchAsync(store, "zebra3"));
            await Try(async () => await store.GetStatsAsync(new StatsQuery()));
            for (var i = 0; i < Sessions; i++)
            {
                var id = $"s{i}";
                await Try(async () =>
                {
                    var session = await store.GetAsync(id);
                    if (session is not { MessageCount: 4 } || session.Title != $"session {i}" || !session.Tags.Order().SequenceEqual(["fault", $"t{i}"]))
                    {
                        throw new Xunit.Sdk.XunitException($"get {id}: read back something else than was written, silently: {session}");
                    }
                }, $"get {id}");
                await Try(async () => AssertAsWritten(written[id], await FaultHelpers.ReadAllAsync(store, id), $"read {id}"), $"read {id}");
                await Try(async () => await store.GetDetailsAsync(id), $"details {id}");
            }

            await Try(async () => await store.CheckAsync(repair: false));
        }

        return errors;
    }

    private static async Task<List<SearchHit>> SearchAsync(SqliteSessionStore store, string text)
    {
        var hits = new List<SearchHit>();
        await foreach (var hit in store.SearchAsync(new SearchQuery(text)))
        {
            hits.Add(hit);
        }

        return hits;
    }

    private static async Task<List<SessionMessage>> ReadRangeAsync(SqliteSessionStore store, string id, MessageRange range)
    {
        var list = new List<SessionMessage>();
        await foreach (var m in store.ReadAsync(id, range))
        {
            list.Add(m);
        }

        return list;
    }
}
