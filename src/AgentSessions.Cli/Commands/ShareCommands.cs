using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AgentSessions.Cli.Output;
using AgentSessions.Formats;
using AgentSessions.Sharing;
using AgentSessions.Sqlite;
using Spectre.Console;

namespace AgentSessions.Cli.Commands;

/// <summary>share, shares, unshare, fork-share.</summary>
internal static class ShareCommands
{
    public static void AddTo(RootCommand root)
    {
        root.Add(Share());
        root.Add(Shares());
        root.Add(Unshare());
        root.Add(ForkShare());
    }

    private static Option<string?> PasswordOption(string description)
        => new("--password") { Description = description + "; '-' reads it from the first line of stdin (keeps it out of shell history)", HelpName = "P" };

    private static Command Share()
    {
        var id = SessionCommands.IdArgument();
        var visibility = new Option<string>("--visibility")
        {
            Description = "public (listed on /public), unlisted (anyone with the link) or private (link and password)",
            DefaultValueFactory = _ => "unlisted",
        };
        visibility.AcceptOnlyFromAmong("public", "unlisted", "private");
        var password = PasswordOption("The password of a private share");
        var expires = new Option<string?>("--expires") { Description = "Stop working after this long: 30m, 12h, 7d, 2w (default: never)", HelpName = "DURATION" };
        var noFork = new Option<bool>("--no-fork") { Description = "Do not let viewers fork (download) the session" };
        var noHistory = new Option<bool>("--no-history") { Description = "Show only the title and the final answer" };
        var baseUrl = new Option<string?>("--base-url") { Description = "The server's address for the printed link (default: the running 'agent-sessions serve')", HelpName = "URL" };
        var json = SessionCommands.JsonOption();
        var command = new Command("share", "Make a share link to a session; prints its URL") { id, visibility, password, expires, noFork, noHistory, baseUrl, json };
        command.SetAction(async (parse, ct) =>
        {
            var request = new ShareRequest
            {
                Visibility = ParseVisibility(parse.GetValue(visibility)!),
                Password = ReadPassword(parse.GetValue(password)),
                ExpiresIn = parse.GetValue(expires) is { } text ? Durations.Parse(text, "--expires") : null,
                AllowFork = !parse.GetValue(noFork),
                ShowHistory = !parse.GetValue(noHistory),
            };
            await using var service = CliApp.OpenService(parse);
            var share = await service.CreateShareAsync(parse.GetValue(id)!, request, ct);
            var root = parse.GetValue(baseUrl) is { } given ? NormalizeBase(given) : RunningServerUrl(parse);
            var url = (root ?? "") + "/s/" + share.Token;
            if (parse.GetValue(json))
            {
                WriteShareJson(share, root);
                return ExitCodes.Success;
            }

            // The link on stdout for scripts; what it allows on stderr.
            Console.Out.WriteLine(url);
            Console.Error.WriteLine($"{Name(share.Visibility)} link to {share.SessionId}; {(share.ExpiresAt is { } at ? "expires " + ConsoleOutput.Time(at) : "never expires")}; "
                + $"{(share.AllowFork ? "forking allowed" : "no forking")}; {(share.ShowHistory ? "whole conversation" : "final answer only")}");
            if (root is null)
            {
                Console.Error.WriteLine("no server is running: start 'agent-sessions serve' and open the path above on its address (or pass --base-url URL)");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Shares()
    {
        var id = new Argument<string?>("ID") { Description = "Only the links to this session", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "Include revoked links" };
        var json = SessionCommands.JsonOption();
        var command = new Command("shares", "List share links, newest first") { id, all, json };
        command.SetAction(async (parse, ct) =>
        {
            await using var service = CliApp.OpenService(parse);
            var sessionId = parse.GetValue(id);
            if (sessionId is not null)
            {
                await service.GetAsync(sessionId, ct);
            }

            var shares = await service.ListSharesAsync(sessionId, parse.GetValue(all), ct);
            var root = RunningServerUrl(parse);
            if (parse.GetValue(json))
            {
                WriteSharesJson(shares, root);
                return ExitCodes.Success;
            }

            if (shares.Count == 0)
            {
                AnsiConsole.MarkupLine("[grey]No share links. Make one with 'agent-sessions share ID'.[/]");
                return ExitCodes.Success;
            }

            // Two lines per link rather than a table: a link is too long to share a row in 80 columns.
            var now = DateTimeOffset.UtcNow;
            foreach (var share in shares)
            {
                var state = State(share, now);
                // Plain lines: the terminal wraps them, and a link is never broken by our own wrapping.
                Console.Out.WriteLine((root ?? "") + "/s/" + share.Token + (state == "active" ? "" : $" ({state})"));
                Console.Out.WriteLine("  " + string.Join(" · ",
                    share.SessionId,
                    Name(share.Visibility),
                    share.ExpiresAt is { } at ? "expires " + ConsoleOutput.Time(at) : "never expires",
                    share.AllowFork ? "forking allowed" : "no forking",
                    share.ShowHistory ? "whole conversation" : "final answer only",
                    "made " + ConsoleOutput.Time(share.CreatedAt)));
            }

            if (root is null)
            {
                Console.Error.WriteLine("links are relative to the server's address; start 'agent-sessions serve' to open them");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Unshare()
    {
        var token = new Argument<string>("TOKEN") { Description = "The link's token, or the whole link" };
        var command = new Command("unshare", "Revoke a share link (it answers 404 from then on)") { token };
        command.SetAction(async (parse, ct) =>
        {
            var value = TokenOf(parse.GetValue(token)!);
            await using var service = CliApp.OpenService(parse);
            if (!await service.RevokeShareAsync(value, ct))
            {
                throw new AgentSessionsException(ErrorCode.NotFound, $"no active share link '{value}'; run 'agent-sessions shares' to list them");
            }

            Console.Error.WriteLine($"revoked {value}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command ForkShare()
    {
        var url = new Argument<string>("URL") { Description = "The share link (http://host/s/TOKEN)" };
        var password = PasswordOption("The password of a private share");
        var command = new Command("fork-share", "Copy a shared session into this store as a new session, recording where it came from") { url, password };
        command.SetAction(async (parse, ct) =>
        {
            var link = CleanShareUrl(parse.GetValue(url)!);
            var secret = ReadPassword(parse.GetValue(password));
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
            using var request = new HttpRequestMessage(HttpMethod.Post, link + "/export");
            // The password goes in the body, never in the URL (URLs end up in logs and histories).
            request.Content = new StringContent(secret is null ? "{}" : JsonSerializer.Serialize(new Dictionary<string, string> { ["password"] = secret }, ForkJson.Default.DictionaryStringString), Encoding.UTF8, "application/json");
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            }
            catch (HttpRequestException e)
            {
                return Fail($"cannot reach {link}: {e.Message}", ExitCodes.Failure);
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                return Fail($"{link} did not answer within 2 minutes", ExitCodes.Failure);
            }

            using (response)
            {
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    return await RefusedAsync(response, link, secret is not null, ct);
                }

                await using var body = await response.Content.ReadAsStreamAsync(ct);
                // Keep what a share is (SharedView) whatever the server sent: an older one handed out the owner's
                // metadata, project path and history as well, and none of that belongs in the reader's store.
                var archive = SharedView.Of(await SessionJsonFormat.ReadAsync(body, link, ct));
                var metadata = new Dictionary<string, JsonElement>
                {
                    ["forkedFrom"] = JsonSerializer.SerializeToElement(
                        new Dictionary<string, string>
                        {
                            ["url"] = link,
                            ["forkedAt"] = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                        },
                        ForkJson.Default.DictionaryStringString),
                };
                // One atomic import under a new id; the parent lives in another store, so lineage goes to metadata
                // instead of ParentId (which must name a session of this store). The link is the lineage: a share
                // does not hand out the owner's session id.
                var fork = archive.Session with { Id = SessionIds.NewSessionId(), Metadata = metadata };
                await using var service = CliApp.OpenService(parse);
                var stored = await service.ImportArchiveAsync(archive with { Session = fork }, replace: false, cancellationToken: ct);
                Console.Out.WriteLine(stored.Id);
                Console.Error.WriteLine($"forked '{TerminalText.NeutralizeLine(stored.Title ?? "(untitled)")}' ({stored.MessageCount} messages) from {link} as {stored.Id}");
                return ExitCodes.Success;
            }
        });
        return command;
    }

    private static async Task<int> RefusedAsync(HttpResponseMessage response, string link, bool gavePassword, CancellationToken ct)
    {
        string? detail = null;
        try
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            using var document = JsonDocument.Parse(text);
            detail = document.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
        }
        catch (JsonException)
        {
            // Not our server's JSON error; the status says enough.
        }

        return response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => Fail(gavePassword ? "wrong password for this share link" : "this share link is private: add --password P", ExitCodes.InvalidInput),
            HttpStatusCode.Forbidden => Fail("the owner of this share link does not allow forking it", ExitCodes.Failure),
            HttpStatusCode.NotFound => Fail($"no such share link: {link} was revoked or never existed", ExitCodes.NotFound),
            HttpStatusCode.Gone => Fail($"the share link {link} has expired; ask its owner for a new one", ExitCodes.NotFound),
            HttpStatusCode.TooManyRequests => Fail(
                "too many wrong passwords for this link; try again "
                + (response.Headers.RetryAfter?.Delta is { } wait ? $"in {Math.Ceiling(wait.TotalSeconds)} seconds" : "later"),
                ExitCodes.Failure),
            _ => Fail($"{link} answered HTTP {(int)response.StatusCode}{(detail is null ? "" : ": " + detail)}", ExitCodes.Failure),
        };
    }

    private static int Fail(string message, int exitCode)
    {
        Console.Out.Flush();
        // The message may quote the remote server's own error text: one line, whatever it holds.
        Console.Error.WriteLine($"agent-sessions: error: {TerminalText.NeutralizeLine(message)}");
        return exitCode;
    }

    /// <summary>The share link as given, minus anything that must not be stored: user info, query and fragment.</summary>
    internal static string CleanShareUrl(string text)
    {
        if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"'{text}' is not a share link; expected http(s)://HOST/s/TOKEN");
        }

        var path = uri.AbsolutePath.TrimEnd('/');
        var slash = path.LastIndexOf("/s/", StringComparison.Ordinal);
        if (slash < 0 || !ShareService.IsWellFormedToken(path[(slash + 3)..]))
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"'{text}' is not a share link; expected http(s)://HOST/s/TOKEN");
        }

        return uri.GetComponents(UriComponents.SchemeAndServer, UriFormat.UriEscaped) + path;
    }

    private static string TokenOf(string text)
    {
        var trimmed = text.Trim().TrimEnd('/');
        var slash = trimmed.LastIndexOf("/s/", StringComparison.Ordinal);
        return slash >= 0 ? trimmed[(slash + 3)..] : trimmed;
    }

    private static string? ReadPassword(string? value)
    {
        if (value != "-")
        {
            return value;
        }

        var line = Console.In.ReadLine();
        return string.IsNullOrEmpty(line) ? throw new AgentSessionsException(ErrorCode.InvalidArgument, "--password -: no password on stdin") : line;
    }

    private static ShareVisibility ParseVisibility(string text) => text switch
    {
        "public" => ShareVisibility.Public,
        "private" => ShareVisibility.Private,
        _ => ShareVisibility.Unlisted,
    };

    private static string Name(ShareVisibility visibility) => visibility switch
    {
        ShareVisibility.Public => "public",
        ShareVisibility.Unlisted => "unlisted",
        _ => "private",
    };

    private static string State(Share share, DateTimeOffset now)
        => share.RevokedAt is not null ? "revoked" : share.ExpiresAt is { } at && at <= now ? "expired" : "active";

    private static string NormalizeBase(string text)
        => Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped).TrimEnd('/')
            : throw new AgentSessionsException(ErrorCode.InvalidArgument, $"--base-url '{text}' is not an http(s) URL");

    /// <summary>The address a running <c>agent-sessions serve</c> recorded in the store's server.json, if any.</summary>
    private static string? RunningServerUrl(ParseResult parse)
    {
        var path = Path.Combine(CliApp.StoreDirectory(parse), "server.json");
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            return document.RootElement.TryGetProperty("url", out var url) && url.ValueKind == JsonValueKind.String && url.GetString() is { Length: > 0 } text
                ? NormalizeBase(text)
                : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or AgentSessionsException)
        {
            // No server (or an unreadable note of one): the caller prints the path and says how to start it.
            return null;
        }
    }

    private static void WriteSharesJson(IReadOnlyList<Share> shares, string? root)
    {
        var now = DateTimeOffset.UtcNow;
        using var writer = JsonOutput.CreateWriter();
        writer.WriteStartArray();
        foreach (var share in shares)
        {
            WriteShareJson(writer, share, root, now);
        }

        writer.WriteEndArray();
        writer.Flush();
        Console.Out.WriteLine();
    }

    private static void WriteShareJson(Share share, string? root)
    {
        using var writer = JsonOutput.CreateWriter();
        WriteShareJson(writer, share, root, DateTimeOffset.UtcNow);
        writer.Flush();
        Console.Out.WriteLine();
    }

    /// <summary>The share as stored (never its password hash), plus its link and whether it still works.</summary>
    private static void WriteShareJson(Utf8JsonWriter writer, Share share, string? root, DateTimeOffset now)
    {
        writer.WriteStartObject();
        foreach (var property in JsonSerializer.SerializeToElement(share, AgentSessionsJson.Context.Share).EnumerateObject())
        {
            property.WriteTo(writer);
        }

        writer.WriteString("url", (root ?? "") + "/s/" + share.Token);
        writer.WriteString("state", State(share, now));
        writer.WriteEndObject();
    }
}

/// <summary>Source-generated JSON for the little fork-share writes itself (the CLI is trimmed-friendly).</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class ForkJson : System.Text.Json.Serialization.JsonSerializerContext;
