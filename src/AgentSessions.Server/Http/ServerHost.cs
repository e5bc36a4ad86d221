using AgentSessions.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AgentSessions.Server.Http;

/// <summary>
/// Builds the HTTP server: the JSON API under <c>/api</c> (bearer token), the web viewer and the share pages.
/// The store is opened by the caller and lives as long as the server.
/// </summary>
public static class ServerHost
{
    /// <summary>The Content-Security-Policy sent with every response: no inline script, nothing from elsewhere.</summary>
    public const string ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>Builds the application (not yet started).</summary>
    public static WebApplication Build(ServerOptions options, ISessionStore store)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls([.. options.Urls]);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(new SessionService(store));
        builder.Services.AddSingleton(new Sharing.ShareService(store));
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
        PageEndpoints.Map(app);
        return app;
    }
}
