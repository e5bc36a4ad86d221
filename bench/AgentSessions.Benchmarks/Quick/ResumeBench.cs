using System.Globalization;
using System.Text.Json;
using AgentSessions.Benchmarks.Shared;
using AgentSessions.Sqlite;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>
/// Resuming a coding session of 1,320 and 10,320 messages over <c>agent-sessions rpc</c> from a Python client,
/// against the OpenAI Agents SDK's <c>SQLiteSession.get_items()</c> reading the same conversation in-process.
/// </summary>
/// <remarks>
/// Both sides are Python 3 scripts in bench/AgentSessions.Benchmarks/Resume, run by this measurement:
/// <c>rpc_load.py</c> spawns the published CLI's <c>rpc</c> and times <c>session.load</c> from writing the
/// request to having the response parsed into Python objects; <c>peer_sqlite_session.py</c> is a faithful
/// re-implementation of the SDK's SQLite session (PyPI is not reachable here) and times <c>get_items()</c>.
/// Each side times warm loads on one connection; the two alternate, twice, and their samples are pooled. The
/// store is filled through the library (batches of 500), the peer's database by its own <c>add_items</c>.
/// Without python3 the rows say so and are skipped.
/// </remarks>
public static class ResumeBench
{
    public static readonly int[] Lengths = [1_320, 10_320];
    public const double MaxRatio = 1.0;
    private const string Name = "Resume over RPC (Python client)";
    private const string Peer = "OpenAI Agents SQLiteSession.get_items(), in-process";

    /// <summary>The forms of session.load measured: the default, and what the extra params ask for.</summary>
    private static readonly (string Label, string Params)[] Forms = [("full", "{}"), ("compact", """{"compact":true}"""), ("compact, streamed", """{"compact":true,"partialResultToken":"load"}""")];

    public static async Task<IReadOnlyList<ResultRow>> RunAsync(TempRoot temp, TextWriter output)
    {
        var root = QuickOptions.FindRepositoryRoot();
        var scripts = root is null ? null : Path.Combine(root, "bench", "AgentSessions.Benchmarks", "Resume");
        var python = Python();
        if (python is null || scripts is null)
        {
            var why = python is null ? "python3 not found" : "no repository above the bench binary";
            output.WriteLine($"Resume over RPC: skipped ({why})");
            return [new ResultRow(Name, null, $"skipped: {why}", null, double.NaN, "-", true)];
        }

        if (CliBuild.Dll(temp.Path, output, "Resume over RPC") is not { } dll)
        {
            return [];
        }

        var rows = new List<ResultRow>();
        foreach (var length in Lengths)
        {
            output.WriteLine($"Resume over RPC: a coding session of {length:N0} messages...");
            var directory = temp.Directory($"resume-store-{length}");
            var messages = CodingConversation.Messages(length / CodingConversation.MessagesPerTurn);
            var id = $"resume-{length}";
            await using (var store = SqliteSessionStore.Open(directory))
            {
                await store.CreateAsync(new NewSession { Id = id, Title = "coding session", Model = CodingConversation.Model });
                foreach (var batch in messages.Chunk(500))
                {
                    await store.AppendAsync(id, batch);
                }
            }

            var items = Path.Combine(temp.Directory($"resume-peer-{length}"), "items.jsonl");
            await File.WriteAllLinesAsync(items, CodingConversation.OpenAiItems(messages));
            var peerDb = Path.Combine(Path.GetDirectoryName(items)!, "agents.db");

            // Warm means after the first load; a few more untimed loads let the server's JIT finish tiering up its
            // hot loops (the first ten loads of 10,320 messages cost up to three times the CPU of later ones).
            var (rounds, warmup) = length <= 2_000 ? (25, 10) : (8, 5);
            var peer = new Sample();
            var forms = Forms.Select(_ => new Sample()).ToArray();
            for (var pass = 0; pass < 2; pass++)
            {
                if (!peer.Add(Run(python, output, [Path.Combine(scripts, "peer_sqlite_session.py"), peerDb, items, Num(rounds), Num(warmup)]), "items"))
                {
                    return rows;
                }

                for (var f = 0; f < Forms.Length; f++)
                {
                    if (!forms[f].Add(Run(python, output, [Path.Combine(scripts, "rpc_load.py"), id, Num(rounds), Num(warmup), Forms[f].Params, "dotnet", dll, "rpc", "--store", directory]), "messages")
                        || forms[f].Count != length)
                    {
                        output.WriteLine($"  session.load ({Forms[f].Label}) returned {forms[f].Count} messages, expected {length}; skipped");
                        return rows;
                    }
                }
            }

            var peerStats = Stats.From(peer.Samples);
            Report.PrintStats(output, $"peer get_items(), {peer.Count:N0} items ({peer.BytesPerItem:0} B/item)", peerStats);
            for (var f = 0; f < Forms.Length; f++)
            {
                var stats = Stats.From(forms[f].Samples);
                var perMessage = forms[f].Bytes / (double)length;
                Report.PrintStats(output, $"session.load {Forms[f].Label}, {length:N0} ({perMessage:0} B/message)", stats);
                var baseline = string.Create(CultureInfo.InvariantCulture, $"{Peer} ({perMessage:0} B/msg over RPC; peer {peer.BytesPerItem:0} B/item, {peer.Count:N0} items)");
                var name = $"{Name}, {length:N0} msgs, {Forms[f].Label}";
                rows.Add(f == Forms.Length - 1
                    ? ResultRow.RatioTarget(name, stats, baseline, peerStats, MaxRatio)
                    : ResultRow.Info(name, stats, baseline, peerStats));
            }
        }

        return rows;
    }

    private static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string? Python()
    {
        try
        {
            return CliBuild.Run("python3", ["--version"]).Code == 0 ? "python3" : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static JsonElement? Run(string python, TextWriter output, string[] args)
    {
        var (code, text) = CliBuild.Run(python, args);
        var line = text.Split('\n').LastOrDefault(l => l.StartsWith('{'));
        if (code != 0 || line is null)
        {
            output.WriteLine($"  {Path.GetFileName(args[0])} failed (exit {code}); skipped:\n{text}");
            return null;
        }

        return JsonDocument.Parse(line).RootElement.Clone();
    }

    private sealed class Sample
    {
        public List<double> Samples { get; } = [];

        public int Count { get; private set; }

        public long Bytes { get; private set; }

        public double BytesPerItem => Bytes / (double)Math.Max(1, Count);

        public bool Add(JsonElement? result, string countName)
        {
            if (result is not { } r)
            {
                return false;
            }

            Samples.AddRange(r.GetProperty("samples_ms").EnumerateArray().Select(s => s.GetDouble()));
            Count = r.GetProperty(countName).GetInt32();
            Bytes = r.GetProperty("bytes").GetInt64();
            return true;
        }
    }
}
