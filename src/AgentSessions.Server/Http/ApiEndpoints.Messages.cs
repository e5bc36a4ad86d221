using System.Globalization;
using System.Text.Json;
using AgentSessions.Storage;
using Microsoft.AspNetCore.Http;

namespace AgentSessions.Server.Http;

/// <summary>GET and POST /api/sessions/{id}/messages: paging through a transcript and appending to it.</summary>
internal static partial class ApiEndpoints
{
    /// <summary>Messages in a page of <c>GET /api/sessions/{id}/messages</c> when the request names no <c>limit</c>.</summary>
    public const int DefaultMessagePage = 200;

    /// <summary>The largest <c>limit</c> that endpoint accepts.</summary>
    public const int MaxMessagePage = 1000;

    private sealed partial class Handlers
    {
        /// <summary>
        /// One page of a session's messages, oldest first within the page: by default the newest
        /// <see cref="DefaultMessagePage"/>; <c>before=SEQ</c> the ones before SEQ, <c>from=SEQ</c> the ones from SEQ on;
        /// <c>limit</c> up to <see cref="MaxMessagePage"/>. <c>next</c> (and a Link header) names the page that follows
        /// in the same direction: earlier ones for the default and <c>before</c>, later ones for <c>from</c>.
        /// </summary>
        /// <remarks>
        /// Paged because a long coding session is tens of megabytes: answering all of it by default made every client
        /// that asked for "the messages" download the lot. A session's visible messages are numbered 1..messageCount
        /// without gaps, so a page is a range of sequence numbers, and following <c>next</c> reaches each message once.
        /// </remarks>
        public async Task Messages(HttpContext context)
        {
            var id = Route(context, "id");
            var limit = Int(context, "limit") ?? DefaultMessagePage;
            if (limit is < 1 or > MaxMessagePage)
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, $"limit must be from 1 to {MaxMessagePage} (got {limit}); page on with 'next'");
            }

            var from = Long(context, "from");
            var before = Long(context, "before");
            if (from is not null && before is not null)
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, "give 'from' (later messages) or 'before' (earlier ones), not both");
            }

            var messages = new List<SessionMessage>();
            string? next = null;
            var path = $"/api/sessions/{Uri.EscapeDataString(id)}/messages";
            if (from is { } first)
            {
                // One more than the page, to tell whether there is a next one.
                await foreach (var message in service.ReadAsync(id, new MessageRange(first, limit + 1), context.RequestAborted))
                {
                    messages.Add(message);
                }

                if (messages.Count > limit)
                {
                    messages.RemoveAt(limit);
                    next = string.Create(CultureInfo.InvariantCulture, $"{path}?from={messages[^1].Sequence + 1}&limit={limit}");
                }
            }
            else
            {
                var count = (await service.GetAsync(id, context.RequestAborted)).MessageCount;
                var end = Math.Min(before ?? count + 1, count + 1); // exclusive
                var start = Math.Max(1, end - limit);
                if (end > start)
                {
                    await foreach (var message in service.ReadAsync(id, new MessageRange(start, (int)(end - start)), context.RequestAborted))
                    {
                        messages.Add(message);
                    }
                }

                if (start > 1)
                {
                    next = string.Create(CultureInfo.InvariantCulture, $"{path}?before={start}&limit={limit}");
                }
            }

            if (next is not null)
            {
                context.Response.Headers.Link = $"<{next}>; rel=\"next\"";
            }

            await WriteAsync(context, new MessagesResponse(messages, next is not null, next));
        }

        /// <summary>One message (an object), several (an array, or <c>{"messages": [...]}</c>), appended atomically.</summary>
        public async Task Append(HttpContext context)
        {
            var id = Route(context, "id");
            using var document = await ReadDocumentAsync(context);
            var root = document.RootElement;
            var items = root.ValueKind switch
            {
                JsonValueKind.Array => root,
                JsonValueKind.Object when root.TryGetProperty("messages", out var list) => list.ValueKind == JsonValueKind.Array
                    ? list
                    : throw new AgentSessionsException(ErrorCode.InvalidArgument, "'messages' must be an array of messages"),
                JsonValueKind.Object => (JsonElement?)null,
                _ => throw new AgentSessionsException(ErrorCode.InvalidArgument, "the body must be a message object, an array of them, or {\"messages\": [...]}"),
            };
            if (root.ValueKind == JsonValueKind.Object && items is not null && root.EnumerateObject().Count() != 1)
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, "a body with 'messages' has no other fields");
            }

            var bodies = items is { } array
                ? array.EnumerateArray().Select((element, i) => Deserialize<MessageBody>(element, $"messages[{i}]")).ToList()
                : [Deserialize<MessageBody>(root, "the message")];
            if (bodies.Count == 0)
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, "no messages to append");
            }

            var messages = bodies.Select((body, i) => ToNewMessage(body, bodies.Count == 1 ? "the message" : $"messages[{i}]")).ToList();
            var result = await service.AppendAsync(id, messages, context.RequestAborted);
            await WriteAsync(context, result, StatusCodes.Status201Created);
        }

        private static NewMessage ToNewMessage(MessageBody body, string what)
        {
            if (body.Role is null)
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, $"{what} has no role; use user, assistant, system or tool");
            }

            IReadOnlyList<ContentPart> parts = (body.Content, body.Parts) switch
            {
                ({ Length: > 0 } text, null) => [new TextPart(text)],
                (null, { Count: > 0 } list) => list,
                (not null, not null) => throw new AgentSessionsException(ErrorCode.InvalidArgument, $"{what} has both content and parts; give one"),
                _ => throw new AgentSessionsException(ErrorCode.InvalidArgument, $"{what} is empty; give content (text) or parts"),
            };
            return new NewMessage(MessageRoles.Parse(body.Role), parts)
            {
                Id = body.Id,
                AuthorName = body.AuthorName,
                Model = body.Model,
                InputTokens = body.InputTokens ?? 0,
                OutputTokens = body.OutputTokens ?? 0,
                CreatedAt = body.CreatedAt,
                Metadata = body.Metadata ?? NoMetadata,
            };
        }
    }
}
