using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace AgentSessions.Server.Rpc;

/// <summary>A request's named parameters, read with type checks that fail as -32602 naming the parameter.</summary>
/// <remarks>
/// Every name a method reads is remembered; <see cref="EnsureNoneUnknown"/> then refuses any other name, so a
/// misspelt parameter (<c>sessionId</c> for <c>id</c>) is an error instead of being silently ignored.
/// </remarks>
internal sealed class RpcParams
{
    private readonly JsonElement _object;
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    /// <summary>Deprecated names read: accepted, but not listed in the unknown-parameter error.</summary>
    private readonly HashSet<string> _aliases = new(StringComparer.Ordinal);

    private RpcParams(JsonElement @object) => _object = @object;

    /// <summary>Wraps a request's <c>params</c>: an object, or absent or null (no parameters: jsonrpc.el sends null for nil).</summary>
    public static RpcParams From(JsonElement? parameters)
    {
        if (parameters is not { } value || value.ValueKind == JsonValueKind.Null)
        {
            return new RpcParams(default);
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw RpcException.InvalidParams("params must be an object of named parameters");
        }

        return new RpcParams(value);
    }

    public string? String(string name) => Get(name) is { } v
        ? v.ValueKind == JsonValueKind.String ? v.GetString() : throw Mistyped(name, "a string")
        : null;

    /// <summary>
    /// A string parameter that an older version of the protocol spelt <paramref name="deprecatedAlias"/>: either
    /// name is accepted, both only when they agree.
    /// </summary>
    /// <remarks>
    /// The canonical name is the one the result and the other front ends use for the same field, so a client can
    /// send back what it read; the alias keeps clients written against the old spelling working. It is not listed
    /// among the names a method takes, so the error for an unknown name advertises only the canonical one.
    /// </remarks>
    /// <param name="name">The canonical name.</param>
    /// <param name="deprecatedAlias">The old name, still accepted.</param>
    /// <param name="prefix">Where the parameters sit (<c>messages[2].</c>), for the error message.</param>
    public string? String(string name, string deprecatedAlias, string prefix = "")
    {
        var value = String(name);
        var old = Alias(deprecatedAlias) is { } v
            ? v.ValueKind == JsonValueKind.String ? v.GetString() : throw Mistyped(deprecatedAlias, "a string")
            : null;
        if (value is not null && old is not null && !string.Equals(value, old, StringComparison.Ordinal))
        {
            throw RpcException.InvalidParams($"'{prefix}{name}' and its deprecated alias '{prefix}{deprecatedAlias}' give different values; send only '{prefix}{name}'");
        }

        return value ?? old;
    }

    public string RequiredString(string name) => String(name) ?? throw Missing(name, "a string");

    public bool? Bool(string name) => Get(name) is { } v
        ? v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Mistyped(name, "true or false"),
        }
        : null;

    public long? Long(string name) => Get(name) is { } v
        ? v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : throw Mistyped(name, "an integer")
        : null;

    public int? Int(string name) => Get(name) is { } v
        ? v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : throw Mistyped(name, "an integer")
        : null;

    /// <summary>An LSP progress token: a string or an integer, kept as given so it is echoed exactly.</summary>
    public JsonElement? Token(string name) => Get(name) is { } v
        ? v.ValueKind == JsonValueKind.String || (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out _)) ? v : throw Mistyped(name, "a string or an integer")
        : null;

    public IReadOnlyList<string>? StringArray(string name)
    {
        if (Get(name) is not { } v)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Array)
        {
            throw Mistyped(name, "an array of strings");
        }

        var list = new List<string>();
        foreach (var item in v.EnumerateArray())
        {
            list.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw Mistyped(name, "an array of strings"));
        }

        return list;
    }

    /// <summary>A parameter holding an array, returned raw.</summary>
    public JsonElement? Array(string name) => Get(name) is { } v
        ? v.ValueKind == JsonValueKind.Array ? v : throw Mistyped(name, "an array")
        : null;

    /// <summary>A parameter holding an object of named values, read like the request's own parameters.</summary>
    public RpcParams? Object(string name) => Get(name) is { } v
        ? v.ValueKind == JsonValueKind.Object ? new RpcParams(v) : throw Mistyped(name, "an object")
        : null;

    /// <summary>A parameter deserialized as a model type.</summary>
    public T? Model<T>(string name, JsonTypeInfo<T> typeInfo, string expected)
    {
        if (Get(name) is not { } v)
        {
            return default;
        }

        try
        {
            return v.Deserialize(typeInfo) ?? throw Mistyped(name, expected);
        }
        catch (JsonException e)
        {
            throw RpcException.InvalidParams($"parameter '{name}' must be {expected}: {FirstSentence(e.Message)}");
        }
        catch (NotSupportedException e)
        {
            throw RpcException.InvalidParams($"parameter '{name}' must be {expected}: {FirstSentence(e.Message)}");
        }
    }

    /// <summary>Fails when the request carries a parameter the method did not read.</summary>
    public void EnsureNoneUnknown()
    {
        if (_object.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        foreach (var property in _object.EnumerateObject())
        {
            if (!_known.Contains(property.Name) && !_aliases.Contains(property.Name))
            {
                var accepted = _known.Count == 0 ? "none" : string.Join(", ", _known.Order(StringComparer.Ordinal));
                throw RpcException.InvalidParams($"unknown parameter '{property.Name}'; this method takes: {accepted}");
            }
        }
    }

    /// <summary>A parameter's value, treating JSON null as absent.</summary>
    private JsonElement? Get(string name)
    {
        _known.Add(name);
        return Lookup(name);
    }

    /// <summary>A deprecated name's value, treating JSON null as absent.</summary>
    private JsonElement? Alias(string name)
    {
        _aliases.Add(name);
        return Lookup(name);
    }

    private JsonElement? Lookup(string name)
        => _object.ValueKind == JsonValueKind.Object && _object.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static RpcException Mistyped(string name, string expected) => RpcException.InvalidParams($"parameter '{name}' must be {expected}");

    private static RpcException Missing(string name, string expected) => RpcException.InvalidParams($"missing parameter '{name}' ({expected})");

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..end];
    }
}
