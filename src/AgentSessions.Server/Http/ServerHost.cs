using System.Net;
using System.Text.Json;
using AgentSessions.Mcp;
using AgentSessions.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AgentSessions.Server.Http;

/// <summary>
/// Builds the HTTP server: the JSON API under <c>/api</c> (bearer token), the owner's web pages (login cookie, see
/// <see cref="OwnerLogin"/>) and the share pages.
/// The store is opened by the caller and lives as long as the server.
/// </summary>
public static class ServerHost
{
    /// <summary>The Content-Security-Policy sent with every response: no inline script, nothing from elsewhere.</summary>
    public const string ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>Where the MCP tools answer over HTTP (behind the API token).</summary>
    public const string McpPath = "/api/mcp";

    /// <summary>Builds the application (not yet started).</summary>
    /// <remarks>
    /// Resolves the API token (<see cref="ServerOptions.ApiToken"/>, else the token file, created on first start);
    /// once started, the application records its URL in <see cref="ServerOptions.ServerInfoPath"/> and removes it
    /// when it stops.
    /// </remarks>
    /// <exception cref="AgentSessionsException">
    /// <see cref="ErrorCode.InvalidArgument"/> for a URL that is not loopback without <see cref="ServerOptions.AllowRemote"/>,
    /// or that Kestrel cannot bind; <see cref="ErrorCode.Corrupt"/> for an unusable token file.
    /// </exception>
    public static WebApplication Build(ServerOptions options, SessionService service)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(service);
        ValidateUrls(options);
        options = options with { ApiToken = options.ApiToken ?? ApiTokenFile.LoadOrCreate(options.TokenPath).Token };
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            // Production whatever the environment says: the developer exception page would show stack traces.
            EnvironmentName = Environments.Production,
            // Not the working directory: an appsettings.json there could add Kestrel endpoints past the loopback check.
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls([.. options.Urls]);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(service);
        builder.Services.AddSingleton(new OwnerLogin());
        // The MCP tools of `agent-sessions mcp` (docs/mcp.md) over streamable HTTP, stateless, under /api so that
        // the API's bearer token guards them like every other endpoint.
        builder.Services.AddAgentSessionsMcpServer().WithHttpTransport().WithAgentSessions(new McpServerSettings
        {
            AllowWrite = options.McpAllowWrite,
            AllowWriteCommand = "agent-sessions serve --mcp-allow-write",
        });
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.XFrameOptions = "DENY";
            await next(context);
        });
        ApiEndpoints.Map(app);
        app.MapMcp(McpPath);
        PageEndpoints.Map(app);
        RecordServerInfo(app, options);
        return app;
    }

    /// <summary>The addresses the started application listens on, with the ports Kestrel picked for port 0.</summary>
    public static IReadOnlyList<string> BoundUrls(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
    }

    /// <summary>Whether a URL binds only a loopback interface: <c>localhost</c> or a loopback IP literal.</summary>
    /// <remarks>Kestrel binds every interface for anything else (<c>*</c>, <c>+</c>, <c>0.0.0.0</c>, a host name).</remarks>
    public static bool IsLoopbackUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return false;
        }

        return uri.IsLoopback && (uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
                                  || (IPAddress.TryParse(uri.DnsSafeHost, out var address) && IPAddress.IsLoopback(address)));
    }

    private static void ValidateUrls(ServerOptions options)
    {
        if (options.Urls.Count == 0)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, "no URL to listen on; pass --urls http://127.0.0.1:8765");
        }

        foreach (var url in options.Urls)
        {
            if (!options.AllowRemote && !IsLoopbackUrl(url))
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, $"refusing to listen on '{url}': it is not a loopback address, and sessions are private; use http://127.0.0.1:PORT, or pass --allow-remote if other machines really should reach this server");
            }

            if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Port == 0 && uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            {
                // Kestrel would fail at start with an exception; say it up front.
                throw new AgentSessionsException(ErrorCode.InvalidArgument, $"cannot pick a free port for '{url}': use http://127.0.0.1:0 instead of localhost");
            }
        }
    }

    /// <summary>Writes server.json (0600, atomically) once the ports are known, and removes it on a clean stop.</summary>
    private static void RecordServerInfo(WebApplication app, ServerOptions options)
    {
        string? recorded = null;
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var url = BoundUrls(app).FirstOrDefault();
            if (url is null)
            {
                return;
            }

            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                writer.WriteStartObject();
                writer.WriteString("url", url);
                writer.WriteNumber("pid", Environment.ProcessId);
                writer.WriteEndObject();
            }

            recorded = System.Text.Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
            PrivateFile.Write(options.ServerInfoPath, recorded, overwrite: true);
        });
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            try
            {
                // Only our own record: a second server on the same store may have written its URL since.
                if (recorded is not null && File.Exists(options.ServerInfoPath) && File.ReadAllText(options.ServerInfoPath) == recorded)
                {
                    File.Delete(options.ServerInfoPath);
                }
            }
            catch (IOException)
            {
                // A stale file names a URL nobody answers on; readers cope with that.
            }
        });
    }
}
