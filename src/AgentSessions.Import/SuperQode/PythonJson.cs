using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace AgentSessions.Import.SuperQode;

/// <summary>
/// Reproduces <c>json.dumps(json.loads(text), sort_keys=True)</c> of CPython byte for byte, to verify SuperQode's
/// export checksum (the first 16 hex digits of the SHA-256 of that text).
/// </summary>
/// <remarks>
/// The rules, from CPython's <c>json</c> module with default arguments:
/// <list type="bullet">
/// <item>separators <c>", "</c> and <c>": "</c>, no indentation; <c>{}</c> and <c>[]</c> when empty;</item>
/// <item>object keys sorted by Unicode code point (Python <c>str</c> order, not UTF-16 order); a repeated key keeps
/// its last value, as <c>json.loads</c> builds a <c>dict</c>;</item>
/// <item><c>ensure_ascii</c>: printable ASCII (space to <c>~</c>) as is except <c>"</c> and <c>\</c>; <c>\n \r \t \b \f</c>
/// short escapes; everything else (controls, DEL, non-ASCII) as <c>\uXXXX</c> in lower-case hex, characters beyond
/// the BMP as a surrogate pair. Lone surrogates survive, so strings are decoded here from the raw JSON text
/// rather than through <see cref="JsonElement.GetString"/>, which refuses them;</item>
/// <item>a number without fraction or exponent is a Python <c>int</c>: its digits unchanged, except <c>-0</c>, which
/// is <c>0</c>; any other number is a <c>float</c>, written by <c>float.__repr__</c>: the shortest digits that
/// round-trip, positional when the decimal exponent is from -4 to 16 (<c>100.0</c>, <c>0.0001</c>), else
/// scientific with a signed exponent of at least two digits (<c>1e+16</c>, <c>1.5e-07</c>), and
/// <c>Infinity</c>/<c>-Infinity</c> for overflow (<c>1e400</c>).</item>
/// </list>
/// </remarks>
internal static class PythonJson
{
    /// <summary>The SuperQode checksum of a session element: 16 lower-case hex digits.</summary>
    public static string Checksum(JsonElement session)
    {
        var text = Dumps(session);
        // ensure_ascii makes the text pure ASCII, so its UTF-8 bytes are its characters.
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(text)))[..16];
    }

    /// <summary>The text <c>json.dumps(value, sort_keys=True)</c> writes for a parsed value.</summary>
    public static string Dumps(JsonElement value)
    {
        var raw = Encoding.UTF8.GetBytes(value.GetRawText());
        var reader = new Utf8JsonReader(raw, new JsonReaderOptions { MaxDepth = 256 });
        reader.Read();
        var builder = new StringBuilder(raw.Length + raw.Length / 8);
        Write(ref reader, builder);
        return builder.ToString();
    }

    private static void Write(ref Utf8JsonReader reader, StringBuilder output)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                WriteObject(ref reader, output);
                break;
            case JsonTokenType.StartArray:
                output.Append('[');
                var first = true;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (!first)
                    {
                        output.Append(", ");
                    }

                    first = false;
                    Write(ref reader, output);
                }

                output.Append(']');
                break;
            case JsonTokenType.String:
                WriteString(RawString(ref reader), output);
                break;
            case JsonTokenType.Number:
                output.Append(Number(Encoding.ASCII.GetString(reader.ValueSpan)));
                break;
            case JsonTokenType.True:
                output.Append("true");
                break;
            case JsonTokenType.False:
                output.Append("false");
                break;
            default:
                output.Append("null");
                break;
        }
    }

    private static void WriteObject(ref Utf8JsonReader reader, StringBuilder output)
    {
        // Each value is rendered on its own first, then the members are sorted by key.
        var members = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = RawString(ref reader);
            reader.Read();
            var value = new StringBuilder();
            Write(ref reader, value);
            members[key] = value.ToString();
        }

        output.Append('{');
        var first = true;
        foreach (var key in members.Keys.Order(CodePointComparer.Instance))
        {
            if (!first)
            {
                output.Append(", ");
            }

            first = false;
            WriteString(key, output);
            output.Append(": ").Append(members[key]);
        }

        output.Append('}');
    }

    /// <summary>Decodes a string token from its raw bytes, keeping lone surrogates as Python does.</summary>
    private static string RawString(ref Utf8JsonReader reader)
    {
        // The reader runs over one contiguous buffer, so the value is always a single span.
        var raw = Encoding.UTF8.GetString(reader.ValueSpan);
        if (!reader.ValueIsEscaped)
        {
            return raw;
        }

        var text = new StringBuilder(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c != '\\')
            {
                text.Append(c);
                continue;
            }

            c = raw[++i];
            switch (c)
            {
                case 'b': text.Append('\b'); break;
                case 'f': text.Append('\f'); break;
                case 'n': text.Append('\n'); break;
                case 'r': text.Append('\r'); break;
                case 't': text.Append('\t'); break;
                case 'u':
                    text.Append((char)int.Parse(raw.AsSpan(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
                    i += 4;
                    break;
                default: text.Append(c); break; // \" \\ \/
            }
        }

        return text.ToString();
    }

    private static void WriteString(string text, StringBuilder output)
    {
        output.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': output.Append("\\\""); break;
                case '\\': output.Append("\\\\"); break;
                case '\n': output.Append("\\n"); break;
                case '\r': output.Append("\\r"); break;
                case '\t': output.Append("\\t"); break;
                case '\b': output.Append("\\b"); break;
                case '\f': output.Append("\\f"); break;
                default:
                    if (c is >= ' ' and <= '~')
                    {
                        output.Append(c);
                    }
                    else
                    {
                        // UTF-16 code units are exactly the \u escapes Python writes, surrogate pairs included.
                        output.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }

                    break;
            }
        }

        output.Append('"');
    }

    /// <summary>A JSON number as Python writes it after reading it.</summary>
    internal static string Number(string json)
    {
        if (json.AsSpan().IndexOfAny('.', 'e', 'E') < 0)
        {
            // An int: arbitrary precision, digits unchanged; only "-0" reads back as 0.
            return json.TrimStart('-').All(c => c == '0') ? "0" : json;
        }

        var value = double.Parse(json, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (double.IsInfinity(value))
        {
            return value > 0 ? "Infinity" : "-Infinity";
        }

        // .NET's "R" gives the shortest round-trip digits, as Python's repr does; only the layout differs.
        var (negative, digits, decimalPoint) = Decompose(value.ToString("R", CultureInfo.InvariantCulture));
        var sign = negative ? "-" : "";
        if (decimalPoint is <= -4 or > 16)
        {
            var exponent = decimalPoint - 1;
            var mantissa = digits.Length > 1 ? $"{digits[0]}.{digits[1..]}" : digits;
            return $"{sign}{mantissa}e{(exponent < 0 ? '-' : '+')}{Math.Abs(exponent):00}";
        }

        if (decimalPoint <= 0)
        {
            return $"{sign}0.{new string('0', -decimalPoint)}{digits}";
        }

        return decimalPoint >= digits.Length
            ? $"{sign}{digits}{new string('0', decimalPoint - digits.Length)}.0"
            : $"{sign}{digits[..decimalPoint]}.{digits[decimalPoint..]}";
    }

    /// <summary>
    /// Splits .NET's round-trip text into sign, significant digits (no leading or trailing zeros; "0" for zero)
    /// and the position of the decimal point, so that the value is 0.DIGITS × 10^point (Python's <c>decpt</c>).
    /// </summary>
    private static (bool Negative, string Digits, int DecimalPoint) Decompose(string text)
    {
        var negative = text.StartsWith('-');
        if (negative)
        {
            text = text[1..];
        }

        var exponent = 0;
        var e = text.IndexOfAny(['e', 'E']);
        if (e >= 0)
        {
            exponent = int.Parse(text.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            text = text[..e];
        }

        var dot = text.IndexOf('.', StringComparison.Ordinal);
        var integerDigits = dot < 0 ? text.Length : dot;
        var digits = text.Replace(".", "", StringComparison.Ordinal);
        var leading = digits.Length - digits.TrimStart('0').Length;
        digits = digits.Trim('0');
        if (digits.Length == 0)
        {
            return (negative, "0", 1);
        }

        return (negative, digits, integerDigits - leading + exponent);
    }

    /// <summary>Orders strings by Unicode code point, as Python compares <c>str</c>; lone surrogates count as themselves.</summary>
    private sealed class CodePointComparer : IComparer<string>
    {
        public static readonly CodePointComparer Instance = new();

        public int Compare(string? x, string? y)
        {
            x ??= "";
            y ??= "";
            int i = 0, j = 0;
            while (i < x.Length && j < y.Length)
            {
                var a = CodePointAt(x, ref i);
                var b = CodePointAt(y, ref j);
                if (a != b)
                {
                    return a.CompareTo(b);
                }
            }

            return (x.Length - i).CompareTo(y.Length - j);
        }

        private static int CodePointAt(string s, ref int index)
        {
            var c = s[index++];
            if (char.IsHighSurrogate(c) && index < s.Length && char.IsLowSurrogate(s[index]))
            {
                return char.ConvertToUtf32(c, s[index++]);
            }

            return c;
        }
    }
}
