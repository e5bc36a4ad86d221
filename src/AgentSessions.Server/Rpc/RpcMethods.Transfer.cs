using System.Text;
using System.Text.Json;
using AgentSessions.Formats;
using AgentSessions.Formats.Import;
using AgentSessions.Sharing;

namespace AgentSessions.Server.Rpc;

/// <summary>session.export, import, share.</summary>
internal sealed partial class RpcMethods
{
    private async ValueTask<JsonWrite> ExportAsync(RpcParams p, CancellationToken cancellationToken)
    {
        var id = SessionId(p);
        var format = ExportFormats.Parse(p.String("format") ?? "json");
        p.EnsureNoneUnknown();
        using var buffer = new MemoryStream();
        await _service.ExportAsync(id, format, buffer, cancellationToken).ConfigureAwait(false);
        var text = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        var name = format.ToString().ToLowerInvariant();
        return w =>
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("format", name);
            w.WriteString("content", text);
            w.WriteEndObject();
        };
    }

    private async ValueTask<JsonWrite> ImportAsync(RpcParams p, CancellationToken cancellationToken)
    {
        var content = p.String("content");
        var path = p.String("path");
        var asId = p.String("as");
        var replace = p.Bool("replace") ?? false;
        var format = p.String("format");
        p.EnsureNoneUnknown();
        if ((content is null) == (path is null))
        {
            throw RpcException.InvalidParams("give exactly one of 'content' (an export's text) and 'path' (a file or folder to import)");
        }

        if (path is not null)
        {
            // Files go through the same importer as 'agent-sessions import': every supported format, dedup included.
            var request = new ImportRequest { AsId = asId, Replace = replace, Format = format };
            var summary = await _service.ImportAsync(FullPath(path, "path"), request, progress: null, cancellationToken).ConfigureAwait(false);
            return w => WriteImportSummary(w, summary);
        }

        if (format is not null)
        {
            throw RpcException.InvalidParams("'format' goes with 'path'; 'content' is always one of our exports (json, jsonl or base64)");
        }

        var archive = await ReadExportAsync(content!, cancellationToken).ConfigureAwait(false);
        if (asId is not null)
        {
            SessionIds.Validate(asId);
            archive = archive with { Session = archive.Session with { Id = asId } };
        }

        return Json(await _service.ImportArchiveAsync(archive, replace, cancellationToken: cancellationToken).ConfigureAwait(false), AgentSessionsJson.Context.Session);
    }

    /// <summary>Reads one of our exports from text: the JSON document, JSON Lines, or the base64 of the JSON.</summary>
    private static async Task<SessionArchive> ReadExportAsync(string content, CancellationToken cancellationToken)
    {
        var trimmed = content.AsSpan().TrimStart();
        if (trimmed.StartsWith("{", StringComparison.Ordinal))
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(content), writable: false);
            return IsJsonlHeader(trimmed)
                ? await SessionJsonlFormat.ReadAsync(stream, "content", cancellationToken).ConfigureAwait(false)
                : await SessionJsonFormat.ReadAsync(stream, "content", cancellationToken).ConfigureAwait(false);
        }

        byte[] decoded;
        try
        {
            decoded = Convert.FromBase64String(content.Trim());
        }
        catch (FormatException e)
        {
            throw new AgentSessionsException(ErrorCode.Corrupt, "content: neither an agent-sessions export (JSON or JSONL) nor its base64", e);
        }

        using var json = new MemoryStream(decoded, writable: false);
        return await SessionJsonFormat.ReadAsync(json, "content (base64)", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether the first line is a complete JSON object saying it heads our JSON Lines format.</summary>
    private static bool IsJsonlHeader(ReadOnlySpan<char> text)
    {
        var newline = text.IndexOf('\n');
        if (newline < 0)
        {
            return false;
        }

        try
        {
            using var header = JsonDocument.Parse(text[..newline].ToString());
            return header.RootElement.ValueKind == JsonValueKind.Object
                && header.RootElement.TryGetProperty("format", out var f)
                && f.ValueKind == JsonValueKind.String
                && f.GetString() == SessionJsonlFormat.FormatName;
        }
        catch (JsonException)
        {
            // An indented JSON document's first line ("{") is no complete object.
            return false;
        }
    }

    private static void WriteImportSummary(Utf8JsonWriter w, ImportSummary summary)
    {
        // The shape of 'agent-sessions import --json'.
        w.WriteStartObject();
        foreach (var (name, items) in new[] { ("imported", summary.Imported), ("skipped", summary.Skipped), ("failed", summary.Failed) })
        {
            w.WriteStartArray(name);
            foreach (var item in items)
            {
                w.WriteStartObject();
                w.WriteString("source", item.Source);
                if (item.Format is not null)
                {
                    w.WriteString("format", item.Format);
                }

                if (item.SessionId is not null)
                {
                    w.WriteString("sessionId", item.SessionId);
                }

                if (item.Reason is not null)
                {
                    w.WriteString("reason", item.Reason);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private async ValueTask<JsonWrite> ShareAsync(RpcParams p, CancellationToken cancellationToken)
    {
        var id = SessionId(p);
        var visibility = p.String("visibility") is { } v
            ? v.ToLowerInvariant() switch
            {
                "public" => ShareVisibility.Public,
                "unlisted" => ShareVisibility.Unlisted,
                "private" => ShareVisibility.Private,
                _ => throw RpcException.InvalidParams($"unknown visibility '{v}'; use public, unlisted or private"),
            }
            : ShareVisibility.Unlisted;
        var expiresIn = p.String("expiresIn") is { } e ? Durations.Parse(e, "expiresIn") : (TimeSpan?)null;
        var request = new ShareRequest
        {
            Visibility = visibility,
            Password = p.String("password"),
            ExpiresIn = expiresIn,
            AllowFork = p.Bool("allowFork") ?? true,
            ShowHistory = p.Bool("showHistory") ?? true,
        };
        p.EnsureNoneUnknown();
        var share = await _service.CreateShareAsync(id, request, cancellationToken).ConfigureAwait(false);
        var sharePath = "/s/" + share.Token;
        var url = ServerUrl() is { } baseUrl ? baseUrl + sharePath : null;
        return w =>
        {
            w.WriteStartObject();
            WriteProperties(w, share, AgentSessionsJson.Context.Share);
            w.WriteString("path", sharePath);
            w.WriteString("url", url);
            w.WriteEndObject();
        };
    }

    /// <summary>The running server's base URL from <c>server.json</c> (written by <c>serve</c>), or null.</summary>
    /// <remarks>Read on every call: <c>serve</c> may start or stop while this connection is open.</remarks>
    private string? ServerUrl()
    {
        if (_options.StoreDirectory is null)
        {
            return null;
        }

        try
        {
            var path = Path.Combine(_options.StoreDirectory, "server.json");
            if (!File.Exists(path))
            {
                return null;
            }

            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("url", out var url)
                && url.ValueKind == JsonValueKind.String
                && Uri.TryCreate(url.GetString(), UriKind.Absolute, out var uri)
                && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
                    ? url.GetString()!.TrimEnd('/')
                    : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            // A half-written or unreadable file means no known server, not a failed share.
            return null;
        }
    }
}
