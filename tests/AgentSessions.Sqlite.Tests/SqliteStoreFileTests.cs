using AgentSessions.Sqlite;
using AgentSessions.Sqlite.Tests.Faults;
using AgentSessions.Storage;
using AgentSessions.Testing;
using Microsoft.Data.Sqlite;
using Xunit;

namespace AgentSessions.Sqlite.Tests;

/// <summary>What the SQLite store does with files: permissions, WAL, schema versions, foreign files.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SqliteStoreFileTests
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public async Task A_new_store_is_a_0700_directory_with_0600_files_in_WAL_mode()
    {
        using var temp = TempDirectory.ForCaller();
        var directory = temp.Combine("nested", "store");

        await using (var store = SqliteSessionStore.Open(directory))
        {
            await store.CreateAsync(new NewSession { Id = "p" });
            await store.AppendAsync("p", [new NewMessage(MessageRole.User, "x")]);

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                var path = Path.Combine(directory, "sessions.db" + suffix);
                Assert.True(File.Exists(path), $"{path} exists while the store is open");
                Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(path));
            }
        }

        // Bytes 18 and 19 of the header are 2 for a WAL database.
        var header = new byte[20];
        await using (var file = File.OpenRead(Path.Combine(directory, "sessions.db")))
        {
            await file.ReadExactlyAsync(header);
        }

        Assert.Equal([2, 2], header[18..20]);
    }

    [Fact]
    public async Task A_store_written_by_a_newer_version_is_refused_and_left_unchanged()
    {
        using var temp = TempDirectory.ForCaller();
        var directory = temp.Combine("store");
        await using (var store = SqliteSessionStore.Open(directory))
        {
            await store.CreateAsync(new NewSession { Id = "keep" });
        }

        var db = Path.Combine(directory, "sessions.db");
        FaultHelpers.RawExec(db, "PRAGMA user_version = 99");
        var before = await File.ReadAllBytesAsync(db);

        var e = Assert.Throws<AgentSessionsException>(() => SqliteSessionStore.Open(directory));

        Assert.Equal(ErrorCode.UnsupportedVersion, e.Code);
        Assert.Contains("schema version 99", e.Message, StringComparison.Ordinal);
        Assert.Contains("Upgrade agent-sessions", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(db));
    }

    [Fact]
    public void A_database_of_another_application_is_refused()
    {
        using var temp = TempDirectory.ForCaller();
        var directory = temp.Combine("store");
        Directory.CreateDirectory(directory);
        var db = Path.Combine(directory, "sessions.db");
        FaultHelpers.RawExec(db, "CREATE TABLE theirs (x); PRAGMA user_version = 1;");

        var e = Assert.Throws<AgentSessionsException>(() => SqliteSessionStore.Open(directory));

        Assert.Equal(ErrorCode.Corrupt, e.Code);
        Assert.Contains("another application", e.Message, StringComparison.Ordinal);
        Assert.Equal(1L, FaultHelpers.RawScalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'theirs'"));
        Assert.Equal(0L, FaultHelpers.RawScalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'sessions'"));
    }

    [Theory]
    [InlineData(0x12345678, 1)] // another application's id
    [InlineData(0x12345678, SqliteSessionStore.SchemaVersion)] // and our version number: no migration to run
    [InlineData(0, SqliteSessionStore.SchemaVersion)] // no id, but a version: ours are always stamped with both
    public void A_database_of_another_application_is_refused_whatever_version_it_carries(int applicationId, int version)
    {
        using var temp = TempDirectory.ForCaller();
        var directory = temp.Combine("store");
        Directory.CreateDirectory(directory);
        var db = Path.Combine(directory, "sessions.db");
        FaultHelpers.RawExec(db, $"CREATE TABLE theirs (x); PRAGMA application_id = {applicationId}; PRAGMA user_version = {version};");

        var e = Assert.Throws<AgentSessionsException>(() => SqliteSessionStore.Open(directory));

        Assert.Equal(ErrorCode.Corrupt, e.Code);
        Assert.Contains("another application", e.Message, StringComparison.Ordinal);
        Assert.Equal(0L, FaultHelpers.RawScalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'sessions'"));
        Assert.Equal((long)applicationId, FaultHelpers.RawScalar(db, "PRAGMA application_id"));
    }

    [Fact]
    public async Task Opening_a_store_that_needs_no_migration_does_not_wait_for_the_write_lock()
    {
        using var temp = TempDirectory.ForCaller();
        var directory = temp.Combine("store");
        await using (var first = SqliteSessionStore.Open(directory))
        {
            await first.CreateAsync(new NewSession { Id = "s" });
        }

        // Another process is writing (holds the lock past the busy timeout): a second process must still open the
        // store and read, as WAL allows, rather than queue for a schema check that has nothing to write.
        using var other = new SqliteConnection($"Data Source={Path.Combine(directory, "sessions.db")};Pooling=False");
        other.Open();
        using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            begin.ExecuteNonQuery();
        }

        await using var store = SqliteSessionStore.Open(new SqliteStoreOptions(directory) { BusyTimeout = TimeSpan.FromMilliseconds(200) });
        Assert.NotNull(await store.GetAsync("s"));
    }

    [Fact]
    public async Task A_file_that_is_not_a_database_gives_a_clear_corrupt_error()
    {
        using var temp = TempDirectory.ForCaller();
        var directory = temp.Combine("store");
        Directory.CreateDirectory(directory);
        var db = Path.Combine(directory, "sessions.db");
        await File.WriteAllTextAsync(db, new string('z', 8192));

        var e = Assert.Throws<AgentSessionsException>(() => SqliteSessionStore.Open(directory));

        Assert.Equal(ErrorCode.Corrupt, e.Code);
        Assert.Contains(db, e.Message, StringComparison.Ordinal);
        Assert.Equal(new string('z', 8192), await File.ReadAllTextAsync(db));
    }

    [Fact]
    public async Task Reopening_an_existing_store_keeps_its_data_and_schema_version()
    {
        using var temp = TempDirectory.ForCaller();
        var directory = temp.Combine("store");
        await using (var store = SqliteSessionStore.Open(directory))
        {
            await store.CreateAsync(new NewSession { Id = "again", Title = "t" });
        }

        await using (var store = SqliteSessionStore.Open(new SqliteStoreOptions(directory) { Durability = SqliteDurability.Normal }))
        {
            Assert.Equal("t", (await store.GetAsync("again"))!.Title);
            var info = await store.GetInfoAsync();
            Assert.Equal(SqliteSessionStore.SchemaVersion, info.SchemaVersion);
            Assert.StartsWith("normal", info.Details["durability"], StringComparison.Ordinal);
        }

        Assert.Equal((long)SqliteSessionStore.SchemaVersion, FaultHelpers.RawScalar(Path.Combine(directory, "sessions.db"), "PRAGMA user_version"));
    }

    [Theory]
    [InlineData(SqliteDurability.Full, 2L, "full")]
    [InlineData(SqliteDurability.Normal, 1L, "normal")]
    public async Task Info_reports_synchronous_and_journal_mode_as_the_connections_read_them_back(SqliteDurability durability, long synchronous, string name)
    {
        using var temp = TempDirectory.ForCaller();
        await using var store = SqliteSessionStore.Open(new SqliteStoreOptions(temp.Combine("store")) { Durability = durability });
        await store.CreateAsync(new NewSession { Id = "s" });
        await store.AppendAsync("s", [new NewMessage(MessageRole.User, "x")]);

        // Asked of SQLite on the writer and on a reader: a pragma that did not take shows here, whatever the options say.
        var (writer, reader) = await store.ReadConnectionSettingsAsync();
        Assert.Equal((synchronous, "wal"), (writer.Synchronous, writer.JournalMode));
        Assert.Equal((synchronous, "wal"), (reader.Synchronous, reader.JournalMode));

        var info = await store.GetInfoAsync();
        Assert.Equal(name, info.Details["synchronous"]);
        Assert.Equal("wal", info.Details["journalMode"]);
        Assert.StartsWith(name, info.Details["durability"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_writer_blocked_by_another_connection_waits_instead_of_failing()
    {
        using var temp = TempDirectory.ForCaller();
        var directory = temp.Combine("store");
        await using var store = SqliteSessionStore.Open(directory);
        await store.CreateAsync(new NewSession { Id = "wait" });

        // Another "process" holds the write lock for a while.
        using var other = new SqliteConnection($"Data Source={Path.Combine(directory, "sessions.db")};Pooling=False");
        other.Open();
        using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            begin.ExecuteNonQuery();
        }

        var append = Task.Run(async () => await store.AppendAsync("wait", [new NewMessage(MessageRole.User, "after the lock")]));
        await Task.Delay(700);
        Assert.False(append.IsCompleted);
        using (var commit = other.CreateCommand())
        {
            commit.CommandText = "COMMIT";
            commit.ExecuteNonQuery();
        }

        var result = await append.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, result.Messages[0].Sequence);
    }

    [Fact]
    public async Task A_store_whose_lock_never_frees_reports_busy_clearly()
    {
        using var temp = TempDirectory.ForCaller();
        var directory = temp.Combine("store");
        await using var store = SqliteSessionStore.Open(new SqliteStoreOptions(directory) { BusyTimeout = TimeSpan.FromMilliseconds(300) });
        await store.CreateAsync(new NewSession { Id = "stuck" });
        using var other = new SqliteConnection($"Data Source={Path.Combine(directory, "sessions.db")};Pooling=False");
        other.Open();
        using var begin = other.CreateCommand();
        begin.CommandText = "BEGIN IMMEDIATE";
        begin.ExecuteNonQuery();

        var e = await Assert.ThrowsAsync<AgentSessionsException>(async () => await store.AppendAsync("stuck", [new NewMessage(MessageRole.User, "x")]));

        Assert.Equal(ErrorCode.Busy, e.Code);
        Assert.DoesNotContain("database is locked", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_and_doctor_survive_token_counts_stored_before_they_were_bounded()
    {
        using var temp = TempDirectory.ForCaller();
        var directory = temp.Path;
        await using (var store = SqliteSessionStore.Open(directory))
        {
            await store.CreateAsync(new NewSession { Id = "old" });
            await store.AppendAsync("old", [new NewMessage(MessageRole.Assistant, "a"), new NewMessage(MessageRole.Assistant, "b"), new NewMessage(MessageRole.User, "c")]);
        }

        // What two appends of long.MaxValue left behind before counts were bounded: wrapped totals, and per-message
        // values whose sum overflows SQLite's integer sum().
        var db = Path.Combine(directory, "sessions.db");
        FaultHelpers.RawExec(db, $"UPDATE messages SET output_tokens = {long.MaxValue} WHERE seq <= 2; UPDATE messages SET input_tokens = -5 WHERE seq = 3; UPDATE sessions SET output_tokens = -2");

        await using (var store = SqliteSessionStore.Open(directory))
        {
            var stats = await store.GetStatsAsync(new StatsQuery());
            Assert.Equal(3, stats.Messages);
            Assert.Equal(2 * StoreRules.MaxTokensPerMessage, stats.OutputTokens);
            Assert.Equal(0, stats.InputTokens);

            var report = await store.CheckAsync(repair: false);
            Assert.Contains(report.Checks, c => !c.Ok && c.Name.Contains("token", StringComparison.Ordinal));

            var repaired = await store.CheckAsync(repair: true);
            Assert.All(repaired.Checks, c => Assert.True(c.Ok || c.Repaired, $"{c.Name}: {c.Detail}"));
            var session = (await store.GetAsync("old"))!;
            Assert.Equal(2 * StoreRules.MaxTokensPerMessage, session.OutputTokens);
            Assert.Equal(0, session.InputTokens);

            // And the session takes appends again with exact totals.
            await store.AppendAsync("old", [new NewMessage(MessageRole.Assistant, "d") { OutputTokens = 7 }]);
            Assert.Equal((2 * StoreRules.MaxTokensPerMessage) + 7, (await store.GetAsync("old"))!.OutputTokens);
            Assert.True((await store.CheckAsync(repair: false)).Checks.All(c => c.Ok));
        }
    }
}
