using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Text.Json;
using AgentSessions.Benchmarks.Shared;
using AgentSessions.Mcp;
using AgentSessions.Sqlite;
using AgentSessions.Storage;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>
/// The MCP server (<c>agent-sessions mcp</c>): <c>search_sessions</c> top 10 over <see cref="QuickOptions.SearchMessages"/>
/// messages beside the store's own search, and the time from spawning the server to its <c>initialize</c> answer
/// beside spawning the same CLI for <c>--version</c>.
/// </summary>
/// <remarks>
/// <para>
/// Server time is timed by a call-tool filter inside the server, around the tool's whole invocation (argument
/// check and binding, the search, the result record and its JSON): what a client waits for less the transport.
/// The round trip through the SDK's client over in-process pipes is shown too. The baseline is
/// <see cref="ISessionStore.SearchAsync"/> with the same query and limit, in the same rounds.
/// </para>
/// <para>
/// The start-up pair runs the Release, ReadyToRun publish of the CLI (as <see cref="CliBench"/>), from process start
/// to the first line on stdout (the answer to <c>initialize</c>) for the server, to exit for <c>--version</c>.
/// </para>
/// </remarks>
public static class McpBench
{
    public const int Limit = 10;
    public const double SearchTargetMs = 50;
    public const double StartTargetMs = 300;

    private const string InitializeRequest = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}""";

    public static async Task<IReadOnlyList<ResultRow>> RunAsync(TempRoot temp, TextWriter output, int totalMessages)
    {
        var rows = new List<ResultRow>();
        rows.AddRange(await SearchAsync(temp, output, totalMessages));
        rows.AddRange(await StartAsync(temp, output));
        return rows;
    }

    private static async Task<IReadOnlyList<ResultRow>> SearchAsync(TempRoot temp, TextWriter output, int totalMessages)
    {
        var directory = temp.Directory("mcp-search-store");
        await Fixtures.CreateEmptyStoreAsync(directory);
        var path = new SqliteStoreOptions(directory).DatabasePath;
        var sessions = totalMessages / SearchBench.MessagesPerSession;
        output.WriteLine($"MCP search: bulk-loading {totalMessages:N0} messages in {sessions:N0} sessions...");
        Fixtures.BulkInsertSessions(path, sessions, 10);
        Fixtures.BulkInsertMessages(path, Enumerable.Range(1, sessions).Select(r => ((long)r, SearchBench.MessagesPerSession)).ToArray());

        await using var store = SqliteSessionStore.Open(directory);
        await using var service = new SessionService(store);
        var toServer = new Pipe();
        var toClient = new Pipe();
        var serverMs = new List<double>();
        var services = new ServiceCollection();
        services.AddSingleton(service);
        services.AddMcpServer()
            .WithStreamServerTransport(toServer.Reader.AsStream(), toClient.Writer.AsStream())
            .WithAgentSessions(new McpServerSettings())
            .WithRequestFilters(filters => filters.AddCallToolFilter(next => async (request, cancellationToken) =>
            {
                var start = Stopwatch.GetTimestamp();
                var result = await next(request, cancellationToken);
                serverMs.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                return result;
            }));
        await using var provider = services.BuildServiceProvider();
        using var stop = new CancellationTokenSource();
        var running = provider.GetRequiredService<McpServer>().RunAsync(stop.Token);
        await using var client = await McpClient.CreateAsync(new StreamClientTransport(toServer.Writer.AsStream(), toClient.Reader.AsStream()));

        async Task<int> ToolSearch(string query)
        {
            var result = await client.CallToolAsync("search_sessions", new Dictionary<string, object?> { ["query"] = query, ["limit"] = Limit });
            return result.IsError is true ? -1 : result.StructuredContent!.Value.GetProperty("hits").GetArrayLength();
        }

        async Task<int> StoreSearch(string query)
        {
            var n = 0;
            await foreach (var hit in store.SearchAsync(new SearchQuery(query) { Limit = Limit }))
            {
                _ = hit.Snippet;
                n++;
            }

            return n;
        }

        if (await ToolSearch(SearchBench.CommonQuery) != Limit || await StoreSearch(SearchBench.CommonQuery) != Limit || await ToolSearch(Fixtures.RareWord) != Limit)
        {
            throw new InvalidOperationException("the MCP search fixture does not return 10 hits");
        }

        // Server times are recorded per call; the last ones are the measured rounds' (warm-up calls come first).
        var commonServer = new List<double>();
        var rareServer = new List<double>();
        var stats = await Interleaved.MeasureAsync(
            3,
            200,
            TimeSpan.FromSeconds(15),
            async () => await StoreSearch(SearchBench.CommonQuery),
            async () => { await ToolSearch(SearchBench.CommonQuery); commonServer.Add(serverMs[^1]); },
            async () => await StoreSearch(Fixtures.RareWord),
            async () => { await ToolSearch(Fixtures.RareWord); rareServer.Add(serverMs[^1]); });
        var common = Stats.From(commonServer[^stats[1].Count..]);
        var rare = Stats.From(rareServer[^stats[3].Count..]);

        await stop.CancelAsync();
        toServer.Writer.Complete();
        await running;

        Report.PrintStats(output, $"SearchAsync '{SearchBench.CommonQuery}' top {Limit} @{totalMessages:N0}", stats[0]);
        Report.PrintStats(output, $"search_sessions '{SearchBench.CommonQuery}', server time", common);
        Report.PrintStats(output, $"search_sessions '{SearchBench.CommonQuery}', round trip in process", stats[1]);
        Report.PrintStats(output, $"SearchAsync rare word top {Limit}", stats[2]);
        Report.PrintStats(output, "search_sessions rare word, server time", rare);
        Report.PrintStats(output, "search_sessions rare word, round trip in process", stats[3]);
        return
        [
            ResultRow.TimeTarget($"MCP search_sessions top {Limit} of {totalMessages:N0} msgs, 2 common words (server time)", common, "store SearchAsync, same query", stats[0], SearchTargetMs),
            ResultRow.TimeTarget($"MCP search_sessions top {Limit} of {totalMessages:N0} msgs, rare word (server time)", rare, "store SearchAsync, same query", stats[2], SearchTargetMs),
            ResultRow.Info($"MCP search_sessions top {Limit}, 2 common words, round trip (SDK client, in process)", stats[1], "store SearchAsync, same query", stats[0]),
        ];
    }

    private static async Task<IReadOnlyList<ResultRow>> StartAsync(TempRoot temp, TextWriter output)
    {
        if (CliBuild.Dll(temp.Path, output, "MCP start-up") is not { } dll)
        {
            return [];
        }

        var directory = temp.Directory("mcp-start-store");
        await Fixtures.CreateEmptyStoreAsync(directory);
        var (code, version) = CliBuild.Run("dotnet", [dll, "--version"]);
        if (code != 0 || !SpawnToInitialize(dll, directory, out _))
        {
            output.WriteLine($"  MCP start-up: --version exit {code} ({version.Trim()}) or no initialize answer: skipped");
            return [];
        }

        var stats = await Interleaved.MeasureAsync(
            2,
            20,
            TimeSpan.Zero,
            20,
            () => { CliBuild.Run("dotnet", [dll, "--version"]); return ValueTask.CompletedTask; },
            () => { SpawnToInitialize(dll, directory, out _); return ValueTask.CompletedTask; });
        Report.PrintStats(output, "agent-sessions --version (whole process)", stats[0]);
        Report.PrintStats(output, "agent-sessions mcp: spawn to initialize answer", stats[1]);
        return [ResultRow.TimeTarget("MCP start: spawn to initialize answer", stats[1], "agent-sessions --version, whole process", stats[0], StartTargetMs)];
    }

    /// <summary>Starts the server, sends <c>initialize</c> and waits for its answer; stops the server untimed after.</summary>
    private static bool SpawnToInitialize(string dll, string store, out string answer)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { dll, "mcp", "--store", store })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        _ = process.StandardError.ReadToEndAsync();
        process.StandardInput.WriteLine(InitializeRequest);
        process.StandardInput.Flush();
        answer = process.StandardOutput.ReadLine() ?? "";
        process.StandardInput.Close();
        process.WaitForExit();
        using var document = JsonDocument.Parse(answer.Length == 0 ? "{}" : answer);
        return document.RootElement.TryGetProperty("result", out var result) && result.TryGetProperty("serverInfo", out _);
    }
}
