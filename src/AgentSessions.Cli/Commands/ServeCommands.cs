using System.CommandLine;
using AgentSessions.Server.Http;
using AgentSessions.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentSessions.Cli.Commands;

/// <summary>serve: the HTTP API (and the web pages) on loopback until Ctrl+C or SIGTERM.</summary>
internal static class ServeCommands
{
    public static void AddTo(RootCommand root) => root.Add(Serve());

    private static Command Serve()
    {
        var urls = new Option<string>("--urls")
        {
            Description = "Where to listen, ';'-separated; port 0 picks a free port",
            HelpName = "URL",
            DefaultValueFactory = _ => "http://127.0.0.1:8765",
        };
        var allowRemote = new Option<bool>("--allow-remote") { Description = "Allow listening on a non-loopback address (other machines could then reach the API; it still needs the token)" };
        var mcpAllowWrite = new Option<bool>("--mcp-allow-write") { Description = "Offer the MCP write tools (add_note, bookmark, tag) at /api/mcp too; without it MCP clients only read (see docs/mcp.md)" };
        var command = new Command("serve", "Serve the HTTP API and the web viewer on 127.0.0.1 until Ctrl+C; prints the URL, a one-time login link for the web viewer and the API token") { urls, allowRemote, mcpAllowWrite };
        command.SetAction(async (parse, ct) =>
        {
            // The directory CliApp.OpenService opens: the token and server.json live beside the database.
            var storeDirectory = CliApp.StoreDirectory(parse);
            var options = new ServerOptions
            {
                StoreDirectory = storeDirectory,
                Urls = [.. parse.GetValue(urls)!.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                AllowRemote = parse.GetValue(allowRemote),
                McpAllowWrite = parse.GetValue(mcpAllowWrite),
            };

            await using var service = CliApp.OpenService(parse);
            var tokenExisted = File.Exists(options.TokenPath);
            await using var app = ServerHost.Build(options, service);
            await app.StartAsync(ct);
            var bound = ServerHost.BoundUrls(app);
            if (!options.AllowRemote && bound.FirstOrDefault(u => !ServerHost.IsLoopbackUrl(u)) is { } remote)
            {
                // Configuration (an environment variable, say) added an endpoint past the --urls check: stop before anyone connects.
                await app.StopAsync(CancellationToken.None);
                throw new AgentSessionsException(ErrorCode.InvalidArgument, $"refusing to serve on '{remote}' (set by the environment's Kestrel configuration): it is not a loopback address; pass --allow-remote if that is intended");
            }

            var token = app.Services.GetRequiredService<ServerOptions>().ApiToken;
            foreach (var url in bound)
            {
                Console.Out.WriteLine($"listening on {url}");
            }

            // The owner pages need a login: a one-time URL now, and the next one each time a browser uses the last
            // (subscribed first, so that even a login in the next instant gets its successor printed).
            var login = app.Services.GetRequiredService<OwnerLogin>();
            var pagesUrl = PagesUrl(bound);
            login.LoginTokenUsed += (_, _) =>
            {
                Console.Out.WriteLine($"web viewer login used; next login link: {login.NewLoginUrl(pagesUrl)}");
                Console.Out.Flush();
            };
            Console.Out.WriteLine($"web viewer (this link works once): {login.NewLoginUrl(pagesUrl)}");
            Console.Out.WriteLine($"api token: {token}");
            Console.Out.WriteLine($"token {(tokenExisted ? "read from" : "generated and stored in")} {options.TokenPath} (mode 0600); send it as 'Authorization: Bearer <token>'");
            Console.Out.WriteLine("press Ctrl+C to stop");
            Console.Out.Flush();

            await app.WaitForShutdownAsync(ct);
            Console.Out.WriteLine("stopped");
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Where the owner pages answer: a loopback address (they refuse every other).</summary>
    private static string PagesUrl(IReadOnlyList<string> bound)
    {
        if (bound.FirstOrDefault(ServerHost.IsLoopbackUrl) is { } loopback)
        {
            return loopback;
        }

        // A wildcard binding (--allow-remote with 0.0.0.0 or [::]) takes loopback connections too.
        foreach (var url in bound)
        {
            if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Host is "0.0.0.0" or "[::]")
            {
                return $"{uri.Scheme}://127.0.0.1:{uri.Port}";
            }
        }

        return bound.FirstOrDefault() ?? "http://127.0.0.1:8765";
    }
}
