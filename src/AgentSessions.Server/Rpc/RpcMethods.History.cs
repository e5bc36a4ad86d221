using AgentSessions.Formats;
using AgentSessions.Storage;

namespace AgentSessions.Server.Rpc;

/// <summary>session.fork, snapshot, restore, undo, redo, bookmark.</summary>
internal sealed partial class RpcMethods
{
    private async ValueTask<JsonWrite> ForkAsync(RpcParams p, CancellationToken cancellationToken)
    {
        var id = SessionId(p);
        var at = p.Long("at");
        var fork = new NewSession { Id = p.String("newId"), Title = p.String("title") };
        p.EnsureNoneUnknown();
        return Json(await _service.ForkAsync(id, at, fork, cancellationToken).ConfigureAwait(false), AgentSessionsJson.Context.Session);
    }

    private async ValueTask<JsonWrite> SnapshotAsync(RpcParams p, CancellationToken cancellationToken)
    {
        var id = SessionId(p);
        var name = p.RequiredString("name");
        var description = p.String("description");
        p.EnsureNoneUnknown();
        return Json(await _service.CreateSnapshotAsync(id, name, description, cancellationToken).ConfigureAwait(false), AgentSessionsJson.Context.Snapshot);
    }

    private async ValueTask<JsonWrite> RestoreAsync(RpcParams p, CancellationToken cancellationToken)
    {
        var id = SessionId(p);
        var snapshot = p.RequiredString("snapshot");
        p.EnsureNoneUnknown();
        return Json(await _service.RestoreAsync(id, snapshot, cancellationToken).ConfigureAwait(false), AgentSessionsJson.Context.HistoryResult);
    }

    private ValueTask<JsonWrite> UndoAsync(RpcParams p, CancellationToken cancellationToken)
        => StepAsync(p, (id, ct) => _service.UndoAsync(id, ct), cancellationToken);

    private ValueTask<JsonWrite> RedoAsync(RpcParams p, CancellationToken cancellationToken)
        => StepAsync(p, (id, ct) => _service.RedoAsync(id, ct), cancellationToken);

    private async ValueTask<JsonWrite> StepAsync(RpcParams p, Func<string, CancellationToken, ValueTask<HistoryResult>> step, CancellationToken cancellationToken)
    {
        var id = SessionId(p);
        p.EnsureNoneUnknown();
        return Json(await step(id, cancellationToken).ConfigureAwait(false), AgentSessionsJson.Context.HistoryResult);
    }

    private async ValueTask<JsonWrite> BookmarkAsync(RpcParams p, CancellationToken cancellationToken)
    {
        var id = SessionId(p);
        var name = p.RequiredString("name");
        var at = p.Long("at");
        var note = p.String("note");
        p.EnsureNoneUnknown();
        return Json(await _service.AddBookmarkAsync(id, name, at, note, cancellationToken).ConfigureAwait(false), AgentSessionsJson.Context.Bookmark);
    }
}
