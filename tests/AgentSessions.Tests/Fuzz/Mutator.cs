using System.Text;

namespace AgentSessions.Tests.Fuzz;

/// <summary>
/// A small seeded mutation engine: takes a valid input and damages it the ways hostile or broken files are damaged
/// (bit flips, stray syntax tokens, huge numbers, deep nesting, truncation, duplicated chunks, invalid UTF-8, BOMs).
/// Deterministic for a given <see cref="Random"/> seed, so any failure can be replayed from the printed seed.
/// </summary>
internal sealed class Mutator
{
    /// <summary>Inputs are kept small so each run is fast and memory stays bounded.</summary>
    public const int MaxLength = 256 * 1024;

    private static readonly byte[][] CommonTokens = Utf8(
        "(", ")", "\"", "\\", "#.", "#.(run-program \"rm\")", "#'", "#\\", "#(", "'", "`", ",", ",@", "|", "|a b|", ".", " . ", ";", ":",
        "{", "}", "[", "]", "\":", "\",", ",\"", "null", "true", "false", "nil", "t", "-", "+", "0", "-0", "1.5", "1/2", "1e400",
        "99999999999999999999999999999999", "-9223372036854775809", "9223372036854775807", "18446744073709551616", "NaN", "Infinity",
        "\\u0000", "\\ud800", "\\udfff", "\\uD83D\\uDE00", "\\x41", "\\n", "\n", "\r", "\r\n", "\t", "\0", " ", "\u2028", "\uFFFF",
        "pkg:sym", "::", ":messages", ":role", ":content", "\"role\"", "\"content\"", "\"id\"", "\"type\"", "\"data\"", "\"messages\"",
        "\"format\"", "\"version\"", "\"metadata\"", "\"session_id\"", "\"timestamp\"", "\"1970-01-01T00:00:00\"", "\"9999-12-31T23:59:59Z\"",
        "\"0001-01-01T00:00:00+14:00\"", "\"2026-02-30T25:61:61\"", "---", ": ", "- ", "  ", "&a", "*a", "!!binary", "%YAML 1.2",
        "Content-Length: ", "Content-Length: 0", "Content-Length: -1", "Content-Length: 99999999999999999999", "content-length:5",
        "\r\n\r\n", "=", "==", "@", "%", "~");

    private static readonly byte[][] InvalidUtf8 =
    [
        [0xFF], [0xFE], [0xC0, 0x80], [0xC3, 0x28], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0x80],
    ];

    private static readonly byte[][] Boms = [[0xEF, 0xBB, 0xBF], [0xFF, 0xFE], [0xFE, 0xFF], [0xFF, 0xFE, 0x00, 0x00], [0x1F, 0x8B]];

    private static readonly string[] Openers = ["(", "[", "{\"a\":", "{\"messages\":[", "[{\"data\":", "(:messages (", "((", "- ", "  "];

    private readonly Random _random;
    private readonly IReadOnlyList<byte[]> _seeds;
    private readonly byte[][] _tokens;

    /// <param name="random">The seeded source of every choice.</param>
    /// <param name="seeds">Valid inputs to start from (also used for splicing).</param>
    /// <param name="extraTokens">Tokens of the target format (field names, command names...).</param>
    public Mutator(Random random, IReadOnlyList<byte[]> seeds, IEnumerable<byte[]>? extraTokens = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(seeds.Count);
        _random = random;
        _seeds = seeds;
        _tokens = [.. CommonTokens, .. extraTokens ?? []];
    }

    /// <summary>Picks a seed and applies 1 to 6 stacked mutations.</summary>
    public byte[] Next()
    {
        var data = new List<byte>(_seeds[_random.Next(_seeds.Count)]);
        var count = 1 + (int)Math.Floor(Math.Pow(_random.NextDouble(), 2) * 6);
        for (var i = 0; i < count; i++)
        {
            MutateOnce(data);
            if (data.Count > MaxLength)
            {
                data.RemoveRange(MaxLength, data.Count - MaxLength);
            }
        }

        return [.. data];
    }

    private void MutateOnce(List<byte> data)
    {
        switch (_random.Next(14))
        {
            case 0 when data.Count > 0: // flip one bit
                var at = _random.Next(data.Count);
                data[at] ^= (byte)(1 << _random.Next(8));
                break;
            case 1 when data.Count > 0: // replace a byte with an arbitrary one
                data[_random.Next(data.Count)] = (byte)_random.Next(256);
                break;
            case 2:
            case 3: // insert a syntax token
                data.InsertRange(Position(data), Pick(_tokens));
                break;
            case 4 when data.Count > 0: // replace a byte with a token
                var where = _random.Next(data.Count);
                data.RemoveAt(where);
                data.InsertRange(where, Pick(_tokens));
                break;
            case 5 when data.Count > 0: // delete a range
                var start = _random.Next(data.Count);
                data.RemoveRange(start, Math.Min(data.Count - start, 1 + _random.Next(64)));
                break;
            case 6: // truncate
                var cut = Position(data);
                data.RemoveRange(cut, data.Count - cut);
                break;
            case 7 when data.Count > 0: // duplicate a chunk somewhere else
                var from = _random.Next(data.Count);
                var chunk = data.GetRange(from, Math.Min(data.Count - from, 1 + _random.Next(512)));
                data.InsertRange(Position(data), chunk);
                break;
            case 8 when data.Count > 0: // repeat a small chunk many times in place
                var origin = _random.Next(data.Count);
                var piece = data.GetRange(origin, Math.Min(data.Count - origin, 1 + _random.Next(8)));
                var times = 1 + _random.Next(2000);
                data.InsertRange(origin, Enumerable.Repeat(piece, times).SelectMany(p => p));
                break;
            case 9: // deep nesting
                var opener = Encoding.UTF8.GetBytes(Openers[_random.Next(Openers.Length)]);
                var depth = _random.Next(4) == 0 ? 10_000 + _random.Next(20_000) : 100 + _random.Next(1000);
                data.InsertRange(Position(data), Enumerable.Repeat(opener, depth).SelectMany(o => o));
                break;
            case 10: // invalid UTF-8
                data.InsertRange(Position(data), Pick(InvalidUtf8));
                break;
            case 11: // a byte-order mark (or gzip magic) in front
                data.InsertRange(_random.Next(4) == 0 ? Position(data) : 0, Pick(Boms));
                break;
            case 12: // splice with another seed
                var other = _seeds[_random.Next(_seeds.Count)];
                var keep = Position(data);
                var take = _random.Next(other.Length + 1);
                data.RemoveRange(keep, data.Count - keep);
                data.AddRange(other.AsSpan(take).ToArray());
                break;
            default: // a huge or odd number over a digit run, else inserted
                var number = Encoding.ASCII.GetBytes(_random.Next(3) switch
                {
                    0 => new string('9', 1 + _random.Next(400)),
                    1 => "-" + new string('9', 19 + _random.Next(10)),
                    _ => _random.NextInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
                });
                var digit = data.FindIndex(Position(data), b => b is >= (byte)'0' and <= (byte)'9');
                if (digit >= 0)
                {
                    var end = digit;
                    while (end < data.Count && data[end] is >= (byte)'0' and <= (byte)'9')
                    {
                        end++;
                    }

                    data.RemoveRange(digit, end - digit);
                    data.InsertRange(digit, number);
                }
                else
                {
                    data.InsertRange(Position(data), number);
                }

                break;
        }
    }

    private int Position(List<byte> data) => _random.Next(data.Count + 1);

    private byte[] Pick(byte[][] from) => from[_random.Next(from.Length)];

    public static byte[][] Utf8(params string[] tokens) => [.. tokens.Select(t => Encoding.UTF8.GetBytes(t))];
}
