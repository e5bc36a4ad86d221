using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using AgentSessions.Sharing;
using AgentSessions.Sqlite;
using AgentSessions.Storage;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Tests;

/// <summary>SessionService.CopyToAsync between two real SQLite stores in temp directories.</summary>
public sealed class CopyTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = TempDirectory.ForCaller();
    private SessionService _source = null!;
    private SessionService _target = null!;

    public Task InitializeAsync()
    {
        _source = new SessionService(SqliteSessionStore.Open(_temp.Combine("source")), ownsStore: true);
        _target = new SessionService(SqliteSessionStore.Open(_temp.Combine("target")), ownsStore: true);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _source.DisposeAsync();
        await _target.DisposeAsync();
        _temp.Dispose();
    }

    private static readonly CopyRequest All = new();

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private async Task<string> ConversationAsync(SessionService service, int exchanges, string? id = null)
    {
        var session = await service.CreateAsync(new NewSession { Id = id, Title = "talk", Model = "m1", ProjectPath = "/p", Tags = ["b", "a"], Metadata = new Dictionary<string, JsonElement> { ["k"] = Json("{\"x\":[1,2]}") } });
        for (var i = 1; i <= exchanges; i++)
        {
            await service.AppendAsync(session.Id, new NewMessage(MessageRole.User, $"q{i}") { InputTokens = 2, Metadata = new Dictionary<string, JsonElement> { ["n"] = Json(i.ToString(System.Globalization.CultureInfo.InvariantCulture)) } });
            await service.AppendAsync(session.Id, new NewMessage(MessageRole.Assistant, $"a{i}") { OutputTokens = 3, Model = "m1", AuthorName = "helper" });
        }

        return session.Id;
    }

    /// <summary>The session as an export (everything a store hands over about it), without the export's own time.</summary>
    private static async Task<string> ExportAsync(SessionService service, string id)
    {
        using var stream = new MemoryStream();
        await service.ExportJsonAsync(id, stream);
        var node = JsonNode.Parse(stream.ToArray())!.AsObject();
        node.Remove("exportedAt");
        return node.ToJsonString();
    }

    [Fact]
    public async Task Copy_keeps_messages_history_lineage_and_fields_of_every_session()
    {
        var id = await ConversationAsync(_source, 3);
        await _source.PinAsync(id, true);
        await _source.CreateSnapshotAsync(id, "two-in", "after two");
        await _source.AddBookmarkAsync(id, "start", 1, "the first question");
        await _source.RecordToolExecutionAsync(id, new ToolExecution { Id = "t1", ToolName = "grep", CallId = "c1", Arguments = Json("{\"q\":\"x\"}"), Result = Json("\"found\""), DurationMs = 12, AgentName = "helper", Sequence = 2, CreatedAt = DateTimeOffset.UtcNow });
        await _source.RecordFileChangeAsync(id, new FileChange("src/a.cs", FileChangeKind.Created, DateTimeOffset.UtcNow) { AgentName = "helper", Sequence = 4 });
        var fork = await _source.ForkAsync(id, 4, new NewSession { Title = "the fork" });
        await _source.AppendAsync(fork.Id, new NewMessage(MessageRole.User, "a different q3"));

        var summary = await _source.CopyToAsync(_target, All);

        Assert.Equal(2, summary.Selected);
        Assert.Equal([id, fork.Id], summary.Copied);
        Assert.Equal(6 + 5, summary.Messages);
        Assert.Null(summary.Failure);
        Assert.Equal(await ExportAsync(_source, id), await ExportAsync(_target, id));
        Assert.Equal(await ExportAsync(_source, fork.Id), await ExportAsync(_target, fork.Id));
        var copiedFork = await _target.GetAsync(fork.Id);
        Assert.Equal(id, copiedFork.ParentId);
        Assert.Equal(4, copiedFork.ForkSequence);
        Assert.Equal([fork.Id], (await _target.GetDetailsAsync(id)).Forks);
        var copied = await _target.GetAsync(id);
        Assert.True(copied.Pinned);
        Assert.Equal(["a", "b"], copied.Tags);
        Assert.Equal((6, 6L, 9L), (copied.MessageCount, copied.InputTokens, copied.OutputTokens));
    }

    [Fact]
    public async Task A_second_run_copies_nothing_and_counts_every_session_as_present()
    {
        var first = await ConversationAsync(_source, 2);
        var second = await ConversationAsync(_source, 1);
        await _source.AddBookmarkAsync(first, "here");
        await _source.CopyToAsync(_target, All);
        var before = await ExportAsync(_target, first);

        var again = await _source.CopyToAsync(_target, All);

        Assert.Empty(again.Copied);
        Assert.Empty(again.Updated);
        Assert.Empty(again.Conflicts);
        Assert.Equal(2, again.AlreadyPresent);
        Assert.Equal(0, again.Messages);
        Assert.Equal(before, await ExportAsync(_target, first));
        Assert.Equal(await ExportAsync(_source, second), await ExportAsync(_target, second));
    }

    [Fact]
    public async Task Messages_hidden_by_an_undo_are_not_copied_and_do_not_make_the_session_differ()
    {
        var id = await ConversationAsync(_source, 3);
        await _source.UndoAsync(id);

        var summary = await _source.CopyToAsync(_target, All);
        var again = await _source.CopyToAsync(_target, All);

        Assert.Equal(4, summary.Messages);
        Assert.Equal(4, (await _target.GetAsync(id)).MessageCount);
        Assert.Equal(0, (await _target.GetDetailsAsync(id)).HiddenMessages);
        Assert.Equal(1, again.AlreadyPresent);
    }

    [Fact]
    public async Task A_source_that_grew_appends_the_missing_tail_and_its_new_history()
    {
        var id = await ConversationAsync(_source, 2);
        await _source.CopyToAsync(_target, All);
        await _source.AppendAsync(id, new NewMessage(MessageRole.User, "q3"));
        await _source.AppendAsync(id, new NewMessage(MessageRole.Assistant, "a3"));
        await _source.AddBookmarkAsync(id, "later");
        await _source.TagAsync(id, ["new"], []);

        var summary = await _source.CopyToAsync(_target, All);

        Assert.Equal([id], summary.Updated);
        Assert.Empty(summary.Copied);
        Assert.Equal(2, summary.Messages);
        Assert.Equal(await ExportAsync(_source, id), await ExportAsync(_target, id));
        Assert.Equal(1, (await _source.CopyToAsync(_target, All)).AlreadyPresent);
    }

    [Fact]
    public async Task A_turn_written_to_the_target_while_the_copy_updates_it_is_kept_and_the_session_is_a_conflict()
    {
        var id = await ConversationAsync(_source, 1);
        await _source.CopyToAsync(_target, All);
        await _source.AppendAsync(id, new NewMessage(MessageRole.User, "q2"));

        // A chat on the target stores a turn after the copy compared the session and before it replaces it.
        var racing = new SessionService(FailingStore.Wrap(SqliteSessionStore.Open(_temp.Combine("target")), failOnImport: 0, beforeReplace: async inner =>
            await inner.AppendAsync(id, [new NewMessage(MessageRole.User, "typed on the target meanwhile")])), ownsStore: true);
        CopySummary summary;
        await using (racing)
        {
            summary = await _source.CopyToAsync(racing, All);
        }

        Assert.Empty(summary.Updated);
        Assert.Equal([id], summary.Conflicts.Select(c => c.SessionId));
        Assert.Contains("typed on the target meanwhile", (await _target.ReadAsync(id).ToListAsync()).Select(m => m.Text));
    }

    [Fact]
    public async Task A_target_that_diverged_is_a_conflict_and_is_left_untouched()
    {
        var diverged = await ConversationAsync(_source, 2);
        var longer = await ConversationAsync(_source, 1);
        var annotated = await ConversationAsync(_source, 1);
        var shared = await ConversationAsync(_source, 1);
        var undone = await ConversationAsync(_source, 2);
        await _source.CopyToAsync(_target, All);
        await _target.UndoAsync(undone);
        await _source.AppendAsync(diverged, new NewMessage(MessageRole.User, "source's q3"));
        await _target.AppendAsync(diverged, new NewMessage(MessageRole.User, "target's q3"));
        await _target.AppendAsync(longer, new NewMessage(MessageRole.User, "only in the target"));
        await _source.AppendAsync(annotated, new NewMessage(MessageRole.User, "q2"));
        await _target.AddBookmarkAsync(annotated, "target-only");
        await _source.AppendAsync(shared, new NewMessage(MessageRole.User, "q2"));
        await _target.CreateShareAsync(shared, new ShareRequest());
        var before = new Dictionary<string, string>();
        foreach (var id in new[] { diverged, longer, annotated, shared, undone })
        {
            before[id] = await ExportAsync(_target, id);
        }

        var summary = await _source.CopyToAsync(_target, All);

        Assert.Equal(new[] { diverged, longer, annotated, shared, undone }.Order(StringComparer.Ordinal), summary.Conflicts.Select(c => c.SessionId).Order(StringComparer.Ordinal));
        Assert.Contains("differ", summary.Conflicts.Single(c => c.SessionId == diverged).Reason, StringComparison.Ordinal);
        Assert.Contains("share link", summary.Conflicts.Single(c => c.SessionId == shared).Reason, StringComparison.Ordinal);
        Assert.Contains("redo", summary.Conflicts.Single(c => c.SessionId == undone).Reason, StringComparison.Ordinal);
        Assert.Empty(summary.Updated);
        Assert.Equal(0, summary.Messages);
        foreach (var (id, export) in before)
        {
            Assert.Equal(export, await ExportAsync(_target, id));
        }

        Assert.Single(await _target.ListSharesAsync(shared));
    }

    [Fact]
    public async Task Since_and_session_ids_choose_the_sessions()
    {
        var recent = await ConversationAsync(_source, 1);
        var other = await ConversationAsync(_source, 1);
        var old = DateTimeOffset.UtcNow.AddDays(-30);
        await _source.ImportArchiveAsync(new SessionArchive
        {
            Session = new Session { Id = "old-one", Title = "old", CreatedAt = old, UpdatedAt = old },
            Messages = [new SessionMessage { Id = "m1", Sequence = 1, Role = MessageRole.User, Parts = [new TextPart("long ago")], CreatedAt = old }],
        });

        var since = await _source.CopyToAsync(_target, new CopyRequest { Since = DateTimeOffset.UtcNow.AddDays(-7) });
        var chosen = await _source.CopyToAsync(_target, new CopyRequest { SessionIds = ["old-one", recent] });

        Assert.Equal(new[] { recent, other }.Order(StringComparer.Ordinal), since.Copied.Order(StringComparer.Ordinal));
        Assert.Equal(["old-one"], chosen.Copied);
        Assert.Equal(1, chosen.AlreadyPresent);
        Assert.Equal(3, (await _target.ListAsync(new SessionQuery())).Sessions.Count);
    }

    [Fact]
    public async Task A_fork_is_copied_after_its_parent_even_when_it_is_older()
    {
        var now = DateTimeOffset.UtcNow;
        static SessionMessage Message(int sequence, DateTimeOffset at) => new() { Id = $"m{sequence}", Sequence = sequence, Role = MessageRole.User, Parts = [new TextPart($"text {sequence}")], CreatedAt = at };
        // Lineage recorded by an import (say, of another system's files) need not follow creation times.
        await _source.ImportArchiveAsync(new SessionArchive { Session = new Session { Id = "child", ParentId = "parent", ForkSequence = 1, CreatedAt = now.AddHours(-2), UpdatedAt = now.AddHours(-2) }, Messages = [Message(1, now.AddHours(-2))] });
        await _source.ImportArchiveAsync(new SessionArchive { Session = new Session { Id = "grandchild", ParentId = "child", ForkSequence = 1, CreatedAt = now.AddHours(-3), UpdatedAt = now.AddHours(-3) }, Messages = [Message(1, now.AddHours(-3))] });
        await _source.ImportArchiveAsync(new SessionArchive { Session = new Session { Id = "parent", CreatedAt = now.AddHours(-1), UpdatedAt = now.AddHours(-1) }, Messages = [Message(1, now.AddHours(-1))] });
        var order = new List<string>();

        var summary = await _source.CopyToAsync(_target, All, new Recorder(p => { if (p.Current.Length > 0) { order.Add(p.Current); } }));

        Assert.Equal(["parent", "child", "grandchild"], order);
        Assert.Equal(["parent", "child", "grandchild"], summary.Copied);
    }

    [Fact]
    public async Task A_target_failing_mid_way_leaves_whole_sessions_and_a_rerun_finishes_the_job()
    {
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await ConversationAsync(_source, 2, $"s{i}"));
        }

        var failing = new SessionService(FailingStore.Wrap(SqliteSessionStore.Open(_temp.Combine("target")), failOnImport: 3), ownsStore: true);
        CopySummary broken;
        await using (failing)
        {
            broken = await _source.CopyToAsync(failing, All);
        }

        Assert.Equal(2, broken.Copied.Count);
        Assert.NotNull(broken.Failure);
        Assert.Contains("disk on fire", broken.Failure.Reason, StringComparison.Ordinal);
        Assert.Equal(broken.Copied.Order(StringComparer.Ordinal), (await _target.ListAsync(new SessionQuery())).Sessions.Select(s => s.Id).Order(StringComparer.Ordinal));
        foreach (var id in broken.Copied)
        {
            Assert.Equal(await ExportAsync(_source, id), await ExportAsync(_target, id));
        }

        var rerun = await _source.CopyToAsync(_target, All);

        Assert.Equal(3, rerun.Copied.Count);
        Assert.Equal(2, rerun.AlreadyPresent);
        Assert.Null(rerun.Failure);
        foreach (var id in ids)
        {
            Assert.Equal(await ExportAsync(_source, id), await ExportAsync(_target, id));
        }
    }

    [Fact]
    public async Task Cancellation_stops_between_sessions_and_reports_what_was_copied()
    {
        for (var i = 0; i < 4; i++)
        {
            await ConversationAsync(_source, 1, $"c{i}");
        }

        using var cancellation = new CancellationTokenSource();
        var reported = 0;
        // Cancelled as the second session starts: that one may finish or not, the third is never begun.
        var summary = await _source.CopyToAsync(_target, All, new Recorder(p => { if (p.Current.Length > 0 && ++reported == 2) { cancellation.Cancel(); } }), cancellation.Token);

        Assert.True(summary.Stopped);
        Assert.InRange(summary.Copied.Count, 1, 2);
        Assert.Equal(summary.Copied.Count, (await _target.ListAsync(new SessionQuery())).Sessions.Count);
        var rest = await _source.CopyToAsync(_target, All);
        Assert.Equal(4 - summary.Copied.Count, rest.Copied.Count);
    }

    [Fact]
    public async Task Bad_ids_missing_sessions_and_the_same_store_fail_before_anything_is_copied()
    {
        var id = await ConversationAsync(_source, 1);

        var invalid = await Assert.ThrowsAsync<AgentSessionsException>(() => _source.CopyToAsync(_target, new CopyRequest { SessionIds = [id, "bad id/.."] }));
        var missing = await Assert.ThrowsAsync<AgentSessionsException>(() => _source.CopyToAsync(_target, new CopyRequest { SessionIds = [id, "no-such-session"] }));
        var same = await Assert.ThrowsAsync<AgentSessionsException>(() => _source.CopyToAsync(_source, All));

        Assert.Equal(ErrorCode.InvalidId, invalid.Code);
        Assert.Equal(ErrorCode.NotFound, missing.Code);
        Assert.Contains("no-such-session", missing.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCode.InvalidArgument, same.Code);
        Assert.Empty((await _target.ListAsync(new SessionQuery())).Sessions);
    }

    private sealed class Recorder(Action<CopyProgress> report) : IProgress<CopyProgress>
    {
        public void Report(CopyProgress value) => report(value);
    }

    /// <summary>A real store whose Nth import fails, as a target whose disk fills or whose server goes away would.</summary>
    public class FailingStore : DispatchProxy
    {
        private ISessionStore _inner = null!;
        private int _failOn;
        private int _imports;
        private Func<ISessionStore, Task>? _beforeReplace;

        /// <param name="inner">The real store.</param>
        /// <param name="failOnImport">Which import fails (1 = the first; 0 = none).</param>
        /// <param name="beforeReplace">Runs on the real store just before each replacing import, as a concurrent writer would.</param>
        public static ISessionStore Wrap(ISessionStore inner, int failOnImport, Func<ISessionStore, Task>? beforeReplace = null)
        {
            var proxy = Create<ISessionStore, FailingStore>();
            var failing = (FailingStore)(object)proxy;
            failing._inner = inner;
            failing._failOn = failOnImport;
            failing._beforeReplace = beforeReplace;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            ArgumentNullException.ThrowIfNull(targetMethod);
            if (targetMethod.Name == nameof(ISessionStore.ImportAsync) && ++_imports == _failOn)
            {
                return ValueTask.FromException<Session>(new AgentSessionsException(ErrorCode.StoreFull, "disk on fire"));
            }

            if (targetMethod.Name == nameof(ISessionStore.ImportAsync) && args is [_, true, ..] && _beforeReplace is { } writer)
            {
                writer(_inner).GetAwaiter().GetResult();
            }

            try
            {
                return targetMethod.Invoke(_inner, args);
            }
            catch (TargetInvocationException e) when (e.InnerException is not null)
            {
                throw e.InnerException;
            }
        }
    }
}
