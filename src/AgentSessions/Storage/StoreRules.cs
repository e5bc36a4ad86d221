using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AgentSessions.Storage;

/// <summary>Input rules shared by every backend, so that all stores accept and refuse the same things.</summary>
public static class StoreRules
{
    /// <summary>The largest message accepted by default: 16 MiB of UTF-8 content.</summary>
    public const long DefaultMaxMessageBytes = 16L * 1024 * 1024;

    /// <summary>
    /// The largest input or output token count one message may carry: 1,000,000,000. No model reads or writes that
    /// many tokens in one turn, and the bound keeps every session total and every sum in <c>stats</c> far from
    /// overflowing a 64-bit integer (9.2 billion messages at the maximum would be needed).
    /// </summary>
    public const long MaxTokensPerMessage = 1_000_000_000;

    /// <summary>The longest tag, in characters.</summary>
    public const int MaxTagLength = 64;

    /// <summary>Validates a message to append and returns its searchable text.</summary>
    /// <exception cref="AgentSessionsException">The message breaks a rule.</exception>
    public static string ValidateMessage(NewMessage message, long maxMessageBytes = DefaultMaxMessageBytes)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Id is not null)
        {
            SessionIds.Validate(message.Id, "message");
        }

        if (!Enum.IsDefined(message.Role))
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"unknown role {(int)message.Role}");
        }

        if (message.Parts is null || message.Parts.Count == 0)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, "a message needs at least one content part");
        }

        ValidateTokens(message.InputTokens, "input");
        ValidateTokens(message.OutputTokens, "output");

        long size = 0;
        foreach (var part in message.Parts)
        {
            size += part switch
            {
                null => throw new AgentSessionsException(ErrorCode.InvalidArgument, "a content part is missing (null)"),
                TextPart t => Encoding.UTF8.GetByteCount(t.Text ?? throw Missing("text")),
                ToolCallPart c => RequireText(c.CallId, "tool call id") + RequireText(c.Name, "tool name") + WritableJson(c.Arguments, "tool call's arguments"),
                ToolResultPart r => RequireText(r.CallId, "tool call id") + WritableJson(r.Result, "tool result"),
                DataPart d => (d.Data ?? throw Missing("data")).LongLength + RequireText(d.MediaType, "media type"),
                UriPart u => RequireText(u.Uri, "uri") + RequireText(u.MediaType, "media type"),
                ReasoningPart r => Encoding.UTF8.GetByteCount(r.Text ?? throw Missing("reasoning text")),
                _ => throw new AgentSessionsException(ErrorCode.InvalidArgument, $"unsupported content part {part.GetType().Name}"),
            };
        }

        if (message.Metadata is { Count: > 0 } metadata)
        {
            foreach (var value in metadata.Values)
            {
                WritableJson(value, "message's metadata");
            }
        }

        if (size > maxMessageBytes)
        {
            throw new AgentSessionsException(
                ErrorCode.TooLarge,
                $"message is {FormatBytes(size)}; the store accepts at most {FormatBytes(maxMessageBytes)} per message (split it, or store large files outside the session and link them)");
        }

        return MessageText.Of(message.Parts);

        static AgentSessionsException Missing(string what) => new(ErrorCode.InvalidArgument, $"a content part has no {what}");

        static int RequireText(string? value, string what)
            => string.IsNullOrEmpty(value) ? throw Missing(what) : value.Length;
    }

    /// <summary>
    /// The length of a JSON value's text, after checking that it can be written out again. A JSON document may hold
    /// an escape of half a surrogate pair (<c>"\udfff"</c>), which parses but can never be written (found by fuzzing
    /// the share export, in a tool call's property name): such a value would fail every later export and read.
    /// </summary>
    private static int WritableJson(JsonElement? value, string what)
    {
        if (value is not { } element)
        {
            return 0;
        }

        var raw = element.GetRawText();
        // Only escaped text can hold a lone surrogate (raw UTF-8 cannot), so the costly check runs only for those.
        if (raw.Contains("\\u", StringComparison.Ordinal))
        {
            try
            {
                using var writer = new Utf8JsonWriter(Stream.Null);
                element.WriteTo(writer);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or JsonException)
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, $"the {what} hold text that is not valid Unicode (an escaped lone surrogate such as \\ud800)", e);
            }
        }

        return raw.Length;
    }

    /// <summary>Throws an <see cref="ErrorCode.InvalidArgument"/> error unless 0 &lt;= <paramref name="count"/> &lt;= <see cref="MaxTokensPerMessage"/>.</summary>
    public static void ValidateTokens(long count, string what)
    {
        if (count is < 0 or > MaxTokensPerMessage)
        {
            throw new AgentSessionsException(
                ErrorCode.InvalidArgument,
                string.Create(CultureInfo.InvariantCulture, $"{what} token count {count} is out of range; a message carries 0 to {MaxTokensPerMessage:N0} tokens"));
        }
    }

    /// <summary>Adds a message's tokens to a session total, refusing (not wrapping) a total that would overflow.</summary>
    /// <remarks>
    /// With counts bounded by <see cref="MaxTokensPerMessage"/> this fails only on a total already damaged in the
    /// store (written before counts were bounded); doctor's repair recomputes such totals.
    /// </remarks>
    public static long AddTokens(long total, long count)
    {
        try
        {
            return checked(total + count);
        }
        catch (OverflowException e)
        {
            throw new AgentSessionsException(ErrorCode.Corrupt, "the session's token total is out of range; the store's doctor repair recomputes it from the messages", e);
        }
    }

    /// <summary>Normalizes tags (trimmed, distinct, sorted ordinally) and validates each one.</summary>
    public static IReadOnlyList<string> NormalizeTags(IEnumerable<string> tags)
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var raw in tags)
        {
            set.Add(ValidateTag(raw));
        }

        return [.. set];
    }

    /// <summary>Validates one tag and returns it trimmed.</summary>
    public static string ValidateTag(string? tag)
    {
        var trimmed = tag?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > MaxTagLength || trimmed.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c == ','))
        {
            throw new AgentSessionsException(
                ErrorCode.InvalidArgument,
                $"invalid tag '{new string((tag ?? "").Take(MaxTagLength).Select(c => char.IsControl(c) ? '?' : c).ToArray())}': tags are 1-{MaxTagLength} characters without spaces, commas or control characters");
        }

        return trimmed;
    }

    /// <summary>Clamps a limit into 1..<paramref name="max"/>, refusing values below 1.</summary>
    public static int ValidateLimit(int limit, int max)
        => limit < 1
            ? throw new AgentSessionsException(ErrorCode.InvalidArgument, $"limit must be at least 1 (got {limit})")
            : Math.Min(limit, max);

    /// <summary>Formats a byte count for people (<c>16 MiB</c>).</summary>
    public static string FormatBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.#} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.#} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.#} KiB",
        _ => $"{bytes} B",
    };
}
