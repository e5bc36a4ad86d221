namespace AgentSessions.Sqlite;

/// <summary>
/// Lets writer processes of one store take turns: a process waiting for the write lock says so, and the process
/// holding it steps aside briefly before taking it again.
/// </summary>
/// <remarks>
/// <para>
/// SQLite has no queue for its write lock: whoever asks first after a commit gets it. A process appending in a loop
/// asks again microseconds after its commit, while a waiter polls every few milliseconds, so the waiter could lose
/// for a second or more. Here a waiter holds a one-byte lock (fcntl, through <see cref="FileStream.Lock"/>) in the
/// side file <c>sessions.db-writers</c>; after each commit the writer tests the range with one non-blocking
/// lock call, and if anyone else is waiting it pauses <see cref="StepAside"/> before its next transaction, long
/// enough for a waiter's next poll. A waiter asks only after <see cref="AskAfter"/>, so two busy writers run in
/// short bursts rather than strictly taking turns, which would cost each a pause per commit.
/// </para>
/// <para>
/// Only a hint: if the side file cannot be opened (a read-only directory, say) turns are simply not taken, and the
/// kernel drops a crashed waiter's lock with its process. Correctness never depends on it. (.NET does not offer
/// byte-range locks on macOS, so there turns are not taken either.)
/// </para>
/// </remarks>
internal sealed class WriterTurns : IDisposable
{
    /// <summary>How many waiters can announce themselves at once; more still wait, unannounced.</summary>
    private const int Slots = 64;

    /// <summary>How long a process waits for the lock before it asks for a turn: 5 ms, a few appends of another writer.</summary>
    public static readonly TimeSpan AskAfter = TimeSpan.FromMilliseconds(5);

    /// <summary>How long a writer pauses when another process is waiting: two of the waiters' 1 ms polls.</summary>
    public static readonly TimeSpan StepAside = TimeSpan.FromMilliseconds(2);

    private readonly string _path;
    private FileStream? _file;
    private bool _unusable;
    private int _slot = -1;

    private WriterTurns(string path) => _path = path;

    /// <summary>Turns for the store at <paramref name="databasePath"/>; the side file is made only when a process first waits.</summary>
    public static WriterTurns Open(string databasePath) => new(databasePath + "-writers");

    /// <summary>The side file, opened on first use; created (0600) only by a process that is about to wait.</summary>
    private FileStream? File(bool create)
    {
        if (_file is not null || _unusable)
        {
            return _file;
        }

        // Asked after every commit: a stat, not a FileNotFoundException per append, while nobody has waited yet.
        if (!create && !System.IO.File.Exists(_path))
        {
            return null;
        }

        try
        {
            var options = new FileStreamOptions { Mode = create ? FileMode.OpenOrCreate : FileMode.Open, Access = FileAccess.ReadWrite, Share = FileShare.ReadWrite | FileShare.Delete };
            if (create && !OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            return _file = new FileStream(_path, options);
        }
        catch (FileNotFoundException)
        {
            // Nobody has waited yet, so nobody waits now.
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only directory, say: no turns, only the polling.
            _unusable = true;
            return null;
        }
    }

    /// <summary>Whether this process has announced that it waits.</summary>
    public bool IsWaiting => _slot >= 0;

    /// <summary>Announces that this process waits for the write lock (idempotent).</summary>
    public void Waiting()
    {
        if (_slot >= 0 || OperatingSystem.IsMacOS() || File(create: true) is not { } file)
        {
            return;
        }

        var start = Random.Shared.Next(Slots);
        for (var i = 0; i < Slots; i++)
        {
            var slot = (start + i) % Slots;
            try
            {
                file.Lock(slot, 1);
                _slot = slot;
                return;
            }
            catch (IOException)
            {
                // Taken by another waiter: try the next byte.
            }
        }
    }

    /// <summary>Withdraws this process's announcement (it has the lock, or gave up).</summary>
    public void Done()
    {
        if (_file is null || _slot < 0 || OperatingSystem.IsMacOS())
        {
            return;
        }

        try
        {
            _file.Unlock(_slot, 1);
        }
        catch (IOException)
        {
            // Nothing to release; the kernel drops it with the file anyway.
        }

        _slot = -1;
    }

    /// <summary>Whether another process announced that it waits. Call only when not waiting yourself.</summary>
    public bool OthersWaiting()
    {
        if (_slot >= 0 || OperatingSystem.IsMacOS() || File(create: false) is not { } file)
        {
            return false;
        }

        try
        {
            file.Lock(0, Slots);
        }
        catch (IOException)
        {
            return true;
        }

        try
        {
            file.Unlock(0, Slots);
        }
        catch (IOException)
        {
            // Released with the file at worst.
        }

        return false;
    }

    /// <inheritdoc />
    public void Dispose() => _file?.Dispose();
}
