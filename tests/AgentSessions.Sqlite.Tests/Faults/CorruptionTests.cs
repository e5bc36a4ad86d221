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
        await FillAsync(options);
        using (var file = new FileStream(options.DatabasePath, FileMode.Open))
        {
            file.SetLength(file.Length / 2);
        }

        var errors = await TouchEverythingAsync(options);
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
        await FillAsync(options);
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
        var errors = await TouchEverythingAsync(options, succeeded);
        output.WriteLine($"{errors.Count} failing operations, {succeeded.Count} working");
        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.Equal(ErrorCode.Corrupt, e.Code));
        Assert.All(errors, e => Assert.Contains(options.DatabasePath, e.Message, StringComparison.Ordinal));

        // Best effort: the sessions on undamaged pages still read in full.
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
        Assert.Contains("--repair", failed.Detail, StringComparison.Ordinal);

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
        await FillAsync(options);
        // Message 2 of s3 has several parts, so its parts column holds JSON; break it.
        FaultHelpers.RawExec(options.DatabasePath, "UPDATE messages SET parts = '[{\"type\":\"text\",\"te' WHERE seq = 2 AND session_row = (SELECT row_id FROM sessions WHERE id = 's3')");
        // And a session's tags.
        FaultHelpers.RawExec(options.DatabasePath, "UPDATE sessions SET tags = '[\"unterminated' WHERE id = 's5'");

        await using var store = SqliteSessionStore.Open(options);
        var e = await Assert.ThrowsAsync<AgentSessionsException>(() => FaultHelpers.ReadAllAsync(store, "s3"));
        Assert.Equal(ErrorCode.Corrupt, e.Code);
        Assert.Contains("message 2 of session 's3'", e.Message, StringComparison.Ordinal);
        Assert.Contains(options.DatabasePath, e.Message, StringComparison.Ordinal);
        Assert.Single(await ReadRangeAsync(store, "s3", new MessageRange(1, 1)));

        var tags = await Assert.ThrowsAsync<AgentSessionsException>(async () => await store.GetAsync("s5"));
        Assert.Equal(ErrorCode.Corrupt, tags.Code);

        for (var i = 0; i < Sessions; i++)
        {
            if (i is 3 or 5)
            {
                continue;
            }

            Assert.Equal(4, (await FaultHelpers.ReadAllAsync(store, $"s{i}")).Count);
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

    /// <summary>Sessions s0..s11 with four messages each (one of several parts), closed so the WAL is checkpointed.</summary>
    private static async Task FillAsync(SqliteStoreOptions options)
    {
        await using var store = SqliteSessionStore.Open(options);
        for (var i = 0; i < Sessions; i++)
        {
            var id = $"s{i}";
            await store.CreateAsync(new NewSession { Id = id, Title = $"session {i}", Tags = ["fault", $"t{i}"] });
            await store.AppendAsync(id, [new NewMessage(MessageRole.User, $"question zebra{i} " + new string('q', 3000))]);
            await store.AppendAsync(id, [new NewMessage(MessageRole.Assistant, [new TextPart($"answer {i} " + new string('a', 2000)), new TextPart("second part")]) { InputTokens = 10, OutputTokens = 20 }]);
            await store.AppendAsync(id, [new NewMessage(MessageRole.User, $"more {i} " + string.Concat(Enumerable.Range(0, 400).Select(k => $"{k * i:x} "))), new NewMessage(MessageRole.Assistant, "done")]);
            await store.CreateSnapshotAsync(id, "snap");
        }
    }

    /// <summary>Opens the store and runs every kind of read on every session; returns the errors, failing on any non-store exception.</summary>
    private async Task<List<AgentSessionsException>> TouchEverythingAsync(SqliteStoreOptions options, List<string>? succeeded = null)
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
                await Try(async () => await store.GetAsync(id), $"get {id}");
                await Try(() => FaultHelpers.ReadAllAsync(store, id), $"read {id}");
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
