using Microsoft.AspNetCore.Http;

namespace AgentSessions.Server.Http;

/// <summary>POST /api/sessions/{id}/tools and /files: tool executions and file changes recorded against a session.</summary>
internal static partial class ApiEndpoints
{
    private sealed partial class Handlers
    {
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
    }
}
