using System.IO.Compression;
using System.Text;
using System.Text.Json;
using AgentSessions.Formats;
using AgentSessions.Formats.Import;

namespace AgentSessions.Import;

/// <summary>
/// Reading helpers shared by the JSON-based importers: bounded file reads, gzip, parsing with positions, and
/// typed access to fields that turns every surprise into an <see cref="ErrorCode.Corrupt"/> error naming the
/// file and the field.
/// </summary>
internal sealed class ImportJsonReader(string file, TimeZoneInfo zone)
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 256 };

    /// <summary>The file (or directory) named in every error.</summary>
    public string File => file;

    /// <summary>An error for malformed input: <c>file: where: what</c>.</summary>
    public AgentSessionsException Corrupt(string where, string what, Exception? inner = null)
        => new(ErrorCode.Corrupt, where.Length == 0 ? $"{file}: {what}" : $"{file}: {where}: {what}", inner);

    /// <summary>Reads a whole file, refusing (not truncating) one larger than <paramref name="maxBytes"/>.</summary>
    public static async Task<byte[]> ReadFileAsync(string path, long maxBytes, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var length = stream.Length;
        if (length > maxBytes)
        {
            throw TooLarge(path, length, maxBytes);
        }

        var buffer = new byte[length];
        var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        // The file may have been shortened while we read; never hand on zero-filled bytes.
        return read == buffer.Length ? buffer : buffer[..read];
    }

    /// <summary>The error for a file over the size limit.</summary>
    public static AgentSessionsException TooLarge(string path, long length, long maxBytes)
        => new(
            ErrorCode.TooLarge,
            $"{path}: the file is {Storage.StoreRules.FormatBytes(length)}; imports read at most {Storage.StoreRules.FormatBytes(maxBytes)} per file (raise ImportOptions.MaxFileBytes to read it)");

    /// <summary>Decompresses a gzip file, bounded by <paramref name="maxBytes"/> of output.</summary>
    /// <remarks>
    /// .NET's decompressor silently returns what it has when the input is cut short, so the size in the gzip
    /// trailer (ISIZE, the length modulo 2^32) is compared with what came out: a truncated file fails that check
    /// with near certainty. That also refuses multi-member gzip files, which the Python writers never produce.
    /// </remarks>
    public byte[] Gunzip(byte[] data, long maxBytes)
    {
        using var output = new MemoryStream();
        try
        {
            using var gzip = new GZipStream(new MemoryStream(data, writable: false), CompressionMode.Decompress);
            var buffer = new byte[1 << 16];
            int read;
            while ((read = gzip.Read(buffer)) > 0)
            {
                if (output.Length + read > maxBytes)
                {
                    // A small file can inflate enormously (a "zip bomb"): stop at the limit.
                    throw new AgentSessionsException(
                        ErrorCode.TooLarge,
                        $"{file}: decompresses to more than {Storage.StoreRules.FormatBytes(maxBytes)}; imports read at most that per file (raise ImportOptions.MaxFileBytes to read it)");
                }

                output.Write(buffer, 0, read);
            }
        }
        catch (InvalidDataException e)
        {
            throw Corrupt("", $"damaged gzip data: {e.Message}", e);
        }

        if (data.Length < 18 || BitConverter.ToUInt32(data, data.Length - 4) != (uint)output.Length)
        {
            throw Corrupt("", "truncated or damaged gzip data (the size in the gzip trailer does not match the decompressed data)");
        }

        return output.ToArray();
    }

    /// <summary>Parses a JSON document; <paramref name="where"/> (for example <c>line 3</c>) prefixes the position.</summary>
    public JsonDocument Parse(ReadOnlyMemory<byte> utf8, string where = "")
    {
        if (utf8.Span.StartsWith("\uFEFF"u8))
        {
            // Windows tools write a byte-order mark; the parser does not skip it on its own.
            utf8 = utf8[3..];
        }

        try
        {
            return JsonDocument.Parse(utf8, DocumentOptions);
        }
        catch (JsonException e)
        {
            var position = $"not valid JSON at line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}";
            throw Corrupt(where, $"{position}: {FirstSentence(e.Message)}", e);
        }
        catch (ArgumentException e)
        {
            // Invalid UTF-8 can surface as an ArgumentException from the parser.
            throw Corrupt(where, $"not valid UTF-8 JSON: {FirstSentence(e.Message)}", e);
        }
    }

    /// <summary>The first sentence of an exception message, without the parser's own position suffix.</summary>
    public static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message.TrimEnd('.');
    }

    /// <summary>
    /// Runs a read of parsed JSON, turning the one failure the parser leaves for later into a Corrupt error:
    /// names and strings holding a lone surrogate escape (<c>\ud800</c>) parse, but throw when read as text.
    /// </summary>
    public T Guard<T>(Func<T> read, string where = "")
    {
        try
        {
            return read();
        }
        catch (InvalidOperationException e)
        {
            throw Corrupt(where, $"a name or string is not valid UTF-16 text: {FirstSentence(e.Message)}", e);
        }
    }

    /// <summary>Checks that an element is an object.</summary>
    public JsonElement RequireObject(JsonElement element, string where)
        => element.ValueKind == JsonValueKind.Object ? element : throw Corrupt(where, $"expected an object, found {Describe(element)}");

    /// <summary>A property that may be absent or null, whatever its kind.</summary>
    public static JsonElement? Optional(JsonElement obj, string name)
        => obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    /// <summary>A string property, or <see langword="null"/> when absent or JSON null.</summary>
    public string? OptString(JsonElement obj, string name, string where)
        => Optional(obj, name) is { } value ? GetString(value, Join(where, name)) : null;

    /// <summary>A string property that must be present.</summary>
    public string RequireString(JsonElement obj, string name, string where)
        => OptString(obj, name, where) ?? throw Corrupt(Join(where, name), "missing (a string is required)");

    /// <summary>A string value.</summary>
    public string GetString(JsonElement value, string where)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw Corrupt(where, $"expected a string, found {Describe(value)}");
        }

        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            // A lone surrogate escape (\ud800) cannot become a .NET string without loss.
            throw Corrupt(where, $"the string is not valid UTF-16: {FirstSentence(e.Message)}", e);
        }
    }

    /// <summary>A non-negative whole-number property, or <see langword="null"/>.</summary>
    public long? OptCount(JsonElement obj, string name, string where)
    {
        if (Optional(obj, name) is not { } value)
        {
            return null;
        }

        where = Join(where, name);
        if (value.ValueKind != JsonValueKind.Number)
        {
            throw Corrupt(where, $"expected a number, found {Describe(value)}");
        }

        long number;
        if (value.TryGetInt64(out var whole))
        {
            number = whole;
        }
        else if (value.TryGetDouble(out var real) && double.IsFinite(real) && Math.Abs(real) < 9e18)
        {
            // Python writes durations and counts as floats at times (12.0, 3.7): keep the nearest whole number.
            number = (long)Math.Round(real, MidpointRounding.AwayFromZero);
        }
        else
        {
            throw Corrupt(where, $"the number {value.GetRawText()} is out of range");
        }

        return number >= 0 ? number : throw Corrupt(where, $"expected a count of zero or more, found {number}");
    }

    /// <summary>A boolean property, or <see langword="null"/>.</summary>
    public bool? OptBool(JsonElement obj, string name, string where)
        => Optional(obj, name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.True } => true,
            { ValueKind: JsonValueKind.False } => false,
            { } value => throw Corrupt(Join(where, name), $"expected true or false, found {Describe(value)}"),
        };

    /// <summary>An object property, or <see langword="null"/>.</summary>
    public JsonElement? OptObject(JsonElement obj, string name, string where)
        => Optional(obj, name) is { } value ? RequireObject(value, Join(where, name)) : null;

    /// <summary>An array property, or <see langword="null"/>.</summary>
    public JsonElement? OptArray(JsonElement obj, string name, string where)
        => Optional(obj, name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.Array } value => value,
            { } value => throw Corrupt(Join(where, name), $"expected an array, found {Describe(value)}"),
        };

    /// <summary>An array of strings, or an empty list.</summary>
    public List<string> StringList(JsonElement obj, string name, string where)
    {
        var list = new List<string>();
        if (OptArray(obj, name, where) is { } array)
        {
            var index = 0;
            foreach (var item in array.EnumerateArray())
            {
                list.Add(GetString(item, $"{Join(where, name)}[{index++}]"));
            }
        }

        return list;
    }

    /// <summary>A time property (ISO 8601; naive times are read in the import's time zone), or <see langword="null"/>.</summary>
    public DateTimeOffset? OptTime(JsonElement obj, string name, string where)
        => OptString(obj, name, where) is { } text ? Time(text, Join(where, name)) : null;

    /// <summary>Parses an ISO 8601 time: exact with an offset, in the import's time zone without one.</summary>
    public DateTimeOffset Time(string text, string where)
    {
        try
        {
            return ImportText.ParseIsoTime(text, zone, $"{file}: {where}");
        }
        catch (ArgumentOutOfRangeException e)
        {
            // Year 1 or 9999 moved by the zone's offset falls off the calendar.
            throw Corrupt(where, $"'{text}' is out of the supported range of times", e);
        }
    }

    /// <summary>
    /// Tool-call arguments as JSON: an object stays as it is; a string (OpenAI's wire shape) is parsed when it
    /// holds a JSON object and otherwise kept as the string, so nothing is lost.
    /// </summary>
    public static JsonElement? Arguments(JsonElement? value)
    {
        if (value is not { } element)
        {
            return null;
        }

        if (element.ValueKind == JsonValueKind.String)
        {
            try
            {
                using var parsed = JsonDocument.Parse(element.GetString()!, DocumentOptions);
                if (parsed.RootElement.ValueKind == JsonValueKind.Object)
                {
                    return parsed.RootElement.Clone();
                }
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
            {
                // Not JSON (models do write broken arguments): keep the text as it was.
            }
        }

        return element.Clone();
    }

    /// <summary>A JSON string element.</summary>
    public static JsonElement Text(string text) => AgentSessionsJson.ToElement(text);

    /// <summary>
    /// Normalizes tags the way the store does. Tags the store would refuse (spaces, commas, over 64 characters)
    /// are left out of <see cref="Session.Tags"/>, and the original list is then kept in metadata as
    /// <c>sourceTags</c> so nothing is lost.
    /// </summary>
    public IReadOnlyList<string> Tags(JsonElement obj, string name, string where, Dictionary<string, JsonElement> metadata)
    {
        var raw = StringList(obj, name, where);
        var kept = new List<string>();
        foreach (var tag in raw)
        {
            try
            {
                kept.Add(Storage.StoreRules.ValidateTag(tag));
            }
            catch (AgentSessionsException)
            {
                metadata["sourceTags"] = Optional(obj, name)!.Value.Clone();
            }
        }

        return Storage.StoreRules.NormalizeTags(kept);
    }

    /// <summary>Copies an object's properties (except <paramref name="except"/>) into a detached dictionary.</summary>
    public static Dictionary<string, JsonElement> CopyObject(JsonElement? obj, params string[] except)
    {
        var copy = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (obj is { ValueKind: JsonValueKind.Object } value)
        {
            foreach (var property in value.EnumerateObject())
            {
                if (Array.IndexOf(except, property.Name) < 0)
                {
                    copy[property.Name] = property.Value.Clone();
                }
            }
        }

        return copy;
    }

    /// <summary>Makes a name follow the id rules (for snapshot names), or returns <see langword="null"/> if nothing is left.</summary>
    public static string? IdSafe(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        var builder = new StringBuilder(name.Length);
        foreach (var c in name.Trim())
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '-');
        }

        var safe = builder.ToString().TrimStart('.', '_', '-');
        if (safe.Length > SessionIds.MaxLength)
        {
            safe = safe[..SessionIds.MaxLength];
        }

        return SessionIds.IsValid(safe) ? safe : null;
    }

    /// <summary>Returns <paramref name="name"/>, or it with <c>-2</c>, <c>-3</c>... appended when already used.</summary>
    public static string Unique(string name, ISet<string> used)
    {
        var candidate = name;
        for (var n = 2; !used.Add(candidate); n++)
        {
            var suffix = $"-{n}";
            candidate = (name.Length + suffix.Length > SessionIds.MaxLength ? name[..(SessionIds.MaxLength - suffix.Length)] : name) + suffix;
        }

        return candidate;
    }

    /// <summary>The kind of a JSON value, for messages.</summary>
    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    /// <summary>Joins a field path: <c>messages[2]</c> + <c>content</c>; after a colon (<c>line 3:</c>) with a space.</summary>
    public static string Join(string where, string name)
        => where.Length == 0 ? name : where.EndsWith(':') ? $"{where} {name}" : $"{where}.{name}";

    /// <summary>Sums message tokens into the session totals, as the store would.</summary>
    public static Session WithTotals(Session session, IReadOnlyList<SessionMessage> messages)
        => session with
        {
            MessageCount = messages.Count,
            InputTokens = messages.Sum(m => m.InputTokens),
            OutputTokens = messages.Sum(m => m.OutputTokens),
        };
}
