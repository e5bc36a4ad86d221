using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace AgentSessions.Formats.Import;

/// <summary>Conversions every importer needs: times, ids, provenance.</summary>
public static class ImportText
{
    private static readonly DateTime Epoch1900 = new(1900, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>Common Lisp universal time (seconds since 1900-01-01T00:00:00Z) to UTC.</summary>
    public static DateTimeOffset FromUniversalTime(long seconds)
        => seconds < 0 || seconds > 10_000_000_000L
            ? throw new AgentSessionsException(ErrorCode.Corrupt, $"universal time {seconds} is out of range")
            : new DateTimeOffset(Epoch1900.AddSeconds(seconds));

    /// <summary>
    /// Parses an ISO 8601 time. With an offset or <c>Z</c> it is exact; without one (a naive local time, as the
    /// Python-based systems wrote) it is read in <paramref name="zone"/>.
    /// </summary>
    public static DateTimeOffset ParseIsoTime(string text, TimeZoneInfo zone, string where)
    {
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var withOffset)
            && (text.EndsWith('Z') || text.EndsWith('z') || HasOffset(text)))
        {
            return withOffset.ToUniversalTime();
        }

        if (!DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var naive))
        {
            throw new AgentSessionsException(ErrorCode.Corrupt, $"{where}: '{text}' is not an ISO 8601 time");
        }

        naive = DateTime.SpecifyKind(naive, DateTimeKind.Unspecified);
        // A local time that a DST change skipped does not exist; read it as the standard-time instant.
        var offset = zone.IsInvalidTime(naive) ? zone.BaseUtcOffset : zone.GetUtcOffset(naive);
        return new DateTimeOffset(naive, offset).ToUniversalTime();
    }

    private static bool HasOffset(string text)
    {
        var t = text.IndexOf('T', StringComparison.Ordinal);
        if (t < 0)
        {
            t = text.IndexOf(' ', StringComparison.Ordinal);
        }

        return t > 0 && text.AsSpan(t).IndexOfAny('+', '-') > 0;
    }

    /// <summary>The original id when it follows our rules, otherwise a new session id.</summary>
    public static string SessionIdFor(string? originalId)
        => originalId is not null && SessionIds.IsValid(originalId) ? originalId : SessionIds.NewSessionId();

    /// <summary>The original message id when valid and not yet used in this session, otherwise a new one.</summary>
    public static string MessageIdFor(string? originalId, ISet<string> used)
    {
        var id = originalId is not null && SessionIds.IsValid(originalId) && !used.Contains(originalId) ? originalId : SessionIds.NewMessageId();
        used.Add(id);
        return id;
    }

    /// <summary>The SHA-256 of a file, hex, to recognise the same file imported twice.</summary>
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>The provenance object stored under <see cref="ImportMetadata.Key"/>.</summary>
    /// <param name="format">The format's name.</param>
    /// <param name="originalId">The session's id in the source, if it had one.</param>
    /// <param name="sourcePath">The file or folder read.</param>
    /// <param name="sha256">The hash that recognises the same source imported again.</param>
    /// <param name="notes">
    /// What the reader left out or changed and the user should know (a companion file not read, say); stored as
    /// <c>notes</c> and shown in the import summary. None by default.
    /// </param>
    public static JsonElement Provenance(string format, string? originalId, string sourcePath, string sha256, IReadOnlyList<string>? notes = null)
    {
        var value = new Dictionary<string, JsonElement>
        {
            ["format"] = AgentSessionsJson.ToElement(format),
            ["source"] = AgentSessionsJson.ToElement(sourcePath),
            ["sha256"] = AgentSessionsJson.ToElement(sha256),
        };
        if (originalId is not null)
        {
            value["originalId"] = AgentSessionsJson.ToElement(originalId);
        }

        if (notes is { Count: > 0 })
        {
            value["notes"] = JsonSerializer.SerializeToElement(notes.ToArray(), AgentSessionsJson.Context.StringArray);
        }

        return JsonSerializer.SerializeToElement(value, AgentSessionsJson.Context.DictionaryStringJsonElement);
    }
}
