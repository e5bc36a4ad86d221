using System.Globalization;
using System.Security.Cryptography;

namespace AgentSessions;

/// <summary>Generates and validates session and message ids.</summary>
/// <remarks>
/// <para>
/// A valid id is 1-128 characters of ASCII letters, digits, <c>.</c>, <c>_</c> and <c>-</c>, starting with a
/// letter or digit. That excludes every path separator, <c>..</c> as a whole id, whitespace and control
/// characters, so an id can be used in a file name or a URL without escaping.
/// </para>
/// <para>
/// Generated ids look like <c>session-20261121-143022-123k7fz0q2m9ab</c>: the UTC time to the millisecond, then
/// 49 random bits. They sort by creation time; two processes creating ids in the same millisecond collide with
/// probability about 2^-49 per pair. Within one process, ids made in the same millisecond are kept strictly
/// increasing by incrementing the random part (as ULIDs do).
/// </para>
/// </remarks>
public static class SessionIds
{
    /// <summary>The longest id accepted.</summary>
    public const int MaxLength = 128;

    private const string Base32 = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford, lower case
    private const int RandomChars = 10; // 50 bits of room, 49 drawn at random
    private static readonly Lock Gate = new();
    private static long _lastMillisecond;
    private static ulong _lastRandom;

    /// <summary>Generates a new session id.</summary>
    public static string NewSessionId() => NewId("session", DateTimeOffset.UtcNow);

    /// <summary>Generates a new message id.</summary>
    public static string NewMessageId() => NewId("msg", DateTimeOffset.UtcNow);

    /// <summary>Generates an id with the given prefix for the given time.</summary>
    public static string NewId(string prefix, DateTimeOffset now)
    {
        var ms = now.ToUnixTimeMilliseconds();
        ulong random;
        lock (Gate)
        {
            if (ms <= _lastMillisecond)
            {
                // Same (or an earlier, if the clock stepped back) millisecond: keep ids increasing.
                ms = _lastMillisecond;
                random = ++_lastRandom & ((1UL << 50) - 1);
            }
            else
            {
                Span<byte> bytes = stackalloc byte[8];
                RandomNumberGenerator.Fill(bytes);
                random = BitConverter.ToUInt64(bytes);
                // Leave head-room so that increments within the millisecond do not wrap.
                random &= (1UL << 49) - 1;
                _lastMillisecond = ms;
            }

            _lastRandom = random;
        }

        var time = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        Span<char> tail = stackalloc char[RandomChars];
        for (var i = RandomChars - 1; i >= 0; i--)
        {
            tail[i] = Base32[(int)(random & 31)];
            random >>= 5;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{prefix}-{time:yyyyMMdd}-{time:HHmmss}-{time:fff}{tail}");
    }

    /// <summary>Whether <paramref name="id"/> follows the id rules.</summary>
    public static bool IsValid(string? id) => Describe(id) is null;

    /// <summary>Throws an <see cref="ErrorCode.InvalidId"/> error unless <paramref name="id"/> is valid.</summary>
    /// <param name="id">The id to check.</param>
    /// <param name="what">What the id names, for the message (<c>session</c>, <c>message</c>...).</param>
    /// <returns>The id, for chaining.</returns>
    public static string Validate(string? id, string what = "session")
    {
        var problem = Describe(id);
        return problem is null
            ? id!
            : throw new AgentSessionsException(ErrorCode.InvalidId, $"invalid {what} id {Quote(id)}: {problem}");
    }

    private static string? Describe(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            return "it is empty";
        }

        if (id.Length > MaxLength)
        {
            return $"it is {id.Length} characters long; the limit is {MaxLength}";
        }

        if (!char.IsAsciiLetterOrDigit(id[0]))
        {
            return "it must start with a letter or digit";
        }

        foreach (var c in id)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-'))
            {
                return "only letters, digits, '.', '_' and '-' are allowed";
            }
        }

        return null;
    }

    private static string Quote(string? id)
    {
        if (id is null)
        {
            return "(none)";
        }

        // Never echo control characters or huge inputs back to a terminal.
        var shown = id.Length > 40 ? id[..40] + "…" : id;
        var safe = new string(shown.Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return "'" + safe + "'";
    }
}
