using AgentSessions.Formats.Import;
using AgentSessions.Import.AgentQ;
using AgentSessions.Import.Copilot;
using AgentSessions.Import.OpenAgent;
using AgentSessions.Import.SuperQode;

namespace AgentSessions.Import;

/// <summary>Every session format AgentSessions reads: pass <see cref="All"/> to <see cref="SessionService"/>.</summary>
public static class Importers
{
    /// <summary>
    /// Every format, in detection order: our own exports first (<see cref="AgentSessionsImporter"/>, from the core),
    /// then SuperQode, OpenAgent Terminal, Copilot CLI and Agent-Q. The first importer that can read a file reads it.
    /// </summary>
    public static IReadOnlyList<ISessionImporter> All { get; } =
    [
        new AgentSessionsImporter(),
        new SuperQodeImporter(),
        new OpenAgentImporter(),
        new CopilotCliImporter(),
        new AgentQImporter(),
    ];
}
