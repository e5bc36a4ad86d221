using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using AgentSessions.Formats;
using AgentSessions.Formats.Import;
using AgentSessions.Storage;

namespace AgentSessions.Server.Http;

/// <summary>JSON of the HTTP API: the model's source-generated metadata plus the API's own request and response shapes.</summary>
internal static class ApiJson
{
    /// <summary>
    /// The model's options (camelCase, nulls omitted, roles as names), resolving model types with the core context
    /// first so that the API writes them exactly as exports and <c>--json</c> do.
    /// </summary>
    public static readonly JsonSerializerOptions Options = new(AgentSessionsJson.Options)
    {
        TypeInfoResolver = JsonTypeInfoResolver.Combine(AgentSessionsJsonContext.Default, ApiJsonContext.Default),
        // Hand-written clients put a part's "type" wherever they like.
        AllowOutOfOrderMetadataProperties = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static JsonTypeInfo<T> Info<T>() => (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));
}

/// <summary>The error body: <c>{"error": {"code": "NotFound", "message": "..."}}</c>.</summary>
internal sealed record ErrorResponse(ErrorBody Error);

/// <summary>A stable code (an <see cref="ErrorCode"/> name, <c>Unauthorized</c> or <c>Internal</c>) and a message for people.</summary>
internal sealed record ErrorBody(string Code, string Message);

/// <summary>POST /api/sessions.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record CreateSessionBody
{
    public string? Id { get; init; }

    public string? Title { get; init; }

    public string? Model { get; init; }

    public string? ProjectPath { get; init; }

    public List<string>? Tags { get; init; }

    public bool? Pinned { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}

/// <summary>One message of POST /api/sessions/{id}/messages: <c>content</c> text or <c>parts</c>.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record MessageBody
{
    public string? Id { get; init; }

    public string? Role { get; init; }

    public string? Content { get; init; }

    public List<ContentPart>? Parts { get; init; }

    public string? AuthorName { get; init; }

    public string? Model { get; init; }

    public long? InputTokens { get; init; }

    public long? OutputTokens { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}

/// <summary>PATCH /api/sessions/{id}: every member optional, all applied in one update.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record PatchSessionBody
{
    public string? Title { get; init; }

    public bool? Pinned { get; init; }

    public List<string>? AddTags { get; init; }

    public List<string>? RemoveTags { get; init; }

    public string? Model { get; init; }

    public Dictionary<string, JsonElement>? Metadata { get; init; }
}

/// <summary>POST /api/sessions/{id}/fork.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record ForkBody
{
    public long? At { get; init; }

    public string? Id { get; init; }

    public string? Title { get; init; }
}

/// <summary>POST /api/sessions/{id}/snapshots.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record SnapshotBody
{
    public string? Name { get; init; }

    public string? Description { get; init; }
}

/// <summary>POST /api/sessions/{id}/bookmarks.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record BookmarkBody
{
    public string? Name { get; init; }

    public long? At { get; init; }

    public string? Note { get; init; }
}

/// <summary>POST /api/sessions/{id}/tools.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record ToolBody
{
    public string? Id { get; init; }

    public string? ToolName { get; init; }

    public string? CallId { get; init; }

    public JsonElement? Arguments { get; init; }

    public JsonElement? Result { get; init; }

    public bool? Success { get; init; }

    public long? DurationMs { get; init; }

    public string? AgentName { get; init; }

    public long? Sequence { get; init; }
}

/// <summary>POST /api/sessions/{id}/files.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record FileBody
{
    public string? Path { get; init; }

    public string? Kind { get; init; }

    public string? AgentName { get; init; }

    public long? Sequence { get; init; }
}

/// <summary>POST /api/sessions/{id}/shares.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
internal sealed record ShareBody
{
    public string? Visibility { get; init; }

    public string? Password { get; init; }

    /// <summary>A duration such as <c>30m</c>, <c>12h</c>, <c>7d</c>, <c>2w</c>.</summary>
    public string? ExpiresIn { get; init; }

    public bool? AllowFork { get; init; }

    public bool? ShowHistory { get; init; }
}

/// <summary>A share link as the API shows it: the stored fields (never the password hash) and its URL.</summary>
internal sealed record ShareView
{
    public required string Token { get; init; }

    public required string Url { get; init; }

    public required string SessionId { get; init; }

    public required ShareVisibility Visibility { get; init; }

    public bool HasPassword { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    public bool AllowFork { get; init; }

    public bool ShowHistory { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? RevokedAt { get; init; }

    public static ShareView From(Share share, string baseUrl) => new()
    {
        Token = share.Token,
        Url = $"{baseUrl}/s/{share.Token}",
        SessionId = share.SessionId,
        Visibility = share.Visibility,
        HasPassword = share.PasswordHash is not null,
        ExpiresAt = share.ExpiresAt,
        AllowFork = share.AllowFork,
        ShowHistory = share.ShowHistory,
        CreatedAt = share.CreatedAt,
        RevokedAt = share.RevokedAt,
    };
}

/// <summary>GET /api/shares.</summary>
internal sealed record SharesResponse(List<ShareView> Shares);

/// <summary>GET /api/search.</summary>
internal sealed record SearchResponse(List<SearchHit> Hits);

/// <summary>GET /api/sessions/{id}/messages: a page, whether another follows, and its URL.</summary>
internal sealed record MessagesResponse(List<SessionMessage> Messages, bool HasMore, string? Next);

/// <summary>Request shapes are strict (a misspelt field is an error, not silently ignored); responses use the model's conventions.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(MessageRoleJsonConverter)])]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(CreateSessionBody))]
[JsonSerializable(typeof(MessageBody))]
[JsonSerializable(typeof(List<MessageBody>))]
[JsonSerializable(typeof(PatchSessionBody))]
[JsonSerializable(typeof(ForkBody))]
[JsonSerializable(typeof(SnapshotBody))]
[JsonSerializable(typeof(BookmarkBody))]
[JsonSerializable(typeof(ToolBody))]
[JsonSerializable(typeof(FileBody))]
[JsonSerializable(typeof(ShareBody))]
[JsonSerializable(typeof(ShareView))]
[JsonSerializable(typeof(SharesResponse))]
[JsonSerializable(typeof(SearchResponse))]
[JsonSerializable(typeof(MessagesResponse))]
[JsonSerializable(typeof(AppendResult))]
[JsonSerializable(typeof(ImportSummary))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
