using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using AgentSessions.Benchmarks.Shared;
using AgentSessions.Server.Http;
using AgentSessions.Sqlite;
using AgentSessions.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>
/// One long session (4,000 messages, ~28 MB of text: prompts, answers with code, tool calls and large tool results)
/// on the three front ends that used to be unbounded or slow with it: <c>show</c> (total, first byte, and ended by a
/// closed pipe) against <c>export --format markdown</c> of the same session, both as whole processes; the web
/// session page's first page, a share link's first page (<c>/s/{token}</c>) and the message API's default answer,
/// over a real loopback socket, each against a raw SQLite read of the same rows.
/// </summary>
public static class LongSessionBench
{
    public const int Messages = 4_000;
    private const string SessionId = "session-20260101-000000-longsession01";

    // The servers' defaults (PageEndpoints.SessionPageMessages, ApiEndpoints.DefaultMessagePage; internal there).
    private const int PageMessages = 100;
    private const int ApiMessages = 200;

    public static async Task<IReadOnlyList<ResultRow>> RunAsync(TempRoot temp, TextWriter output)
    {
        var directory = temp.Directory("long-store");
        var build = Stopwatch.StartNew();
        long textChars;
        await using (var store = SqliteSessionStore.Open(new SqliteStoreOptions(directory) { Durability = SqliteDurability.Normal }))
        {
            textChars = await FillAsync(store);
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Long session: {Messages:N0} messages, {textChars / 1e6:0.0} M characters of text, built in {build.Elapsed.TotalSeconds:0.0} s"));
        var rows = new List<ResultRow>();
        rows.AddRange(await MeasureHttpAsync(directory, output));
        rows.AddRange(await MeasureCliAsync(temp, directory, output));
        return rows;
    }

    /// <summary>Appends the session through the store in batches of 500 (seconds, not the minutes of one append each).</summary>
    private static async Task<long> FillAsync(SqliteSessionStore store)
    {
        await store.CreateAsync(new NewSession { Id = SessionId, Title = "A long coding session" });
        long chars = 0;
        var batch = new List<NewMessage>(Fixtures.FillBatch);
        for (var i = 0; i < Messages; i++)
        {
            var message = Message(i);
            chars += message.Parts.Sum(p => p switch { TextPart t => t.Text.Length, ToolResultPart r => r.Result?.GetRawText().Length ?? 0, _ => 0 });
            batch.Add(message);
            if (batch.Count == Fixtures.FillBatch)
            {
                await store.AppendAsync(SessionId, batch);
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            await store.AppendAsync(SessionId, batch);
        }

        return chars;
    }

    /// <summary>Every fourth message of each kind: a prompt (~0.7 KB), an answer with code (~6 KB), a tool call, its result (~21 KB).</summary>
    private static NewMessage Message(int i)
    {
        var b = new StringBuilder();
        switch (i % 4)
        {
            case 0:
                b.Append(CultureInfo.InvariantCulture, $"Request {i}: ").Append(BenchText.Get(i)).Append(' ').Append(BenchText.Get(i + 1));
                while (b.Length < 700)
                {
                    b.Append(' ').Append(BenchText.Get(i + b.Length));
                }

                return new NewMessage(MessageRole.User, b.ToString());
            case 1:
                for (var p = 0; b.Length < 3_500; p++)
                {
                    b.Append(BenchText.Get(i + p)).Append(p % 3 == 2 ? "\n\n" : " ");
                }

                b.Append("\n\n```csharp\n");
                for (var line = 0; line < 60; line++)
                {
                    b.Append(CultureInfo.InvariantCulture, $"var value{i}_{line} = Compute({line}, \"{BenchText.Title(i + line)}\");\n");
                }

                b.Append("```\n");
                return new NewMessage(MessageRole.Assistant, b.ToString());
            case 2:
                var arguments = System.Text.Json.JsonDocument.Parse($$"""{"path": "src/File{{i}}.cs"}""").RootElement.Clone();
                return new NewMessage(MessageRole.Assistant, [new ToolCallPart("c" + i, "read_file", arguments)]);
            default:
                for (var line = 0; b.Length < 21_000; line++)
                {
                    b.Append(CultureInfo.InvariantCulture, $"{line,5}  ").Append(BenchText.Get(i + line)).Append('\n');
                }

                var result = System.Text.Json.JsonSerializer.SerializeToElement(b.ToString());
                return new NewMessage(MessageRole.Tool, [new ToolResultPart("c" + (i - 1), result)]);
        }
    }

    private static async Task<IReadOnlyList<ResultRow>> MeasureHttpAsync(string directory, TextWriter output)
    {
        await using var store = SqliteSessionStore.Open(new SqliteStoreOptions(directory) { Durability = SqliteDurability.Normal });
        var service = new SessionService(store);
        var app = ServerHost.Build(new ServerOptions { StoreDirectory = directory, Urls = ["http://127.0.0.1:0"] }, service);
        await app.StartAsync();
        try
        {
            var url = ServerHost.BoundUrls(app)[0];
            using var client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromMinutes(2) };
            // The pages accept the API token as well as the owner's login cookie.
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", app.Services.GetRequiredService<ServerOptions>().ApiToken);
            var pagePath = $"/sessions/{SessionId}";
            // Unlisted: the share page as most links are read (a private one adds only the cookie check).
            var share = await service.CreateShareAsync(SessionId, new Sharing.ShareRequest { Visibility = ShareVisibility.Unlisted });
            var sharePath = $"/s/{share.Token}";
            var apiPath = $"/api/sessions/{SessionId}/messages";
            var wholePath = $"/api/sessions/{SessionId}";
            var pageBytes = (await GetBytesAsync(client, pagePath)).Length;
            var shareBytes = (await GetBytesAsync(client, sharePath)).Length;
            var apiBytes = (await GetBytesAsync(client, apiPath)).Length;
            var wholeBytes = (await GetBytesAsync(client, wholePath)).Length;

            using var raw = RawSqlite.OpenReadOnly(new SqliteStoreOptions(directory).DatabasePath);
            var pageFrom = Messages - PageMessages + 1;
            var apiFrom = Messages - ApiMessages + 1;
            var stats = await Interleaved.MeasureAsync(
                2,
                20,
                TimeSpan.FromSeconds(20),
                5,
                () => { RawRead(raw, pageFrom); return ValueTask.CompletedTask; },
                async () => await GetBytesAsync(client, pagePath),
                async () => await GetBytesAsync(client, sharePath),
                () => { RawRead(raw, apiFrom); return ValueTask.CompletedTask; },
                async () => await GetBytesAsync(client, apiPath),
                () => { RawRead(raw, 1); return ValueTask.CompletedTask; },
                async () => await GetBytesAsync(client, wholePath));
            Report.PrintStats(output, $"raw SQLite, last {PageMessages} rows", stats[0]);
            Report.PrintStats(output, $"session page ({Mb(pageBytes)})", stats[1]);
            Report.PrintStats(output, $"share page ({Mb(shareBytes)})", stats[2]);
            Report.PrintStats(output, $"raw SQLite, last {ApiMessages} rows", stats[3]);
            Report.PrintStats(output, $"messages API default ({Mb(apiBytes)})", stats[4]);
            Report.PrintStats(output, "raw SQLite, all rows", stats[5]);
            Report.PrintStats(output, $"GET /api/sessions/ID, all ({Mb(wholeBytes)})", stats[6]);
            return
            [
                ResultRow.TimeTarget($"long session: web page, default ({PageMessages} of {Messages:N0} msgs, {Mb(pageBytes)})", stats[1], "raw SQLite read of the same rows", stats[0], 300),
                ResultRow.TimeTarget($"long session: share page /s/TOKEN, default ({PageMessages} of {Messages:N0} msgs, {Mb(shareBytes)})", stats[2], "raw SQLite read of the same rows", stats[0], 300),
                ResultRow.TimeTarget($"long session: GET .../messages, default ({ApiMessages} msgs, {Mb(apiBytes)})", stats[4], "raw SQLite read of the same rows", stats[3], 300),
                ResultRow.Info($"long session: GET /api/sessions/ID, every message ({Mb(wholeBytes)}; the old /messages default)", stats[6], "raw SQLite read of every row", stats[5]),
            ];
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>The baseline: the same rows' columns read with one SELECT, no JSON, no HTML, no blobs decompressed.</summary>
    private static void RawRead(SqliteConnection connection, long from)
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT seq, message_id, role, text, parts, author, created_at FROM messages
            WHERE session_row = (SELECT row_id FROM sessions WHERE id = $id) AND seq >= $from ORDER BY seq
            """;
        command.Parameters.AddWithValue("$id", SessionId);
        command.Parameters.AddWithValue("$from", from);
        using var reader = command.ExecuteReader();
        long chars = 0;
        while (reader.Read())
        {
            chars += reader.GetString(3).Length + (reader.IsDBNull(4) ? 0 : reader.GetString(4).Length);
        }

        GC.KeepAlive(chars);
    }

    private static async Task<byte[]> GetBytesAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsByteArrayAsync();
    }

    private static async Task<IReadOnlyList<ResultRow>> MeasureCliAsync(TempRoot temp, string directory, TextWriter output)
    {
        var dll = CliBuild.Dll(temp.Path, output, "Long sessions");
        if (dll is null)
        {
            return [];
        }

        string[] show = [dll, "show", SessionId, "--store", directory];
        string[] export = [dll, "export", SessionId, "--format", "markdown", "--store", directory];
        var check = Run(show, stopAfter: null);
        if (check.ExitCode != 0 || check.Bytes < 20_000_000)
        {
            output.WriteLine($"  show exit {check.ExitCode}, {check.Bytes} bytes: skipped");
            return [];
        }

        var firstBytes = new List<double>();
        var headExit = 0;
        var stats = await Interleaved.MeasureAsync(
            1,
            5,
            TimeSpan.Zero,
            3,
            () => { Run(export, stopAfter: null); return ValueTask.CompletedTask; },
            () => { firstBytes.Add(Run(show, stopAfter: null).FirstByteMs); return ValueTask.CompletedTask; },
            () => { headExit = Run(show, stopAfter: 100).ExitCode; return ValueTask.CompletedTask; });
        var firstByte = Stats.From(firstBytes.Skip(1).ToList()); // without the warm-up round
        Report.PrintStats(output, "export --format markdown (process)", stats[0]);
        Report.PrintStats(output, $"show (process, {Mb(check.Bytes)})", stats[1]);
        Report.PrintStats(output, "show: first byte", firstByte);
        Report.PrintStats(output, $"show | head -c 100 (exit {headExit})", stats[2]);
        return
        [
            ResultRow.RatioTarget($"long session: show, whole process ({Mb(check.Bytes)})", stats[1], "export --format markdown, whole process", stats[0], 1.1),
            ResultRow.RatioTarget("long session: show, first byte", firstByte, "export --format markdown, whole process", stats[0], 0.5),
            ResultRow.RatioTarget($"long session: show | head -c 100, until exit ({headExit})", stats[2], "export --format markdown, whole process", stats[0], 0.5),
        ];
    }

    private readonly record struct Timed(int ExitCode, long Bytes, double FirstByteMs);

    /// <summary>Runs <c>dotnet ARGS</c>, reading stdout; with <paramref name="stopAfter"/>, closes the pipe after that many bytes, as <c>| head -c</c> does.</summary>
    private static Timed Run(string[] args, int? stopAfter)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.BaseStream;
        var buffer = new byte[64 * 1024];
        long total = 0;
        var first = -1.0;
        int n;
        while ((n = stdout.Read(buffer)) > 0)
        {
            if (first < 0)
            {
                first = clock.Elapsed.TotalMilliseconds;
            }

            total += n;
            if (total >= stopAfter)
            {
                break;
            }
        }

        stdout.Close();
        process.WaitForExit();
        _ = stderr.Result;
        return new Timed(process.ExitCode, total, first);
    }

    private static string Mb(long bytes) => bytes >= 1_000_000
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6:0.0} MB")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e3:0} kB");
}
