using System.CommandLine;

namespace AgentSessions.Cli.Commands;

/// <summary>Placeholder until the command lands.</summary>
internal static class ShareCommands
{
    public static void AddTo(RootCommand root) => ArgumentNullException.ThrowIfNull(root);
}
