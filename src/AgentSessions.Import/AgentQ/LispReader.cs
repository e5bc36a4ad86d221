using System.Globalization;
using System.Text;

namespace AgentSessions.Import.AgentQ;

/// <summary>A value read by <see cref="LispReader"/>, with the position where it starts (1-based).</summary>
internal abstract record LispValue(int Line, int Column)
{
    /// <summary>Whether this is the symbol <c>nil</c> (which also means the empty list and false).</summary>
    public bool IsNil => this is LispSymbol { Name: var name } && name.Equals("nil", StringComparison.OrdinalIgnoreCase)
        || this is LispList { Items.Count: 0, Tail: null };

    /// <summary>"line L, column C", for error messages.</summary>
    public string Position => LispReader.FormatPosition(Line, Column);
}

/// <summary>A list <c>(a b c)</c>, or a dotted list <c>(a b . c)</c> when <see cref="Tail"/> is set.</summary>
internal sealed record LispList(IReadOnlyList<LispValue> Items, LispValue? Tail, int Line, int Column) : LispValue(Line, Column);

/// <summary>A string, with its escapes removed.</summary>
internal sealed record LispString(string Value, int Line, int Column) : LispValue(Line, Column);

/// <summary>A decimal integer that fits in 64 bits.</summary>
internal sealed record LispInteger(long Value, int Line, int Column) : LispValue(Line, Column);

/// <summary>A keyword <c>:name</c>; <see cref="Name"/> is without the colon, as written (Lisp would upcase it).</summary>
internal sealed record LispKeyword(string Name, int Line, int Column) : LispValue(Line, Column);

/// <summary>A plain symbol (<c>nil</c>, <c>t</c>, <c>user</c>...), as written.</summary>
internal sealed record LispSymbol(string Name, int Line, int Column) : LispValue(Line, Column);

/// <summary>
/// A strict reader of the data subset of Lisp that session files use: lists, dotted pairs, strings, integers,
/// keywords and plain symbols, with <c>;</c> comments.
/// </summary>
/// <remarks>
/// <para>
/// This is deliberately not a Lisp reader. The original loader read these files with the Common Lisp reader and
/// read-eval on, so <c>#.(...)</c> in a file ran code. Here nothing is ever evaluated or resolved: every
/// <c>#</c> dispatch, quote, backquote, comma, <c>|...|</c> and package prefix is refused, as is any number
/// syntax other than a plain decimal integer, rather than guessed at.
/// </para>
/// <para>
/// Input is bounded (total length, nesting depth, list length) so a hostile file ends in an error rather than
/// exhausting the stack or memory. Every error is an <see cref="ErrorCode.Corrupt"/>
/// <see cref="AgentSessionsException"/> whose message reads <c>"&lt;source&gt;: line L, column C: &lt;what&gt;"</c>.
/// </para>
/// </remarks>
internal sealed class LispReader
{
    /// <summary>The deepest nesting of lists accepted; the session format needs 4.</summary>
    public const int MaxDepth = 256;

    /// <summary>The most elements in one list.</summary>
    public const int MaxListLength = 4 * 1024 * 1024;

    private readonly string _text;
    private readonly string _source;
    private int _index;
    private int _line = 1;
    private int _column = 1;

    private LispReader(string text, string source)
    {
        _text = text;
        _source = source;
    }

    /// <summary>Reads exactly one value from <paramref name="text"/>; only comments and white space may follow it.</summary>
    /// <param name="text">The text to read.</param>
    /// <param name="source">The name used in error messages (usually the file path).</param>
    /// <param name="maxLength">The longest text accepted, in characters; it also bounds every string.</param>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.Corrupt"/> on anything malformed or unsupported.</exception>
    public static LispValue ReadSingle(string text, string source, long maxLength)
    {
        var reader = new LispReader(text, source);
        if (text.Length > maxLength)
        {
            throw reader.Error(1, 1, $"the input is {text.Length} characters long, more than the limit of {maxLength}");
        }

        reader.SkipAtmosphere();
        if (reader.AtEnd)
        {
            throw reader.Error("no data: the file holds only comments and white space");
        }

        var value = reader.ReadValue(depth: 0);
        reader.SkipAtmosphere();
        if (!reader.AtEnd)
        {
            throw reader.Error("unexpected data after the first complete value; a session file holds exactly one");
        }

        return value;
    }

    /// <summary>Formats a position the way every error message does.</summary>
    public static string FormatPosition(int line, int column)
        => string.Create(CultureInfo.InvariantCulture, $"line {line}, column {column}");

    /// <summary>Makes the standard error for a position in <paramref name="source"/>.</summary>
    public static AgentSessionsException Error(string source, int line, int column, string what)
        => new(ErrorCode.Corrupt, $"{source}: {FormatPosition(line, column)}: {what}");

    private bool AtEnd => _index >= _text.Length;

    private char Peek => _text[_index];

    private AgentSessionsException Error(string what) => Error(_line, _column, what);

    private AgentSessionsException Error(int line, int column, string what) => Error(_source, line, column, what);

    private void Advance()
    {
        if (_text[_index] == '\n')
        {
            _line++;
            _column = 1;
        }
        else if (!char.IsLowSurrogate(_text[_index]))
        {
            // Columns count characters as people see them, so the second half of a surrogate pair adds nothing.
            _column++;
        }

        _index++;
    }

    private static bool IsWhiteSpace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\f' or '\v';

    /// <summary>Skips white space and <c>;</c> comments.</summary>
    private void SkipAtmosphere()
    {
        while (!AtEnd)
        {
            var c = Peek;
            if (IsWhiteSpace(c))
            {
                Advance();
            }
            else if (c == ';')
            {
                while (!AtEnd && Peek != '\n')
                {
                    Advance();
                }
            }
            else
            {
                return;
            }
        }
    }

    private LispValue ReadValue(int depth)
    {
        var (line, column) = (_line, _column);
        var c = Peek;
        switch (c)
        {
            case '(':
                return ReadList(depth + 1);
            case ')':
                throw Error("unexpected ')' with no list open");
            case '"':
                return ReadString();
            case '#':
                throw Error(NextIs('.', 1)
                    ? "'#.' (read-time evaluation) is refused: session files are read as data and nothing in them is evaluated"
                    : $"'#' dispatch syntax ('#{Describe(1)}') is not part of the session format and is refused");
            case '\'':
                throw Error("quote (') is not part of the session format and is refused");
            case '`':
                throw Error("backquote (`) is not part of the session format and is refused");
            case ',':
                throw Error("comma (,) is not part of the session format and is refused");
            default:
                return ReadToken(line, column);
        }
    }

    private bool NextIs(char expected, int offset) => _index + offset < _text.Length && _text[_index + offset] == expected;

    private string Describe(int offset)
        => _index + offset < _text.Length && !char.IsControl(_text[_index + offset]) ? _text[_index + offset].ToString() : "";

    private LispList ReadList(int depth)
    {
        var (line, column) = (_line, _column);
        if (depth > MaxDepth)
        {
            // Checked before recursing further, so 10,000 '(' cost 256 stack frames, not 10,000.
            throw Error($"lists are nested more than {MaxDepth} deep");
        }

        Advance(); // (
        var items = new List<LispValue>();
        LispValue? tail = null;
        while (true)
        {
            SkipAtmosphere();
            if (AtEnd)
            {
                throw Error($"the file ends inside the list opened at {FormatPosition(line, column)}");
            }

            if (Peek == ')')
            {
                Advance();
                return new LispList(items, tail, line, column);
            }

            if (tail is not null)
            {
                throw Error("a dotted list may have only one value after the '.'");
            }

            if (IsDotToken())
            {
                var (dotLine, dotColumn) = (_line, _column);
                if (items.Count == 0)
                {
                    throw Error("'.' must follow at least one value in a dotted list");
                }

                Advance();
                SkipAtmosphere();
                if (AtEnd)
                {
                    throw Error($"the file ends inside the list opened at {FormatPosition(line, column)}");
                }

                if (Peek == ')')
                {
                    throw Error(dotLine, dotColumn, "'.' must be followed by one value before ')'");
                }

                tail = ReadValue(depth);
                continue;
            }

            if (items.Count >= MaxListLength)
            {
                throw Error($"the list opened at {FormatPosition(line, column)} has more than {MaxListLength} elements");
            }

            items.Add(ReadValue(depth));
        }
    }

    /// <summary>Whether the next token is a lone '.', the dotted-pair marker.</summary>
    private bool IsDotToken() => Peek == '.' && (_index + 1 >= _text.Length || IsTerminator(_text[_index + 1]));

    private static bool IsTerminator(char c) => IsWhiteSpace(c) || c is '(' or ')' or '"' or ';' or '\'' or '`' or ',';

    private LispString ReadString()
    {
        var (line, column) = (_line, _column);
        Advance(); // "
        var builder = new StringBuilder();
        while (true)
        {
            if (AtEnd)
            {
                throw Error($"the file ends inside the string opened at {FormatPosition(line, column)}");
            }

            var c = Peek;
            if (c == '"')
            {
                Advance();
                return new LispString(builder.ToString(), line, column);
            }

            if (c == '\\')
            {
                var (escapeLine, escapeColumn) = (_line, _column);
                Advance();
                if (AtEnd)
                {
                    throw Error($"the file ends inside the string opened at {FormatPosition(line, column)}");
                }

                c = Peek;
                if (c is not ('"' or '\\'))
                {
                    // Common Lisp would silently drop the backslash (so "\n" reads as "n"); the writer only ever
                    // escapes '"' and '\', so anything else means the file was not written by it.
                    throw Error(escapeLine, escapeColumn, $"invalid escape '\\{Describe(0)}' in string; only \\\" and \\\\ are escapes");
                }
            }

            builder.Append(c);
            Advance();
        }
    }

    private LispValue ReadToken(int line, int column)
    {
        var start = _index;
        while (!AtEnd && !IsTerminator(Peek))
        {
            switch (Peek)
            {
                case '|':
                    throw Error("'|' (escaped symbol names) is not part of the session format and is refused");
                case '\\':
                    throw Error("a backslash outside a string is not part of the session format and is refused");
                default:
                    Advance();
                    break;
            }
        }

        var token = _text[start.._index];
        if (token.Length == 0)
        {
            throw Error(line, column, $"unexpected character '{Describe(0)}'");
        }

        if (LooksNumeric(token))
        {
            if (!IsDecimalInteger(token))
            {
                throw Error(line, column, $"'{token}' is not a decimal integer; no other number syntax is part of the session format");
            }

            return long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
                ? new LispInteger(number, line, column)
                : throw Error(line, column, $"the integer {Shorten(token)} does not fit in 64 bits");
        }

        if (token[0] == ':')
        {
            var name = token[1..];
            return name.Length == 0 || name.Contains(':', StringComparison.Ordinal)
                ? throw Error(line, column, $"'{Shorten(token)}' is not a valid keyword")
                : new LispKeyword(name, line, column);
        }

        if (token.Contains(':', StringComparison.Ordinal))
        {
            // A package prefix would make the Lisp reader intern into (or fail on) some package; data has none.
            throw Error(line, column, $"package-qualified symbol '{Shorten(token)}' is not part of the session format");
        }

        return new LispSymbol(token, line, column);
    }

    /// <summary>
    /// Whether the Lisp reader would take <paramref name="token"/> for a number of some kind (a sign or dot
    /// followed by a digit, or a leading digit), so that <c>1.5</c> or <c>1/2</c> is refused instead of being read
    /// as a symbol.
    /// </summary>
    private static bool LooksNumeric(string token)
    {
        var i = token[0] is '+' or '-' ? 1 : 0;
        if (i < token.Length && token[i] == '.')
        {
            i++;
        }

        return i < token.Length && char.IsAsciiDigit(token[i]);
    }

    private static bool IsDecimalInteger(string token)
    {
        var digits = token.AsSpan(token[0] is '+' or '-' ? 1 : 0);
        return digits.Length > 0 && !digits.ContainsAnyExceptInRange('0', '9');
    }

    private static string Shorten(string token) => token.Length <= 40 ? token : token[..37] + "...";
}
