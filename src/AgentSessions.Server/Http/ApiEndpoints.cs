using System.Globalization;
using System.Text.Json;
using AgentSessions.Formats;
using AgentSessions.Formats.Import;
using AgentSessions.Sharing;
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

    /// <summary>The endpoint handlers; each reads its input, calls the service and writes JSON.</summary>
    private sealed partial class Handlers(SessionService service)
    {
        private static readonly IReadOnlyDictionary<string, JsonElement> NoMetadata = new Dictionary<string, JsonElement>();

        /// <summary>Exports into a temporary file first, so a failure half-way is an error status, not a truncated 200.</summary>
        public async Task Export(HttpContext context)
        {
            var id = Route(context, "id");
            var format = ExportFormats.Parse(Query(context, "format") ?? "json");
            await service.GetAsync(id, context.RequestAborted);
            var temp = Path.Combine(Path.GetTempPath(), $"agent-sessions-export-{Guid.NewGuid():N}.tmp");
            var fileOptions = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.ReadWrite,
                Options = FileOptions.DeleteOnClose | FileOptions.Asynchronous,
                BufferSize = 1 << 16,
            };
            if (!OperatingSystem.IsWindows())
            {
                fileOptions.UnixCreateMode = PrivateFile.Mode;
            }

            await using var buffer = new FileStream(temp, fileOptions);
            await service.ExportAsync(id, format, buffer, context.RequestAborted);
            await buffer.FlushAsync(context.RequestAborted);
            buffer.Position = 0;
            context.Response.ContentType = format switch
            {
                ExportFormat.Json => JsonContentType,
                ExportFormat.Jsonl => "application/x-ndjson; charset=utf-8",
                ExportFormat.Markdown => "text/markdown; charset=utf-8",
                ExportFormat.Html => "text/html; charset=utf-8",
                _ => "text/plain; charset=us-ascii",
            };
            // Ids are letters, digits, '.', '_' and '-' only, so the name needs no quoting rules beyond the quotes.
            context.Response.Headers.ContentDisposition = $"attachment; filename=\"{id}{format.Extension()}\"";
            context.Response.ContentLength = buffer.Length;
            await buffer.CopyToAsync(context.Response.Body, context.RequestAborted);
        }

        /// <summary>The body is a session file of any format the importers detect; it is saved to a private temporary folder and imported from there.</summary>
        public async Task Import(HttpContext context)
        {
            var timezone = Query(context, "timezone");
            var request = new ImportRequest
            {
                AsId = Query(context, "as"),
                Replace = Bool(context, "replace") ?? false,
                Format = Query(context, "format"),
                Options = new ImportOptions { TimeZone = timezone is null ? TimeZoneInfo.Local : FindZone(timezone) },
            };
            var name = Query(context, "name") is { } given ? SafeFileName(given) : "upload";
            var folder = Directory.CreateTempSubdirectory("agent-sessions-import-");
            try
            {
                var path = Path.Combine(folder.FullName, name);
                var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
                if (!OperatingSystem.IsWindows())
                {
                    fileOptions.UnixCreateMode = PrivateFile.Mode;
                }

                await using (var file = new FileStream(path, fileOptions))
                {
                    await context.Request.Body.CopyToAsync(file, context.RequestAborted);
                }

                if (new FileInfo(path).Length == 0)
                {
                    throw new AgentSessionsException(ErrorCode.InvalidArgument, "the body is empty; send a session file (our JSON, JSONL or base64, or a supported foreign format)");
                }

                var summary = await service.ImportAsync(path, request, progress: null, context.RequestAborted);
                summary = new ImportSummary(Rename(summary.Imported), Rename(summary.Skipped), Rename(summary.Failed));
                // One body that could not be imported is an error with its reason, as for the CLI's single file.
                if (summary.Imported.Count == 0 && summary.Failed.Count + summary.Skipped.Count == 1)
                {
                    // Skipped with a session id: that session is there already. Otherwise the body itself is the problem.
                    var only = summary.Failed.Concat(summary.Skipped).Single();
                    throw summary.Skipped.Count == 1 && only.SessionId is not null
                        ? new AgentSessionsException(ErrorCode.Conflict, only.Reason ?? "the session exists", only.Hint)
                        : new AgentSessionsException(ErrorCode.InvalidArgument, only.Reason ?? "the body could not be imported");
                }

                await WriteAsync(context, summary, summary.Imported.Count > 0 ? StatusCodes.Status201Created : StatusCodes.Status200OK);

                List<ImportItem> Rename(IReadOnlyList<ImportItem> items)
                    => [.. items.Select(i => i with { Source = name, Reason = i.Reason?.Replace(path, name, StringComparison.Ordinal) })];
            }
            finally
            {
                folder.Delete(recursive: true);
            }
        }

        public async Task Fork(HttpContext context)
        {
            var body = await ReadAsync<ForkBody>(context, required: false) ?? new ForkBody();
            var fork = await service.ForkAsync(Route(context, "id"), body.At, new NewSession { Id = body.Id, Title = body.Title }, context.RequestAborted);
            context.Response.Headers.Location = $"/api/sessions/{fork.Id}";
            await WriteAsync(context, fork, StatusCodes.Status201Created);
        }

        public async Task Snapshots(HttpContext context)
            => await WriteAsync(context, (await service.GetDetailsAsync(Route(context, "id"), context.RequestAborted)).Snapshots.ToList());

        public async Task Snapshot(HttpContext context)
        {
            var body = await ReadAsync<SnapshotBody>(context, required: true) ?? throw NoBody();
            var snapshot = await service.CreateSnapshotAsync(Route(context, "id"), Required(body.Name, "name"), body.Description, context.RequestAborted);
            await WriteAsync(context, snapshot, StatusCodes.Status201Created);
        }

        public async Task Restore(HttpContext context)
            => await WriteAsync(context, await service.RestoreAsync(Route(context, "id"), Route(context, "name"), context.RequestAborted));

        public async Task Step(HttpContext context, bool undo)
        {
            var id = Route(context, "id");
            var result = undo ? await service.UndoAsync(id, context.RequestAborted) : await service.RedoAsync(id, context.RequestAborted);
            await WriteAsync(context, result);
        }

        public async Task Bookmarks(HttpContext context)
            => await WriteAsync(context, (await service.GetDetailsAsync(Route(context, "id"), context.RequestAborted)).Bookmarks.ToList());

        public async Task Bookmark(HttpContext context)
        {
            var body = await ReadAsync<BookmarkBody>(context, required: true) ?? throw NoBody();
            var bookmark = await service.AddBookmarkAsync(Route(context, "id"), Required(body.Name, "name"), body.At, body.Note, context.RequestAborted);
            await WriteAsync(context, bookmark, StatusCodes.Status201Created);
        }

        public async Task Tool(HttpContext context)
        {
            var body = await ReadAsync<ToolBody>(context, required: true) ?? throw NoBody();
            var execution = await service.RecordToolExecutionAsync(
                Route(context, "id"),
                new ToolExecution
                {
                    Id = body.Id ?? SessionIds.NewId("exec"),
                    ToolName = Required(body.ToolName, "toolName"),
                    CallId = body.CallId,
                    Arguments = body.Arguments,
                    Result = body.Result,
                    Success = body.Success ?? true,
                    DurationMs = body.DurationMs,
                    AgentName = body.AgentName,
                    Sequence = body.Sequence,
                    CreatedAt = DateTimeOffset.UtcNow,
                },
                context.RequestAborted);
            await WriteAsync(context, execution, StatusCodes.Status201Created);
        }

        public async Task File(HttpContext context)
        {
            var body = await ReadAsync<FileBody>(context, required: true) ?? throw NoBody();
            var kind = body.Kind switch
            {
                null or "modified" => FileChangeKind.Modified,
                "created" => FileChangeKind.Created,
                var other => throw new AgentSessionsException(ErrorCode.InvalidArgument, $"unknown kind '{other}'; use modified or created"),
            };
            var change = await service.RecordFileChangeAsync(
                Route(context, "id"),
                new FileChange(Required(body.Path, "path"), kind, DateTimeOffset.UtcNow) { AgentName = body.AgentName, Sequence = body.Sequence },
                context.RequestAborted);
            await WriteAsync(context, change, StatusCodes.Status201Created);
        }

        /// <summary>GET /api/shares (all, or ?session=ID) and GET /api/sessions/{id}/shares.</summary>
        public async Task Shares(HttpContext context)
        {
            var sessionId = context.Request.RouteValues.ContainsKey("id") ? Route(context, "id") : Query(context, "session");
            if (sessionId is not null)
            {
                await service.GetAsync(sessionId, context.RequestAborted);
            }

            var list = await service.ListSharesAsync(sessionId, Bool(context, "includeRevoked") ?? false, context.RequestAborted);
            var baseUrl = BaseUrl(context);
            await WriteAsync(context, new SharesResponse([.. list.Select(s => ShareView.From(s, baseUrl))]));
        }

        public async Task CreateShare(HttpContext context)
        {
            var body = await ReadAsync<ShareBody>(context, required: false) ?? new ShareBody();
            var request = new ShareRequest
            {
                Visibility = body.Visibility switch
                {
                    null or "unlisted" => ShareVisibility.Unlisted,
                    "public" => ShareVisibility.Public,
                    "private" => ShareVisibility.Private,
                    var other => throw new AgentSessionsException(ErrorCode.InvalidArgument, $"unknown visibility '{other}'; use public, unlisted or private"),
                },
                Password = body.Password,
                ExpiresIn = body.ExpiresIn is null ? null : Durations.Parse(body.ExpiresIn, "expiresIn"),
                AllowFork = body.AllowFork ?? true,
                ShowHistory = body.ShowHistory ?? true,
            };
            var share = await service.CreateShareAsync(Route(context, "id"), request, context.RequestAborted);
            await WriteAsync(context, ShareView.From(share, BaseUrl(context)), StatusCodes.Status201Created);
        }

        public async Task RevokeShare(HttpContext context)
        {
            var token = Route(context, "token");
            // A malformed token cannot exist; checking first keeps odd strings away from the query.
            if (!await service.RevokeShareAsync(token, context.RequestAborted))
            {
                throw new AgentSessionsException(ErrorCode.NotFound, "no active share link with that token; GET /api/shares lists them");
            }

            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }

        // ---- helpers ----

        private static Task WriteAsync<T>(HttpContext context, T value, int status = StatusCodes.Status200OK)
        {
            context.Response.StatusCode = status;
            return context.Response.WriteAsJsonAsync(value, ApiJson.Info<T>(), JsonContentType, context.RequestAborted);
        }

        /// <summary>The origin the client used to reach us, for share URLs that work from where it stands.</summary>
        private static string BaseUrl(HttpContext context) => $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}";

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

        private static TimeZoneInfo FindZone(string name)
        {
            try
            {
                return TimeZoneInfo.FindSystemTimeZoneById(name);
            }
            catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, $"unknown time zone '{name}'; use an IANA name such as Europe/Berlin, or UTC", e);
            }
        }

        /// <summary>The client's file name, reduced to a plain name: it only helps format detection and reports.</summary>
        private static string SafeFileName(string name)
        {
            var plain = new string([.. Path.GetFileName(name.Replace('\\', '/')).Where(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')]).TrimStart('.');
            return plain.Length is > 0 and <= 100 ? plain : "upload";
        }
    }
}
