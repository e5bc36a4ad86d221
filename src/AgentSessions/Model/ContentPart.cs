using System.Text.Json;
using System.Text.Json.Serialization;

namespace AgentSessions;

/// <summary>One ordered piece of a message's content.</summary>
/// <remarks>
/// The set of part kinds mirrors Microsoft.Extensions.AI's content types so that a <c>ChatMessage</c> maps to a
/// <see cref="SessionMessage"/> and back without loss. In JSON each part carries a <c>type</c> discriminator.
/// </remarks>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(TextPart), "text")]
[JsonDerivedType(typeof(ToolCallPart), "toolCall")]
[JsonDerivedType(typeof(ToolResultPart), "toolResult")]
[JsonDerivedType(typeof(DataPart), "data")]
[JsonDerivedType(typeof(UriPart), "uri")]
[JsonDerivedType(typeof(ReasoningPart), "reasoning")]
public abstract record ContentPart
{
    private protected ContentPart()
    {
    }

    /// <summary>The text this part contributes to search and to plain-text views; empty when it has none.</summary>
    /// <remarks>A method, not a property, so that it is never serialized with the part.</remarks>
    public abstract string GetSearchText();
}

/// <summary>Plain (usually Markdown) text.</summary>
/// <param name="Text">The text, exactly as written.</param>
public sealed record TextPart(string Text) : ContentPart
{
    /// <inheritdoc />
    public override string GetSearchText() => Text;
}

/// <summary>A request by the model to call a tool.</summary>
/// <param name="CallId">The id that links the call to its <see cref="ToolResultPart"/>.</param>
/// <param name="Name">The tool (function) name.</param>
/// <param name="Arguments">The arguments as a JSON object, or <see langword="null"/> when the call had none.</param>
public sealed record ToolCallPart(string CallId, string Name, JsonElement? Arguments) : ContentPart
{
    /// <inheritdoc />
    public override string GetSearchText() => Name;
}

/// <summary>The result of a tool call.</summary>
/// <param name="CallId">The id of the <see cref="ToolCallPart"/> this answers.</param>
/// <param name="Result">The result as JSON (a JSON string for plain-text results), or <see langword="null"/>.</param>
/// <param name="IsError"><see langword="true"/> when the tool failed and <paramref name="Result"/> describes the failure.</param>
public sealed record ToolResultPart(string CallId, JsonElement? Result, bool IsError = false) : ContentPart
{
    /// <inheritdoc />
    public override string GetSearchText() => Result is { ValueKind: JsonValueKind.String } s ? s.GetString()! : Result?.GetRawText() ?? "";
}

/// <summary>Inline binary content such as an image or a file.</summary>
/// <param name="Data">The bytes (base64 in JSON).</param>
/// <param name="MediaType">The IANA media type, for example <c>image/png</c>.</param>
/// <param name="Name">An optional file name.</param>
public sealed record DataPart(byte[] Data, string MediaType, string? Name = null) : ContentPart
{
    /// <inheritdoc />
    public override string GetSearchText() => Name ?? "";

    /// <inheritdoc />
    public bool Equals(DataPart? other)
        => other is not null && MediaType == other.MediaType && Name == other.Name && Data.AsSpan().SequenceEqual(other.Data);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(MediaType, Name, Data.Length);
}

/// <summary>Content referenced by URI rather than carried inline.</summary>
/// <param name="Uri">The absolute URI.</param>
/// <param name="MediaType">The IANA media type of what the URI points at.</param>
public sealed record UriPart(string Uri, string MediaType) : ContentPart
{
    /// <inheritdoc />
    public override string GetSearchText() => "";
}

/// <summary>The model's reasoning (thinking) text.</summary>
/// <param name="Text">The reasoning text.</param>
/// <param name="ProtectedData">Opaque provider data that must be sent back unchanged, if any.</param>
public sealed record ReasoningPart(string Text, string? ProtectedData = null) : ContentPart
{
    /// <inheritdoc />
    public override string GetSearchText() => Text;
}
