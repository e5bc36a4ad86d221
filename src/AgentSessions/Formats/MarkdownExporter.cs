using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AgentSessions.Formats;

/// <summary>Writes a session as readable Markdown: a heading per message, tool traffic in fenced blocks.</summary>
public static class MarkdownExporter
{
    /// <summary>Writes the session to <paramref name="output"/> as UTF-8 Markdown, streaming the messages.</summary>
    public static async Task WriteAsync(Stream output, Session session, IAsyncEnumerable<SessionMessage> messages, CancellationToken cancellationToken = default)
    {
        var writer = new StreamWriter(output, new UTF8Encoding(false), 64 * 1024, leaveOpen: true) { NewLine = "\n" };
        await using (writer.ConfigureAwait(false))
        {
            await writer.WriteLineAsync($"# {Inline(session.Title ?? session.Id)}").ConfigureAwait(false);
            await writer.WriteLineAsync().ConfigureAwait(false);
            await writer.WriteLineAsync($"- Session: `{session.Id}`").ConfigureAwait(false);
            await writer.WriteLineAsync($"- Created: {Time(session.CreatedAt)}").ConfigureAwait(false);
            await writer.WriteLineAsync($"- Updated: {Time(session.UpdatedAt)}").ConfigureAwait(false);
            if (session.Model is not null)
            {
                await writer.WriteLineAsync($"- Model: {Inline(session.Model)}").ConfigureAwait(false);
            }

            if (session.ProjectPath is not null)
            {
                await writer.WriteLineAsync($"- Project: `{session.ProjectPath.Replace('`', '\'')}`").ConfigureAwait(false);
            }

            if (session.Tags.Count > 0)
            {
                await writer.WriteLineAsync($"- Tags: {Inline(string.Join(", ", session.Tags))}").ConfigureAwait(false);
            }

            await writer.WriteLineAsync($"- Messages: {session.MessageCount}; tokens in {session.InputTokens}, out {session.OutputTokens}").ConfigureAwait(false);

            await foreach (var message in messages.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                await writer.WriteAsync(FormatMessage(message)).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Formats one message as a Markdown section.</summary>
    public static string FormatMessage(SessionMessage message)
    {
        var builder = new StringBuilder();
        builder.Append("\n## ").Append(message.Sequence.ToString(CultureInfo.InvariantCulture)).Append(". ")
            .Append(Capitalize(message.Role.ToWireName()));
        if (message.AuthorName is not null)
        {
            builder.Append(" (").Append(Inline(message.AuthorName)).Append(')');
        }

        builder.Append(" · ").Append(Time(message.CreatedAt)).Append("\n\n");
        if (message.InputTokens > 0 || message.OutputTokens > 0 || message.Model is not null)
        {
            builder.Append('*');
            if (message.Model is not null)
            {
                builder.Append(Inline(message.Model)).Append("; ");
            }

            builder.Append("tokens in ").Append(message.InputTokens).Append(", out ").Append(message.OutputTokens).Append("*\n\n");
        }

        foreach (var part in message.Parts)
        {
            switch (part)
            {
                case TextPart text:
                    builder.Append(text.Text.TrimEnd()).Append("\n\n");
                    break;
                case ReasoningPart reasoning:
                    builder.Append("> **Reasoning**\n>\n");
                    foreach (var line in reasoning.Text.TrimEnd().Split('\n'))
                    {
                        builder.Append("> ").Append(line).Append('\n');
                    }

                    builder.Append('\n');
                    break;
                case ToolCallPart call:
                    builder.Append("**Tool call** `").Append(Code(call.Name)).Append("` (id `").Append(Code(call.CallId)).Append("`)\n\n");
                    Fence(builder, "json", call.Arguments is { } args ? Pretty(args) : "{}");
                    break;
                case ToolResultPart result:
                    builder.Append(result.IsError ? "**Tool error**" : "**Tool result**").Append(" (id `").Append(Code(result.CallId)).Append("`)\n\n");
                    if (result.Result is { ValueKind: JsonValueKind.String } s)
                    {
                        Fence(builder, "text", s.GetString()!);
                    }
                    else
                    {
                        Fence(builder, "json", result.Result is { } r ? Pretty(r) : "null");
                    }

                    break;
                case DataPart data:
                    builder.Append("*Attachment: ").Append(Inline(data.Name ?? "(unnamed)")).Append(", ").Append(Inline(data.MediaType))
                        .Append(", ").Append(Storage.StoreRules.FormatBytes(data.Data.LongLength)).Append("*\n\n");
                    break;
                case UriPart uri:
                    builder.Append("*Link (").Append(Inline(uri.MediaType)).Append("):* <").Append(uri.Uri.Replace(">", "%3E", StringComparison.Ordinal)).Append(">\n\n");
                    break;
            }
        }

        return builder.ToString();
    }

    private static void Fence(StringBuilder builder, string language, string content)
    {
        // The fence must be longer than any run of backticks inside the content, or the block would end early.
        var longest = 0;
        var run = 0;
        foreach (var c in content)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        var fence = new string('`', Math.Max(3, longest + 1));
        builder.Append(fence).Append(language).Append('\n').Append(content.TrimEnd('\n')).Append('\n').Append(fence).Append("\n\n");
    }

    private static string Pretty(JsonElement element)
        => JsonSerializer.Serialize(element, AgentSessionsJson.IndentedOptions);

    private static string Time(DateTimeOffset time)
        => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string Capitalize(string s) => char.ToUpperInvariant(s[0]) + s[1..];

    private static string Code(string s) => s.Replace('`', '\'').Replace('\n', ' ');

    // Inline fields (titles, names) must not start new blocks or inject markup.
    private static string Inline(string s)
    {
        var builder = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            if (c is '\n' or '\r')
            {
                builder.Append(' ');
            }
            else
            {
                if (c is '\\' or '`' or '*' or '_' or '[' or ']' or '<' or '>' or '#' or '|')
                {
                    builder.Append('\\');
                }

                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
