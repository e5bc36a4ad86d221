namespace AgentSessions.Cli;

/// <summary>The CLI's wording of what to do next about an error: its own flags and commands (<see cref="ErrorHint"/>).</summary>
internal static class CliHints
{
    /// <summary>The error's message with the CLI's advice, as one line.</summary>
    public static string Describe(AgentSessionsException e)
        => For(e.Hint) is { } hint ? $"{e.Message}; {hint}" : e.Message;

    /// <summary>The advice for a hint, or <see langword="null"/> for none.</summary>
    public static string? For(ErrorHint hint) => hint switch
    {
        ErrorHint.ListSessions => "run 'agent-sessions list' to see the sessions in this store",
        ErrorHint.ListSnapshots => "run 'agent-sessions snapshots ID' to list them",
        ErrorHint.ImportAsOrReplace => "import it under another id with --as NEW_ID, or replace it with --replace",
        ErrorHint.SharePassword => "give one with --password",
        ErrorHint.SharePrivate => "add --visibility private",
        ErrorHint.CleanupRule => "give --keep N and/or --older-than DURATION",
        ErrorHint.ChooseStore => "choose another with --store DIR or AGENT_SESSIONS_STORE",
        ErrorHint.RunDoctor => "run 'agent-sessions doctor'",
        ErrorHint.Repair => "run 'agent-sessions doctor --repair'",
        _ => null,
    };
}
