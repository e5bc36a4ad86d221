using System.Text.Json;
using AgentSessions.Formats;
using AgentSessions.Storage;

namespace AgentSessions.Server.Rpc;

/// <summary>session.create, list, rename, tag, pin, metadata, delete, search (load is in RpcMethods.Load.cs).</summary>
internal sealed partial class RpcMethods
{
    private async ValueTask<JsonWrite> CreateAsync(RpcParams p, CancellationToken cancellationToken)
    {
        // "project" was the name before the one the Session (and POST /api/sessions) carries.
        var project = p.String("projectPath", "project");
        var request = new NewSession
        {
            Id = p.String("id"),
            Title = p.String("title"),
            Model = p.String("model"),
            ProjectPath = project is null ? null : FullPath(project, "projectPath"),
            Tags = p.StringArray("tags") ?? [],
            Pinned = p.Bool("pinned") ?? false,
            Metadata = p.Model("metadata", AgentSessionsJson.Context.DictionaryStringJsonElement, "an object") ?? new Dictionary<string, JsonElement>(),
        };
        var makeCurrent = p.Bool("switch") ?? true;
        p.EnsureNoneUnknown();
        // Like session.switch: the old current session's deferred messages are saved before it stops being current.
        var session = await _conversation.CreateAsync(request, makeCurrent, cancellationToken).ConfigureAwait(false);

        return Json(session, AgentSessionsJson.Context.Session);
    }

    private async ValueTask<JsonWrite> ListAsync(RpcParams p, CancellationToken cancellationToken)
    {
        var project = p.String("projectPath", "project");
        var query = new SessionQuery
        {
            Limit = p.Int("limit") ?? 50,
            Offset = p.Int("offset") ?? 0,
            Tag = p.String("tag"),
            Pinned = p.Bool("pinned"),
            ProjectPath = project is null ? null : FullPath(project, "projectPath"),
            TitleContains = p.String("title"),
            ForksOf = p.String("forksOf"),
        };
        p.EnsureNoneUnknown();
        var page = await _service.ListAsync(query, cancellationToken).ConfigureAwait(false);
        return Json(page, AgentSessionsJson.Context.SessionPage);
    }

    private async ValueTask<JsonWrite> RenameAsync(RpcParams p, CancellationToken cancellationToken)
    {
        var id = SessionId(p);
        var title = p.RequiredString("title");
        p.EnsureNoneUnknown();
        return Json(await _service.RenameAsync(id, title, cancellationToken).ConfigureAwait(false), AgentSessionsJson.Context.Session);
    }

    private async ValueTask<JsonWrite> TagAsync(RpcParams p, CancellationToken cancellationToken)
    {
        var id = SessionId(p);
        var add = p.StringArray("add") ?? [];
        var remove = p.StringArray("remove") ?? [];
        p.EnsureNoneUnknown();
        var session = add.Count == 0 && remove.Count == 0
            ? await _service.GetAsync(id, cancellationToken).ConfigureAwait(false)
            : await _service.TagAsync(id, add, remove, cancellationToken).ConfigureAwait(false);
        return Json(session, AgentSessionsJson.Context.Session);
    }

    private async ValueTask<JsonWrite> PinAsync(RpcParams p, CancellationToken cancellationToken)
    {
        var id = SessionId(p);
        var pinned = p.Bool("pinned") ?? true;
        p.EnsureNoneUnknown();
        return Json(await _service.PinAsync(id, pinned, cancellationToken).ConfigureAwait(false), AgentSessionsJson.Context.Session);
    }

    private async ValueTask<JsonWrite> MetadataAsync(RpcParams p, CancellationToken cancellationToken)
    {
        // Editors keep per-session state here (Emacs keeps the unsent input draft): one call sets and removes keys,
        // so a draft is saved, or cleared once sent, without reading the session first.
        var id = SessionId(p);
        var set = p.Model("set", AgentSessionsJson.Context.DictionaryStringJsonElement, "an object");
        p.EnsureNoneUnknown();
        var session = set is not { Count: > 0 }
            ? await _service.GetAsync(id, cancellationToken).ConfigureAwait(false)
            : await _service.UpdateAsync(id, new SessionUpdate { Metadata = set }, cancellationToken).ConfigureAwait(false);
        return Json(session, AgentSessionsJson.Context.Session);
    }

    private async ValueTask<JsonWrite> DeleteAsync(RpcParams p, CancellationToken cancellationToken)
    {
        // No default to the current session here: deleting is the one method where a forgotten id must not
        // fall back to whatever session happens to be current.
        var id = p.RequiredString("id");
        p.EnsureNoneUnknown();
        await _conversation.DeleteAsync(id, cancellationToken).ConfigureAwait(false);

        return w =>
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteBoolean("deleted", true);
            w.WriteEndObject();
        };
    }

    private async ValueTask<JsonWrite> SearchAsync(RpcParams p, CancellationToken cancellationToken)
    {
        var text = p.RequiredString("query");
        var role = p.String("role");
        var since = p.String("since");
        var search = new SearchQuery(text)
        {
            Tag = p.String("tag"),
            Role = role is null ? null : MessageRoles.TryParse(role, out var r) ? r : throw RpcException.InvalidParams($"unknown role '{role}'; expected one of: user, assistant, system, tool"),
            Since = since is null ? null : ParseSince(since, "since"),
            SessionId = p.String("session"),
            Limit = p.Int("limit") ?? 20,
            Exhaustive = p.Bool("exhaustive") ?? false,
        };
        p.EnsureNoneUnknown();
        var hits = new List<SearchHit>();
        await foreach (var hit in _service.SearchAsync(search, cancellationToken).ConfigureAwait(false))
        {
            hits.Add(hit);
        }

        return w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("hits");
            foreach (var hit in hits)
            {
                JsonSerializer.Serialize(w, hit, AgentSessionsJson.Context.SearchHit);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        };
    }

    private static string FullPath(string path, string name)
    {
        try
        {
            return Path.GetFullPath(path);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw RpcException.InvalidParams($"'{name}' is not a usable path: {e.Message}");
        }
    }
}
