using System.Security.Cryptography;
using System.Text;

namespace AgentSessions.Server.Http;

/// <summary>The bearer token of the HTTP API: generated once per store, kept in a file only its owner can read.</summary>
public static class ApiTokenFile
{
    /// <summary>Reads the token at <paramref name="path"/>, or generates one (32 random bytes, base64url) and stores it 0600.</summary>
    /// <returns>The token, and whether it was generated now.</returns>
    /// <exception cref="AgentSessionsException">
    /// <see cref="ErrorCode.Corrupt"/> when the file does not hold a token, or when others can read it (it may have leaked,
    /// so it is not used; the message says how to replace it).
    /// </exception>
    public static (string Token, bool Created) LoadOrCreate(string path) => LoadOrCreate(path, "API token");

    /// <summary>As <see cref="LoadOrCreate(string)"/>, for any such secret; <paramref name="what"/> names it in errors.</summary>
    internal static (string Token, bool Created) LoadOrCreate(string path, string what)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            var token = NewToken();
            if (PrivateFile.Write(path, token + "\n", overwrite: false))
            {
                return (token, true);
            }

            // Another server on this store created it first: use theirs, so both accept the same token.
        }

        if (PrivateFile.IsReadableByOthers(path))
        {
            throw new AgentSessionsException(ErrorCode.Corrupt, $"the {what} file '{path}' can be read by other users; delete it (a new one is made on the next start) or run 'chmod 600 {path}' if it never left this machine");
        }

        var text = File.ReadAllText(path).Trim();
        if (!IsWellFormed(text))
        {
            throw new AgentSessionsException(ErrorCode.Corrupt, $"the {what} file '{path}' does not hold a valid {what}; delete it and a new one is made on the next start");
        }

        return (text, false);
    }

    /// <summary>A new token: 256 random bits as base64url without padding (43 characters).</summary>
    public static string NewToken()
        => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Whether <paramref name="presented"/> equals <paramref name="expected"/>, in time that does not depend on where they differ.</summary>
    public static bool Matches(string? presented, string expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        // Only the length can leak, and every token has the same length.
        return presented is not null
               && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected));
    }

    private static bool IsWellFormed(string token)
        => token.Length is >= 32 and <= 256 && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
