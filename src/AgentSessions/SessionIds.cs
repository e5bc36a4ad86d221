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

    // Two streams, so that neither bends the other: ids from the clock never go backwards (a clock stepped back
    // keeps using the last millisecond), while an explicit time is always honoured. Sharing one state made an
    // explicit future time drag every later id (and every later explicit past time) forward.
    private static IdStream _clock;
    private static IdStream _explicit;

    /// <summary>Generates a new session id.</summary>
    public static string NewSessionId() => NewId("session");

    /// <summary>Generates a new message id.</summary>
    public static string NewMessageId() => NewId("msg");

    /// <summary>Generates an id with the given prefix for the current time; ids from one process never decrease.</summary>
    public static string NewId(string prefix)
    {
        long ms;
        ulong random;
        lock (Gate)
        {
            (ms, random) = _clock.Next(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), clampToLast: true);
        }

        return Format(prefix, ms, random);
    }

    /// <summary>Generates an id with the given prefix for the given time.</summary>
    /// <remarks>The id carries <paramref name="now"/> to the millisecond; ids for the same millisecond increase.</remarks>
    public static string NewId(string prefix, DateTimeOffset now)
    {
        long ms;
        ulong random;
        lock (Gate)
        {
            (ms, random) = _explicit.Next(now.ToUnixTimeMilliseconds(), clampToLast: false);
        }

        return Format(prefix, ms, random);
    }

    private static string Format(string prefix, long ms, ulong random)
    {
        var time = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        Span<char> tail = stackalloc char[RandomChars];
        for (var i = RandomChars - 1; i >= 0; i--)
        {
            tail[i] = Base32[(int)(random & 31)];
            random >>= 5;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{prefix}-{time:yyyyMMdd}-{time:HHmmss}-{time:fff}{tail}");
    }

    /// <summary>The last millisecond and random tail handed out by one stream; guarded by <see cref="Gate"/>.</summary>
    private struct IdStream
    {
        private long _lastMillisecond;
        private ulong _lastRandom;

        public (long Millisecond, ulong Random) Next(long ms, bool clampToLast)
        {
            ulong random;
            if (ms == _lastMillisecond || (clampToLast && ms < _lastMillisecond))
            {
                // Same millisecond (or, for the clock, an earlier one after a step back): keep ids increasing by
                // incrementing the random part, as ULIDs do.
                ms = _lastMillisecond;
                random = ++_lastRandom & ((1UL << 50) - 1);
            }
            else
            {
                Span<byte> bytes = stackalloc byte[8];
                RandomNumberGenerator.Fill(bytes);
                // Leave head-room so that increments within the millisecond do not wrap.
                random = BitConverter.ToUInt64(bytes) & ((1UL << 49) - 1);
                _lastMillisecond = ms;
            }

            _lastRandom = random;
            return (ms, random);
        }
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
