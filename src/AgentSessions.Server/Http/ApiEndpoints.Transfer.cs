using AgentSessions.Formats;
using AgentSessions.Formats.Import;
using Microsoft.AspNetCore.Http;

namespace AgentSessions.Server.Http;

/// <summary>GET /api/sessions/{id}/export and POST /api/import.</summary>
internal static partial class ApiEndpoints
{
    private sealed partial class Handlers
    {
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
