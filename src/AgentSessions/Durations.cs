using System.Globalization;

namespace AgentSessions;

/// <summary>Parses the durations and times users type: <c>30m</c>, <c>12h</c>, <c>7d</c>, <c>2w</c>, or a date.</summary>
/// <remarks>One parser for the CLI, JSON-RPC and the HTTP API, so the same spellings work everywhere.</remarks>
public static class Durations
{
    /// <summary>A whole number and one of <c>s</c>, <c>m</c>, <c>h</c>, <c>d</c>, <c>w</c>; <see langword="null"/> otherwise.</summary>
    public static TimeSpan? TryParse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.Length < 2 || !long.TryParse(trimmed[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var amount) || amount > 100_000)
        {
            return null;
        }

        TimeSpan? unit = char.ToLowerInvariant(trimmed[^1]) switch
        {
            'w' => TimeSpan.FromDays(7),
            'd' => TimeSpan.FromDays(1),
            'h' => TimeSpan.FromHours(1),
            'm' => TimeSpan.FromMinutes(1),
            's' => TimeSpan.FromSeconds(1),
            _ => null,
        };
        return unit * amount;
    }

    /// <summary>Parses a duration or throws <see cref="ErrorCode.InvalidArgument"/> naming <paramref name="option"/>.</summary>
    public static TimeSpan Parse(string text, string option)
        => TryParse(text) ?? throw new AgentSessionsException(ErrorCode.InvalidArgument, $"cannot read {option} '{text}': use a duration such as 30m, 12h, 7d or 2w");

    /// <summary>An absolute time (UTC when it has no offset) or an age before <paramref name="now"/>.</summary>
    public static DateTimeOffset ParseSince(string text, DateTimeOffset now, string option = "--since")
    {
        if (TryParse(text) is { } age)
        {
            return now - age;
        }

        return DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : throw new AgentSessionsException(ErrorCode.InvalidArgument, $"cannot read {option} '{text}': use a date (2026-11-01), a time (2026-11-01T14:00Z) or an age (7d, 12h, 30m)");
    }
}
