using System.Text.Json.Serialization;

namespace AgentSessions;

/// <summary>Who can open a share link (<c>public</c>, <c>unlisted</c>, <c>private</c> in JSON).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ShareVisibility>))]
public enum ShareVisibility
{
    /// <summary>Anyone with the link, and the link is listed on the public page.</summary>
    [JsonStringEnumMemberName("public")]
    Public,

    /// <summary>Anyone with the link; not listed anywhere.</summary>
    [JsonStringEnumMemberName("unlisted")]
    Unlisted,

    /// <summary>Anyone with the link and the password.</summary>
    [JsonStringEnumMemberName("private")]
    Private,
}

/// <summary>A share link to a session, served at <c>/s/{token}</c>.</summary>
public sealed record Share
{
    /// <summary>The link's secret token (256 random bits, base64url).</summary>
    public required string Token { get; init; }

    /// <summary>The shared session.</summary>
    public required string SessionId { get; init; }

    /// <summary>Who can open it.</summary>
    public required ShareVisibility Visibility { get; init; }

    /// <summary>
    /// For private shares, the password as a salted slow hash:
    /// <c>pbkdf2-sha256$&lt;iterations&gt;$&lt;salt base64&gt;$&lt;hash base64&gt;</c>. Never the password itself.
    /// </summary>
    [JsonIgnore]
    public string? PasswordHash { get; init; }

    /// <summary>When the link stops working (UTC), or <see langword="null"/> for never.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Whether viewers may fork the session into their own store.</summary>
    public bool AllowFork { get; init; } = true;

    /// <summary>Whether the whole conversation is shown; <see langword="false"/> shows only the title and the final answer.</summary>
    public bool ShowHistory { get; init; } = true;

    /// <summary>When the link was made (UTC).</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the link was revoked, if it was.</summary>
    public DateTimeOffset? RevokedAt { get; init; }
}
