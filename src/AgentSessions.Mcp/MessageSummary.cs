using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AgentSessions.Mcp;

/// <summary>A message's text as a model reads it in <c>read_session</c>: tool traffic in one line each, cut to a size.</summary>
/// <remarks>
/// Tool calls and results can be far larger than the conversation around them (a whole file read, a test log); a
/// model looking back at a session needs to know what ran, not every byte of it. The Markdown resource keeps them
/// whole.
/// </remarks>
internal static class MessageSummary
{
    /// <summary>How much of a tool call's arguments or a tool result one summary line keeps.</summary>
    public const int ToolPreviewChars = 200;

    public static (string Text, bool Truncated) Of(SessionMessage message, int maxChars)
    {
        var builder = new StringBuilder();
        foreach (var part in message.Parts)
        {
            var piece = part switch
            {
                TextPart text => text.Text,
                ToolCallPart call => $"[tool call {call.Name}({Preview(call.Arguments)})]",
                ToolResultPart result => $"[tool result{(result.IsError ? " (error)" : "")}: {Preview(result.Result)}]",
                ReasoningPart reasoning => $"[reasoning, {reasoning.Text.Length.ToString(CultureInfo.InvariantCulture)} characters]",
                DataPart data => $"[attachment {data.Name ?? "(unnamed)"}, {data.MediaType}, {data.Data.Length.ToString(CultureInfo.InvariantCulture)} bytes]",
                UriPart uri => $"[link {uri.Uri} ({uri.MediaType})]",
                _ => $"[{part.GetType().Name}]",
            };
            if (piece.Length == 0)
            {
                continue;
            }

            if (builder.Length > 0)
            {
                builder.Append('\n');
            }

            builder.Append(piece);
            if (builder.Length > maxChars)
            {
                break;
            }
        }

        return builder.Length <= maxChars ? (builder.ToString(), false) : (Cut(builder.ToString(), maxChars), true);
    }

    private static string Preview(JsonElement? value)
    {
        var text = value switch
        {
            null => "",
            { ValueKind: JsonValueKind.String } s => s.GetString()!,
            { } other => other.GetRawText(),
        };
        text = text.ReplaceLineEndings(" ");
        return text.Length <= ToolPreviewChars ? text : Cut(text, ToolPreviewChars);
    }

    /// <summary>The first <paramref name="max"/> characters and an ellipsis, never splitting a surrogate pair.</summary>
    private static string Cut(string text, int max)
    {
        var end = max;
        if (end > 0 && char.IsHighSurrogate(text[end - 1]))
        {
            end--;
        }

        return string.Concat(text.AsSpan(0, end), "…");
    }
}
