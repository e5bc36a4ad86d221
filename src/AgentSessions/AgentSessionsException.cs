namespace AgentSessions;

/// <summary>The stable category of an <see cref="AgentSessionsException"/>.</summary>
/// <remarks>
/// Front ends map these to exit codes (CLI) and error codes (JSON-RPC, HTTP); the numeric values are part of
/// the public contract and never change.
/// </remarks>
public enum ErrorCode
{
    /// <summary>An argument was malformed or out of range.</summary>
    InvalidArgument = 1,

    /// <summary>A session or message id does not follow the id rules.</summary>
    InvalidId = 2,

    /// <summary>The session (or other object) does not exist.</summary>
    NotFound = 3,

    /// <summary>The object already exists, or a concurrent change conflicted.</summary>
    Conflict = 4,

    /// <summary>The content is larger than the store accepts.</summary>
    TooLarge = 5,

    /// <summary>The store or a file is damaged or not in the expected format.</summary>
    Corrupt = 6,

    /// <summary>The store was written by a newer version of AgentSessions.</summary>
    UnsupportedVersion = 7,

    /// <summary>The store has no space left.</summary>
    StoreFull = 8,

    /// <summary>The store stayed busy (locked by another process) for longer than the configured timeout.</summary>
    Busy = 9,
}

/// <summary>
/// What a user can do next about an error, named once and phrased by each front end in its own words (a CLI flag,
/// an RPC parameter, an HTTP field): the core's messages name no front end's options.
/// </summary>
/// <remarks>The numeric values are stable, like <see cref="ErrorCode"/>'s.</remarks>
public enum ErrorHint
{
    /// <summary>No advice beyond the message.</summary>
    None = 0,

    /// <summary>List the sessions of the store to find the right id.</summary>
    ListSessions = 1,

    /// <summary>List the session's snapshots to find the right name.</summary>
    ListSnapshots = 2,

    /// <summary>Import under another id, or replace the existing session.</summary>
    ImportAsOrReplace = 3,

    /// <summary>Give the share a password.</summary>
    SharePassword = 4,

    /// <summary>Make the share private to give it a password.</summary>
    SharePrivate = 5,

    /// <summary>Say what a cleanup keeps: a number of sessions and/or an age.</summary>
    CleanupRule = 6,

    /// <summary>Choose another store (a directory, or a server URL where supported).</summary>
    ChooseStore = 7,

    /// <summary>Run the store's check (doctor), which can repair what it finds.</summary>
    RunDoctor = 8,

    /// <summary>Run the store's check with repair.</summary>
    Repair = 9,
}

/// <summary>The single exception type AgentSessions throws for expected failures.</summary>
/// <remarks>
/// Every expected error (bad input, a missing session, a store from a newer version...) surfaces as this
/// type with a stable <see cref="Code"/>, so callers can branch on the code instead of parsing messages.
/// Messages are written for end users: one sentence saying what is wrong and, where possible, what to do.
/// </remarks>
public sealed class AgentSessionsException : Exception
{
    /// <summary>Creates an exception with a code and a user-facing message.</summary>
    public AgentSessionsException(ErrorCode code, string message, Exception? innerException = null)
        : base(message, innerException) => Code = code;

    /// <summary>Creates an exception with a code, a user-facing message and what to do next.</summary>
    public AgentSessionsException(ErrorCode code, string message, ErrorHint hint, Exception? innerException = null)
        : base(message, innerException) => (Code, Hint) = (code, hint);

    /// <summary>The stable category of the error.</summary>
    public ErrorCode Code { get; }

    /// <summary>What the user can do next; each front end words it (see <see cref="ErrorHint"/>).</summary>
    public ErrorHint Hint { get; }

    /// <summary>The standard error for a session id that does not exist.</summary>
    public static AgentSessionsException SessionNotFound(string id)
        => new(ErrorCode.NotFound, $"session '{id}' not found", ErrorHint.ListSessions);
}
