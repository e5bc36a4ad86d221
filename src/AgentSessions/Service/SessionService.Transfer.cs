using AgentSessions.Formats;
using AgentSessions.Formats.Import;
using AgentSessions.Storage;

namespace AgentSessions;

public sealed partial class SessionService
{
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

        return await ImportArchiveAsync(archive, replace, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stores an archive read by a format reader as a session, in one transaction.</summary>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.Conflict"/> (with <see cref="ErrorHint.ImportAsOrReplace"/>) when the id is taken and <paramref name="replace"/> is false.</exception>
    /// <param name="archive">The session and its history.</param>
    /// <param name="replace">Replace a session with the same id.</param>
    /// <param name="expected">With <paramref name="replace"/>: replace only the session as read (see <see cref="ISessionStore.ImportAsync"/>).</param>
    /// <param name="cancellationToken">Cancels the import; nothing is written then.</param>
    public async ValueTask<Session> ImportArchiveAsync(SessionArchive archive, bool replace = false, Session? expected = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(archive);
        try
        {
            return await Store.ImportAsync(archive, replace, expected, cancellationToken).ConfigureAwait(false);
        }
        catch (AgentSessionsException e) when (e.Code == ErrorCode.Conflict && !replace && e.Hint == ErrorHint.None)
        {
            throw new AgentSessionsException(ErrorCode.Conflict, $"session '{archive.Session.Id}' already exists", ErrorHint.ImportAsOrReplace, e);
        }
    }

    /// <summary>
    /// Imports a file or a folder of any format this service's importers read (see <see cref="SessionImportService"/>;
    /// the importers are given to the constructor).
    /// </summary>
    public Task<ImportSummary> ImportAsync(string path, ImportRequest request, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
        => new SessionImportService(Store, _importers).ImportAsync(path, request, progress, cancellationToken);
}
