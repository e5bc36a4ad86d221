using Xunit;

namespace AgentSessions.Chat.Tests;

/// <summary>What <see cref="ChatEndpoint"/> lets out: never the key, and no credentials carried in the URL.</summary>
public sealed class ChatEndpointTests
{
    [Theory]
    [InlineData("https://user:s3cret-token@gateway.example/v1", "https://gateway.example/v1")]
    [InlineData("https://gateway.example/v1?api-key=s3cret-token", "https://gateway.example/v1")]
    [InlineData("http://127.0.0.1:11434/v1#s3cret-token", "http://127.0.0.1:11434/v1")]
    public void The_url_as_shown_drops_user_info_query_and_fragment(string url, string shown)
    {
        var endpoint = ChatEndpoint.Resolve(url, "m", apiKey: "sk-not-shown");

        Assert.Equal(shown, endpoint.DisplayUrl);
        Assert.DoesNotContain("s3cret-token", endpoint.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("sk-not-shown", endpoint.ToString(), StringComparison.Ordinal);
        Assert.Equal(new Uri(url), endpoint.Url); // the requests still go where the user said
    }

    [Fact]
    public void An_error_message_that_echoes_the_key_has_it_taken_out()
        => Assert.Equal("bad key <api key>", ChatEndpoint.Resolve("http://127.0.0.1:1/v1", "m", apiKey: "sk-123").Redact("bad key sk-123"));
}
