using AgentSessions.Sqlite;
using AgentSessions.Sqlite.Tests.Faults;
using AgentSessions.Storage;
using AgentSessions.Testing;
using Microsoft.Data.Sqlite;
using Xunit;

namespace AgentSessions.Sqlite.Tests;

/// <summary>
/// What an append stores beyond the messages the conformance suite reads back: its argument checks, the automatic
/// title, the session's update time, and which content goes to compressed blobs (found by mutation testing of
/// SqliteSessionStore.Append.cs: each of these survived a mutant before).
/// </summary>
public sealed class SqliteAppendTests
{
    [Fact]
    public async Task An_append_of_a_null_message_list_is_refused_as_an_argument_error()
    {
        using var temp = TempDirectory.ForCaller();
        await using var store = SqliteSessionStore.Open(temp.Path);
        await store.CreateAsync(new NewSession { Id = "s" });

        var e = await Assert.ThrowsAsync<ArgumentNullException>(async () => await store.AppendAsync("s", null!));
        Assert.Equal("messages", e.ParamName);
    }

    [Fact]
    public async Task A_multi_message_append_titles_an_untitled_session_from_its_first_user_message()
    {
        using var temp = TempDirectory.ForCaller();
        await using var store = SqliteSessionStore.Open(temp.Path);
        await store.CreateAsync(new NewSession { Id = "s" });

        var result = await store.AppendAsync("s", [
            new NewMessage(MessageRole.Assistant, "how can I help"),
            new NewMessage(MessageRole.User, "the first question"),
            new NewMessage(MessageRole.User, "a second question"),
        ]);

        Assert.Equal("the first question", result.Session.Title);
        Assert.Equal("the first question", (await store.GetAsync("s"))!.Title);
    }

    [Fact]
    public async Task An_append_never_moves_a_sessions_update_time_backwards()
    {
        using var temp = TempDirectory.ForCaller();
        await using var store = SqliteSessionStore.Open(temp.Path);
        await store.CreateAsync(new NewSession { Id = "s" });
        // As a session imported from a machine whose clock ran ahead, or written before this clock was set back.
        var ahead = DateTimeOffset.UtcNow.AddDays(30);
        FaultHelpers.RawExec(store.Location, $"UPDATE sessions SET updated_at = {ahead.UtcTicks} WHERE id = 's'");

        var result = await store.AppendAsync("s", [new NewMessage(MessageRole.User, "now")]);

        Assert.Equal(ahead, result.Session.UpdatedAt);
        Assert.Equal(ahead, (await store.GetAsync("s"))!.UpdatedAt);
    }

    [Fact]
    public async Task A_long_plain_text_message_is_stored_as_a_compressed_blob_and_reads_back_whole()
    {
        using var temp = TempDirectory.ForCaller();
        await using var store = SqliteSessionStore.Open(temp.Path);
        await store.CreateAsync(new NewSession { Id = "s" });
        // Over the blob threshold (8 KiB) and under four times it: one text part, so no parts JSON of its own.
        var text = string.Concat(Enumerable.Range(0, 2_000).Select(i => $"w{i:D4} ")); // 12,000 characters

        await store.AppendAsync("s", [new NewMessage(MessageRole.Assistant, text)]);

        Assert.Equal(1L, FaultHelpers.RawScalar(store.Location, "SELECT count(*) FROM blobs"));
        Assert.True((long)FaultHelpers.RawScalar(store.Location, "SELECT length(text) FROM messages")! < text.Length, "the row keeps only a search prefix of the text");
        Assert.Equal(text, (await store.ReadAsync("s", MessageRange.All).SingleAsync()).Text);
    }

    [Fact]
    public async Task A_large_data_part_beside_a_short_text_is_stored_as_a_compressed_blob_and_reads_back_whole()
    {
        using var temp = TempDirectory.ForCaller();
        await using var store = SqliteSessionStore.Open(temp.Path);
        await store.CreateAsync(new NewSession { Id = "s" });
        var data = new byte[64 * 1024];
        new Random(11).NextBytes(data);

        await store.AppendAsync("s", [new NewMessage(MessageRole.User, [new TextPart("see the attachment"), new DataPart(data, "application/octet-stream", "dump.bin")])]);

        Assert.Equal(1L, FaultHelpers.RawScalar(store.Location, "SELECT count(*) FROM blobs"));
        var stored = await store.ReadAsync("s", MessageRange.All).SingleAsync();
        Assert.Equal(data, Assert.IsType<DataPart>(stored.Parts[1]).Data);
    }
}
