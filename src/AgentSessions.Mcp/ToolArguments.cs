using System.Globalization;
using System.Text.Json;

namespace AgentSessions.Mcp;

/// <summary>
/// Checks a tool call's arguments against the tool's input schema before the SDK binds them, so that a wrong one is
/// named in the error ("'limit' must be an integer; got "ten"") instead of the serializer's "could not be
/// converted to System.Int32 at $", which names neither the argument nor the tool.
/// </summary>
/// <remarks>
/// Unknown arguments are refused too: a model that writes <c>session_id</c> for <c>sessionId</c> should learn that at
/// once, not get the result of a call without it.
/// </remarks>
internal static class ToolArguments
{
    /// <summary>The first problem with <paramref name="arguments"/>, or null when they fit <paramref name="inputSchema"/>.</summary>
    public static string? Check(string tool, JsonElement inputSchema, IDictionary<string, JsonElement>? arguments)
    {
        if (inputSchema.ValueKind != JsonValueKind.Object || !inputSchema.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (arguments is not null)
        {
            foreach (var (name, value) in arguments)
            {
                if (!properties.TryGetProperty(name, out var property))
                {
                    var known = string.Join(", ", properties.EnumerateObject().Select(p => p.Name));
                    return $"'{tool}' has no argument {Paging.Quote(name)}; its arguments are: {known}";
                }

                if (Mismatch(property, value) is { } expected)
                {
                    return $"'{name}' must be {expected}; got {Shown(value)}";
                }
            }
        }

        if (inputSchema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array)
        {
            foreach (var name in required.EnumerateArray().Select(r => r.GetString()).OfType<string>())
            {
                if (arguments is null || !arguments.TryGetValue(name, out var value) || value.ValueKind == JsonValueKind.Null)
                {
                    return $"'{tool}' needs the argument '{name}'";
                }
            }
        }

        return null;
    }

    /// <summary>What <paramref name="value"/> should have been, or null when it fits the property's schema.</summary>
    private static string? Mismatch(JsonElement property, JsonElement value)
    {
        if (!property.TryGetProperty("type", out var type))
        {
            return null;
        }

        var types = type.ValueKind == JsonValueKind.Array
            ? type.EnumerateArray().Select(t => t.GetString()).OfType<string>().ToList()
            : type.GetString() is { } single ? [single] : [];
        if (value.ValueKind == JsonValueKind.Null)
        {
            return types.Contains("null") ? null : Describe(types);
        }

        var main = types.FirstOrDefault(t => t != "null");
        var fits = main switch
        {
            "string" => value.ValueKind == JsonValueKind.String && FitsFormat(property, value.GetString()!),
            "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
            "number" => value.ValueKind == JsonValueKind.Number,
            "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            "array" => value.ValueKind == JsonValueKind.Array && ItemsFit(property, value),
            "object" => value.ValueKind == JsonValueKind.Object,
            _ => true,
        };
        return fits ? null : Describe(types, property);
    }

    private static bool ItemsFit(JsonElement property, JsonElement array)
        => !property.TryGetProperty("items", out var items) || array.EnumerateArray().All(item => Mismatch(items, item) is null);

    private static bool FitsFormat(JsonElement property, string text)
        => !property.TryGetProperty("format", out var format) || format.GetString() != "date-time"
            || DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _);

    private static string Describe(List<string> types, JsonElement? property = null)
    {
        var main = types.FirstOrDefault(t => t != "null");
        var what = main switch
        {
            "string" when property?.TryGetProperty("format", out var f) == true && f.GetString() == "date-time" => "a date or time in ISO 8601 (e.g. 2026-01-31 or 2026-01-31T12:00:00Z)",
            "string" => "a string",
            "integer" => "an integer",
            "number" => "a number",
            "boolean" => "true or false",
            "array" => "an array of strings",
            "object" => "an object",
            _ => main ?? "a value",
        };
        return types.Contains("null") ? $"{what} (or left out)" : what;
    }

    private static string Shown(JsonElement value)
    {
        var raw = value.GetRawText();
        return raw.Length <= 60 ? raw : raw[..60] + "…";
    }
}
