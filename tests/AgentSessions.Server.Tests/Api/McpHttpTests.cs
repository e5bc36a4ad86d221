using System.Net;
using AgentSessions.Server.Http;
using AgentSessions.Testing;
using ModelContextProtocol.Client;
using Xunit;

namespace AgentSessions.Server.Tests.Api;

/// <summary>The MCP tools over streamable HTTP at /api/mcp inside serve, behind the API token.</summary>
public sealed class McpHttpTests
{
    private static async Task<McpClient> ConnectAsync(ApiServer server, string token)
    {
        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(server.Url + ServerHost.McpPath),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token },
        });
        using var timeout = new CancellationTokenSource(ApiServer.Timeout);
        return await McpClient.CreateAsync(transport, cancellationToken: timeout.Token);
    }

    [Fact]
    public async Task With_the_token_an_mcp_client_searches_over_http_and_the_write_tools_are_off()
    {
        using var dir = TempDirectory.ForCaller();
        await using var server = await ApiServer.StartAsync(dir.Path);
        await server.Store.CreateAsync(new NewSession { Id = "h1", Title = "over http" });
        await server.Store.AppendAsync("h1", [new NewMessage(MessageRole.User, "the quokka smiles")]);
        await using var client = await ConnectAsync(server, server.Token);

        Assert.Equal(["list_sessions", "read_session", "search_sessions", "session_info"], (await client.ListToolsAsync()).Select(t => t.Name).Order(StringComparer.Ordinal));
        var search = await client.CallToolAsync("search_sessions", new Dictionary<string, object?> { ["query"] = "quokka" });
        var hit = Assert.Single(search.StructuredContent!.Value.GetProperty("hits").EnumerateArray());
        Assert.Equal("h1", hit.GetProperty("sessionId").GetString());
        var refused = await client.CallToolAsync("tag", new Dictionary<string, object?> { ["sessionId"] = "h1", ["add"] = new[] { "x" } });
        Assert.True(refused.IsError);
        Assert.Contains("'agent-sessions serve --mcp-allow-write'", string.Concat(refused.Content.OfType<ModelContextProtocol.Protocol.TextContentBlock>().Select(t => t.Text)), StringComparison.Ordinal);
        Assert.Empty((await server.Store.GetAsync("h1"))!.Tags);
    }

    [Fact]
    public async Task With_mcp_allow_write_the_write_tools_change_the_store()
    {
        using var dir = TempDirectory.ForCaller();
        await using var server = await ApiServer.StartAsync(dir.Path, o => o with { McpAllowWrite = true });
        await server.Store.CreateAsync(new NewSession { Id = "h1" });
        await using var client = await ConnectAsync(server, server.Token);

        var tag = await client.CallToolAsync("tag", new Dictionary<string, object?> { ["sessionId"] = "h1", ["add"] = new[] { "from-mcp" } });

        Assert.True(tag.IsError is not true);
        Assert.Equal(["from-mcp"], (await server.Store.GetAsync("h1"))!.Tags);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-the-token")]
    public async Task Without_the_token_mcp_over_http_is_refused(string? token)
    {
        using var dir = TempDirectory.ForCaller();
        await using var server = await ApiServer.StartAsync(dir.Path);
        using var request = new HttpRequestMessage(HttpMethod.Post, ServerHost.McpPath)
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("application/json, text/event-stream");
        if (token is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await server.Anonymous.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.DoesNotContain("search_sessions", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        if (token is not null)
        {
            await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(server, token));
        }
    }
}
