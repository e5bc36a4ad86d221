using System.Text.Json;

namespace AgentSessions.Storage;

/// <summary>
/// The product's rules about sessions, written once for every backend. A backend reads and writes rows; whenever a
/// rule decides what those rows become (what an undo hides, what a fork inherits, which updates merge how, what an
/// import may hold), the backend asks this class inside its own transaction, so that every store behaves alike.
/// </summary>
/// <remarks>
/// The methods are pure: they take what the backend read and return what it must write, or throw the
/// <see cref="AgentSessionsException"/> the contract documents. None of them touches storage or the clock; the
/// caller passes <c>now</c>, which keeps them testable without a store.
/// </remarks>
public static class SessionRules
{
    /// <summary>The first message that <see cref="ISessionStore.UndoAsync"/> hides: the last user message at or before the head.</summary>
    /// <param name="sessionId">The session, for the message.</param>
    /// <param name="lastUserSequence">The sequence number of the last user message among the visible ones, if any.</param>
    /// <returns>The new head: the number of messages that stay visible.</returns>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.Conflict"/> when there is no user message to undo.</exception>
    public static long UndoHead(string sessionId, long? lastUserSequence)
        => lastUserSequence is { } seq and >= 1
            ? seq - 1
            : throw new AgentSessionsException(ErrorCode.Conflict, $"nothing to undo in '{sessionId}': it has no user message");

    /// <summary>The error of a redo with an empty redo stack.</summary>
    public static AgentSessionsException NothingToRedo(string sessionId)
        => new(ErrorCode.Conflict, $"nothing to redo in '{sessionId}'");

    /// <summary>The error of a restore to a snapshot the session does not have.</summary>
    public static AgentSessionsException NoSuchSnapshot(string sessionId, string name)
        => new(ErrorCode.NotFound, $"session '{sessionId}' has no snapshot '{name}'", ErrorHint.ListSnapshots);

    /// <summary>
    /// The session after its visible head moves to <paramref name="state"/>'s message count (undo, redo, restore), with the
    /// fields of the state it moves to and token totals recounted over the visible messages.
    /// </summary>
    /// <param name="session">The session as stored now.</param>
    /// <param name="lastStoredSequence">The highest sequence number stored (visible or hidden).</param>
    /// <param name="state">The head and fields to move to.</param>
    /// <param name="inputTokens">The input tokens of messages 1..head, as the backend summed them.</param>
    /// <param name="outputTokens">The output tokens of messages 1..head.</param>
    /// <param name="now">The time of the change.</param>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.Conflict"/> when the head is beyond what is stored.</exception>
    public static HistoryResult MoveHead(Session session, long lastStoredSequence, HeadState state, long inputTokens, long outputTokens, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(session);
        CheckHeadStored(session, lastStoredSequence, state.MessageCount);
        var updated = session with
        {
            MessageCount = state.MessageCount,
            InputTokens = inputTokens,
            OutputTokens = outputTokens,
            Title = state.Title,
            Tags = state.Tags,
            Metadata = state.Metadata,
            UpdatedAt = Later(session.UpdatedAt, now),
        };
        return new HistoryResult(updated, lastStoredSequence - state.MessageCount);
    }

    /// <summary>Fails unless <paramref name="head"/> messages are still stored (a redo state can outlive an append that replaced them).</summary>
    public static void CheckHeadStored(Session session, long lastStoredSequence, long head)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (head > lastStoredSequence || head < 0)
        {
            throw new AgentSessionsException(ErrorCode.Conflict, $"session '{session.Id}' no longer holds message {head}");
        }
    }

    /// <summary>A session's head and fields as an undo, a restore or a redo state records them.</summary>
    public static HeadState StateOf(Session session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return new HeadState(session.MessageCount, session.Title, session.Tags, session.Metadata);
    }

    /// <summary>The snapshot that marks a session's current state.</summary>
    public static Snapshot NewSnapshot(Session session, string name, string? description, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(session);
        SessionIds.Validate(name, "snapshot");
        return new Snapshot
        {
            Name = name,
            Description = description,
            MessageCount = session.MessageCount,
            Title = session.Title,
            Tags = session.Tags,
            Metadata = session.Metadata,
            CreatedAt = now,
        };
    }

    /// <summary>
    /// Validates a fork request before the transaction: the fork's id (generated when not given) and its tags.
    /// </summary>
    public static NewSession PrepareFork(NewSession fork)
    {
        ArgumentNullException.ThrowIfNull(fork);
        return fork with
        {
            Id = fork.Id is null ? SessionIds.NewSessionId() : SessionIds.Validate(fork.Id),
            Tags = fork.Tags.Count > 0 ? StoreRules.NormalizeTags(fork.Tags) : [],
        };
    }

    /// <summary>
    /// The session a fork creates: it holds the parent's first <paramref name="atSequence"/> messages (default: all
    /// visible ones), records its parent and fork point, and inherits what the request leaves unset; its title is
    /// the parent's with " (fork)". The backend then copies the messages, bookmarks, tool runs and file changes up
    /// to <see cref="Session.ForkSequence"/>.
    /// </summary>
    /// <param name="parent">The parent as stored now.</param>
    /// <param name="atSequence">The fork point, or <see langword="null"/> for the parent's head.</param>
    /// <param name="fork">The request, prepared with <see cref="PrepareFork"/> (its id set).</param>
    /// <param name="now">The time of the fork.</param>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.InvalidArgument"/> when the fork point is outside the visible messages.</exception>
    public static Session NewFork(Session parent, long? atSequence, NewSession fork, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(fork);
        var at = atSequence ?? parent.MessageCount;
        if (at < 0 || at > parent.MessageCount)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"cannot fork '{parent.Id}' at message {at}: it has {parent.MessageCount} messages");
        }

        return new Session
        {
            Id = fork.Id ?? SessionIds.NewSessionId(),
            Title = fork.Title ?? (parent.Title is null ? null : $"{parent.Title} (fork)"),
            CreatedAt = now,
            UpdatedAt = now,
            Model = fork.Model ?? parent.Model,
            ProjectPath = fork.ProjectPath ?? parent.ProjectPath,
            Tags = fork.Tags.Count > 0 ? fork.Tags : parent.Tags,
            ParentId = parent.Id,
            ForkSequence = at,
            Metadata = fork.Metadata.Count > 0 ? fork.Metadata : parent.Metadata,
        };
    }

    /// <summary>
    /// The fork that keeps the messages an undo or restore hid when an append is about to replace them: nothing is
    /// ever lost silently. It holds the whole stored transcript, forks at the head, and is titled
    /// "Undone messages of ...". The backend copies every stored message into it and moves the snapshots, bookmarks,
    /// tool runs and file changes beyond the head there, then empties the session's redo stack.
    /// </summary>
    public static Session UndoneMessagesFork(Session session, long head, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(session);
        return new Session
        {
            Id = SessionIds.NewSessionId(),
            Title = $"Undone messages of {session.Title ?? session.Id}",
            CreatedAt = now,
            UpdatedAt = now,
            Model = session.Model,
            ProjectPath = session.ProjectPath,
            Tags = session.Tags,
            ParentId = session.Id,
            ForkSequence = head,
            Metadata = session.Metadata,
        };
    }

    /// <summary>Where a bookmark goes: the given message, or the last visible one.</summary>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.InvalidArgument"/> when the position is not a visible message.</exception>
    public static long BookmarkPosition(Session session, long? atSequence)
    {
        ArgumentNullException.ThrowIfNull(session);
        var seq = atSequence ?? session.MessageCount;
        return seq >= 1 && seq <= session.MessageCount
            ? seq
            : throw new AgentSessionsException(ErrorCode.InvalidArgument, $"cannot bookmark message {seq} of '{session.Id}': it has {session.MessageCount} messages");
    }

    /// <summary>Validates a tool run before it is recorded or imported.</summary>
    public static void ValidateToolExecution(ToolExecution execution)
    {
        ArgumentNullException.ThrowIfNull(execution);
        SessionIds.Validate(execution.Id, "tool execution");
        if (string.IsNullOrWhiteSpace(execution.ToolName))
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"tool execution '{execution.Id}' has no tool name");
        }

        if (execution.DurationMs is < 0)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"tool execution '{execution.Id}' has a negative duration");
        }
    }

    /// <summary>Validates a file change before it is recorded.</summary>
    public static void ValidateFileChange(FileChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (string.IsNullOrWhiteSpace(change.Path) || change.Path.Any(char.IsControl) || !Enum.IsDefined(change.Kind))
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, "a file change needs a path without control characters and a kind (modified or created)");
        }
    }

    /// <summary>Validates an update's tags before the transaction (normalized, each one checked).</summary>
    public static SessionUpdate PrepareUpdate(SessionUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return update with
        {
            Title = update.Title is null ? null : SessionTitles.ValidateTitle(update.Title),
            AddTags = StoreRules.NormalizeTags(update.AddTags),
            RemoveTags = StoreRules.NormalizeTags(update.RemoveTags),
        };
    }

    /// <summary>
    /// The session after an update: fields given replace the stored ones, tags are removed then added (a tag in
    /// both lists stays), metadata entries are set one by one and a JSON <c>null</c> removes its key.
    /// </summary>
    /// <param name="current">The session as stored now.</param>
    /// <param name="update">The update, prepared with <see cref="PrepareUpdate"/>.</param>
    /// <param name="now">The time of the change; <see cref="Session.UpdatedAt"/> never moves back.</param>
    public static Session ApplyUpdate(Session current, SessionUpdate update, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(update);
        var tags = new SortedSet<string>(current.Tags, StringComparer.Ordinal);
        tags.ExceptWith(update.RemoveTags);
        tags.UnionWith(update.AddTags);
        var metadata = current.Metadata;
        if (update.Metadata is { Count: > 0 })
        {
            var merged = new Dictionary<string, JsonElement>(current.Metadata);
            foreach (var (key, value) in update.Metadata)
            {
                if (value.ValueKind == JsonValueKind.Null)
                {
                    merged.Remove(key);
                }
                else
                {
                    merged[key] = value.Clone();
                }
            }

            metadata = merged;
        }

        return current with
        {
            Title = update.Title ?? current.Title,
            Pinned = update.Pinned ?? current.Pinned,
            Model = update.Model ?? current.Model,
            Tags = [.. tags],
            Metadata = metadata,
            UpdatedAt = Later(current.UpdatedAt, now),
        };
    }

    /// <summary>
    /// The title an append gives a session that has none: from the first user message with text, or
    /// <see langword="null"/> to leave it untitled.
    /// </summary>
    /// <param name="currentTitle">The session's title before the append.</param>
    /// <param name="role">The appended message's role.</param>
    /// <param name="text">The appended message's searchable text.</param>
    public static string? AutoTitle(string? currentTitle, MessageRole role, string? text)
        => currentTitle is null && role == MessageRole.User ? SessionTitles.FromText(text) : null;

    /// <summary>
    /// Checks a whole archive before it is imported and returns the session to write, with tags normalized and
    /// totals recomputed from the messages, and each message's searchable text in <paramref name="texts"/>.
    /// </summary>
    /// <param name="archive">The archive.</param>
    /// <param name="maxMessageBytes">The store's largest message (<see cref="StoreOptions.MaxMessageBytes"/>).</param>
    /// <param name="texts">Each message's searchable text, in order.</param>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.InvalidArgument"/> for a gap in the sequence, an
    /// invalid id or message, or a snapshot beyond the messages.</exception>
    public static Session PrepareImport(SessionArchive archive, long maxMessageBytes, out string[] texts)
    {
        ArgumentNullException.ThrowIfNull(archive);
        var session = archive.Session ?? throw new AgentSessionsException(ErrorCode.InvalidArgument, "the archive has no session");
        SessionIds.Validate(session.Id);
        if (session.ParentId is not null)
        {
            SessionIds.Validate(session.ParentId, "parent session");
        }

        texts = new string[archive.Messages.Count];
        long input = 0, output = 0;
        for (var i = 0; i < archive.Messages.Count; i++)
        {
            var message = archive.Messages[i];
            if (message.Sequence != i + 1)
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, $"message {i + 1} of session '{session.Id}' has sequence number {message.Sequence}; sequence numbers must run 1, 2, 3... without gaps");
            }

            SessionIds.Validate(message.Id, "message");
            texts[i] = StoreRules.ValidateMessage(NewMessage.From(message), maxMessageBytes);
            input = StoreRules.AddTokens(input, message.InputTokens);
            output = StoreRules.AddTokens(output, message.OutputTokens);
        }

        foreach (var snapshot in archive.Snapshots)
        {
            SessionIds.Validate(snapshot.Name, "snapshot");
            if (snapshot.MessageCount < 0 || snapshot.MessageCount > archive.Messages.Count)
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, $"snapshot '{snapshot.Name}' of session '{session.Id}' points at message {snapshot.MessageCount}, beyond the {archive.Messages.Count} messages");
            }
        }

        foreach (var bookmark in archive.Bookmarks)
        {
            SessionIds.Validate(bookmark.Name, "bookmark");
        }

        foreach (var execution in archive.ToolExecutions)
        {
            ValidateToolExecution(execution);
        }

        foreach (var change in archive.Files)
        {
            ValidateFileChange(change);
        }

        return session with
        {
            Tags = StoreRules.NormalizeTags(session.Tags),
            MessageCount = archive.Messages.Count,
            InputTokens = input,
            OutputTokens = output,
            Metadata = session.Metadata ?? EmptyMetadata.Instance,
        };
    }

    /// <summary>Whether a string can be a share token at all: checked before it reaches a query.</summary>
    public static bool IsWellFormedShareToken(string? token)
        => token is { Length: >= 32 and <= 64 } && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    /// <summary>Fails unless <paramref name="token"/> is a well-formed share token.</summary>
    public static string ValidateShareToken(string? token)
        => IsWellFormedShareToken(token)
            ? token!
            : throw new AgentSessionsException(ErrorCode.InvalidArgument, "a share token must be 32-64 characters of A-Z a-z 0-9 - _");

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}

/// <summary>A session's visible head and the fields that undo, redo and restore bring back with it.</summary>
/// <param name="MessageCount">How many messages are visible.</param>
/// <param name="Title">The title.</param>
/// <param name="Tags">The tags.</param>
/// <param name="Metadata">The metadata.</param>
public readonly record struct HeadState(long MessageCount, string? Title, IReadOnlyList<string> Tags, IReadOnlyDictionary<string, JsonElement> Metadata);
