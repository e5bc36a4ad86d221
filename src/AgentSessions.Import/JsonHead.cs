using System.Text.Json;
using AgentSessions.Formats.Import;

namespace AgentSessions.Import;

/// <summary>Cheap structural sniffing of a JSON prefix (the first 4 KiB) for <see cref="ISessionImporter.CanRead"/>.</summary>
internal sealed class JsonHead
{
    private JsonHead()
    {
    }

    /// <summary>Whether the text starts with an object.</summary>
    public bool IsObject { get; private set; }

    /// <summary>Property names seen at the top level, with the value when it is a string (else null).</summary>
    public Dictionary<string, string?> TopLevel { get; } = new(StringComparer.Ordinal);

    /// <summary>Property names seen one level down, as <c>parent.child</c>.</summary>
    public HashSet<string> SecondLevel { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether the whole document was seen (the prefix was the full file).</summary>
    public bool Complete { get; private set; }

    /// <summary>Reads what it can of <paramref name="utf8"/>; stops quietly at the end of the prefix or at bad JSON.</summary>
    public static JsonHead Read(ReadOnlySpan<byte> utf8)
    {
        var head = new JsonHead();
        if (utf8.StartsWith("\uFEFF"u8))
        {
            utf8 = utf8[3..];
        }

        var reader = new Utf8JsonReader(utf8, isFinalBlock: false, new JsonReaderState(new JsonReaderOptions { MaxDepth = 256 }));
        string? parent = null;
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth == 0 && reader.TokenType == JsonTokenType.StartObject)
                {
                    head.IsObject = true;
                }
                else if (reader.CurrentDepth == 0 && reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray)
                {
                    head.Complete = true;
                    break;
                }
                else if (!head.IsObject)
                {
                    break;
                }
                else if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1)
                {
                    parent = reader.GetString()!;
                    if (!reader.Read())
                    {
                        head.TopLevel.TryAdd(parent, null);
                        break;
                    }

                    head.TopLevel[parent] = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                else if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 2 && parent is not null)
                {
                    head.SecondLevel.Add($"{parent}.{reader.GetString()}");
                }
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Not JSON, or not valid JSON past some point: what was seen so far is all the sniffing needs.
        }

        return head;
    }
}
