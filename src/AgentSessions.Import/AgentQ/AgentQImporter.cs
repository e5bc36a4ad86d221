using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using AgentSessions.Formats;
using AgentSessions.Formats.Import;

namespace AgentSessions.Import.AgentQ;

/// <summary>Reads Agent-Q session files (<c>session-*.lisp</c>, versions 1 and 2).</summary>
/// <remarks>
/// <para>
/// A file holds one plist, read as data by <see cref="LispReader"/> (never evaluated). Version 2:
/// <c>(:version 2 :id "..." :name "..."|nil :created-at &lt;universal time&gt; :updated-at ... :model "..."|nil
/// :metadata (:provider :anthropic :total-input-tokens N :total-output-tokens N)
/// :messages ((:role :user :content "..." :timestamp &lt;universal time&gt;) ...))</c>, messages oldest first.
/// Version 1, written by the older Emacs side, has symbol roles (<c>user</c>), Emacs time lists
/// <c>(HIGH LOW [USEC [PSEC]])</c> and its messages newest first.
/// </para>
/// <para>
/// Both versions are read tolerantly where the two differ only in spelling: roles may be keywords, symbols or
/// strings, and any time may be an integer (Common Lisp universal time) or an Emacs time list (Unix time). A
/// file without <c>:version</c> is taken for version 1, since the version 2 writer always writes it.
/// </para>
/// </remarks>
public sealed class AgentQImporter : ISessionImporter
{
    /// <summary>The format name.</summary>
    public const string FormatName = "agent-q";

    private const string HeaderMark = "Agent-Q Session";

    // Emacs times up to the year 9999 (253402300799 seconds after 1970), the last second DateTimeOffset holds.
    private const long MaxEmacsHigh = (253_402_300_799L - 0xFFFF) / 65536;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <inheritdoc />
    public string Format => FormatName;

    /// <inheritdoc />
    public bool CanRead(ImportSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source.IsDirectory)
        {
            return false;
        }

        string head;
        try
        {
            // The head may end inside a multi-byte character; a lenient decode is fine for sniffing.
            head = Encoding.UTF8.GetString(source.Head);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        head = head.TrimStart('\uFEFF');
        var index = 0;
        while (index < head.Length)
        {
            var c = head[index];
            if (char.IsWhiteSpace(c))
            {
                index++;
                continue;
            }

            if (c != ';')
            {
                // The first thing that is not a comment: a .lisp file whose data starts with a list qualifies.
                return c == '(' && source.Name.EndsWith(".lisp", StringComparison.OrdinalIgnoreCase);
            }

            var end = head.IndexOf('\n', index);
            end = end < 0 ? head.Length : end;
            if (head.AsSpan(index, end - index).StartsWith(";;;", StringComparison.Ordinal)
                && head.AsSpan(index, end - index).Contains(HeaderMark, StringComparison.OrdinalIgnoreCase))
            {
                // The header the system itself lists sessions by.
                return true;
            }

            index = end;
        }

        return false;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<SessionArchive> ReadAsync(ImportSource source, ImportOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        if (source.IsDirectory)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"{source.Path}: is a directory; Agent-Q sessions are single .lisp files");
        }

        var length = new FileInfo(source.Path).Length;
        if (length > options.MaxFileBytes)
        {
            throw TooLarge(source.Path, length, options.MaxFileBytes);
        }

        var bytes = await File.ReadAllBytesAsync(source.Path, cancellationToken).ConfigureAwait(false);
        if (bytes.LongLength > options.MaxFileBytes)
        {
            // The file grew after it was measured.
            throw TooLarge(source.Path, bytes.LongLength, options.MaxFileBytes);
        }

        var text = Decode(bytes, source.Path);
        var root = LispReader.ReadSingle(text, source.Path, options.MaxFileBytes);
        cancellationToken.ThrowIfCancellationRequested();
        yield return ToArchive(root, source);
    }

    private static AgentSessionsException TooLarge(string path, long length, long limit)
        => new(ErrorCode.TooLarge, $"{path}: the file is {length} bytes, more than the import limit of {limit} bytes");

    /// <summary>Decodes UTF-8 strictly, so that damaged text is reported where it is rather than replaced.</summary>
    private static string Decode(byte[] bytes, string path)
    {
        var span = bytes.AsSpan();
        if (span.StartsWith("\uFEFF"u8))
        {
            span = span[3..];
        }

        try
        {
            return StrictUtf8.GetString(span);
        }
        catch (DecoderFallbackException)
        {
            var (line, column) = (1, 1);
            var offset = 0;
            while (offset < span.Length)
            {
                if (Rune.DecodeFromUtf8(span[offset..], out var rune, out var consumed) != OperationStatus.Done)
                {
                    break;
                }

                (line, column) = rune.Value == '\n' ? (line + 1, 1) : (line, column + 1);
                offset += consumed;
            }

            throw LispReader.Error(path, line, column, "the file is not valid UTF-8 text");
        }
    }

    private static SessionArchive ToArchive(LispValue root, ImportSource source)
    {
        var path = source.Path;
        var session = Plist.From(root, path, "the session");

        var version = 1;
        if (session.Find("version") is { } versionValue)
        {
            version = versionValue is LispInteger { Value: 1 or 2 } v
                ? (int)v.Value
                : throw Fail(path, versionValue, $"unsupported :version {Show(versionValue)}; this reader knows versions 1 and 2");
        }

        var originalId = OptionalString(session, "id", path);
        var title = OptionalString(session, "name", path);
        var model = OptionalString(session, "model", path);
        var createdAt = ToTime(session.Require("created-at"), path, ":created-at");
        var updatedValue = session.Find("updated-at");

        var agentQ = session.Find("metadata") is { IsNil: false } metadataValue
            ? Plist.From(metadataValue, path, ":metadata")
            : null;
        var totalInput = agentQ is null ? 0 : Count(agentQ, "total-input-tokens", path);
        var totalOutput = agentQ is null ? 0 : Count(agentQ, "total-output-tokens", path);

        var messageValues = session.Require("messages") switch
        {
            { IsNil: true } => [],
            LispList { Tail: null } list => list.Items,
            var other => throw Fail(path, other, ":messages must be a list of message plists"),
        };

        // Read every message with its position in the file, so errors name what the user sees there.
        var read = new List<(MessageRole Role, string Content, DateTimeOffset At, Dictionary<string, JsonElement> Metadata)>(messageValues.Count);
        for (var i = 0; i < messageValues.Count; i++)
        {
            read.Add(ReadMessage(messageValues[i], i + 1, createdAt, path));
        }

        if (version == 1)
        {
            // Version 1 pushed each new message onto the front of the list.
            read.Reverse();
        }

        // The file keeps only session totals, not per-message figures. The store recomputes a session's totals
        // from its messages, so the totals go on the last assistant message (the last message if none is from
        // the assistant) to make the imported session's totals equal the file's.
        var carrier = read.FindLastIndex(m => m.Role == MessageRole.Assistant);
        carrier = carrier < 0 ? read.Count - 1 : carrier;

        var usedIds = new HashSet<string>(StringComparer.Ordinal);
        var messages = new List<SessionMessage>(read.Count);
        for (var i = 0; i < read.Count; i++)
        {
            messages.Add(new SessionMessage
            {
                Id = ImportText.MessageIdFor(null, usedIds),
                Sequence = i + 1,
                Role = read[i].Role,
                Parts = [new TextPart(read[i].Content)],
                CreatedAt = read[i].At,
                InputTokens = i == carrier ? totalInput : 0,
                OutputTokens = i == carrier ? totalOutput : 0,
                Metadata = read[i].Metadata,
            });
        }

        var updatedAt = updatedValue is null || updatedValue.IsNil
            ? messages.Select(m => m.CreatedAt).Append(createdAt).Max()
            : ToTime(updatedValue, path, ":updated-at");

        var metadata = new Dictionary<string, JsonElement>(StringComparer.Ordinal)
        {
            [ImportMetadata.Key] = ImportText.Provenance(FormatName, originalId, path, ImportText.Sha256(path)),
        };
        if (agentQ is not null)
        {
            metadata["agentQ"] = LispJson.ToElement(agentQ.Source);
        }

        return new SessionArchive
        {
            Session = new Session
            {
                Id = ImportText.SessionIdFor(originalId ?? Path.GetFileNameWithoutExtension(path)),
                Title = title,
                CreatedAt = createdAt,
                UpdatedAt = updatedAt,
                Model = model,
                Metadata = metadata,
                MessageCount = messages.Count,
                InputTokens = messages.Sum(m => m.InputTokens),
                OutputTokens = messages.Sum(m => m.OutputTokens),
            },
            Messages = messages,
        };
    }

    /// <summary>
    /// One message. Only its shape (a plist with :role and :content) is required: a value this reader does not
    /// know (a role, content that is data rather than text, a time it cannot read) is imported as near as it
    /// can be, with the original kept in the message's metadata, rather than failing the whole file.
    /// </summary>
    private static (MessageRole Role, string Content, DateTimeOffset At, Dictionary<string, JsonElement> Metadata) ReadMessage(LispValue value, int number, DateTimeOffset sessionCreatedAt, string path)
    {
        var what = string.Create(CultureInfo.InvariantCulture, $"message {number} of :messages");
        var message = Plist.From(value, path, what);
        var metadata = new Dictionary<string, JsonElement>(StringComparer.Ordinal);

        var (role, originalRole) = MapRole(message.Require("role"));
        if (originalRole is not null)
        {
            metadata["originalRole"] = AgentSessionsJson.ToElement(originalRole);
        }

        string content;
        switch (message.Require("content"))
        {
            case LispString s:
                content = s.Value;
                break;
            case { IsNil: true }:
                // No text at all (nil); the store needs a part, and an empty one says exactly that.
                content = "";
                break;
            case var data:
                // Data, not text (a plist of a tool run, say): its JSON rendering is the text, flagged as such.
                content = LispJson.ToElement(data).GetRawText();
                metadata["contentIsLispData"] = AgentSessionsJson.ToElement(true);
                break;
        }

        var at = sessionCreatedAt;
        if (message.Find("timestamp") is { IsNil: false } timestamp)
        {
            try
            {
                at = ToTime(timestamp, path, $"{what}: :timestamp");
            }
            catch (AgentSessionsException)
            {
                // Dated like a message without a time; what the file said is kept.
                metadata["originalTimestamp"] = LispJson.ToElement(timestamp);
            }
        }

        return (role, content, at, metadata);
    }

    /// <summary>
    /// The role of a message: ours when the file names one of them, else the nearest, with the original kept
    /// (as written, <c>:debug</c>) so that nothing is lost and a reader can tell.
    /// </summary>
    /// <remarks>
    /// Agent-Q writes <c>:debug</c> for its own traces (tool runs, progress) besides user, assistant and system,
    /// and other writers may add more. A role never fails the file: what is not the user's, the model's or a
    /// tool's is the program's own note, which is what the system role holds. Synonyms: human is the user;
    /// model, ai and agent are the assistant; tool-result, tool-output, function, function-result and
    /// observation are a tool's output.
    /// </remarks>
    private static (MessageRole Role, string? Original) MapRole(LispValue value)
    {
        var name = value switch
        {
            LispKeyword k => k.Name,
            LispSymbol s => s.Name,
            LispString s => s.Value,
            _ => null,
        };
        if (MessageRoles.TryParse(name, out var exact))
        {
            return (exact, null);
        }

        var role = name?.ToLowerInvariant() switch
        {
            "human" => MessageRole.User,
            "model" or "ai" or "agent" => MessageRole.Assistant,
            "tool-result" or "tool-output" or "function" or "function-result" or "observation" => MessageRole.Tool,
            _ => MessageRole.System, // debug, info, error, and any other name or value
        };
        var original = value switch
        {
            LispKeyword k => ":" + k.Name,
            LispSymbol sym => sym.Name,
            LispString str => str.Value,
            _ => LispJson.ToElement(value).GetRawText(),
        };
        return (role, original);
    }

    private static string? OptionalString(Plist plist, string key, string path)
        => plist.Find(key) switch
        {
            null => null,
            { IsNil: true } => null,
            LispString s => s.Value,
            var other => throw Fail(path, other, $":{key} must be a string or nil, not {Show(other)}"),
        };

    private static long Count(Plist plist, string key, string path)
        => plist.Find(key) switch
        {
            null => 0,
            { IsNil: true } => 0,
            LispInteger { Value: >= 0 } n => n.Value,
            var other => throw Fail(path, other, $":{key} must be a non-negative integer, not {Show(other)}"),
        };

    /// <summary>
    /// A time: an integer is Common Lisp universal time (seconds since 1900, as version 2 writes); a list
    /// <c>(HIGH LOW [USEC [PSEC]])</c> is an Emacs time (seconds since 1970 = HIGH * 65536 + LOW), as version 1 writes.
    /// </summary>
    private static DateTimeOffset ToTime(LispValue value, string path, string what)
    {
        switch (value)
        {
            case LispInteger universal:
                try
                {
                    return ImportText.FromUniversalTime(universal.Value);
                }
                catch (AgentSessionsException e)
                {
                    throw Fail(path, value, $"{what}: {e.Message}");
                }

            case LispList { Tail: null, Items: { Count: >= 2 and <= 4 } parts }
                when parts.All(p => p is LispInteger):
                var high = ((LispInteger)parts[0]).Value;
                var low = ((LispInteger)parts[1]).Value;
                var usec = parts.Count > 2 ? ((LispInteger)parts[2]).Value : 0;
                var psec = parts.Count > 3 ? ((LispInteger)parts[3]).Value : 0;

                // Bounds first, so the arithmetic below cannot overflow and the result is a representable time.
                if (high is < 0 or > MaxEmacsHigh || low is < 0 or > 0xFFFF
                    || usec is < 0 or >= 1_000_000 || psec is < 0 or >= 1_000_000_000_000)
                {
                    throw Fail(path, value, $"{what}: the Emacs time list is out of range (LOW must be below 65536, USEC below 1000000, PSEC below 10^12, none negative, and the time before the year 10000)");
                }

                var seconds = high * 65536 + low;
                // Ticks are 100 ns: microseconds add 10 each, picoseconds below 100 ns are dropped.
                var ticks = usec * 10 + psec / 100_000;
                return DateTimeOffset.UnixEpoch.AddSeconds(seconds).AddTicks(ticks);
        }

        throw Fail(path, value, $"{what} must be a universal time (an integer) or an Emacs time list (HIGH LOW [USEC [PSEC]]), not {Show(value)}");
    }

    private static AgentSessionsException Fail(string path, LispValue at, string what) => LispReader.Error(path, at.Line, at.Column, what);

    /// <summary>A short rendering of a value for error messages.</summary>
    private static string Show(LispValue value)
    {
        const int limit = 40;
        var text = value switch
        {
            LispString s => "\"" + s.Value + "\"",
            LispInteger n => n.Value.ToString(CultureInfo.InvariantCulture),
            LispKeyword k => ":" + k.Name,
            LispSymbol s => s.Name,
            LispList => "a list",
            _ => "a value",
        };
        return text.Length <= limit ? text : text[..(limit - 3)] + "...";
    }

    /// <summary>A property list, looked up by key name without the colon (case-insensitively, as Lisp upcases).</summary>
    private sealed class Plist
    {
        private readonly Dictionary<string, LispValue> _values;
        private readonly string _path;
        private readonly string _what;

        private Plist(LispList source, Dictionary<string, LispValue> values, string path, string what)
        {
            Source = source;
            _values = values;
            _path = path;
            _what = what;
        }

        public LispList Source { get; }

        public static Plist From(LispValue value, string path, string what)
        {
            if (value is not LispList { Tail: null } list)
            {
                throw Fail(path, value, $"{what} must be a property list (:key value ...), not {Show(value)}");
            }

            if (list.Items.Count % 2 != 0)
            {
                throw Fail(path, list, $"{what} has an odd number of elements; a property list alternates keys and values");
            }

            var values = new Dictionary<string, LispValue>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < list.Items.Count; i += 2)
            {
                var name = list.Items[i] switch
                {
                    LispKeyword k => k.Name,
                    // Tolerated for the Emacs-side writer; the key's spelling is all that matters.
                    LispSymbol s => s.Name,
                    var other => throw Fail(path, other, $"{what}: expected a key such as :role, not {Show(other)}"),
                };

                // Like getf, the first occurrence of a key wins.
                values.TryAdd(name, list.Items[i + 1]);
            }

            return new Plist(list, values, path, what);
        }

        public LispValue? Find(string key) => _values.GetValueOrDefault(key);

        public LispValue Require(string key)
            => Find(key) ?? throw Fail(_path, Source, $"{_what} has no :{key}, which is required");
    }
}
