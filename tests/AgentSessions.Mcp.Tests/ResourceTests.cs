using System.Text;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using Xunit;

namespace AgentSessions.Mcp.Tests;

/// <summary>Each session as the resource agent-sessions://session/{id}: the store's Markdown export.</summary>
public sealed class ResourceTests
{
    [Fact]
    public async Task A_session_resource_is_its_markdown_export()
    {
        await using var server = await McpTestServer.StartAsync(seed: async service =>
        {
            await service.CreateAsync(new NewSession { Id = "s1", Title = "exported" });
            await service.AppendAsync("s1", new NewMessage(MessageRole.User, "show me"));
            await service.AppendAsync("s1", new NewMessage(MessageRole.Assistant, "here it is"));
        });

        var template = Assert.Single(await server.Client.ListResourceTemplatesAsync());
        Assert.Equal(SessionResources.UriTemplate, template.UriTemplate);
        Assert.Equal("text/markdown", template.ProtocolResourceTemplate.MimeType);

        var read = await server.Client.ReadResourceAsync("agent-sessions://session/s1");

        var content = Assert.IsType<TextResourceContents>(Assert.Single(read.Contents));
        Assert.Equal("text/markdown", content.MimeType);
        using var export = new MemoryStream();
        await server.Service.ExportMarkdownAsync("s1", export);
        Assert.Equal(Encoding.UTF8.GetString(export.ToArray()), content.Text);
    }

    [Fact]
    public async Task The_sessions_are_listed_as_resources_newest_first_in_pages()
    {
        await using var server = await McpTestServer.StartAsync(seed: async service =>
        {
            for (var i = 1; i <= SessionResources.PageSize + 5; i++)
            {
                await service.CreateAsync(new NewSession { Id = $"s{i:D3}", Title = $"session {i}" });
            }
        });

        // The SDK's client follows the cursors itself: every session once, newest first.
        var resources = await server.Client.ListResourcesAsync();

        Assert.Equal(SessionResources.PageSize + 5, resources.Count);
        Assert.Equal("agent-sessions://session/s055", resources[0].Uri);
        Assert.Equal("session 55", resources[0].Title);
        Assert.Equal("text/markdown", resources[0].ProtocolResource.MimeType);
        Assert.Equal(resources.Count, resources.Select(r => r.Uri).Distinct().Count());
        var read = await server.Client.ReadResourceAsync(resources[^1].Uri);
        Assert.StartsWith("# session 1\n", Assert.IsType<TextResourceContents>(Assert.Single(read.Contents)).Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_huge_session_is_cut_at_the_limit_with_a_note()
    {
        await using var server = await McpTestServer.StartAsync(seed: async service =>
        {
            await service.CreateAsync(new NewSession { Id = "big" });
            var text = new string('é', 100_000);
            for (var i = 0; i < 8; i++)
            {
                await service.AppendAsync("big", new NewMessage(MessageRole.User, text));
            }
        });

        var read = await server.Client.ReadResourceAsync("agent-sessions://session/big");

        var content = Assert.IsType<TextResourceContents>(Assert.Single(read.Contents));
        Assert.InRange(Encoding.UTF8.GetByteCount(content.Text), SessionResources.MaxBytes - 4, SessionResources.MaxBytes + 200);
        Assert.EndsWith("read the rest with the read_session tool)*\n", content.Text, StringComparison.Ordinal);
        Assert.DoesNotContain('\uFFFD', content.Text);
    }

    [Theory]
    [InlineData("agent-sessions://session/missing", "session 'missing' not found")]
    [InlineData("agent-sessions://session/bad%20id", "invalid session id")]
    [InlineData("agent-sessions://elsewhere/s1", "unknown resource")]
    [InlineData("file:///etc/passwd", "unknown resource")]
    public async Task A_bad_session_resource_is_an_error_with_the_reason(string uri, string expected)
    {
        await using var server = await McpTestServer.StartAsync();

        var error = await Assert.ThrowsAsync<McpProtocolException>(() => server.Client.ReadResourceAsync(uri).AsTask());

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.NotEmpty(await server.Client.ListToolsAsync());
    }
}
