using System.Security.Cryptography;
using System.Text;
using AgentSessions.Storage;

namespace AgentSessions.Sharing;

/// <summary>What opening a share link found.</summary>
public enum ShareAccess
{
    /// <summary>The link works; the session may be shown.</summary>
    Granted,

    /// <summary>No such link, or it was revoked, or its session is gone (HTTP 404).</summary>
    NotFound,

    /// <summary>The link expired (HTTP 410).</summary>
    Expired,

    /// <summary>A private link opened without a password.</summary>
    PasswordRequired,

    /// <summary>A private link opened with the wrong password.</summary>
    WrongPassword,
}

/// <summary>What the caller asks for when sharing a session.</summary>
public sealed record ShareRequest
{
    /// <summary>Who can open it. Default: unlisted.</summary>
    public ShareVisibility Visibility { get; init; } = ShareVisibility.Unlisted;

    /// <summary>The password of a private share (required for private, refused otherwise).</summary>
    public string? Password { get; init; }

    /// <summary>How long the link works; <see langword="null"/> for ever.</summary>
    public TimeSpan? ExpiresIn { get; init; }

    /// <summary>Whether viewers may fork it. Default: yes.</summary>
    public bool AllowFork { get; init; } = true;

    /// <summary>Whether the whole conversation is shown. Default: yes.</summary>
    public bool ShowHistory { get; init; } = true;
}

/// <summary>Creates share links and decides who may open them.</summary>
/// <remarks>
/// Tokens are 256 random bits. Passwords are kept only as PBKDF2-SHA256 hashes with a 128-bit random salt and
/// <see cref="Iterations"/> iterations, and compared in constant time. Rate limiting of wrong passwords is the
/// front end's job (it knows the client); this type only answers whether a password is right.
/// </remarks>
public sealed class ShareService(ISessionStore store)
{
    /// <summary>PBKDF2 iterations for new hashes (OWASP's figure for PBKDF2-HMAC-SHA256).</summary>
    public const int Iterations = 600_000;

    private const int SaltBytes = 16;
    private const int HashBytes = 32;
    private const string Scheme = "pbkdf2-sha256";

    private readonly ISessionStore _store = store ?? throw new ArgumentNullException(nameof(store));

    /// <summary>Creates a link to a session.</summary>
    public async Task<Share> CreateAsync(string sessionId, ShareRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (await _store.GetAsync(sessionId, cancellationToken).ConfigureAwait(false) is null)
        {
            throw AgentSessionsException.SessionNotFound(sessionId);
        }

        if (request.Visibility == ShareVisibility.Private && string.IsNullOrEmpty(request.Password))
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, "a private share needs a password", ErrorHint.SharePassword);
        }

        if (request.Visibility != ShareVisibility.Private && request.Password is not null)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, "only private shares take a password", ErrorHint.SharePrivate);
        }

        if (request.ExpiresIn is { } expiry && expiry <= TimeSpan.Zero)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, "an expiry must be in the future (for example 7d)");
        }

        var now = DateTimeOffset.UtcNow;
        var share = new Share
        {
            Token = NewToken(),
            SessionId = sessionId,
            Visibility = request.Visibility,
            PasswordHash = request.Password is null ? null : HashPassword(request.Password),
            ExpiresAt = request.ExpiresIn is { } e ? now + e : null,
            AllowFork = request.AllowFork,
            ShowHistory = request.ShowHistory,
            CreatedAt = now,
        };
        await _store.CreateShareAsync(share, cancellationToken).ConfigureAwait(false);
        return share;
    }

    /// <summary>Opens a link: finds it and checks revocation, expiry and password.</summary>
    public async Task<(ShareAccess Access, Share? Share)> OpenAsync(string token, string? password, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        if (!IsWellFormedToken(token))
        {
            return (ShareAccess.NotFound, null);
        }

        var share = await _store.GetShareAsync(token, cancellationToken).ConfigureAwait(false);
        if (share is null || share.RevokedAt is not null || await _store.GetAsync(share.SessionId, cancellationToken).ConfigureAwait(false) is null)
        {
            return (ShareAccess.NotFound, null);
        }

        if (share.ExpiresAt is { } expires && expires <= now)
        {
            return (ShareAccess.Expired, share);
        }

        if (share.Visibility == ShareVisibility.Private)
        {
            if (string.IsNullOrEmpty(password))
            {
                return (ShareAccess.PasswordRequired, share);
            }

            if (!VerifyPassword(password, share.PasswordHash))
            {
                return (ShareAccess.WrongPassword, share);
            }
        }

        return (ShareAccess.Granted, share);
    }

    /// <summary>A new token: 256 random bits as base64url (43 characters).</summary>
    public static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Whether a string can be a token at all (checked before it reaches a query).</summary>
    public static bool IsWellFormedToken(string? token) => Storage.SessionRules.IsWellFormedShareToken(token);

    /// <summary>Hashes a password with PBKDF2-SHA256, a random salt and <see cref="Iterations"/> iterations.</summary>
    public static string HashPassword(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, Iterations, HashAlgorithmName.SHA256, HashBytes);
        return $"{Scheme}${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    /// <summary>Checks a password against a stored hash in constant time.</summary>
    public static bool VerifyPassword(string password, string? stored)
    {
        ArgumentNullException.ThrowIfNull(password);
        var parts = stored?.Split('$');
        if (parts is not [Scheme, var iterationsText, var saltText, var hashText]
            || !int.TryParse(iterationsText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var iterations)
            || iterations < 1)
        {
            return false;
        }

        byte[] salt, expected;
        try
        {
            salt = Convert.FromBase64String(saltText);
            expected = Convert.FromBase64String(hashText);
        }
        catch (FormatException)
        {
            return false;
        }

        var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
