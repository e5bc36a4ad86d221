using System.ComponentModel;
using ModelContextProtocol.Server;

namespace AgentSessions.Mcp;

/// <summary>The write tools, offered only with <see cref="McpServerSettings.AllowWrite"/>: they add, never delete.</summary>
[McpServerToolType]
public sealed class SessionWriteTools(SessionService service)
{
    /// <summary>The names of the write tools, refused with a clear message when writing is not allowed.</summary>
    public static readonly IReadOnlySet<string> Names = new HashSet<string>(StringComparer.Ordinal) { "add_note", "bookmark", "tag" };

    /// <summary>The longest note <c>add_note</c> appends, in characters.</summary>
    public const int MaxNoteChars = 64 * 1024;

    /// <summary>The most tags one <c>tag</c> call adds or removes.</summary>
    public const int MaxTags = 32;

    /// <summary>Appends a message to a session.</summary>
    [McpServerTool(Name = "add_note", Title = "Add a note to a session", ReadOnly = false, Destructive = false, Idempotent = false, OpenWorld = false, UseStructuredContent = true)]
    [Description("Appends a message (a note) to the end of a stored session, e.g. what was learned or decided since. It is stored durably before the answer.")]
    public async Task<NoteResult> AddNote(
        [Description("The session id.")] string sessionId,
        [Description("The note's text (at most 65,536 characters).")] string text,
        [Description("The message's role: user, assistant (the default) or system.")] string role = "assistant",
        [Description("The author or agent name to record, if any.")] string? author = null,
        CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw Paging.Invalid("'text' is empty");
        }

        if (text.Length > MaxNoteChars)
        {
            throw new AgentSessionsException(ErrorCode.TooLarge, $"'text' is {text.Length} characters long; the limit is {MaxNoteChars}");
        }

        var parsed = MessageRoles.Parse(role);
        if (parsed == MessageRole.Tool)
        {
            throw Paging.Invalid("a note cannot have the role 'tool'; use user, assistant or system");
        }

        var message = await service.AppendAsync(sessionId, new NewMessage(parsed, text) { AuthorName = author }, cancellationToken).ConfigureAwait(false);
        return new NoteResult(sessionId, message.Id, message.Sequence);
    }

    /// <summary>Names a message of a session.</summary>
    [McpServerTool(Name = "bookmark", Title = "Bookmark a message", ReadOnly = false, Destructive = false, Idempotent = false, OpenWorld = false, UseStructuredContent = true)]
    [Description("Names a message of a session (by default its last one) so that read_session can later start after it (sinceBookmark). A name is used once per session.")]
    public async Task<BookmarkSetResult> Bookmark(
        [Description("The session id.")] string sessionId,
        [Description("The bookmark's name: letters, digits, '-', '_', '.', starting with a letter or digit.")] string name,
        [Description("The message to mark, by position (seq); default: the last message.")] long? seq = null,
        [Description("A note to keep with the bookmark.")] string? note = null,
        CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        if (seq < 1)
        {
            throw Paging.Invalid($"'seq' must be 1 or more; got {seq}");
        }

        var bookmark = await service.AddBookmarkAsync(sessionId, name, seq, note, cancellationToken).ConfigureAwait(false);
        return new BookmarkSetResult(sessionId, new BookmarkResult(bookmark.Name, bookmark.Sequence, bookmark.Note));
    }

    /// <summary>Adds and removes tags of a session.</summary>
    [McpServerTool(Name = "tag", Title = "Tag a session", ReadOnly = false, Destructive = false, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description("Adds and/or removes tags of a session (removing a tag it lacks is not an error); returns its tags after the change.")]
    public async Task<TagResult> Tag(
        [Description("The session id.")] string sessionId,
        [Description("Tags to add.")] string[]? add = null,
        [Description("Tags to remove.")] string[]? remove = null,
        CancellationToken cancellationToken = default)
    {
        SessionIds.Validate(sessionId);
        add ??= [];
        remove ??= [];
        if (add.Length == 0 && remove.Length == 0)
        {
            throw Paging.Invalid("give tags to 'add' and/or 'remove'");
        }

        if (add.Length > MaxTags || remove.Length > MaxTags)
        {
            throw Paging.Invalid($"at most {MaxTags} tags can be added or removed at once");
        }

        var session = await service.TagAsync(sessionId, add, remove, cancellationToken).ConfigureAwait(false);
        return new TagResult(session.Id, session.Tags);
    }
}
