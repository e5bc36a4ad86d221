namespace AgentSessions.Benchmarks.Shared;

/// <summary>Deterministic chat-like message texts of about 200 characters.</summary>
/// <remarks>
/// Real words rather than one repeated string, because the store indexes every message in FTS5 and the cost of
/// that depends on the tokens; a fixed seed keeps runs comparable.
/// </remarks>
public static class BenchText
{
    public const int TargetLength = 200;

    private static readonly string[] Words =
    [
        "the", "function", "returns", "null", "when", "database", "query", "index", "test", "fails", "because",
        "session", "message", "append", "commit", "branch", "merge", "refactor", "parser", "token", "stream",
        "error", "handler", "retry", "timeout", "cache", "config", "file", "path", "directory", "build", "release",
        "agent", "tool", "call", "result", "model", "prompt", "context", "window", "summary", "title", "search",
        "update", "delete", "create", "list", "read", "write", "lock", "thread", "async", "await", "task", "value",
        "string", "integer", "array", "object", "json", "schema", "migration", "version", "store", "sqlite", "wal",
        "fsync", "durable", "crash", "recover", "check", "fix", "bug", "issue", "review", "change", "diff", "line",
        "column", "row", "table", "page", "offset", "limit", "order", "sort", "filter", "tag", "pin", "project",
    ];

    private static readonly string[] Pool = BuildPool(256, seed: 42);

    /// <summary>The <paramref name="index"/>-th text (cycling through a fixed pool).</summary>
    public static string Get(int index) => Pool[(int)((uint)index % (uint)Pool.Length)];

    /// <summary>A short title-like phrase, for session titles.</summary>
    public static string Title(int index)
        => $"{Capitalize(Words[index % Words.Length])} {Words[(index / 7) % Words.Length]} {Words[(index / 53) % Words.Length]} #{index}";

    private static string[] BuildPool(int count, int seed)
    {
        var random = new Random(seed);
        var pool = new string[count];
        var builder = new System.Text.StringBuilder(TargetLength + 32);
        for (var i = 0; i < count; i++)
        {
            builder.Clear();
            var sentenceStart = true;
            while (builder.Length < TargetLength - 10)
            {
                var word = Words[random.Next(Words.Length)];
                builder.Append(sentenceStart ? Capitalize(word) : word);
                sentenceStart = random.Next(9) == 0;
                builder.Append(sentenceStart ? ". " : " ");
            }

            pool[i] = builder.ToString().TrimEnd() + ".";
        }

        return pool;
    }

    private static string Capitalize(string word) => char.ToUpperInvariant(word[0]) + word[1..];
}
