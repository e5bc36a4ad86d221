using System.Globalization;

namespace AgentSessions.Cli;

/// <summary>Reads --timezone: an IANA zone (Europe/Berlin), UTC, or a fixed offset (+02:00).</summary>
internal static class TimeZones
{
    public static TimeZoneInfo Parse(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Equals("UTC", StringComparison.OrdinalIgnoreCase) || trimmed == "Z")
        {
            return TimeZoneInfo.Utc;
        }

        if (trimmed.Length > 1 && trimmed[0] is '+' or '-'
            && TimeSpan.TryParseExact(trimmed[1..], ["hh\\:mm", "hhmm", "hh"], CultureInfo.InvariantCulture, out var offset)
            && offset <= TimeSpan.FromHours(14))
        {
            var signed = trimmed[0] == '-' ? -offset : offset;
            return TimeZoneInfo.CreateCustomTimeZone(trimmed, signed, trimmed, trimmed);
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(trimmed);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"unknown time zone '{text}'; use an IANA name such as Europe/Berlin, UTC, or an offset such as +02:00", e);
        }
    }
}
