using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;

namespace AgentSessions.FakeOpenAi.Tests;

/// <summary>The real OpenAI client, through Microsoft.Extensions.AI, pointed at a fake server: what the chat front ends will build.</summary>
internal static class FakeModel
{
    public const string ApiKey = "sk-test-0123456789abcdef";

    public const string ModelName = "fake-model";

    /// <summary>Bounds every call of a test: a hung fake must fail the test, not the run.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public static OpenAIClient OpenAi(string baseUrl) =>
        new(new ApiKeyCredential(ApiKey), new OpenAIClientOptions { Endpoint = new Uri(baseUrl), NetworkTimeout = Timeout });

    public static IChatClient Client(string baseUrl) => OpenAi(baseUrl).GetChatClient(ModelName).AsIChatClient();
}
