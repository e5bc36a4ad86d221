using AgentSessions.Import;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Reads other systems' session files: <c>services.AddAgentSessions().UseSqlite(dir).AddImporters()</c>.</summary>
public static class ImportAgentSessionsBuilderExtensions
{
    /// <summary>
    /// Makes <see cref="AgentSessions.SessionService.ImportAsync"/> read every format in <see cref="Importers.All"/>,
    /// in that order, after any importer added before.
    /// </summary>
    /// <param name="builder">The builder from <c>AddAgentSessions()</c>.</param>
    public static AgentSessionsBuilder AddImporters(this AgentSessionsBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var importer in Importers.All)
        {
            builder.AddImporter(importer);
        }

        return builder;
    }
}
