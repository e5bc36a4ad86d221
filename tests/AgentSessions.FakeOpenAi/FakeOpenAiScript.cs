using System.Text.Encodings.Web;
using System.Text.Json;

namespace AgentSessions.FakeOpenAi;

/// <summary>A script file: <c>{"replies": [...], "chunkDelayMs": 0, "models": ["fake-model"]}</c>, or just the replies' array.</summary>
public static class FakeOpenAiScript
{
    internal static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>What the server writes: JSON read by clients and people, never put in HTML, so quotes and angle brackets stay as they are.</summary>
    internal static readonly JsonSerializerOptions WireOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The options a script file describes (replies, default chunk delay, model ids), on <paramref name="baseOptions"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a script.</exception>
    public static FakeOpenAiOptions Load(string path, FakeOpenAiOptions? baseOptions = null)
    {
        var options = baseOptions ?? new FakeOpenAiOptions();
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                return options with { Replies = root.Deserialize<ScriptedReply[]>(JsonOptions) ?? [] };
            }

            var script = root.Deserialize<ScriptFile>(JsonOptions) ?? new ScriptFile();
            return options with
            {
                Replies = script.Replies ?? [],
                ChunkDelayMs = script.ChunkDelayMs ?? options.ChunkDelayMs,
                Models = script.Models ?? options.Models,
            };
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a fake OpenAI script: {e.Message}", e);
        }
    }

    private sealed record ScriptFile
    {
        public ScriptedReply[]? Replies { get; init; }

        public int? ChunkDelayMs { get; init; }

        public string[]? Models { get; init; }
    }
}
