using System.Globalization;

namespace AgentSessions.Server.Http;

/// <summary>Durations and times as the CLI reads them (<c>30m</c>, <c>12h</c>, <c>7d</c>, <c>2w</c>, or an ISO date), for query parameters.</summary>
/// <remarks>The CLI's parser lives in its executable; the API accepts the same spellings so that docs and habits carry over.</remarks>
internal static class ApiDurations
{
    public static TimeSpan? TryParse(string text)
    {
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

    public static TimeSpan Parse(string text, string name)
        => TryParse(text) ?? throw new AgentSessionsException(ErrorCode.InvalidArgument, $"cannot read {name} '{text}': use a duration such as 30m, 12h, 7d or 2w");

    /// <summary>An absolute time (UTC when it has no offset) or an age before <paramref name="now"/>.</summary>
    public static DateTimeOffset ParseSince(string text, DateTimeOffset now, string name)
    {
        if (TryParse(text) is { } age)
        {
            return now - age;
        }

        return DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : throw new AgentSessionsException(ErrorCode.InvalidArgument, $"cannot read {name} '{text}': use a date (2026-11-01), a time (2026-11-01T14:00Z) or an age (7d, 12h, 30m)");
    }
}
