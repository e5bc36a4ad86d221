using System.Text.Json;
using AgentSessions.Formats.Import.AgentQ;
using AgentSessions.Storage;

namespace AgentSessions.Formats.Import;

/// <summary>What to import and how.</summary>
public sealed record ImportRequest
{
    /// <summary>Force this format (an <see cref="ISessionImporter.Format"/> name) instead of detecting it.</summary>
    public string? Format { get; init; }

    /// <summary>Replace sessions imported before from the same file (or, for our own format, with the same id).</summary>
    public bool Replace { get; init; }

    /// <summary>Store the (single) imported session under this id.</summary>
    public string? AsId { get; init; }

    /// <summary>Settings for the readers (time zone of naive times, size limit).</summary>
    public ImportOptions Options { get; init; } = new();
}

/// <summary>Progress of a folder import: <paramref name="Done"/> of <paramref name="Total"/> sources.</summary>
public sealed record ImportProgress(int Done, int Total, string Current);

/// <summary>The outcome of one source, or of one session in it.</summary>
/// <param name="Source">The file or folder.</param>
/// <param name="Format">The format it was read as, if any.</param>
/// <param name="SessionId">The stored (or existing) session id, if any.</param>
/// <param name="Reason">Why it was skipped or failed, or a note on how it was imported.</param>
public sealed record ImportItem(string Source, string? Format, string? SessionId, string? Reason);

/// <summary>What an import did: imported, skipped (with reasons), failed (with reasons).</summary>
public sealed record ImportSummary(IReadOnlyList<ImportItem> Imported, IReadOnlyList<ImportItem> Skipped, IReadOnlyList<ImportItem> Failed);

/// <summary>
/// Imports files and folders of any supported format into a store: detects each file's format from its content,
/// keeps original ids where they are valid and free, recognises a file imported before, and writes each session
/// in one transaction, so a failure leaves nothing half-imported and a folder import goes on with the next file.
/// </summary>
public sealed class SessionImportService
{
    private const int MaxDepth = 12;
    private readonly ISessionStore _store;
    private readonly IReadOnlyList<ISessionImporter> _importers;

    /// <summary>Creates the service with the built-in importers, or the given ones.</summary>
    public SessionImportService(ISessionStore store, IReadOnlyList<ISessionImporter>? importers = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _importers = importers ?? BuiltIn;
    }

    /// <summary>Every format this library reads, in detection order.</summary>
    public static IReadOnlyList<ISessionImporter> BuiltIn { get; } =
    [
        new AgentSessionsImporter(),
        new SuperQode.SuperQodeImporter(),
        new OpenAgent.OpenAgentImporter(),
        new Copilot.CopilotCliImporter(),
        new AgentQImporter(),
    ];

    /// <summary>The names accepted by <see cref="ImportRequest.Format"/>.</summary>
    public IEnumerable<string> Formats => _importers.Select(i => i.Format);

    /// <summary>Imports a file or a folder.</summary>
    public async Task<ImportSummary> ImportAsync(string path, ImportRequest request, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.AsId is not null)
        {
            SessionIds.Validate(request.AsId);
        }

        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"'{path}' does not exist");
        }

        var forced = request.Format is null ? null
            : _importers.FirstOrDefault(i => string.Equals(i.Format, request.Format, StringComparison.OrdinalIgnoreCase))
              ?? throw new AgentSessionsException(ErrorCode.InvalidArgument, $"unknown format '{request.Format}'; known: {string.Join(", ", Formats)}");

        var imported = new List<ImportItem>();
        var skipped = new List<ImportItem>();
        var failed = new List<ImportItem>();
        var sources = new List<ImportSource>();
        Collect(new ImportSource(path), forced, sources, skipped, depth: 0, isRoot: true);
        if (request.AsId is not null && sources.Count != 1)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"--as needs exactly one session file; '{path}' holds {sources.Count}");
        }

        for (var i = 0; i < sources.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var source = sources[i];
            progress?.Report(new ImportProgress(i, sources.Count, source.Path));
            var importer = forced ?? _importers.First(x => x.CanRead(source));
            try
            {
                var archives = new List<SessionArchive>();
                // Read the whole source before writing anything, so a malformed file stores nothing.
                await foreach (var archive in importer.ReadAsync(source, request.Options, cancellationToken).ConfigureAwait(false))
                {
                    archives.Add(archive);
                }

                foreach (var archive in archives)
                {
                    var item = await StoreAsync(source, importer, archive, request, cancellationToken).ConfigureAwait(false);
                    (item.Stored ? imported : skipped).Add(item.Item);
                }
            }
            catch (AgentSessionsException e) when (e.Code is not (ErrorCode.Busy or ErrorCode.StoreFull))
            {
                failed.Add(new ImportItem(source.Path, importer.Format, null, e.Message));
            }
            catch (IOException e)
            {
                failed.Add(new ImportItem(source.Path, importer.Format, null, $"{source.Path}: {e.Message}"));
            }
            catch (UnauthorizedAccessException e)
            {
                failed.Add(new ImportItem(source.Path, importer.Format, null, $"{source.Path}: {e.Message}"));
            }
        }

        progress?.Report(new ImportProgress(sources.Count, sources.Count, ""));
        return new ImportSummary(imported, skipped, failed);
    }

    private void Collect(ImportSource source, ISessionImporter? forced, List<ImportSource> sources, List<ImportItem> skipped, int depth, bool isRoot)
    {
        if (forced is not null ? forced.CanRead(source) || (isRoot && !source.IsDirectory) : _importers.Any(i => i.CanRead(source)))
        {
            sources.Add(source);
            return;
        }

        if (!source.IsDirectory)
        {
            skipped.Add(new ImportItem(source.Path, null, null, source.Name.Equals("index.json", StringComparison.OrdinalIgnoreCase)
                ? "an index file (the sessions themselves are imported)"
                : "not a session file of a known format"));
            return;
        }

        if (depth >= MaxDepth)
        {
            skipped.Add(new ImportItem(source.Path, null, null, $"deeper than {MaxDepth} folders"));
            return;
        }

        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateFileSystemEntries(source.Path).Order(StringComparer.Ordinal).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            skipped.Add(new ImportItem(source.Path, null, null, e.Message));
            return;
        }

        foreach (var entry in entries)
        {
            var name = Path.GetFileName(entry);
            if (name.EndsWith(".lock", StringComparison.Ordinal) || (File.GetAttributes(entry) & FileAttributes.ReparsePoint) != 0)
            {
                continue; // lock files left behind by their writers; links could loop
            }

            Collect(new ImportSource(entry), forced, sources, skipped, depth + 1, isRoot: false);
        }
    }

    private async Task<(bool Stored, ImportItem Item)> StoreAsync(ImportSource source, ISessionImporter importer, SessionArchive archive, ImportRequest request, CancellationToken cancellationToken)
    {
        var session = archive.Session;
        var originalId = session.Id;
        var replace = false;
        var note = (string?)null;
        if (request.AsId is not null)
        {
            session = session with { Id = request.AsId };
        }

        var sha = Provenance(session, "sha256");
        if (sha is not null)
        {
            // The same file imported before, under whatever id it got then.
            var before = (await _store.ListAsync(new SessionQuery { ImportedFromSha256 = sha, Limit = 10_000 }, cancellationToken).ConfigureAwait(false))
                .Sessions.FirstOrDefault(s => Provenance(s, "originalId") == Provenance(session, "originalId"));
            if (before is not null)
            {
                if (!request.Replace)
                {
                    return (false, new ImportItem(source.Path, importer.Format, before.Id, $"already imported as '{before.Id}'; use --replace to import it again over that session"));
                }

                session = session with { Id = before.Id };
                replace = true;
            }
        }

        if (!replace && await _store.GetAsync(session.Id, cancellationToken).ConfigureAwait(false) is not null)
        {
            if (request.Replace)
            {
                replace = true;
            }
            else if (sha is not null && request.AsId is null)
            {
                // A different session holds the original id: keep ours apart; the original id stays in the metadata.
                session = session with { Id = SessionIds.NewSessionId() };
                note = $"id '{originalId}' is taken; stored as '{session.Id}'";
            }
            else
            {
                return (false, new ImportItem(source.Path, importer.Format, session.Id, $"session '{session.Id}' already exists; use --as NEW_ID to import a copy, or --replace to overwrite it"));
            }
        }

        var stored = await _store.ImportAsync(archive with { Session = session }, replace, cancellationToken).ConfigureAwait(false);
        return (true, new ImportItem(source.Path, importer.Format, stored.Id, replace ? "replaced the earlier import" : note));
    }

    private static string? Provenance(Session session, string field)
        => session.Metadata.TryGetValue(ImportMetadata.Key, out var value) && value.ValueKind == JsonValueKind.Object
           && value.TryGetProperty(field, out var f) && f.ValueKind == JsonValueKind.String
            ? f.GetString()
            : null;
}
