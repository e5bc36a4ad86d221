using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace AgentSessions.Server.Http;

/// <summary>
/// The cookie that remembers, for one private share link, that this browser gave the right password: so paging
/// through a long shared session does not ask for it on every page.
/// </summary>
/// <remarks>
/// <para>
/// The value is <c>EXPIRES.MAC</c>: the Unix time (seconds) it stops working, and HMAC-SHA256 under the server's
/// share key over the link's token, the link's stored password hash and that time. Nothing in it is secret but the
/// MAC, and the MAC cannot be made without the key, so the cookie proves only "this browser knew the password of
/// this link, under this hash, recently". A new password (a new salted hash), a revoked or deleted link, another
/// link's cookie, or a changed key all fail the check; the MAC is compared in constant time.
/// </para>
/// <para>
/// The key is kept 0600 in the store directory (<see cref="ServerOptions.ShareKeyPath"/>) rather than made per
/// process: the people reading a shared link are not the owner, and a restart of <c>serve</c> should not lock
/// them out mid-read. Deleting the file (a new key is made on the next start) ends every unlocked browser at once.
/// </para>
/// </remarks>
internal sealed class ShareUnlock(string key, TimeProvider time)
{
    /// <summary>The cookie's name; its path is the link's own (<c>/s/{token}</c>), so each link has its own cookie.</summary>
    public const string CookieName = "agent_sessions_share";

    /// <summary>How long an unlock lasts, whatever the browser keeps: a working day of reading, not for ever.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    private readonly byte[] _key = Encoding.UTF8.GetBytes(key ?? throw new ArgumentNullException(nameof(key)));

    /// <summary>A cookie value for <paramref name="share"/>, valid for <see cref="Lifetime"/> from now.</summary>
    public string Issue(Share share)
    {
        ArgumentNullException.ThrowIfNull(share);
        var expires = (time.GetUtcNow() + Lifetime).ToUnixTimeSeconds();
        return expires.ToString(CultureInfo.InvariantCulture) + "." + Base64Url.EncodeToString(Mac(share, expires));
    }

    /// <summary>Whether <paramref name="value"/> is a live cookie that this server issued for <paramref name="share"/> as it is now.</summary>
    public bool Verify(Share share, string? value)
    {
        ArgumentNullException.ThrowIfNull(share);
        if (share.PasswordHash is null || value is null || value.Length > 128)
        {
            return false;
        }

        var dot = value.IndexOf('.', StringComparison.Ordinal);
        if (dot < 1)
        {
            return false;
        }

        if (!long.TryParse(value.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var expires)
            || expires <= time.GetUtcNow().ToUnixTimeSeconds())
        {
            return false;
        }

        var presented = new byte[32];
        // Only a MAC of exactly the right length is compared; the comparison itself takes the same time wherever they differ.
        return Base64Url.IsValid(value.AsSpan(dot + 1), out var length) && length == presented.Length
            && Base64Url.DecodeFromChars(value.AsSpan(dot + 1), presented) == presented.Length
            && CryptographicOperations.FixedTimeEquals(presented, Mac(share, expires));
    }

    private byte[] Mac(Share share, long expires)
        // The stored hash stands for the password's version: changing the password (a new random salt) changes it.
        => HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"agent-sessions share unlock\n{share.Token}\n{share.PasswordHash}\n{expires}")));
}
