using System.Runtime.CompilerServices;
using AgentSessions.Storage;

namespace AgentSessions.Sharing;

/// <summary>A session as a share link hands it out: what its page shows, its export holds and fork-share imports.</summary>
/// <param name="Session">
/// The session's shown fields only: <see cref="Session.Title"/>, <see cref="Session.CreatedAt"/>,
/// <see cref="Session.UpdatedAt"/> and <see cref="Session.MessageCount"/> (the messages handed out). The id is
/// <see cref="SharedView.SessionId"/>; everything else is empty.
/// </param>
/// <param name="Messages">The shared messages, numbered from 1, each already reduced by <see cref="SharedView"/>.</param>
/// <param name="FinalAnswerOnly">Whether the link hides the history, so <paramref name="Messages"/> is at most the final answer.</param>
public sealed record SharedSession(Session Session, IAsyncEnumerable<SessionMessage> Messages, bool FinalAnswerOnly)
{
    /// <summary>The number of the first message in <see cref="Messages"/> (1 for a whole read).</summary>
    public long First { get; init; } = 1;

    /// <summary>
    /// The number of the last message in <see cref="Messages"/>; below <see cref="First"/> when there is none. Of
    /// <see cref="Session.MessageCount"/> shared messages, a windowed read hands out <see cref="First"/> to this one.
    /// </summary>
    public long Last { get; init; }
}

/// <summary>
/// The one definition of what a share link hands out. The share page, the share export and fork-share all go
/// through it, so what a viewer can download is exactly what the page shows them, never more.
/// </summary>
/// <remarks>
/// <para>
/// Shared, with history: the title, the session's start and last update, and each visible message's role,
/// author name, time, token counts, model and content: text, reasoning text, tool calls (name, call id,
/// arguments), tool results, raster images (PNG, JPEG, GIF, WebP) and linked URIs. A link without history
/// shares the title and the final answer (the last assistant message with text): its header and its text parts.
/// </para>
/// <para>
/// Never shared: the session id, model, project path, tags, pinned flag, lineage and metadata; message ids and
/// metadata; reasoning's opaque provider data; the bytes of attachments that are not shown as images (the page
/// names them, and so does the share, as text); undone messages; snapshots, bookmarks, tool execution records,
/// file changes and forks. Part kinds this type does not know are left out, so a new kind is private until it is
/// added here and to the page.
/// </para>
/// </remarks>
public static class SharedView
{
    /// <summary>The id a shared session carries instead of the owner's (which the page does not show).</summary>
    public const string SessionId = "shared-session";

    /// <summary>Whether a data part is an image the share page shows inline; other attachments keep their bytes private.</summary>
    /// <remarks>Only raster types: an SVG could carry script.</remarks>
    public static bool IsInlineImage(DataPart part)
    {
        ArgumentNullException.ThrowIfNull(part);
        return part.MediaType is "image/png" or "image/jpeg" or "image/gif" or "image/webp";
    }

    /// <summary>Whether a message is a candidate for the final answer: an assistant message with text.</summary>
    public static bool IsAnswer(SessionMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return message.Role == MessageRole.Assistant && message.Parts.Any(p => p is TextPart { Text.Length: > 0 });
    }

    /// <summary>The session's shared fields, with <paramref name="messageCount"/> as the number of messages handed out.</summary>
    public static Session Of(Session session, long messageCount)
    {
        ArgumentNullException.ThrowIfNull(session);
        return new Session
        {
            Id = SessionId,
            Title = session.Title,
            CreatedAt = session.CreatedAt,
            UpdatedAt = session.UpdatedAt,
            MessageCount = messageCount,
        };
    }

    /// <summary>A message as a link with history shares it, at position <paramref name="sequence"/>.</summary>
    public static SessionMessage Of(SessionMessage message, long sequence)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Header(message, sequence, [.. message.Parts.Select(Part).OfType<ContentPart>()]);
    }

    /// <summary>The final answer as a link without history shares it: its header and text parts, as message 1.</summary>
    public static SessionMessage FinalAnswer(SessionMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Header(message, 1, [.. message.Parts.OfType<TextPart>()]);
    }

    /// <summary>Reads everything <paramref name="share"/> hands out from the store; the messages stream as they are enumerated.</summary>
    /// <remarks>What the export and fork-share take: see <see cref="ReadAsync(ISessionStore, Share, MessageWindow?, CancellationToken)"/>.</remarks>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.NotFound"/> when the session or the link is gone.</exception>
    public static Task<SharedSession> ReadAsync(ISessionStore store, Share share, CancellationToken cancellationToken = default)
        => ReadAsync(store, share, window: null, cancellationToken);

    /// <summary>
    /// Reads one page of what <paramref name="share"/> hands out (every message when <paramref name="window"/> is
    /// <see langword="null"/>); the messages stream as they are enumerated.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The window is resolved against the shared messages, never the stored ones: a link with history shares
    /// messages 1..messageCount (undone messages kept for redo sit past the count and are never read), a link
    /// without history shares one message at most, so no <c>before</c> or <c>from</c> reaches further.
    /// </para>
    /// <para>
    /// A link without history reads the session once here to find its final answer and holds only that message.
    /// The session is read by id, so the link is looked up again afterwards: had the session been deleted (and
    /// the id taken by a new one) since the link was opened, the link is gone and nothing is handed out.
    /// </para>
    /// </remarks>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.NotFound"/> when the session or the link is gone.</exception>
    public static async Task<SharedSession> ReadAsync(ISessionStore store, Share share, MessageWindow? window, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(share);
        var session = await store.GetAsync(share.SessionId, cancellationToken).ConfigureAwait(false)
            ?? throw AgentSessionsException.SessionNotFound(share.SessionId);
        if (share.ShowHistory)
        {
            await EnsureLiveAsync(store, share, cancellationToken).ConfigureAwait(false);
            var (first, last) = window?.Resolve(session.MessageCount) ?? (1, session.MessageCount);
            return new SharedSession(Of(session, session.MessageCount), History(store, share.SessionId, first, last, cancellationToken), FinalAnswerOnly: false)
            {
                First = first,
                Last = last,
            };
        }

        SessionMessage? final = null;
        await foreach (var message in store.ReadAsync(share.SessionId, MessageRange.All, cancellationToken).ConfigureAwait(false))
        {
            if (IsAnswer(message))
            {
                final = message;
            }
        }

        await EnsureLiveAsync(store, share, cancellationToken).ConfigureAwait(false);
        var count = final is null ? 0 : 1;
        var (one, end) = window?.Resolve(count) ?? (1, count);
        SessionMessage[] messages = final is null || end < one ? [] : [FinalAnswer(final)];
        return new SharedSession(Of(session, count), messages.ToAsyncEnumerable(), FinalAnswerOnly: true) { First = one, Last = end };
    }

    private static async Task EnsureLiveAsync(ISessionStore store, Share share, CancellationToken cancellationToken)
    {
        if (await store.GetShareAsync(share.Token, cancellationToken).ConfigureAwait(false) is not { RevokedAt: null } live || live.SessionId != share.SessionId)
        {
            throw new AgentSessionsException(ErrorCode.NotFound, "this share link does not exist or was revoked");
        }
    }

    /// <summary>
    /// Reduces an archive read from a share export to what a share hands out, as fork-share does before importing:
    /// whatever a server sent (an older one handed out more), the fork keeps only the shared fields.
    /// </summary>
    public static SessionArchive Of(SessionArchive archive)
    {
        ArgumentNullException.ThrowIfNull(archive);
        var messages = archive.Messages.Select((m, i) => Of(m, i + 1)).ToList();
        return new SessionArchive { Session = Of(archive.Session, messages.Count), Messages = messages };
    }

    /// <summary>Messages <paramref name="first"/> to <paramref name="last"/>: never more than that many, whatever the store holds by now.</summary>
    private static async IAsyncEnumerable<SessionMessage> History(ISessionStore store, string sessionId, long first, long last, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (last < first)
        {
            yield break;
        }

        // The count was read with the session; the limit keeps messages appended since out of this page.
        var sequence = first - 1;
        var range = new MessageRange(first, (int)Math.Min(int.MaxValue, last - first + 1));
        await foreach (var message in store.ReadAsync(sessionId, range, cancellationToken).ConfigureAwait(false))
        {
            yield return Of(message, ++sequence);
        }
    }

    private static SessionMessage Header(SessionMessage message, long sequence, IReadOnlyList<ContentPart> parts) => new()
    {
        // The owner's message ids are not shown; the position is, and it is unique within the shared session.
        Id = "m" + sequence.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Sequence = sequence,
        Role = message.Role,
        Parts = parts,
        AuthorName = message.AuthorName,
        CreatedAt = message.CreatedAt,
        InputTokens = message.InputTokens,
        OutputTokens = message.OutputTokens,
        Model = message.Model,
    };

    private static ContentPart? Part(ContentPart part) => part switch
    {
        TextPart or ToolCallPart or ToolResultPart or UriPart => part,
        ReasoningPart r => new ReasoningPart(r.Text),
        DataPart d when IsInlineImage(d) => part,
        DataPart d => new TextPart($"Attachment {d.Name ?? "(unnamed)"}, {d.MediaType}, {StoreRules.FormatBytes(d.Data.LongLength)} (not shared)"),
        _ => null,
    };
}
