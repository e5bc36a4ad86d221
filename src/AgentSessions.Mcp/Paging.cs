using System.Globalization;

namespace AgentSessions.Mcp;

/// <summary>The bounds every tool applies, and the opaque cursors of its pages.</summary>
/// <remarks>
/// A cursor is the offset of the next page written as <c>o:N</c>. It is opaque to clients (the MCP convention) but
/// checked strictly here: a model that invents or garbles one gets a tool error, not a page from somewhere else.
/// </remarks>
internal static class Paging
{
    /// <summary>How deep search paging goes: a search ranks offset + limit hits, so the cost grows with the offset.</summary>
    public const int MaxSearchDepth = 200;

    /// <summary>How deep list paging goes (a store lists by offset; past this, filter instead).</summary>
    public const int MaxListOffset = 100_000;

    public static int Limit(int value, int max, string name = "limit")
        => value >= 1 && value <= max
            ? value
            : throw Invalid($"'{name}' must be between 1 and {max}; got {value}");

    public static int Offset(string? cursor, int max)
    {
        if (cursor is null)
        {
            return 0;
        }

        if (cursor.StartsWith("o:", StringComparison.Ordinal)
            && int.TryParse(cursor.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
            && offset <= max)
        {
            return offset;
        }

        throw Invalid($"'cursor' {Quote(cursor)} is not a cursor this server gave out; pass the nextCursor of the previous page, or leave it out for the first page");
    }

    public static string? Next(bool more, int offset) => more ? "o:" + offset.ToString(CultureInfo.InvariantCulture) : null;

    public static AgentSessionsException Invalid(string message) => new(ErrorCode.InvalidArgument, message);

    /// <summary>Quotes a caller's value for a message, cut short: arguments are written by others, at any length.</summary>
    public static string Quote(string value) => value.Length <= 60 ? $"'{value}'" : $"'{value[..60]}…'";
}
