using System.Text;
using System.Text.Json;
using AgentSessions.Storage;
using Xunit;

namespace AgentSessions.Specification.Tests;

// Transfer: export and import, whole archives with their history, and what import refuses.
public abstract partial class SessionStoreSpecification
{
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
    public async Task A_replace_that_expects_the_session_as_read_refuses_one_written_to_since_and_keeps_that_write()
    {
        await Store.CreateAsync(new NewSession { Id = "raced", Title = "one" });
        await Store.AppendAsync("raced", [new NewMessage(MessageRole.User, "first")]);
        var read = (await Store.GetAsync("raced"))!;
        var messages = await ReadAllAsync("raced");

        // Another writer appends after the read: the replace must not wipe that message out.
        await Store.AppendAsync("raced", [new NewMessage(MessageRole.Assistant, "written meanwhile")]);
        await ThrowsCode(ErrorCode.Conflict, async () => await Store.ImportAsync(new SessionArchive { Session = read with { Title = "two" }, Messages = messages }, replace: true, expected: read));
        Assert.Equal(["first", "written meanwhile"], (await ReadAllAsync("raced")).Select(m => m.Text));
        Assert.Equal("one", (await Store.GetAsync("raced"))!.Title);

        // Read again, the same replace goes through; a deleted session is a conflict too, and nothing is created.
        var now = (await Store.GetAsync("raced"))!;
        var replaced = await Store.ImportAsync(new SessionArchive { Session = now with { Title = "two" }, Messages = await ReadAllAsync("raced") }, replace: true, expected: now);
        Assert.Equal("two", replaced.Title);
        Assert.True(await Store.DeleteAsync("raced"));
        await ThrowsCode(ErrorCode.Conflict, async () => await Store.ImportAsync(new SessionArchive { Session = now, Messages = messages }, replace: true, expected: now));
        Assert.Null(await Store.GetAsync("raced"));
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
    public async Task An_archive_with_history_imports_whole()
    {
        var now = new DateTimeOffset(2026, 11, 21, 8, 0, 0, TimeSpan.Zero);
        SessionMessage M(long seq, MessageRole role, string text) => new() { Id = $"m{seq}", Sequence = seq, Role = role, Parts = [new TextPart(text)], CreatedAt = now.AddMinutes(seq) };
        var archive = new SessionArchive
        {
            Session = new Session { Id = "arch", Title = "archived", CreatedAt = now, UpdatedAt = now.AddHours(1), Tags = ["x"] },
            Messages = [M(1, MessageRole.User, "hello"), M(2, MessageRole.Assistant, "hi"), M(3, MessageRole.User, "bye")],
            Snapshots = [new Snapshot { Name = "start", MessageCount = 2, Title = "archived", CreatedAt = now }],
            Bookmarks = [new Bookmark("greeting", 2, now)],
            ToolExecutions = [new ToolExecution { Id = "t1", ToolName = "ls", CreatedAt = now, Result = Json("\"a\"") }],
            Files = [new FileChange("a.txt", FileChangeKind.Created, now)],
        };

        await Store.ImportAsync(archive);

        var details = await Store.GetDetailsAsync("arch");
        Assert.Equal("start", Assert.Single(details.Snapshots).Name);
        Assert.Equal("greeting", Assert.Single(details.Bookmarks).Name);
        Assert.Equal("t1", Assert.Single(details.ToolExecutions).Id);
        Assert.Equal("a.txt", Assert.Single(details.Files).Path);
        Assert.Equal(2, (await Store.RestoreAsync("arch", "start")).Session.MessageCount);
        var bad = archive with { Session = archive.Session with { Id = "arch2" }, Snapshots = [new Snapshot { Name = "beyond", MessageCount = 9, CreatedAt = now }] };
        Assert.Equal(ErrorCode.InvalidArgument, (await Assert.ThrowsAsync<AgentSessionsException>(async () => await Store.ImportAsync(bad))).Code);
        Assert.Null(await Store.GetAsync("arch2"));
    }
}
