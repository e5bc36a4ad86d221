namespace AgentSessions.Storage;

/// <summary>
/// One page of a session's messages as a reader asks for it: the newest <see cref="Size"/> by default, that many
/// just before <see cref="Before"/>, or that many from <see cref="From"/> on.
/// </summary>
/// <remarks>
/// A session's visible messages are numbered 1..messageCount without gaps, so a page is a range of sequence
/// numbers, resolved against the count by <see cref="Resolve"/>. The owner's session page and the share pages
/// resolve their <c>?before=SEQ</c> / <c>?from=SEQ</c> here, so they page the same way.
/// </remarks>
public readonly record struct MessageWindow
{
    /// <summary>The first message of the page (<c>?from=SEQ</c>); wins over <see cref="Before"/> when both are set.</summary>
    public long? From { get; init; }

    /// <summary>The message just after the page (<c>?before=SEQ</c>): the page ends at SEQ - 1.</summary>
    public long? Before { get; init; }

    /// <summary>Messages per page; at least 1 (a smaller value counts as 1).</summary>
    public int Size { get; init; }

    /// <summary>The newest <paramref name="size"/> messages.</summary>
    public static MessageWindow Newest(int size) => new() { Size = size };

    /// <summary>
    /// The first and last sequence number of the page, within 1..<paramref name="count"/>; <c>Last &lt; First</c>
    /// when the page is empty (no messages, or <see cref="Before"/> is 1).
    /// </summary>
    /// <remarks>
    /// A <see cref="From"/> past the end shows the last messages rather than nothing (a link followed after an
    /// undo still lands somewhere); a <see cref="Before"/> past the end is the newest page.
    /// </remarks>
    public (long First, long Last) Resolve(long count)
    {
        count = Math.Max(0, count);
        var size = Math.Max(1, Size);
        if (From is { } from)
        {
            var first = Math.Clamp(from, 1, Math.Max(1, count));
            return (first, Math.Min(count, first + size - 1));
        }

        var last = Math.Min(count, (Before is { } before ? Math.Max(1, before) : count + 1) - 1);
        return (Math.Max(1, last - size + 1), last);
    }
}
