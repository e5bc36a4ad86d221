using System.Net;
using AgentSessions.Sharing;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Server.Tests.Pages;

/// <summary>What a share link hands out, over a real socket: its page and its export, and nothing once its session is gone.</summary>
public sealed class ShareContentTests : IAsyncLifetime
{
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
