using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;

namespace AgentSessions.Chat;

/// <summary>
/// Where a chat goes: an OpenAI-compatible base URL, a model, and the API key, which is only ever sent to that
/// URL (never stored, logged or printed).
/// </summary>
public sealed class ChatEndpoint
{
    /// <summary>Where requests go when neither an option nor <c>AGENT_SESSIONS_ENDPOINT</c> says.</summary>
    public const string DefaultEndpoint = "https://api.openai.com/v1";

    /// <summary>
    /// Sent when no key is set: local servers (Ollama, llama.cpp, vLLM) want none, but the OpenAI client refuses to
    /// send a request without one. A real endpoint answers it with 401, which the error reports.
    /// </summary>
    private const string PlaceholderKey = "no-key";

    private readonly string? _apiKey;

    private ChatEndpoint(Uri url, string model, string? apiKey) => (Url, Model, _apiKey) = (url, model, apiKey);

    /// <summary>The base URL, such as <c>http://127.0.0.1:11434/v1</c>.</summary>
    public Uri Url { get; }

    /// <summary>
    /// The URL as it may be shown (errors, notices): without user name, password, query or fragment, which may
    /// carry credentials (<c>https://user:token@gateway/v1</c>, <c>?api-key=</c>).
    /// </summary>
    public string DisplayUrl => new UriBuilder(Url) { UserName = "", Password = "", Query = "", Fragment = "" }.Uri.ToString();

    /// <summary>The model asked for.</summary>
    public string Model { get; }

    /// <summary>Whether a key is set (the key itself is not readable from here).</summary>
    public bool HasApiKey => _apiKey is not null;

    /// <summary>
    /// Resolves the endpoint from explicit values, falling back to <c>AGENT_SESSIONS_ENDPOINT</c>,
    /// <c>AGENT_SESSIONS_MODEL</c>, and <c>OPENAI_API_KEY</c> or <c>AGENT_SESSIONS_API_KEY</c>.
    /// </summary>
    /// <param name="endpoint">The base URL, or null for the environment's or the default.</param>
    /// <param name="model">The model, or null for the environment's.</param>
    /// <param name="apiKey">The key, or null for the environment's.</param>
    /// <param name="modelHint">How the caller names the model setting in the error (for example <c>--model NAME</c>).</param>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.InvalidArgument"/> when there is no model or the URL is not http(s).</exception>
    public static ChatEndpoint Resolve(string? endpoint, string? model, string? apiKey = null, string modelHint = "a model")
    {
        var name = NonEmpty(model) ?? NonEmpty(Environment.GetEnvironmentVariable("AGENT_SESSIONS_MODEL"))
            ?? throw new AgentSessionsException(ErrorCode.InvalidArgument, $"no model: pass {modelHint} or set AGENT_SESSIONS_MODEL");
        var text = NonEmpty(endpoint) ?? NonEmpty(Environment.GetEnvironmentVariable("AGENT_SESSIONS_ENDPOINT")) ?? DefaultEndpoint;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"the endpoint '{text}' is not an http or https URL (such as http://127.0.0.1:11434/v1)");
        }

        var key = NonEmpty(apiKey)
            ?? NonEmpty(Environment.GetEnvironmentVariable("OPENAI_API_KEY"))
            ?? NonEmpty(Environment.GetEnvironmentVariable("AGENT_SESSIONS_API_KEY"));
        return new ChatEndpoint(url, name, key);
    }

    /// <summary>The same endpoint and key with another model.</summary>
    public ChatEndpoint WithModel(string model)
        => string.IsNullOrWhiteSpace(model) ? this : new ChatEndpoint(Url, model.Trim(), _apiKey);

    /// <summary>A bare Microsoft.Extensions.AI client of this endpoint (nothing is stored through it).</summary>
    public IChatClient CreateClient()
        => new OpenAIClient(new ApiKeyCredential(_apiKey ?? PlaceholderKey), new OpenAIClientOptions { Endpoint = Url })
            .GetChatClient(Model)
            .AsIChatClient();

    /// <summary>An error message with the key taken out, should a server or a library ever echo it.</summary>
    public string Redact(string message)
        => _apiKey is null ? message : message.Replace(_apiKey, "<api key>", StringComparison.Ordinal);

    /// <summary>The URL as shown and the model; never the key.</summary>
    public override string ToString() => $"{DisplayUrl} {Model}";

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
