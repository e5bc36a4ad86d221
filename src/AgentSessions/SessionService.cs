using AgentSessions.Formats;
using AgentSessions.Storage;

namespace AgentSessions;

/// <summary>The operations front ends use: the storage contract plus formats and friendlier errors.</summary>
/// <remarks>
/// Front ends talk to this type, never to SQL; it talks to an <see cref="ISessionStore"/>. It does not own the
/// store's lifetime unless created with <c>ownsStore: true</c>.
/// </remarks>
public sealed class SessionService : IAsyncDisposable
{
    private readonly bool _ownsStore;

    /// <summary>Creates a service over a store.</summary>
    public SessionService(ISessionStore store, bool ownsStore = false)
    {
        Store = store ?? throw new ArgumentNullException(nameof(store));
        _ownsStore = ownsStore;
    }

    /// <summary>The underlying store.</summary>
    public ISessionStore Store { get; }

    /// <summary>Creates a session.</summary>
    public ValueTask<Session> CreateAsync(NewSession session, CancellationToken cancellationToken = default)
        => Store.CreateAsync(session, cancellationToken);

    /// <summary>Reads a session, failing with <see cref="ErrorCode.NotFound"/> when it does not exist.</summary>
    public async ValueTask<Session> GetAsync(string sessionId, CancellationToken cancellationToken = default)
        => await Store.GetAsync(sessionId, cancellationToken).ConfigureAwait(false)
            ?? throw AgentSessionsException.SessionNotFound(sessionId);

    /// <summary>Appends one message.</summary>
    public async ValueTask<SessionMessage> AppendAsync(string sessionId, NewMessage message, CancellationToken cancellationToken = default)
        => (await Store.AppendAsync(sessionId, [message], cancellationToken).ConfigureAwait(false)).Messages[0];

    /// <summary>Appends several messages atomically.</summary>
    public ValueTask<AppendResult> AppendAsync(string sessionId, IReadOnlyList<NewMessage> messages, CancellationToken cancellationToken = default)
        => Store.AppendAsync(sessionId, messages, cancellationToken);

    /// <summary>Streams messages.</summary>
    public IAsyncEnumerable<SessionMessage> ReadAsync(string sessionId, MessageRange range = default, CancellationToken cancellationToken = default)
        => Store.ReadAsync(sessionId, range, cancellationToken);

    /// <summary>Streams messages with their content left as JSON (see <see cref="ISessionStore.ReadJsonAsync"/>).</summary>
    public IAsyncEnumerable<SessionMessageJson> ReadJsonAsync(string sessionId, MessageRange range = default, CancellationToken cancellationToken = default)
        => Store.ReadJsonAsync(sessionId, range, cancellationToken);

    /// <summary>Lists sessions.</summary>
    public ValueTask<SessionPage> ListAsync(SessionQuery query, CancellationToken cancellationToken = default)
        => Store.ListAsync(query, cancellationToken);

    /// <summary>Sets the title.</summary>
    public ValueTask<Session> RenameAsync(string sessionId, string title, CancellationToken cancellationToken = default)
    {
        var trimmed = title?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Any(char.IsControl))
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, "a title must have visible text and no control characters");
        }

        return Store.UpdateAsync(sessionId, new SessionUpdate { Title = trimmed }, cancellationToken);
    }

    /// <summary>Adds and removes tags.</summary>
    public ValueTask<Session> TagAsync(string sessionId, IReadOnlyList<string> add, IReadOnlyList<string> remove, CancellationToken cancellationToken = default)
        => Store.UpdateAsync(sessionId, new SessionUpdate { AddTags = add, RemoveTags = remove }, cancellationToken);

    /// <summary>Pins or unpins.</summary>
    public ValueTask<Session> PinAsync(string sessionId, bool pinned, CancellationToken cancellationToken = default)
        => Store.UpdateAsync(sessionId, new SessionUpdate { Pinned = pinned }, cancellationToken);

    /// <summary>Deletes a session, failing with <see cref="ErrorCode.NotFound"/> when it does not exist.</summary>
    public async ValueTask DeleteAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        if (!await Store.DeleteAsync(sessionId, cancellationToken).ConfigureAwait(false))
        {
            throw AgentSessionsException.SessionNotFound(sessionId);
        }
    }

    /// <summary>Searches.</summary>
    public IAsyncEnumerable<SearchHit> SearchAsync(SearchQuery query, CancellationToken cancellationToken = default)
        => Store.SearchAsync(query, cancellationToken);

    /// <summary>Exports a session in our JSON format.</summary>
    public Task ExportJsonAsync(string sessionId, Stream output, CancellationToken cancellationToken = default)
        => ExportAsync(sessionId, ExportFormat.Json, output, cancellationToken);

    /// <summary>Exports a session as Markdown.</summary>
    public Task ExportMarkdownAsync(string sessionId, Stream output, CancellationToken cancellationToken = default)
        => ExportAsync(sessionId, ExportFormat.Markdown, output, cancellationToken);

    /// <summary>Exports a session in any supported format, streaming its messages.</summary>
    public async Task ExportAsync(string sessionId, ExportFormat format, Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        var session = await GetAsync(sessionId, cancellationToken).ConfigureAwait(false);
        var details = await Store.GetDetailsAsync(sessionId, cancellationToken).ConfigureAwait(false);
        var messages = Store.ReadAsync(sessionId, MessageRange.All, cancellationToken);
        switch (format)
        {
            case ExportFormat.Json:
                await SessionJsonFormat.WriteAsync(output, session, messages, details, cancellationToken).ConfigureAwait(false);
                break;
            case ExportFormat.Jsonl:
                await SessionJsonlFormat.WriteAsync(output, session, messages, details, cancellationToken).ConfigureAwait(false);
                break;
            case ExportFormat.Markdown:
                await MarkdownExporter.WriteAsync(output, session, messages, cancellationToken).ConfigureAwait(false);
                break;
            case ExportFormat.Html:
                await HtmlExporter.WriteAsync(output, session, messages, details, cancellationToken).ConfigureAwait(false);
                break;
            case ExportFormat.Base64:
                var base64 = new System.Security.Cryptography.CryptoStream(output, new System.Security.Cryptography.ToBase64Transform(), System.Security.Cryptography.CryptoStreamMode.Write, leaveOpen: true);
                await using (base64.ConfigureAwait(false))
                {
                    await SessionJsonFormat.WriteAsync(base64, session, messages, details, cancellationToken).ConfigureAwait(false);
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(format), format, null);
        }
    }

    /// <summary>Imports a session exported in our JSON format.</summary>
    /// <param name="input">The export.</param>
    /// <param name="sourceName">A name for error messages.</param>
    /// <param name="newId">Store it under this id instead of the original one.</param>
    /// <param name="replace">Replace a session with the same id instead of failing with <see cref="ErrorCode.Conflict"/>.</param>
    /// <param name="cancellationToken">Cancels the import; nothing is stored then.</param>
    public async Task<Session> ImportJsonAsync(Stream input, string sourceName, string? newId = null, bool replace = false, CancellationToken cancellationToken = default)
    {
        if (newId is not null)
        {
            SessionIds.Validate(newId);
        }

        var archive = await SessionJsonFormat.ReadAsync(input, sourceName, cancellationToken).ConfigureAwait(false);
        if (newId is not null)
        {
            archive = archive with { Session = archive.Session with { Id = newId } };
        }

        try
        {
            return await Store.ImportAsync(archive, replace, cancellationToken).ConfigureAwait(false);
        }
        catch (AgentSessionsException e) when (e.Code == ErrorCode.Conflict && !replace)
        {
            throw new AgentSessionsException(ErrorCode.Conflict, $"session '{archive.Session.Id}' already exists; import it under another id with --as NEW_ID, or replace it with --replace", e);
        }
    }

    /// <summary>Describes the store.</summary>
    public ValueTask<StoreInfo> GetInfoAsync(CancellationToken cancellationToken = default) => Store.GetInfoAsync(cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _ownsStore ? Store.DisposeAsync() : ValueTask.CompletedTask;
}
