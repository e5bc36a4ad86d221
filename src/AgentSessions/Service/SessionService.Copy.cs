using System.Text.Json;
using AgentSessions.Formats;
using AgentSessions.Storage;

namespace AgentSessions;

/// <summary>Which sessions <see cref="SessionService.CopyToAsync"/> copies.</summary>
public sealed record CopyRequest
{
    /// <summary>Only these sessions (validated, and each must exist in the source); empty for every session.</summary>
    public IReadOnlyList<string> SessionIds { get; init; } = [];

    /// <summary>Only sessions updated at or after this time; <see langword="null"/> for any time.</summary>
    public DateTimeOffset? Since { get; init; }
}

/// <summary>How far a copy has got: <paramref name="Done"/> of <paramref name="Total"/> sessions, <paramref name="Current"/> the one being copied.</summary>
public sealed record CopyProgress(int Done, int Total, string Current);

/// <summary>A session <see cref="SessionService.CopyToAsync"/> left alone, or the one it failed on, and why.</summary>
public sealed record CopyIssue(string SessionId, string Reason);

/// <summary>What a copy did.</summary>
public sealed record CopySummary
{
    /// <summary>Sessions the source selected.</summary>
    public int Selected { get; init; }

    /// <summary>Sessions new to the target, written whole.</summary>
    public IReadOnlyList<string> Copied { get; init; } = [];

    /// <summary>Sessions the target held an earlier state of (a prefix of the source's), brought up to date.</summary>
    public IReadOnlyList<string> Updated { get; init; } = [];

    /// <summary>Sessions the target already held exactly as the source does.</summary>
    public int AlreadyPresent { get; init; }

    /// <summary>Sessions that differ in the target in a way a copy must not overwrite; the target's are untouched.</summary>
    public IReadOnlyList<CopyIssue> Conflicts { get; init; } = [];

    /// <summary>Messages written to the target: all of each copied session's, the missing tail of each updated one's.</summary>
    public long Messages { get; init; }

    /// <summary>Whether cancellation stopped the copy between two sessions (the rest were not looked at).</summary>
    public bool Stopped { get; init; }

    /// <summary>The session the copy failed on and why; the sessions after it were not looked at.</summary>
    public CopyIssue? Failure { get; init; }

    /// <summary>The error behind <see cref="Failure"/>, for a front end's exit code and debug output.</summary>
    public Exception? FailureException { get; init; }
}

public sealed partial class SessionService
{
    /// <summary>
    /// Copies whole sessions with their history (messages, snapshots, bookmarks, tool runs, file changes, lineage,
    /// tags, pins, metadata, totals) from this service's store to <paramref name="target"/>'s, whatever the backends.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Each session is written in one transaction of the target (<see cref="ImportArchiveAsync"/>), so a failure or a
    /// crash leaves it copied whole or not at all, and running the copy again finishes the job. Parents are copied
    /// before their forks. A session the target already holds is compared first: the same content is skipped
    /// (<see cref="CopySummary.AlreadyPresent"/>); a target whose messages are a prefix of the source's and that holds
    /// no history the source lacks is brought up to the source's state (<see cref="CopySummary.Updated"/>); anything
    /// else, and a target session with share links or redo state a replacement would end, is a conflict that leaves
    /// the target as it is.
    /// </para>
    /// <para>
    /// Messages an undo or restore hid (the redo state) are not copied: no store hands them over, as no export
    /// carries them. Cancellation is looked at between sessions: the copy then stops and says so in
    /// <see cref="CopySummary.Stopped"/> instead of throwing. A failure on one session stops the copy too and is
    /// returned in <see cref="CopySummary.Failure"/> with what was done before it.
    /// </para>
    /// </remarks>
    /// <exception cref="AgentSessionsException">
    /// <see cref="ErrorCode.InvalidArgument"/> when both services use the same store or an id is malformed;
    /// <see cref="ErrorCode.NotFound"/> when a requested session is not in the source. Both before anything is copied.
    /// </exception>
    public async Task<CopySummary> CopyToAsync(SessionService target, CopyRequest request, IProgress<CopyProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(request);
        if (ReferenceEquals(target, this) || ReferenceEquals(target.Store, Store) || string.Equals(target.Location, Location, StringComparison.Ordinal))
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"the source and the target are the same store ({Location})");
        }

        List<Session> sessions;
        try
        {
            sessions = await SelectForCopyAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && request.SessionIds.Count == 0)
        {
            // Stopped while listing: nothing was written, and the caller hears so the same way as later on.
            return new CopySummary { Stopped = true };
        }

        var ordered = ParentsFirst(sessions);
        var copied = new List<string>();
        var updated = new List<string>();
        var conflicts = new List<CopyIssue>();
        var present = 0;
        long messages = 0;
        var stopped = false;
        CopyIssue? failure = null;
        Exception? failureException = null;
        for (var i = 0; i < ordered.Count; i++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                stopped = true;
                break;
            }

            var id = ordered[i].Id;
            progress?.Report(new CopyProgress(i, ordered.Count, id));
            try
            {
                var outcome = await CopyOneAsync(target, id, cancellationToken).ConfigureAwait(false);
                switch (outcome.Kind)
                {
                    case CopyOutcomeKind.Copied:
                        copied.Add(id);
                        break;
                    case CopyOutcomeKind.Updated:
                        updated.Add(id);
                        break;
                    case CopyOutcomeKind.Present:
                        present++;
                        break;
                    default:
                        conflicts.Add(new CopyIssue(id, outcome.Reason!));
                        break;
                }

                messages += outcome.Messages;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Cancelled while reading: nothing of this session was written (the write itself is never cancelled).
                stopped = true;
                break;
            }
            catch (Exception e) when (e is AgentSessionsException or IOException or UnauthorizedAccessException)
            {
                failure = new CopyIssue(id, e.Message);
                failureException = e;
                break;
            }
        }

        progress?.Report(new CopyProgress(copied.Count + updated.Count + present + conflicts.Count, ordered.Count, ""));
        return new CopySummary
        {
            Selected = ordered.Count,
            Copied = copied,
            Updated = updated,
            AlreadyPresent = present,
            Conflicts = conflicts,
            Messages = messages,
            Stopped = stopped,
            Failure = failure,
            FailureException = failureException,
        };
    }

    private async Task<List<Session>> SelectForCopyAsync(CopyRequest request, CancellationToken cancellationToken)
    {
        var selected = new List<Session>();
        if (request.SessionIds.Count > 0)
        {
            // Every id checked before anything is written: a typo must not leave half a copy behind.
            foreach (var id in request.SessionIds)
            {
                SessionIds.Validate(id);
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var id in request.SessionIds)
            {
                if (seen.Add(id))
                {
                    var session = await GetAsync(id, cancellationToken).ConfigureAwait(false);
                    if (request.Since is not { } since || session.UpdatedAt >= since)
                    {
                        selected.Add(session);
                    }
                }
            }

            return selected;
        }

        // Newest first, so a --since window ends the paging as soon as it is passed.
        const int PageSize = 1000;
        for (var offset = 0; ; offset += PageSize)
        {
            var page = await Store.ListAsync(new SessionQuery { Limit = PageSize, Offset = offset }, cancellationToken).ConfigureAwait(false);
            foreach (var session in page.Sessions)
            {
                if (request.Since is { } since && session.UpdatedAt < since)
                {
                    return selected;
                }

                selected.Add(session);
            }

            if (!page.HasMore)
            {
                return selected;
            }
        }
    }

    /// <summary>Oldest first, and every fork after its parent when both are copied (a backend may check lineage).</summary>
    internal static List<Session> ParentsFirst(IReadOnlyList<Session> sessions)
    {
        var byId = new Dictionary<string, Session>(StringComparer.Ordinal);
        foreach (var session in sessions)
        {
            byId.TryAdd(session.Id, session);
        }

        var ordered = new List<Session>(byId.Count);
        var placed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var session in byId.Values.OrderBy(s => s.CreatedAt).ThenBy(s => s.Id, StringComparer.Ordinal))
        {
            // Walk up to the oldest unplaced ancestor in the set, then place the chain top-down. Iterative, and
            // bounded by the set's size so a damaged store with a lineage cycle cannot loop forever.
            var chain = new Stack<Session>();
            for (var s = session; s is not null && !placed.Contains(s.Id) && chain.Count <= byId.Count; s = s.ParentId is { } p && byId.TryGetValue(p, out var parent) ? parent : null)
            {
                if (chain.Any(c => c.Id == s.Id))
                {
                    break;
                }

                chain.Push(s);
            }

            while (chain.TryPop(out var next))
            {
                if (placed.Add(next.Id))
                {
                    ordered.Add(next);
                }
            }
        }

        return ordered;
    }

    private async Task<CopyOutcome> CopyOneAsync(SessionService target, string sessionId, CancellationToken cancellationToken)
    {
        var source = await ReadArchiveAsync(this, sessionId, cancellationToken).ConfigureAwait(false);
        if (source is null)
        {
            // Deleted from the source since it was listed: nothing to copy, nothing to report as a conflict.
            return new CopyOutcome(CopyOutcomeKind.Present, 0, null);
        }

        var existing = await ReadArchiveAsync(target, sessionId, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            try
            {
                // Not cancellable once started: a write cancelled after its commit would be counted as not done.
                await target.ImportArchiveAsync(source.Archive, replace: false, cancellationToken: CancellationToken.None).ConfigureAwait(false);
                return new CopyOutcome(CopyOutcomeKind.Copied, source.Archive.Messages.Count, null);
            }
            catch (AgentSessionsException e) when (e.Code == ErrorCode.Conflict)
            {
                return new CopyOutcome(CopyOutcomeKind.Conflict, 0, "created in the target while the copy ran; run the copy again");
            }
        }

        var sourceMessages = source.Archive.Messages;
        var targetMessages = existing.Archive.Messages;
        if (Same(Fingerprint.Session(source.Archive.Session), Fingerprint.Session(existing.Archive.Session))
            && sourceMessages.Count == targetMessages.Count
            && Fingerprint.SameMessages(sourceMessages, targetMessages, targetMessages.Count)
            && Fingerprint.SameHistory(source.Archive, existing.Archive))
        {
            return new CopyOutcome(CopyOutcomeKind.Present, 0, null);
        }

        if (targetMessages.Count > sourceMessages.Count || !Fingerprint.SameMessages(sourceMessages, targetMessages, targetMessages.Count))
        {
            return new CopyOutcome(CopyOutcomeKind.Conflict, 0, targetMessages.Count > sourceMessages.Count
                ? $"the target has {targetMessages.Count} messages, the source {sourceMessages.Count}"
                : "the target's messages differ from the source's");
        }

        if (!Fingerprint.HistoryContained(existing.Archive, source.Archive))
        {
            return new CopyOutcome(CopyOutcomeKind.Conflict, 0, "the target has snapshots, bookmarks, tool runs or file changes the source lacks");
        }

        if (existing.HiddenMessages > 0)
        {
            return new CopyOutcome(CopyOutcomeKind.Conflict, 0, $"the target keeps {existing.HiddenMessages} undone message(s) for redo, which an update would drop");
        }

        var shares = await target.Store.ListSharesAsync(sessionId, includeRevoked: false, cancellationToken).ConfigureAwait(false);
        if (shares.Count > 0)
        {
            return new CopyOutcome(CopyOutcomeKind.Conflict, 0, $"the target has {shares.Count} share link(s) for it, which an update would end");
        }

        // Replacing in one transaction rather than appending the tail: the session's fields and history change with
        // the messages, atomically, through the one write every backend has. The target held nothing the source lacks.
        // Only the target as it was compared: a turn a chat stored there meanwhile makes this a conflict, not a loss.
        try
        {
            await target.ImportArchiveAsync(source.Archive, replace: true, expected: existing.Archive.Session, CancellationToken.None).ConfigureAwait(false);
        }
        catch (AgentSessionsException e) when (e.Code == ErrorCode.Conflict)
        {
            return new CopyOutcome(CopyOutcomeKind.Conflict, 0, "written to in the target while the copy ran; run the copy again");
        }

        return new CopyOutcome(CopyOutcomeKind.Updated, sourceMessages.Count - targetMessages.Count, null);
    }

    private static async Task<ReadArchive?> ReadArchiveAsync(SessionService service, string sessionId, CancellationToken cancellationToken)
    {
        var session = await service.Store.GetAsync(sessionId, cancellationToken).ConfigureAwait(false);
        if (session is null)
        {
            return null;
        }

        var details = await service.Store.GetDetailsAsync(sessionId, cancellationToken).ConfigureAwait(false);
        var messages = new List<SessionMessage>();
        await foreach (var message in service.Store.ReadAsync(sessionId, MessageRange.All, cancellationToken).ConfigureAwait(false))
        {
            messages.Add(message);
        }

        var archive = new SessionArchive
        {
            Session = session,
            Messages = messages,
            Snapshots = details.Snapshots,
            Bookmarks = details.Bookmarks,
            ToolExecutions = details.ToolExecutions,
            Files = details.Files,
        };
        return new ReadArchive(archive, details.HiddenMessages);
    }

    private static bool Same(byte[] a, byte[] b) => a.AsSpan().SequenceEqual(b);

    private sealed record ReadArchive(SessionArchive Archive, long HiddenMessages);

    private enum CopyOutcomeKind
    {
        Copied,
        Updated,
        Present,
        Conflict,
    }

    private sealed record CopyOutcome(CopyOutcomeKind Kind, long Messages, string? Reason);

    /// <summary>
    /// Compares what two stores hold through the export format's JSON of each item, so the comparison means the same
    /// whatever each backend keeps internally (its escaping, its column types).
    /// </summary>
    private static class Fingerprint
    {
        public static byte[] Session(Session session)
            => JsonSerializer.SerializeToUtf8Bytes(session, AgentSessionsJson.Context.Session);

        public static byte[] Message(SessionMessage message)
            => JsonSerializer.SerializeToUtf8Bytes(message, AgentSessionsJson.Context.SessionMessage);

        public static bool SameMessages(IReadOnlyList<SessionMessage> source, IReadOnlyList<SessionMessage> target, int count)
        {
            for (var i = 0; i < count; i++)
            {
                if (!Same(Message(source[i]), Message(target[i])))
                {
                    return false;
                }
            }

            return true;
        }

        public static bool SameHistory(SessionArchive a, SessionArchive b)
            => Items(a).SequenceEqual(Items(b), StringComparer.Ordinal);

        /// <summary>Whether every history item of <paramref name="inner"/> is in <paramref name="outer"/> too.</summary>
        public static bool HistoryContained(SessionArchive inner, SessionArchive outer)
        {
            var all = Items(outer).ToHashSet(StringComparer.Ordinal);
            return Items(inner).All(all.Contains);
        }

        private static IEnumerable<string> Items(SessionArchive archive)
        {
            foreach (var snapshot in archive.Snapshots)
            {
                yield return "s" + JsonSerializer.Serialize(snapshot, AgentSessionsJson.Context.Snapshot);
            }

            foreach (var bookmark in archive.Bookmarks)
            {
                yield return "b" + JsonSerializer.Serialize(bookmark, AgentSessionsJson.Context.Bookmark);
            }

            foreach (var execution in archive.ToolExecutions)
            {
                yield return "t" + JsonSerializer.Serialize(execution, AgentSessionsJson.Context.ToolExecution);
            }

            foreach (var change in archive.Files)
            {
                yield return "f" + JsonSerializer.Serialize(change, AgentSessionsJson.Context.FileChange);
            }
        }
    }
}
