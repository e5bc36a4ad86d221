using AgentSessions.Sharing;
using AgentSessions.Sqlite;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Sqlite.Tests;

/// <summary>
/// The core and the store name no front end's flags: each error says what is wrong, and carries a hint that the CLI,
/// RPC and HTTP layers word in their own terms.
/// </summary>
public sealed class ErrorHintTests
{
    [Fact]
    public async Task Expected_errors_carry_a_hint_and_no_command_line_flags()
    {
        using var temp = TempDirectory.ForCaller();
        await using var service = new SessionService(SqliteSessionStore.Open(temp.Path));
        await service.CreateAsync(new NewSession { Id = "taken" });
        var archive = new SessionArchive { Session = (await service.GetAsync("taken"))!, Messages = [] };

        var cases = new (ErrorHint Hint, Func<Task> Act)[]
        {
            (ErrorHint.ListSessions, () => service.AppendAsync("missing", new NewMessage(MessageRole.User, "x")).AsTask()),
            (ErrorHint.ImportAsOrReplace, () => service.ImportArchiveAsync(archive).AsTask()),
            (ErrorHint.SharePassword, () => service.CreateShareAsync("taken", new ShareRequest { Visibility = ShareVisibility.Private })),
            (ErrorHint.SharePrivate, () => service.CreateShareAsync("taken", new ShareRequest { Password = "secret" })),
            (ErrorHint.CleanupRule, () => service.PlanCleanupAsync(new RetentionPolicy(), DateTimeOffset.UtcNow)),
            (ErrorHint.ListSnapshots, () => service.RestoreAsync("taken", "nope").AsTask()),
        };

        foreach (var (hint, act) in cases)
        {
            var e = await Assert.ThrowsAsync<AgentSessionsException>(act);
            Assert.True(hint == e.Hint, $"{hint}: got {e.Hint} for '{e.Message}'");
            Assert.DoesNotContain("--", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("agent-sessions ", e.Message, StringComparison.Ordinal);
        }
    }
}
