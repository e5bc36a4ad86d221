using System.Text.Json;
using AgentSessions.Formats;
using AgentSessions.Storage;
using Microsoft.AspNetCore.Http;

namespace AgentSessions.Server.Http;

/// <summary>GET and POST /api/sessions; GET, PATCH and DELETE /api/sessions/{id}.</summary>
internal static partial class ApiEndpoints
{
    private sealed partial class Handlers
    {
        public async Task List(HttpContext context)
        {
            var query = new SessionQuery
            {
                Limit = Int(context, "limit") ?? 50,
                Offset = Int(context, "offset") ?? 0,
                Tag = Query(context, "tag"),
                Pinned = Bool(context, "pinned"),
                ProjectPath = Query(context, "project"),
                TitleContains = Query(context, "title"),
                ForksOf = Query(context, "forksOf"),
            };
            await WriteAsync(context, await service.ListAsync(query, context.RequestAborted));
        }

        public async Task Create(HttpContext context)
        {
            var body = await ReadAsync<CreateSessionBody>(context, required: false) ?? new CreateSessionBody();
            var session = await service.CreateAsync(
                new NewSession
                {
                    Id = body.Id,
                    Title = body.Title,
                    Model = body.Model,
                    ProjectPath = body.ProjectPath,
                    Tags = body.Tags ?? [],
                    Pinned = body.Pinned ?? false,
                    Metadata = body.Metadata ?? NoMetadata,
                },
                context.RequestAborted);
            context.Response.Headers.Location = $"/api/sessions/{session.Id}";
            await WriteAsync(context, session, StatusCodes.Status201Created);
        }

        /// <summary>The session, its lineage and history, and its messages: the shape of <c>show --json</c>.</summary>
        public async Task Get(HttpContext context)
        {
            var id = Route(context, "id");
            var session = await service.GetAsync(id, context.RequestAborted);
            var details = await service.GetDetailsAsync(id, context.RequestAborted);
            var range = Range(context);
            context.Response.ContentType = JsonContentType;
            // Streamed: a long session is written as it is read, never held whole in memory. The writer fills the
            // response pipe (the serializer's own flushes are then memory copies, not the synchronous I/O Kestrel refuses).
            var body = context.Response.BodyWriter;
            await using var writer = new Utf8JsonWriter(body, AgentSessionsJson.WriterOptions(indented: false));
            writer.WriteStartObject();
            foreach (var property in JsonSerializer.SerializeToElement(session, AgentSessionsJson.Context.Session).EnumerateObject())
            {
                property.WriteTo(writer);
            }

            SessionJsonFormat.WriteDetailsProperties(writer, details);
            writer.WriteStartArray("messages");
            long sent = 0;
            await foreach (var message in service.ReadAsync(id, range, context.RequestAborted))
            {
                JsonSerializer.Serialize(writer, message, AgentSessionsJson.Context.SessionMessage);
                if (writer.BytesCommitted - sent > 64 * 1024)
                {
                    sent = writer.BytesCommitted;
                    await body.FlushAsync(context.RequestAborted);
                }
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.Flush();
            await body.FlushAsync(context.RequestAborted);
        }

        public async Task Patch(HttpContext context)
        {
            var id = Route(context, "id");
            var body = await ReadAsync<PatchSessionBody>(context, required: true) ?? throw NoBody();
            if (body is { Title: null, Pinned: null, AddTags: null, RemoveTags: null, Model: null, Metadata: null })
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, "nothing to change: give title, pinned, addTags, removeTags, model or metadata");
            }

            var session = await service.UpdateAsync(
                id,
                new SessionUpdate
                {
                    Title = body.Title,
                    Pinned = body.Pinned,
                    AddTags = body.AddTags ?? [],
                    RemoveTags = body.RemoveTags ?? [],
                    Model = body.Model,
                    Metadata = body.Metadata,
                },
                context.RequestAborted);
            await WriteAsync(context, session);
        }

        public async Task Delete(HttpContext context)
        {
            await service.DeleteAsync(Route(context, "id"), context.RequestAborted);
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }

        private static MessageRange Range(HttpContext context) => new(Long(context, "from") ?? 1, Int(context, "limit"));
    }
}
