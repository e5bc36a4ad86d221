using System.Text;
using System.Text.Json;
using AgentSessions.Storage;
using Microsoft.Extensions.AI;

namespace AgentSessions.AI;

/// <summary>
/// What both adapters share: which request messages are stored already, what of a response can be stored, and the
/// "not run" results that keep a stored tool call from dangling.
/// </summary>
internal static class TurnMessages
{
    /// <summary>How many stored messages beyond the request's length are read to find the overlap (adapter-written ones are skipped).</summary>
    private const int TailSlack = 16;

    private static readonly JsonElement True = JsonSerializer.SerializeToElement(true);

    /// <summary>Reads a session, creating it from <paramref name="template"/> (with this id) when it does not exist yet.</summary>
    public static async Task<Session> GetOrCreateAsync(SessionService service, string sessionId, NewSession template, CancellationToken cancellationToken)
    {
        if (await service.FindAsync(sessionId, cancellationToken).ConfigureAwait(false) is { } found)
        {
            return found;
        }

        try
        {
            return await service.CreateAsync(template with { Id = sessionId }, cancellationToken).ConfigureAwait(false);
        }
        catch (AgentSessionsException e) when (e.Code == ErrorCode.Conflict)
        {
            // Another call created it first: the same session is what both wanted.
            return await service.GetAsync(sessionId, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The request messages that are not stored yet. A caller that resends the whole history sends what is stored
    /// followed by what is new: the longest run at the start of the request that equals the end of the stored
    /// transcript (with or without the partial answers and not-run results the adapters wrote) is taken as stored. Two messages are equal when
    /// they carry the same message id, or have the same role and the same content (text, reasoning, tool call ids
    /// and names, tool result ids). Only the end of the transcript counts, so a user who types the same words after
    /// an answer gets them stored again, while a retry of a failed call (the message is the last thing stored) does
    /// not store it twice.
    /// </summary>
    public static async Task<(List<ChatMessage> New, List<SessionMessage> Tail)> NotStoredYetAsync(
        SessionService service, Session session, IReadOnlyList<ChatMessage> request, CancellationToken cancellationToken)
    {
        var tail = new List<SessionMessage>();
        if (session.MessageCount > 0)
        {
            var from = Math.Max(1, session.MessageCount - request.Count - TailSlack + 1);
            await foreach (var message in service.ReadAsync(session.Id, new MessageRange(from), cancellationToken).ConfigureAwait(false))
            {
                tail.Add(message);
            }
        }

        var (overlap, _) = Overlap(request, tail);
        return ([.. request.Skip(overlap)], tail);
    }

    /// <summary>
    /// How many messages at the start of <paramref name="request"/> repeat the end of <paramref name="stored"/>, and
    /// the index in <paramref name="stored"/> where the repeated part begins; see <see cref="NotStoredYetAsync"/>.
    /// </summary>
    /// <remarks>
    /// Tried twice: against the whole tail (a caller that kept the partial answer it was streamed sends it back),
    /// and with adapter-written messages left out (a caller that never saw them); the longer match wins.
    /// </remarks>
    public static (int Count, int StoredFrom) Overlap(IReadOnlyList<ChatMessage> request, IReadOnlyList<SessionMessage> stored)
    {
        if (request.Count == 0 || stored.Count == 0)
        {
            return (0, stored.Count);
        }

        // Fingerprints are computed once each (a start that fails does so at its first message), so a long
        // history resent every turn costs about one pass over it rather than one fingerprint per comparison.
        var asked = request.Select(m => (m.MessageId, Fingerprint(m))).ToArray();
        var have = stored.Select(m => ((string?)m.Id, Fingerprint(m.ToChatMessage()))).ToArray();
        var own = Enumerable.Range(0, stored.Count).Where(i => !IsAdapterWritten(stored[i])).ToArray();
        var full = Match(asked, have);
        var ownMatch = Match(asked, [.. own.Select(i => have[i])]);
        return full >= ownMatch ? (full, stored.Count - full) : (ownMatch, own[^ownMatch]);
    }

    private static int Match((string? Id, string Print)[] request, (string? Id, string Print)[] stored)
    {
        for (var k = Math.Min(request.Length, stored.Length); k > 0; k--)
        {
            var start = stored.Length - k;
            var all = true;
            for (var i = 0; i < k && all; i++)
            {
                all = (request[i].Id is { Length: > 0 } id && id == stored[start + i].Id) || request[i].Print == stored[start + i].Print;
            }

            if (all)
            {
                return k;
            }
        }

        return 0;
    }

    /// <summary>
    /// Not-run results for the tool calls in <paramref name="stored"/> that have no result there nor in
    /// <paramref name="coming"/>: written before new messages, so no stored call is left without an answer.
    /// </summary>
    public static NewMessage? CloseDanglingCalls(IEnumerable<SessionMessage> stored, IEnumerable<NewMessage> coming, string why)
    {
        var open = new List<ToolCallPart>();
        var answered = new HashSet<string>(StringComparer.Ordinal);
        foreach (var part in stored.SelectMany(m => m.Parts).Concat(coming.SelectMany(m => m.Parts)))
        {
            switch (part)
            {
                case ToolCallPart call: open.Add(call); break;
                case ToolResultPart result: answered.Add(result.CallId); break;
            }
        }

        var results = open.Where(c => !answered.Contains(c.CallId))
            .Select(c => (ContentPart)new ToolResultPart(c.CallId, JsonSerializer.SerializeToElement($"not run: {why}"), IsError: true))
            .ToList();
        return results.Count == 0 ? null : new NewMessage(MessageRole.Tool, results)
        {
            Metadata = new Dictionary<string, JsonElement> { [AgentSessionsMetadata.NotRun] = True },
        };
    }

    /// <summary>A request or response message as stored: content we cannot store dropped, its id left to the store; null when nothing is left.</summary>
    /// <remarks>
    /// Providers put content in a message that is no part of the conversation (usage, hosted-tool traces, approval
    /// requests): dropping it keeps one odd content item from failing the user's turn. Provider message ids are
    /// not kept: one response's messages often share one, and the store's ids must be unique.
    /// </remarks>
    public static NewMessage? ToStorable(ChatMessage message)
    {
        var contents = message.Contents.Where(IsStorable).ToList();
        if (contents.Count == 0)
        {
            return null;
        }

        var copy = new ChatMessage(message.Role, contents)
        {
            AuthorName = message.AuthorName,
            CreatedAt = message.CreatedAt,
            AdditionalProperties = message.AdditionalProperties,
        };
        return copy.ToNewMessage();
    }

    /// <summary>
    /// The storable messages of a (possibly partial) response, with usage, model, finish reason and response id on
    /// the last assistant message, and for a partial answer the <see cref="AgentSessionsMetadata.Partial"/> mark
    /// (and <see cref="AgentSessionsMetadata.Interrupted"/>) on its last message, followed by not-run results for
    /// its open tool calls when it was interrupted. Each entry names the response message it came from.
    /// </summary>
    public static List<(ChatMessage? Source, NewMessage Message)> FromResponse(ChatResponse response, bool partial, string? interrupted = null, Exception? error = null)
    {
        var list = new List<(ChatMessage? Source, NewMessage Message)>();
        foreach (var message in response.Messages)
        {
            if (ToStorable(message) is { } stored)
            {
                list.Add((message, stored));
            }
        }

        var lastAssistant = list.FindLastIndex(e => e.Message.Role == MessageRole.Assistant);
        if (lastAssistant >= 0)
        {
            var (source, message) = list[lastAssistant];
            var metadata = new Dictionary<string, JsonElement>(message.Metadata);
            if (response.FinishReason is { } reason)
            {
                metadata[AgentSessionsMetadata.FinishReason] = JsonSerializer.SerializeToElement(reason.Value);
            }

            if (response.ResponseId is { } id)
            {
                metadata[AgentSessionsMetadata.ResponseId] = JsonSerializer.SerializeToElement(id);
            }

            list[lastAssistant] = (source, message with
            {
                InputTokens = response.Usage?.InputTokenCount ?? message.InputTokens,
                OutputTokens = response.Usage?.OutputTokenCount ?? message.OutputTokens,
                Model = response.ModelId ?? message.Model,
                Metadata = metadata,
            });
        }

        if (partial)
        {
            if (list.Count > 0)
            {
                var (source, message) = list[^1];
                var metadata = new Dictionary<string, JsonElement>(message.Metadata) { [AgentSessionsMetadata.Partial] = True };
                if (interrupted is not null)
                {
                    metadata[AgentSessionsMetadata.Interrupted] = JsonSerializer.SerializeToElement(interrupted);
                }

                if (error is not null)
                {
                    metadata[AgentSessionsMetadata.Error] = JsonSerializer.SerializeToElement(error.GetType().FullName);
                }

                list[^1] = (source, message with { Metadata = metadata });
            }

            if (interrupted is not null && CloseDanglingCalls([], list.Select(e => e.Message), $"the answer was {interrupted}") is { } notRun)
            {
                list.Add((null, notRun));
            }
        }

        return list;
    }

    /// <summary>Whether an adapter wrote this message on its own (a partial answer or a not-run result).</summary>
    public static bool IsAdapterWritten(SessionMessage message)
        => IsTrue(message.Metadata, AgentSessionsMetadata.Partial) || IsTrue(message.Metadata, AgentSessionsMetadata.NotRun);

    private static bool IsTrue(IReadOnlyDictionary<string, JsonElement> metadata, string key)
        => metadata.TryGetValue(key, out var value) && value.ValueKind == JsonValueKind.True;

    private static bool IsStorable(AIContent content)
        => content is TextContent or TextReasoningContent or FunctionCallContent or FunctionResultContent or DataContent or UriContent;

    private static string Fingerprint(ChatMessage message)
    {
        var builder = new StringBuilder(message.Role.Value);
        foreach (var content in message.Contents)
        {
            builder.Append('\u001e');
            switch (content)
            {
                case TextContent t: builder.Append("t:").Append(t.Text); break;
                case TextReasoningContent r: builder.Append("r:").Append(r.Text); break;
                case FunctionCallContent c: builder.Append("c:").Append(c.CallId).Append(':').Append(c.Name); break;
                case FunctionResultContent r: builder.Append("f:").Append(r.CallId); break;
                case DataContent d: builder.Append("d:").Append(d.MediaType).Append(':').Append(d.Data.Length); break;
                case UriContent u: builder.Append("u:").Append(u.Uri.OriginalString); break;
                default: builder.Length--; break; // not stored, so not compared
            }
        }

        return builder.ToString();
    }
}
