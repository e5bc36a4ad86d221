using AgentSessions.Benchmarks.Shared;
using AgentSessions.Sqlite;
using AgentSessions.Storage;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>Loading a whole 1,000-message session, the way a chat UI opens a conversation.</summary>
public static class LoadBench
{
    public const int Messages = 1_000;
    public const double TargetMs = 1.5;

    private const int WarmupRounds = 30;
    private const int Rounds = 1_000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(20);

    public static async Task<IReadOnlyList<ResultRow>> RunAsync(TempRoot temp, TextWriter output)
    {
        output.WriteLine($"Load: filling a session of {Messages:N0} messages...");
        await using var store = SqliteSessionStore.Open(temp.Directory("load-store"));
        await Fixtures.CreateSessionAsync(store, "load", Messages);
        using var raw = new RawReader(store.Options.DatabasePath);

        // Check once that both sides read what they claim to, so a fast number cannot come from an empty read.
        var check = await LoadAsync(store);
        if (check.Count != Messages || raw.Messages("load").Count != Messages)
        {
            throw new InvalidOperationException($"expected {Messages} messages, the store read {check.Count}");
        }

        var stats = await Interleaved.MeasureAsync(
            WarmupRounds,
            Rounds,
            Budget,
            () => { _ = raw.Messages("load"); return ValueTask.CompletedTask; },
            async () => _ = await LoadAsync(store));

        Report.PrintStats(output, "raw SELECT seq, message_id, text", stats[0]);
        Report.PrintStats(output, $"ReadAsync {Messages:N0} messages", stats[1]);
        return [ResultRow.TimeTarget($"Load {Messages:N0}-message session", stats[1], "raw SELECT of the same rows", stats[0], TargetMs)];
    }

    private static async Task<List<SessionMessage>> LoadAsync(ISessionStore store)
    {
        var messages = new List<SessionMessage>();
        await foreach (var message in store.ReadAsync("load", MessageRange.All))
        {
            messages.Add(message);
        }

        return messages;
    }
}
