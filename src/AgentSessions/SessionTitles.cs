using System.Text;

namespace AgentSessions;

/// <summary>The title rules: what a title given by a user may be, and the title derived from message text.</summary>
public static class SessionTitles
{
    /// <summary>Checks a title given by a user and returns it trimmed.</summary>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.InvalidArgument"/> when it has no visible text or holds control characters.</exception>
    public static string ValidateTitle(string? title)
    {
        var trimmed = title?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Any(char.IsControl))
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, "a title must have visible text and no control characters");
        }

        return trimmed;
    }

    /// <summary>The longest derived title, in characters, before the ellipsis.</summary>
    public const int MaxLength = 60;

    /// <summary>
    /// Collapses whitespace and cuts the text at a word boundary near <see cref="MaxLength"/> characters,
    /// adding an ellipsis when it was cut. Returns <see langword="null"/> when the text has no visible characters.
    /// </summary>
    public static string? FromText(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var builder = new StringBuilder(Math.Min(text.Length, MaxLength * 2));
        var pendingSpace = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                pendingSpace = builder.Length > 0;
                continue;
            }

            if (pendingSpace)
            {
                builder.Append(' ');
                pendingSpace = false;
            }

            builder.Append(c);
            if (builder.Length > MaxLength + 1)
            {
                break;
            }
        }

        if (builder.Length <= MaxLength)
        {
            return builder.ToString();
        }

        var cut = builder.ToString(0, MaxLength + 1).LastIndexOf(' ');
        // A single very long word: cut it rather than return a stub of a few characters.
        var length = cut >= MaxLength / 3 ? cut : MaxLength;
        if (char.IsHighSurrogate(builder[length - 1]))
        {
            length--;
        }

        return builder.ToString(0, length).TrimEnd() + "…";
    }
}
