using System.Globalization;
using System.Text;
using System.Text.Json;
using AgentSessions.Benchmarks.Shared;
using AgentSessions.Formats;
using AgentSessions.Sqlite;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>
/// Bytes on disk per message, search index included, against the message's own JSON text (its line in our
/// JSONL export); and the cost of a 1 MB tool output repeated 100 times.
/// </summary>
public static class SizeBench
{
    public const int Messages = 20_000;
    public const double TargetRatio = 1.5;
    private const int Repeats = 100;

    public static async Task<IReadOnlyList<ResultRow>> RunAsync(TempRoot temp, TextWriter output)
    {
        output.WriteLine($"Size: writing {Messages:N0} typical messages and {Repeats} copies of a 1 MB tool output...");
        await using var store = SqliteSessionStore.Open(temp.Directory("size-store"));
        var empty = (await store.GetInfoAsync()).UsedBytes!.Value;

        // A realistic mix: prose of varied length, tool calls with JSON arguments, tool results.
        await store.CreateAsync(new NewSession { Id = "size", Title = "size" });
        long rawBytes = 0;
        for (var done = 0; done < Messages; done += Fixtures.FillBatch)
        {
            var batch = new List<NewMessage>();
            for (var i = done; i < done + Fixtures.FillBatch; i++)
            {
                batch.Add((i % 5) switch
                {
                    3 => new NewMessage(MessageRole.Assistant, [new TextPart(BenchText.Get(i)), new ToolCallPart($"call_{i}", "read_file", JsonDocument.Parse($$"""{"path":"src/file{{i % 97}}.cs","lines":[1,{{i % 400}}]}""").RootElement)]),
                    4 => new NewMessage(MessageRole.Tool, [new ToolResultPart($"call_{i - 1}", JsonSerializer.SerializeToElement(BenchText.Get(i) + "\n" + BenchText.Get(i + 1)))]),
                    _ => new NewMessage(i % 2 == 0 ? MessageRole.User : MessageRole.Assistant, BenchText.Get(i)),
                });
            }

            var appended = await store.AppendAsync("size", batch);
            foreach (var message in appended.Messages)
            {
                rawBytes += Encoding.UTF8.GetByteCount(JsonSerializer.Serialize(message, AgentSessionsJson.Context.SessionMessage));
            }
        }

        var used = (await store.GetInfoAsync()).UsedBytes!.Value - empty;
        var perMessage = used / (double)Messages;
        var rawPerMessage = rawBytes / (double)Messages;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {perMessage:0} bytes on disk per message (rows, indexes, FTS5), {rawPerMessage:0} bytes of JSON text per message"));

        // The dedup case: the same 1 MB output under 100 different tool calls.
        var random = new Random(5);
        var big = string.Join('\n', Enumerable.Range(0, 16_000).Select(i => $"{i:D6} {random.Next():x8} src/file{random.Next(100)}.cs: warning CS{random.Next(9999):D4}"));
        await store.CreateAsync(new NewSession { Id = "dedup", Title = "dedup" });
        var beforeDedup = (await store.GetInfoAsync()).UsedBytes!.Value;
        for (var i = 0; i < Repeats; i++)
        {
            await store.AppendAsync("dedup", [new NewMessage(MessageRole.Tool, [new ToolResultPart($"c{i}", JsonSerializer.SerializeToElement(big))])]);
        }

        var dedupBytes = (await store.GetInfoAsync()).UsedBytes!.Value - beforeDedup;
        var bigBytes = Encoding.UTF8.GetByteCount(big);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {Repeats} x {bigBytes / 1e6:0.00} MB tool output: {dedupBytes / 1e6:0.00} MB on disk"));

        return
        [
            new ResultRow("Bytes on disk per message (with search index)", null, "the message's JSON text", null, perMessage / rawPerMessage, string.Create(CultureInfo.InvariantCulture, $"ratio <= {TargetRatio:0.0}"), perMessage / rawPerMessage <= TargetRatio),
            new ResultRow($"{Repeats} x the same 1 MB tool output", null, "one copy of it", null, dedupBytes / (double)bigBytes, "about 1x, not 100x", dedupBytes < 2.0 * bigBytes),
        ];
    }
}
