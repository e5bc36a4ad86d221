using System.Buffers;
using System.Text.Json;

namespace AgentSessions.Import.AgentQ;

/// <summary>Turns data read by <see cref="LispReader"/> into JSON, to keep a file's free-form parts as metadata.</summary>
/// <remarks>
/// A plist (keyword keys) becomes an object keyed by the names without the colon; other lists become arrays (a
/// dotted list's tail is its last element); keywords and symbols become their names, except <c>nil</c> (null) and
/// <c>t</c> (true), which are Lisp's false/empty and true.
/// </remarks>
internal static class LispJson
{
    public static JsonElement ToElement(LispValue value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { MaxDepth = LispReader.MaxDepth + 8 }))
        {
            Write(writer, value);
        }

        // The reader already bounds the depth; the document must allow at least as much.
        using var document = JsonDocument.Parse(buffer.WrittenMemory, new JsonDocumentOptions { MaxDepth = LispReader.MaxDepth + 8 });
        return document.RootElement.Clone();
    }

    private static void Write(Utf8JsonWriter writer, LispValue value)
    {
        switch (value)
        {
            case LispString s:
                writer.WriteStringValue(s.Value);
                break;
            case LispInteger n:
                writer.WriteNumberValue(n.Value);
                break;
            case { IsNil: true }:
                writer.WriteNullValue();
                break;
            case LispSymbol s when s.Name.Equals("t", StringComparison.OrdinalIgnoreCase):
                writer.WriteBooleanValue(true);
                break;
            case LispSymbol s:
                writer.WriteStringValue(s.Name);
                break;
            case LispKeyword k:
                writer.WriteStringValue(k.Name);
                break;
            case LispList list when IsPlist(list):
                writer.WriteStartObject();
                var seen = new HashSet<string>(StringComparer.Ordinal);
                for (var i = 0; i < list.Items.Count; i += 2)
                {
                    var name = ((LispKeyword)list.Items[i]).Name;
                    // Like getf, the first occurrence of a key wins; JSON objects should not repeat names.
                    if (seen.Add(name))
                    {
                        writer.WritePropertyName(name);
                        Write(writer, list.Items[i + 1]);
                    }
                }

                writer.WriteEndObject();
                break;
            case LispList list:
                writer.WriteStartArray();
                foreach (var item in list.Items)
                {
                    Write(writer, item);
                }

                if (list.Tail is not null)
                {
                    Write(writer, list.Tail);
                }

                writer.WriteEndArray();
                break;
        }
    }

    private static bool IsPlist(LispList list)
    {
        if (list.Tail is not null || list.Items.Count == 0 || list.Items.Count % 2 != 0)
        {
            return false;
        }

        for (var i = 0; i < list.Items.Count; i += 2)
        {
            if (list.Items[i] is not LispKeyword)
            {
                return false;
            }
        }

        return true;
    }
}
