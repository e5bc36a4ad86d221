using System.Text.Json;
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
public sealed record ImportItem(string Source, string? Format, string? SessionId, string? Reason)
{
    /// <summary>What the user can do about a skipped or failed item; each front end words it.</summary>
    public ErrorHint Hint { get; init; }
}

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

    /// <summary>Creates the service with the given importers (tried in order), or with <see cref="Default"/>.</summary>
    public SessionImportService(ISessionStore store, IReadOnlyList<ISessionImporter>? importers = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _importers = importers ?? Default;
    }

    /// <summary>
    /// What the core reads on its own: our exports (JSON, JSONL, base64). The readers of other systems' formats
    /// live apart (the AgentSessions.Import package), so the core carries no parser it does not need.
    /// </summary>
    public static IReadOnlyList<ISessionImporter> Default { get; } = [new AgentSessionsImporter()];

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

        // The path the user named is followed if it is a link (that is their choice); what it leads to must be a
        // file or a folder. A FIFO would block the import in open(2), a device could be read forever.
        switch (FileKinds.Of(path, followLinks: true))
        {
            case FileKind.Missing:
                throw new AgentSessionsException(ErrorCode.InvalidArgument, $"'{path}' does not exist");
            case FileKind.Regular or FileKind.Directory:
                break;
            case var kind:
                throw new AgentSessionsException(ErrorCode.InvalidArgument, $"'{path}' is {FileKinds.Describe(kind)}, not a file or a folder; imports read only regular files");
        }

        var forced = request.Format is null ? null
            : _importers.FirstOrDefault(i => string.Equals(i.Format, request.Format, StringComparison.OrdinalIgnoreCase))
              ?? throw new AgentSessionsException(ErrorCode.InvalidArgument, $"unknown format '{request.Format}'; known: {string.Join(", ", Formats)}");

        var imported = new List<ImportItem>();
        var skipped = new List<ImportItem>();
        var failed = new List<ImportItem>();
        var sources = new List<ImportSource>();
        var root = new ImportSource(path);
        Collect(root, root.Path, forced, sources, skipped, depth: 0, isRoot: true, cancellationToken);
        if (request.AsId is not null && sources.Count != 1)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"a new id fits exactly one session file; '{path}' holds {sources.Count}");
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

    private void Collect(ImportSource source, string root, ISessionImporter? forced, List<ImportSource> sources, List<ImportItem> skipped, int depth, bool isRoot, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
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
            if (Path.GetFileName(entry).EndsWith(".lock", StringComparison.Ordinal))
            {
                continue; // lock files left behind by their writers
            }

            // Judged without opening or following anything: only regular files and folders are read.
            switch (FileKinds.Of(entry))
            {
                case FileKind.Regular or FileKind.Directory:
                    Collect(new ImportSource(entry), root, forced, sources, skipped, depth + 1, isRoot: false, cancellationToken);
                    break;
                case FileKind.SymbolicLink:
                    skipped.Add(new ImportItem(entry, null, null, FileKinds.LinkNote(entry, root)));
                    break;
                case FileKind.Missing:
                    break; // removed since the folder was listed
                case var kind:
                    skipped.Add(new ImportItem(entry, null, null, $"{FileKinds.Describe(kind)}, not a regular file; not opened"));
                    break;
            }
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
                    return (false, new ImportItem(source.Path, importer.Format, before.Id, $"already imported as '{before.Id}'") { Hint = ErrorHint.ImportAsOrReplace });
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
                return (false, new ImportItem(source.Path, importer.Format, session.Id, $"session '{session.Id}' already exists") { Hint = ErrorHint.ImportAsOrReplace });
            }
        }

        var stored = await _store.ImportAsync(archive with { Session = session }, replace, cancellationToken: cancellationToken).ConfigureAwait(false);
        var notes = new List<string>();
        if (replace)
        {
            notes.Add("replaced the earlier import");
        }
        else if (note is not null)
        {
            notes.Add(note);
        }

        notes.AddRange(ReaderNotes(session));
        return (true, new ImportItem(source.Path, importer.Format, stored.Id, notes.Count == 0 ? null : string.Join("; ", notes)));
    }

    /// <summary>What the reader noted (see <see cref="ImportText.Provenance"/>), for the summary.</summary>
    private static IEnumerable<string> ReaderNotes(Session session)
        => session.Metadata.TryGetValue(ImportMetadata.Key, out var value) && value.ValueKind == JsonValueKind.Object
           && value.TryGetProperty("notes", out var notes) && notes.ValueKind == JsonValueKind.Array
            ? notes.EnumerateArray().Where(n => n.ValueKind == JsonValueKind.String).Select(n => n.GetString()!)
            : [];

    private static string? Provenance(Session session, string field)
        => session.Metadata.TryGetValue(ImportMetadata.Key, out var value) && value.ValueKind == JsonValueKind.Object
           && value.TryGetProperty(field, out var f) && f.ValueKind == JsonValueKind.String
            ? f.GetString()
            : null;
}
