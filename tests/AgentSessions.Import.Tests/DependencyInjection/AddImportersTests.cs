using AgentSessions.Formats.Import;
using AgentSessions.Import.OpenAgent;
using AgentSessions.Sqlite;
using AgentSessions.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace AgentSessions.Import.Tests.DependencyInjection;

/// <summary>Which formats <see cref="SessionService.ImportAsync"/> reads: the core's own, or every one with <c>AddImporters()</c>.</summary>
public sealed class AddImportersTests
{
    private static string OpenAgentFixture => SeedFixtures.Path("openagent-terminal", "sessions", "2026-11-21_042521.json");

    private static readonly ImportRequest Utc = new() { Options = new ImportOptions { TimeZone = TimeZoneInfo.Utc } };

    [Fact]
    public void All_lists_every_format_in_detection_order_ours_first()
        => Assert.Equal(
            ["agent-sessions", "superqode", "openagent-terminal", "copilot-cli", "agent-q"],
            Importers.All.Select(i => i.Format));

    [Fact]
    public async Task AddImporters_makes_the_service_read_other_systems_files()
    {
        using var temp = TempDirectory.ForCaller();
        var services = new ServiceCollection();
        services.AddAgentSessions().UseSqlite(temp.Path, o => o with { Durability = SqliteDurability.Normal }).AddImporters().AddImporters();
        await using var provider = services.BuildServiceProvider();
        var service = provider.GetRequiredService<SessionService>();

        var summary = await service.ImportAsync(OpenAgentFixture, Utc);

        var item = Assert.Single(summary.Imported);
        Assert.Equal(OpenAgentImporter.FormatName, item.Format);
        // Added twice (by two libraries of one host, say), registered once.
        Assert.Equal(Importers.All.Count, provider.GetServices<ISessionImporter>().Count());
    }

    [Fact]
    public async Task Without_importers_the_service_reads_our_own_format_only_and_says_which_formats_it_knows()
    {
        using var temp = TempDirectory.ForCaller();
        var services = new ServiceCollection();
        services.AddAgentSessions().UseSqlite(temp.Path, o => o with { Durability = SqliteDurability.Normal });
        await using var provider = services.BuildServiceProvider();
        var service = provider.GetRequiredService<SessionService>();

        var summary = await service.ImportAsync(OpenAgentFixture, Utc);
        Assert.Empty(summary.Imported);
        Assert.Contains("not a session file of a known format", Assert.Single(summary.Skipped).Reason, StringComparison.Ordinal);

        var forced = await Assert.ThrowsAsync<AgentSessionsException>(() => service.ImportAsync(OpenAgentFixture, Utc with { Format = "openagent-terminal" }));
        Assert.Equal(ErrorCode.InvalidArgument, forced.Code);
        Assert.Contains("known: agent-sessions", forced.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_service_given_every_importer_reads_what_the_default_one_skips()
    {
        using var temp = TempDirectory.ForCaller();
        await using var service = new SessionService(SqliteSessionStore.Open(new SqliteStoreOptions(temp.Path) { Durability = SqliteDurability.Normal }), Importers.All, ownsStore: true);

        var summary = await service.ImportAsync(OpenAgentFixture, Utc);

        Assert.Equal(OpenAgentImporter.FormatName, Assert.Single(summary.Imported).Format);
    }
}
