namespace AgentSessions.Cli;

/// <summary>The process exit codes; documented in docs/cli.md and stable.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int InvalidInput = 2;
    public const int NotFound = 3;

    /// <summary>128 + SIGPIPE: the reader closed stdout before the output was complete (<c>show ID | head</c>).</summary>
    public const int ReaderGone = 141;

    public static int For(ErrorCode code) => code switch
    {
        ErrorCode.InvalidArgument or ErrorCode.InvalidId or ErrorCode.TooLarge or ErrorCode.Conflict => InvalidInput,
        ErrorCode.NotFound => NotFound,
        _ => Failure,
    };
}
