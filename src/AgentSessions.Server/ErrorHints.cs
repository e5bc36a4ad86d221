namespace AgentSessions.Server;

/// <summary>
/// The servers' wording of what to do next about an error (<see cref="ErrorHint"/>): RPC names its methods and
/// parameters, HTTP its endpoints and query fields. Advice only a person at the server's machine can follow
/// (choosing a store, running doctor) is worded for the server's owner.
/// </summary>
internal static class ErrorHints
{
    /// <summary>The error's message with the JSON-RPC client's advice.</summary>
    public static string ForRpc(AgentSessionsException e) => With(e.Message, e.Hint switch
    {
        ErrorHint.ListSessions => "call session.list to see the sessions in this store",
        ErrorHint.ListSnapshots => "session.load with \"details\": true lists them",
        ErrorHint.ImportAsOrReplace => "import it under another id with \"as\", or replace it with \"replace\": true",
        ErrorHint.SharePassword => "give one as \"password\"",
        ErrorHint.SharePrivate => "add \"visibility\": \"private\"",
        _ => Owner(e.Hint),
    });

    /// <summary>The error's message with the HTTP client's advice.</summary>
    public static string ForHttp(AgentSessionsException e) => With(e.Message, e.Hint switch
    {
        ErrorHint.ListSessions => "GET /api/sessions lists the sessions in this store",
        ErrorHint.ListSnapshots => "GET /api/sessions/{id} lists them",
        ErrorHint.ImportAsOrReplace => "import it under another id with ?as=NEW_ID, or replace it with ?replace=true",
        ErrorHint.SharePassword => "give one as \"password\"",
        ErrorHint.SharePrivate => "add \"visibility\": \"private\"",
        _ => Owner(e.Hint),
    });

    private static string? Owner(ErrorHint hint) => hint switch
    {
        ErrorHint.ChooseStore => "the server's owner can start it with another --store",
        ErrorHint.RunDoctor => "the server's owner can run 'agent-sessions doctor'",
        ErrorHint.Repair => "the server's owner can run 'agent-sessions doctor --repair'",
        ErrorHint.CleanupRule => "say how many sessions to keep and/or how old they may be",
        _ => null,
    };

    private static string With(string message, string? hint) => hint is null ? message : $"{message}; {hint}";
}
