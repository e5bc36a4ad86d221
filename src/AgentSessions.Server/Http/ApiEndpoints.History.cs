using Microsoft.AspNetCore.Http;

namespace AgentSessions.Server.Http;

/// <summary>Fork, snapshots, restore, undo, redo and bookmarks under /api/sessions/{id}.</summary>
internal static partial class ApiEndpoints
{
    private sealed partial class Handlers
    {
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
    }
}
