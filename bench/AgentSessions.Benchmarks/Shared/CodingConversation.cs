using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AgentSessions.Benchmarks.Shared;

/// <summary>
/// A deterministic coding-agent conversation, sized like a real one, and the same conversation as OpenAI
/// Responses input items (what the OpenAI Agents SDK's sessions store).
/// </summary>
/// <remarks>
/// A turn is 12 messages: the user's request; the assistant's reasoning, a few words and a <c>read_file</c> call;
/// the file (about 3 KB); a <c>grep</c> call and its matches (about 800 bytes); a short note and an
/// <c>edit_file</c> call with the old and new text; "ok"; a <c>run_command</c> call and the test output (about
/// 1.5 KB, every fifth a failure); a summary; a short follow-up from the user, and a closing answer. Assistant
/// messages carry a model and token counts. Every tool output stays under the store's 8 KiB blob threshold.
/// </remarks>
public static class CodingConversation
{
    public const int MessagesPerTurn = 12;
    public const string Model = "gpt-5-codex";

    private static readonly string[] Words =
    [
        "the", "function", "returns", "null", "when", "database", "query", "index", "test", "fails", "because",
        "session", "message", "append", "commit", "branch", "merge", "refactor", "parser", "token", "stream",
        "error", "handler", "retry", "timeout", "cache", "config", "file", "path", "directory", "build", "release",
        "agent", "tool", "call", "result", "model", "prompt", "context", "window", "summary", "title", "search",
        "update", "delete", "create", "list", "read", "write", "lock", "thread", "async", "await", "task", "value",
    ];

    private static readonly string[] Identifiers =
        ["_store", "session", "message", "options", "cancellationToken", "reader", "writer", "buffer", "result", "count"];

    /// <summary>The messages of a conversation of <paramref name="turns"/> turns.</summary>
    public static List<NewMessage> Messages(int turns, int seed = 7)
    {
        var random = new Random(seed);
        var messages = new List<NewMessage>(turns * MessagesPerTurn);
        var start = new DateTimeOffset(2026, 11, 20, 9, 0, 0, TimeSpan.Zero);
        for (var t = 0; t < turns; t++)
        {
            var file = $"src/Project/Feature{t % 40}/Service{t % 7}.cs";
            var call = $"call_{t:D5}_";
            NewMessage Assistant(params ContentPart[] parts) => new(MessageRole.Assistant, parts)
            {
                Model = Model,
                InputTokens = 8_000 + random.Next(40_000),
                OutputTokens = 20 + random.Next(600),
            };

            var turn = new List<NewMessage>
            {
                new(MessageRole.User, Prose(random, 300)),
                Assistant(new ReasoningPart(Prose(random, 220)), new TextPart(Prose(random, 120)), new ToolCallPart(call + "a", "read_file", Args(("path", file)))),
                new(MessageRole.Tool, [new ToolResultPart(call + "a", Json(Code(random, 3_000)))]),
                Assistant(new ToolCallPart(call + "b", "grep", Args(("pattern", Identifiers[t % Identifiers.Length] + "\\."), ("path", "src/")))),
                new(MessageRole.Tool, [new ToolResultPart(call + "b", Json(Matches(random, file, 800)))]),
                Assistant(new TextPart(Prose(random, 200)), new ToolCallPart(call + "c", "edit_file", Args(("path", file), ("old", Code(random, 250)), ("new", Code(random, 300))))),
                new(MessageRole.Tool, [new ToolResultPart(call + "c", Json("ok"))]),
                Assistant(new ToolCallPart(call + "d", "run_command", Args(("command", "dotnet test tests/Project.Tests --filter Feature" + (t % 40)), ("timeout", "120")))),
                new(MessageRole.Tool, [new ToolResultPart(call + "d", Json(TestOutput(random, 1_500)), IsError: t % 5 == 4)]),
                Assistant(new TextPart(Prose(random, 800))),
                new(MessageRole.User, Prose(random, 80)),
                Assistant(new TextPart(Prose(random, 400))),
            };
            for (var i = 0; i < turn.Count; i++)
            {
                messages.Add(turn[i] with { CreatedAt = start.AddSeconds((t * MessagesPerTurn) + i) });
            }
        }

        return messages;
    }

    /// <summary>
    /// The conversation as OpenAI Responses input items, one JSON object a line, the way the Agents SDK stores
    /// a run's items: user text as <c>{"role":"user","content":...}</c>, assistant text as an output message
    /// with <c>output_text</c> content, reasoning as a <c>reasoning</c> item with a summary, and tool calls as
    /// <c>function_call</c> (arguments as a JSON string) and <c>function_call_output</c> items.
    /// </summary>
    public static IEnumerable<string> OpenAiItems(IEnumerable<NewMessage> messages)
    {
        var n = 0;
        foreach (var message in messages)
        {
            foreach (var part in message.Parts)
            {
                var id = (++n).ToString("x12", CultureInfo.InvariantCulture);
                object item = (message.Role, part) switch
                {
                    (MessageRole.User, TextPart p) => new Dictionary<string, object> { ["role"] = "user", ["content"] = p.Text },
                    (_, TextPart p) => new Dictionary<string, object>
                    {
                        ["id"] = "msg_" + id, ["type"] = "message", ["role"] = "assistant", ["status"] = "completed",
                        ["content"] = new[] { new Dictionary<string, object> { ["type"] = "output_text", ["text"] = p.Text, ["annotations"] = Array.Empty<object>() } },
                    },
                    (_, ReasoningPart p) => new Dictionary<string, object>
                    {
                        ["id"] = "rs_" + id, ["type"] = "reasoning",
                        ["summary"] = new[] { new Dictionary<string, object> { ["type"] = "summary_text", ["text"] = p.Text } },
                    },
                    (_, ToolCallPart p) => new Dictionary<string, object>
                    {
                        ["id"] = "fc_" + id, ["type"] = "function_call", ["call_id"] = p.CallId, ["name"] = p.Name,
                        ["arguments"] = p.Arguments?.GetRawText() ?? "{}", ["status"] = "completed",
                    },
                    (_, ToolResultPart p) => new Dictionary<string, object>
                    {
                        ["type"] = "function_call_output", ["call_id"] = p.CallId,
                        ["output"] = p.Result is { ValueKind: JsonValueKind.String } s ? s.GetString()! : p.Result?.GetRawText() ?? "",
                    },
                    _ => throw new InvalidOperationException($"no OpenAI item for {part.GetType().Name}"),
                };
                yield return JsonSerializer.Serialize(item, ItemJson.Default.DictionaryStringObject);
            }
        }
    }

    private static JsonElement Json(string text) => JsonSerializer.SerializeToElement(text, ItemJson.Default.String);

    private static JsonElement Args(params (string Name, string Value)[] fields)
        => JsonSerializer.SerializeToElement(fields.ToDictionary(f => f.Name, f => f.Value), ItemJson.Default.DictionaryStringString);

    private static string Prose(Random random, int length)
    {
        var builder = new StringBuilder(length + 16);
        var capital = true;
        while (builder.Length < length)
        {
            var word = Words[random.Next(Words.Length)];
            builder.Append(capital ? char.ToUpperInvariant(word[0]) + word[1..] : word);
            capital = random.Next(10) == 0;
            builder.Append(capital ? ". " : random.Next(12) == 0 ? ", " : " ");
            if (random.Next(40) == 0)
            {
                builder.Append("`").Append(Identifiers[random.Next(Identifiers.Length)]).Append("` ");
            }
        }

        return builder.ToString().TrimEnd() + ".";
    }

    private static string Code(Random random, int length)
    {
        var builder = new StringBuilder(length + 80);
        var indent = 4;
        while (builder.Length < length)
        {
            var name = Identifiers[random.Next(Identifiers.Length)];
            var line = random.Next(6) switch
            {
                0 => $"if ({name} is null)\n{new string(' ', indent)}{{",
                1 => $"var {Words[random.Next(Words.Length)]} = await {name}.ReadAsync(\"{Words[random.Next(Words.Length)]}\", cancellationToken);",
                2 => $"// {Prose(random, 50)}",
                3 => $"return {name}.Count > {random.Next(100)} ? {name} : null;",
                4 => "}",
                _ => $"{name}.{char.ToUpperInvariant(Words[random.Next(Words.Length)][0])}{Words[random.Next(Words.Length)][1..]}({random.Next(1000)});",
            };
            builder.Append(' ', indent).Append(line).Append('\n');
            indent = Math.Clamp(indent + (line.EndsWith('{') ? 4 : line == "}" ? -4 : 0), 4, 16);
        }

        return builder.ToString();
    }

    private static string Matches(Random random, string file, int length)
    {
        var builder = new StringBuilder(length + 100);
        while (builder.Length < length)
        {
            builder.Append(file).Append(':').Append(random.Next(1, 400)).Append(":    ").Append(Code(random, 40).Trim()).Append('\n');
        }

        return builder.ToString();
    }

    private static string TestOutput(Random random, int length)
    {
        var builder = new StringBuilder("  Determining projects to restore...\n  All projects are up-to-date for restore.\n", length + 100);
        while (builder.Length < length - 100)
        {
            builder.Append("  Passed Project.Tests.").Append(Words[random.Next(Words.Length)]).Append('_').Append(Words[random.Next(Words.Length)])
                .Append(" [").Append(random.Next(1, 300)).Append(" ms]\n");
        }

        return builder.Append("Passed!  - Failed: 0, Passed: ").Append(random.Next(20, 200)).Append(", Skipped: 0, Duration: 3 s\n").ToString();
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, object>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, object>[]))]
[System.Text.Json.Serialization.JsonSerializable(typeof(object[]))]
[System.Text.Json.Serialization.JsonSerializable(typeof(string))]
internal sealed partial class ItemJson : System.Text.Json.Serialization.JsonSerializerContext;
