using System.Text.Json;
using AgentSessions.Sqlite;
using AgentSessions.Storage;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Sqlite.Tests.Faults;

/// <summary>
/// A store written by the first released schema (Fixtures/schema-v1.db, made once by the store itself) still opens,
/// reads back every piece and passes doctor. When the schema moves on, opening it runs the migration here.
/// </summary>
public sealed class UpgradeTests
{
    [Fact]
    public async Task A_schema_v1_store_opens_reads_everything_back_and_passes_doctor()
    {
        using var temp = TempDirectory.ForCaller();
        var options = new SqliteStoreOptions(temp.Combine("store"));
        Directory.CreateDirectory(options.Directory);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "schema-v1.db"), options.DatabasePath);
        var t0 = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

        await using var store = SqliteSessionStore.Open(options);
        var info = await store.GetInfoAsync();
        Assert.Equal(SqliteSessionStore.SchemaVersion, info.SchemaVersion);
        Assert.Equal(3, info.SessionCount);

        var alpha = (await store.GetAsync("alpha"))!;
        Assert.Equal("Fixture alpha", alpha.Title);
        Assert.Equal("model-a", alpha.Model);
        Assert.Equal("/src/alpha", alpha.ProjectPath);
        Assert.Equal(["fixture", "v1"], alpha.Tags);
        Assert.True(alpha.Pinned);
        Assert.Equal("schema-v1", alpha.Metadata["origin"].GetString());
        Assert.Equal(5, alpha.MessageCount);
        Assert.Equal(300, alpha.InputTokens);
        Assert.Equal(50, alpha.OutputTokens);

        var messages = await FaultHelpers.ReadAllAsync(store, "alpha");
        Assert.Equal([1L, 2, 3, 4, 5], messages.Select(m => m.Sequence));
        Assert.Equal([MessageRole.System, MessageRole.User, MessageRole.Assistant, MessageRole.Tool, MessageRole.Assistant], messages.Select(m => m.Role));
        Assert.Equal(Enumerable.Range(0, 5).Select(i => t0.AddSeconds(i)), messages.Select(m => m.CreatedAt));
        Assert.Equal("What is in schema one?", messages[1].Text);
        Assert.Equal("tester", messages[1].AuthorName);
        var call = Assert.IsType<ToolCallPart>(messages[2].Parts[1]);
        Assert.Equal(("call-1", "read_file", "schema.sql"), (call.CallId, call.Name, call.Arguments!.Value.GetProperty("path").GetString()));
        // The long tool result was stored as a content blob; it comes back whole.
        var result = Assert.IsType<ToolResultPart>(Assert.Single(messages[3].Parts));
        Assert.Equal(string.Concat(Enumerable.Range(0, 3000).Select(i => $"line {i}; ")), result.Result!.Value.GetString());
        Assert.Equal("stop", messages[4].Metadata["finish"].GetString());
        Assert.Equal("model-a", messages[4].Model);

        var details = await store.GetDetailsAsync("alpha");
        var snapshot = Assert.Single(details.Snapshots);
        Assert.Equal(("before-fork", "the first answer", 5L), (snapshot.Name, snapshot.Description, snapshot.MessageCount));
        var bookmark = Assert.Single(details.Bookmarks);
        Assert.Equal(("question", 2L, "the user's question"), (bookmark.Name, bookmark.Sequence, bookmark.Note));
        var exec = Assert.Single(details.ToolExecutions);
        Assert.Equal(("exec-1", "read_file", "call-1", 42L, "fixture-agent", 3L), (exec.Id, exec.ToolName, exec.CallId, exec.DurationMs, exec.AgentName, exec.Sequence));
        Assert.Equal("ok", exec.Result!.Value.GetString());
        Assert.Equal(["alpha-fork"], details.Forks);

        var fork = (await store.GetAsync("alpha-fork"))!;
        Assert.Equal(("alpha", 3L, 4L), (fork.ParentId, fork.ForkSequence, fork.MessageCount));
        var forked = await FaultHelpers.ReadAllAsync(store, "alpha-fork");
        Assert.Equal(messages.Take(3).Select(m => m.Text), forked.Take(3).Select(m => m.Text));
        Assert.Equal("A different path from here.", forked[3].Text);

        var beta = await FaultHelpers.ReadAllAsync(store, "beta");
        Assert.Equal(["Second session, unicode: café ✓", "Noted."], beta.Select(m => m.Text));
        var share = (await store.GetShareAsync("fixture-share-token-0000000000000000000000000"))!;
        Assert.Equal(("beta", ShareVisibility.Unlisted, false, t0.AddMinutes(2)), (share.SessionId, share.Visibility, share.AllowFork, share.CreatedAt));
        // Schema 4 binds the link to the session's row; a link made before it still opens.
        Assert.Equal(Sharing.ShareAccess.Granted, (await new Sharing.ShareService(store).OpenAsync(share.Token, null, DateTimeOffset.UtcNow)).Access);

        var hits = new List<SearchHit>();
        await foreach (var hit in store.SearchAsync(new SearchQuery("café")))
        {
            hits.Add(hit);
        }

        Assert.Equal("beta", Assert.Single(hits).SessionId);
        Assert.Equal(["alpha", "alpha-fork", "beta"], (await store.ListAsync(new SessionQuery { Tag = "fixture" })).Sessions.Select(s => s.Id).Order(StringComparer.Ordinal));

        var report = await store.CheckAsync(repair: false);
        Assert.True(report.Checks.All(c => c.Ok), FaultHelpers.Failures(report));

        // And it takes new writes.
        var appended = await store.AppendAsync("beta", [new NewMessage(MessageRole.User, "after the upgrade")]);
        Assert.Equal(3, appended.Messages[0].Sequence);
    }
}
