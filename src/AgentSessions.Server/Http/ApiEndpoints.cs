using System.Globalization;
using System.Text.Json;
using AgentSessions.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AgentSessions.Server.Http;

/// <summary>The JSON API under <c>/api</c>: the CLI's operations over HTTP, behind a bearer token (see docs/http-api.md).</summary>
internal static partial class ApiEndpoints
{
    private const string JsonContentType = "application/json; charset=utf-8";

    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<ServerOptions>();
        var token = options.ApiToken ?? throw new InvalidOperationException("the API token must be resolved before the endpoints are mapped");
        app.Use((context, next) => context.Request.Path.StartsWithSegments("/api") ? GuardAsync(context, next, token) : next(context));

        var api = new Handlers(app.Services.GetRequiredService<SessionService>());
        app.MapGet("/api/info", api.Info);
        app.MapGet("/api/stats", api.Stats);
        app.MapGet("/api/doctor", context => api.Doctor(context, repair: false));
        app.MapPost("/api/doctor", context => api.Doctor(context, repair: true));
        app.MapGet("/api/search", api.Search);
        app.MapPost("/api/import", api.Import);
        app.MapGet("/api/sessions", api.List);
        app.MapPost("/api/sessions", api.Create);
        app.MapGet("/api/sessions/{id}", api.Get);
        app.MapMethods("/api/sessions/{id}", ["PATCH"], api.Patch);
        app.MapDelete("/api/sessions/{id}", api.Delete);
        app.MapGet("/api/sessions/{id}/messages", api.Messages);
        app.MapPost("/api/sessions/{id}/messages", api.Append);
        app.MapGet("/api/sessions/{id}/export", api.Export);
        app.MapPost("/api/sessions/{id}/fork", api.Fork);
        app.MapGet("/api/sessions/{id}/snapshots", api.Snapshots);
        app.MapPost("/api/sessions/{id}/snapshots", api.Snapshot);
        app.MapPost("/api/sessions/{id}/snapshots/{name}/restore", api.Restore);
        app.MapPost("/api/sessions/{id}/undo", context => api.Step(context, undo: true));
        app.MapPost("/api/sessions/{id}/redo", context => api.Step(context, undo: false));
        app.MapGet("/api/sessions/{id}/bookmarks", api.Bookmarks);
        app.MapPost("/api/sessions/{id}/bookmarks", api.Bookmark);
        app.MapPost("/api/sessions/{id}/tools", api.Tool);
        app.MapPost("/api/sessions/{id}/files", api.File);
        app.MapGet("/api/sessions/{id}/shares", api.Shares);
        app.MapPost("/api/sessions/{id}/shares", api.CreateShare);
        app.MapGet("/api/shares", api.Shares);
        app.MapDelete("/api/shares/{token}", api.RevokeShare);
        // Catch-all routes rank below every literal route, so this only answers paths the API does not have.
        app.Map("/api/{**rest}", context => throw new AgentSessionsException(ErrorCode.NotFound, $"no API endpoint {context.Request.Method} {context.Request.Path}; see docs/http-api.md"));
    }

    /// <summary>Checks the bearer token, then turns failures into JSON errors: a status and a message, never a stack trace.</summary>
    private static async Task GuardAsync(HttpContext context, RequestDelegate next, string token)
    {
        if (!Authorized(context.Request, token))
        {
            var missing = context.Request.Headers.Authorization.Count == 0;
            // RFC 6750: a bare challenge when no credentials came, invalid_token when wrong ones did.
            context.Response.Headers.WWWAuthenticate = missing ? "Bearer" : "Bearer error=\"invalid_token\"";
            await WriteErrorAsync(context, StatusCodes.Status401Unauthorized, "Unauthorized", missing
                ? "this API needs 'Authorization: Bearer <token>'; the token is printed by 'agent-sessions serve' and stored in the file 'api-token' in the store directory"
                : "wrong API token; use the one printed by 'agent-sessions serve' (stored in 'api-token' in the store directory)");
            return;
        }

        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nobody is left to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            var (status, code, message) = Describe(e, context);
            if (status == StatusCodes.Status503ServiceUnavailable)
            {
                context.Response.Headers.RetryAfter = "1";
            }

            context.Response.Headers.ContentDisposition = default;
            await WriteErrorAsync(context, status, code, message);
        }
        catch (Exception e)
        {
            // Too late for an error status: rethrowing makes Kestrel abort the response, so the client sees it cut short.
            Console.Error.WriteLine($"agent-sessions serve: {context.Request.Method} {context.Request.Path} failed while responding: {e.GetType().Name}: {e.Message}");
            throw;
        }
    }

    /// <summary>Whether the request carries <c>Authorization: Bearer</c> with the API token (once, compared in constant time).</summary>
    internal static bool Authorized(HttpRequest request, string token)
    {
        var header = request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        return request.Headers.Authorization.Count == 1
               && header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase)
               && ApiTokenFile.Matches(header[Scheme.Length..].Trim(), token);
    }

    private static (int Status, string Code, string Message) Describe(Exception exception, HttpContext context)
    {
        switch (exception)
        {
            case AgentSessionsException e:
                return (e.Code switch
                {
                    ErrorCode.InvalidArgument or ErrorCode.InvalidId => StatusCodes.Status400BadRequest,
                    ErrorCode.NotFound => StatusCodes.Status404NotFound,
                    ErrorCode.Conflict => StatusCodes.Status409Conflict,
                    ErrorCode.TooLarge => StatusCodes.Status413PayloadTooLarge,
                    ErrorCode.Busy => StatusCodes.Status503ServiceUnavailable,
                    ErrorCode.StoreFull => StatusCodes.Status507InsufficientStorage,
                    _ => StatusCodes.Status500InternalServerError,
                }, e.Code.ToString(), ErrorHints.ForHttp(e));
            case BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }:
                var limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
                return (StatusCodes.Status413PayloadTooLarge, nameof(ErrorCode.TooLarge), $"the request body is larger than {(limit is { } l ? StoreRules.FormatBytes(l) : "the server accepts")}");
            case BadHttpRequestException e:
                return (e.StatusCode, nameof(ErrorCode.InvalidArgument), e.Message);
            default:
                // The details go to the server's console for its owner, not to the client.
                Console.Error.WriteLine($"agent-sessions serve: {context.Request.Method} {context.Request.Path} failed: {exception.GetType().Name}: {exception.Message}");
                return (StatusCodes.Status500InternalServerError, "Internal", "unexpected server error; the server's console has the details");
        }
    }

    private static Task WriteErrorAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ErrorResponse(new ErrorBody(code, message)), ApiJson.Info<ErrorResponse>(), JsonContentType);
    }

    /// <summary>
    /// The endpoint handlers; each reads its input, calls the service and writes JSON. One partial file per resource
    /// (ApiEndpoints.Sessions.cs, .Messages.cs, ...); this part holds what they share: reading bodies and query parameters, writing JSON.
    /// </summary>
    private sealed partial class Handlers(SessionService service)
    {
        private static readonly IReadOnlyDictionary<string, JsonElement> NoMetadata = new Dictionary<string, JsonElement>();

        private static Task WriteAsync<T>(HttpContext context, T value, int status = StatusCodes.Status200OK)
        {
            context.Response.StatusCode = status;
            return context.Response.WriteAsJsonAsync(value, ApiJson.Info<T>(), JsonContentType, context.RequestAborted);
        }

        private static async Task<T?> ReadAsync<T>(HttpContext context, bool required)
            where T : class
        {
            if (context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
            {
                return required ? throw NoBody() : null;
            }

            try
            {
                return await JsonSerializer.DeserializeAsync(context.Request.Body, ApiJson.Info<T>(), context.RequestAborted)
                       ?? (required ? throw NoBody() : null);
            }
            catch (JsonException e)
            {
                throw BadJson(e, "the body");
            }
        }

        private static async Task<JsonDocument> ReadDocumentAsync(HttpContext context)
        {
            if (context.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
            {
                throw NoBody();
            }

            try
            {
                return await JsonDocument.ParseAsync(context.Request.Body, new JsonDocumentOptions { MaxDepth = 256 }, context.RequestAborted);
            }
            catch (JsonException e)
            {
                throw BadJson(e, "the body");
            }
        }

        private static T Deserialize<T>(JsonElement element, string what)
            where T : class
        {
            try
            {
                return element.Deserialize(ApiJson.Info<T>()) ?? throw new AgentSessionsException(ErrorCode.InvalidArgument, $"{what} is null");
            }
            catch (JsonException e)
            {
                throw BadJson(e, what);
            }
            catch (Exception e) when (e is NotSupportedException or InvalidOperationException)
            {
                // Polymorphic parts without a "type", or strings that are not valid UTF-16, surface as these.
                throw new AgentSessionsException(ErrorCode.InvalidArgument, $"{what} is not valid: every content part needs a \"type\" (text, toolCall, toolResult, data, uri, reasoning) and strings must be valid text", e);
            }
        }

        private static AgentSessionsException BadJson(JsonException e, string what)
        {
            // The serializer's messages name .NET types; say what the client can act on instead.
            var where = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" at {e.Path}";
            var why = e.Message.Contains("could not be mapped", StringComparison.Ordinal) ? "unknown field"
                : e.Message.Contains("invalid role", StringComparison.Ordinal) ? "invalid role; expected one of: user, assistant, system, tool"
                : e.LineNumber is null ? "not the expected JSON" : $"not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}) or not the expected shape";
            return new AgentSessionsException(ErrorCode.InvalidArgument, $"{what}: {why}{where}; see docs/http-api.md", e);
        }

        private static AgentSessionsException NoBody() => new(ErrorCode.InvalidArgument, "this request needs a JSON body; see docs/http-api.md");

        private static string Required(string? value, string name)
            => string.IsNullOrEmpty(value) ? throw new AgentSessionsException(ErrorCode.InvalidArgument, $"'{name}' is required") : value;

        private static string Route(HttpContext context, string name) => (string)context.Request.RouteValues[name]!;

        private static string? Query(HttpContext context, string name)
        {
            var values = context.Request.Query[name];
            return values.Count switch
            {
                0 => null,
                1 => values[0],
                _ => throw new AgentSessionsException(ErrorCode.InvalidArgument, $"query parameter '{name}' is given {values.Count} times"),
            };
        }

        private static int? Int(HttpContext context, string name)
            => Query(context, name) is not { } text ? null
                : int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value
                : throw new AgentSessionsException(ErrorCode.InvalidArgument, $"query parameter '{name}' must be a whole number, not '{text}'");

        private static long? Long(HttpContext context, string name)
            => Query(context, name) is not { } text ? null
                : long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value
                : throw new AgentSessionsException(ErrorCode.InvalidArgument, $"query parameter '{name}' must be a whole number, not '{text}'");

        private static bool? Bool(HttpContext context, string name) => Query(context, name) switch
        {
            null => null,
            "true" or "1" => true,
            "false" or "0" => false,
            var text => throw new AgentSessionsException(ErrorCode.InvalidArgument, $"query parameter '{name}' must be true or false, not '{text}'"),
        };
    }
}
