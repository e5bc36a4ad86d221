using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using AgentSessions.Sharing;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Server.Tests.Pages;

/// <summary>What a share link hands out, over a real socket: its page and its export, and nothing once its session is gone.</summary>
public sealed partial class ShareContentTests : IAsyncLifetime
{
    // Every value planted below that a client could fill with a secret is "SECRET-<where>"; the sets of them found in
    // the page and in the export are compared whole.
    private static readonly byte[] AttachmentBytes = Encoding.UTF8.GetBytes("SECRET-attachment-bytes");
    private static readonly byte[] ImageBytes = [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3, 4, 5, 6, 7, 8, 9];

    /// <summary>What the page of a link with history shows, and therefore what the link hands out.</summary>
    private static readonly string[] ShownWithHistory =
    [
        "SECRET-title", "SECRET-author", "SECRET-user-text", "SECRET-reasoning", "SECRET-assistant-text", "SECRET-call-id",
        "SECRET-tool-name", "SECRET-tool-argument", "SECRET-tool-result", "SECRET-attachment-name", "SECRET-uri", "SECRET-image-name",
        "SECRET-message-model", "SECRET-final-answer", "SECRET-final-author", "SECRET-final-model", "SECRET-final-call-id",
        "SECRET-final-tool", "SECRET-final-argument",
    ];

    /// <summary>What the page of a link without history shows: the title and the final answer's text and header.</summary>
    private static readonly string[] ShownAnswerOnly = ["SECRET-title", "SECRET-final-answer", "SECRET-final-author", "SECRET-final-model"];

    [GeneratedRegex("SECRET-[a-z]+(?:-[a-z]+)*")]
    private static partial Regex Secret();

    private static JsonElement Json(object value) => JsonSerializer.SerializeToElement(value);

    /// <summary>A session with a secret in every field a client can fill, shown or not.</summary>
    private async Task<Session> PlantSecretsAsync()
    {
        var service = _server.Service;
        var session = await service.CreateAsync(new NewSession
        {
            Id = "SECRET-session-id",
            Title = "SECRET-title",
            Model = "SECRET-session-model",
            ProjectPath = "/home/SECRET-project-path",
            Tags = ["SECRET-tag"],
            Metadata = new Dictionary<string, JsonElement> { ["apiKey"] = Json("SECRET-session-metadata") },
        });
        var t0 = DateTimeOffset.UtcNow.AddMinutes(-10);
        await service.AppendAsync(session.Id, [
            new NewMessage(MessageRole.User, "SECRET-user-text")
            {
                Id = "SECRET-message-id", AuthorName = "SECRET-author", CreatedAt = t0,
                Metadata = new Dictionary<string, JsonElement> { ["token"] = Json("SECRET-message-metadata") },
            },
            new NewMessage(MessageRole.Assistant, [
                new ReasoningPart("SECRET-reasoning", ProtectedData: "SECRET-protected-data"),
                new TextPart("SECRET-assistant-text"),
                new ToolCallPart("SECRET-call-id", "SECRET-tool-name", Json(new Dictionary<string, string> { ["path"] = "SECRET-tool-argument" })),
            ]) { Model = "SECRET-message-model", CreatedAt = t0.AddMinutes(1), OutputTokens = 12 },
            new NewMessage(MessageRole.Tool, [new ToolResultPart("SECRET-call-id", Json("SECRET-tool-result"))]) { CreatedAt = t0.AddMinutes(2) },
            new NewMessage(MessageRole.User, [
                new DataPart(AttachmentBytes, "text/plain", "SECRET-attachment-name.txt"),
                new DataPart(ImageBytes, "image/png", "SECRET-image-name"),
                new UriPart("https://example.org/SECRET-uri", "text/html"),
            ]) { CreatedAt = t0.AddMinutes(3) },
            new NewMessage(MessageRole.Assistant, [
                new TextPart("SECRET-final-answer"),
                new ToolCallPart("SECRET-final-call-id", "SECRET-final-tool", Json(new Dictionary<string, string> { ["q"] = "SECRET-final-argument" })),
            ])
            {
                AuthorName = "SECRET-final-author", Model = "SECRET-final-model", CreatedAt = t0.AddMinutes(4), InputTokens = 5,
                Metadata = new Dictionary<string, JsonElement> { ["trace"] = Json("SECRET-final-metadata") },
            },
        ]);
        await _server.Store.RecordToolExecutionAsync(session.Id, new ToolExecution
        {
            Id = "SECRET-exec-id", ToolName = "SECRET-exec-tool", CallId = "SECRET-exec-call", Arguments = Json("SECRET-exec-argument"),
            Result = Json("SECRET-exec-result"), AgentName = "SECRET-exec-agent", Sequence = 2, CreatedAt = t0.AddMinutes(2),
        });
        await _server.Store.RecordFileChangeAsync(session.Id, new FileChange("/home/SECRET-file-path", FileChangeKind.Modified, t0.AddMinutes(2)) { AgentName = "SECRET-file-agent" });
        await _server.Store.CreateSnapshotAsync(session.Id, "SECRET-snapshot-name", "SECRET-snapshot-note");
        await _server.Store.AddBookmarkAsync(session.Id, "SECRET-bookmark-name", 2, "SECRET-bookmark-note");
        await _server.Store.UpdateAsync(session.Id, new SessionUpdate { Metadata = new Dictionary<string, JsonElement> { ["later"] = Json("SECRET-updated-metadata") } });

        // An exchange undone: stored for redo, not part of the session any more.
        await service.AppendAsync(session.Id, [new NewMessage(MessageRole.User, "SECRET-undone-question"), new NewMessage(MessageRole.Assistant, "SECRET-undone-answer")]);
        await _server.Store.UndoAsync(session.Id);
        return session;
    }

    private static SortedSet<string> Secrets(string text) => new(Secret().Matches(text).Select(m => m.Value), StringComparer.Ordinal);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_share_hands_out_exactly_what_its_page_shows(bool showHistory)
    {
        var session = await PlantSecretsAsync();
        var share = await _server.Shares.CreateAsync(session.Id, new ShareRequest { ShowHistory = showHistory });

        var page = await _http.GetAsync(Page(share));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        var response = await _http.PostAsync(Page(share) + "/export", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var export = await response.Content.ReadAsStringAsync();

        var shown = new SortedSet<string>(showHistory ? ShownWithHistory : ShownAnswerOnly, StringComparer.Ordinal);
        Assert.Equal(shown, Secrets(html));
        Assert.Equal(shown, Secrets(export));
        Assert.DoesNotContain(share.Token, export, StringComparison.Ordinal);

        // Bytes the page does not show are not handed out in any encoding; the image it shows inline is.
        var attachment = Convert.ToBase64String(AttachmentBytes);
        Assert.DoesNotContain(attachment, html, StringComparison.Ordinal);
        Assert.DoesNotContain(attachment, export, StringComparison.Ordinal);
        var image = Convert.ToBase64String(ImageBytes);
        Assert.Equal(showHistory, html.Contains(image, StringComparison.Ordinal));
        Assert.Equal(showHistory, export.Contains(image, StringComparison.Ordinal));

        // The export is an ordinary archive (what fork-share imports): the shared messages, no history arrays.
        var json = JsonDocument.Parse(export).RootElement;
        Assert.Equal(showHistory ? 5 : 1, json.GetProperty("messages").GetArrayLength());
        foreach (var name in new[] { "snapshots", "bookmarks", "toolExecutions", "files" })
        {
            Assert.Equal(0, json.GetProperty(name).GetArrayLength());
        }
    }

    private PageServer _server = null!;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(15) };

    public async Task InitializeAsync() => _server = await PageServer.StartAsync(TempDirectory.ForCaller());

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private string Page(Share share) => $"{_server.Url}/s/{share.Token}";

    [Fact]
    public async Task A_link_to_a_deleted_session_stays_dead_when_a_new_session_takes_the_id()
    {
        var shared = await _server.Service.CreateAsync(new NewSession { Id = "team-notes", Title = "What I meant to share" });
        await _server.Service.AppendAsync(shared.Id, [new NewMessage(MessageRole.User, "harmless words")]);
        var share = await _server.Shares.CreateAsync(shared.Id, new ShareRequest());
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(Page(share))).StatusCode);

        await _server.Service.DeleteAsync(shared.Id);
        await _server.Service.CreateAsync(new NewSession { Id = "team-notes", Title = "Someone else's session" });
        await _server.Service.AppendAsync("team-notes", [new NewMessage(MessageRole.User, "the new owner's private words")]);

        var page = await _http.GetAsync(Page(share));
        Assert.Equal(HttpStatusCode.NotFound, page.StatusCode);
        var body = await page.Content.ReadAsStringAsync();
        Assert.DoesNotContain("private words", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Someone else", body, StringComparison.Ordinal);
        var export = await _http.PostAsync(Page(share) + "/export", null);
        Assert.Equal(HttpStatusCode.NotFound, export.StatusCode);
        Assert.DoesNotContain("private words", await export.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
