using Xunit;

namespace AgentSessions.Tests;

public sealed class SessionIdsTests
{
    [Fact]
    public void Generated_ids_follow_the_documented_shape_and_rules()
    {
        var id = SessionIds.NewId("session", new DateTimeOffset(2026, 11, 21, 14, 30, 22, 123, TimeSpan.Zero));

        Assert.Matches("^session-20261121-143022-123[0-9a-hjkmnp-tv-z]{10}$", id);
        Assert.True(SessionIds.IsValid(id));
    }

    [Fact]
    public void Ids_generated_concurrently_never_collide_and_sort_by_creation()
    {
        var ids = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                ids.Add(SessionIds.NewSessionId());
            }
        });

        Assert.Equal(160_000, ids.Distinct().Count());

        var sequential = Enumerable.Range(0, 5_000).Select(_ => SessionIds.NewMessageId()).ToList();
        Assert.Equal(sequential.Order(StringComparer.Ordinal), sequential);
    }

    [Fact]
    public void Ids_made_in_the_same_millisecond_still_increase()
    {
        var now = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var ids = Enumerable.Range(0, 1000).Select(_ => SessionIds.NewId("session", now)).ToList();

        Assert.Equal(1000, ids.Distinct().Count());
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
    }

    [Fact]
    public void An_explicit_time_is_honoured_whatever_was_generated_before()
    {
        // Ids for a later time first, as another test (or an import of newer sessions) may have made them.
        var later = SessionIds.NewId("session", new DateTimeOffset(2031, 5, 1, 0, 0, 0, TimeSpan.Zero));
        var earlier = SessionIds.NewId("session", new DateTimeOffset(2026, 11, 21, 14, 30, 22, 123, TimeSpan.Zero));
        var fromClock = SessionIds.NewSessionId();

        Assert.StartsWith("session-20310501-000000-000", later, StringComparison.Ordinal);
        Assert.StartsWith("session-20261121-143022-123", earlier, StringComparison.Ordinal);
        // The clock's ids are not dragged into the future by an explicit time either.
        Assert.StartsWith($"session-{DateTimeOffset.UtcNow:yyyyMMdd}-", fromClock, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("0")]
    [InlineData("my.session_1-x")]
    [InlineData("session-20261121-143022-123abcdefghjk")]
    public void Valid_custom_ids_are_accepted(string id) => Assert.Equal(id, SessionIds.Validate(id));

    [Theory]
    [InlineData(null, "empty")]
    [InlineData("", "empty")]
    [InlineData("../x", "start with a letter or digit")]
    [InlineData("a/b", "only letters")]
    [InlineData("a\\b", "only letters")]
    [InlineData("-flag", "start with a letter or digit")]
    [InlineData("a\u0000b", "only letters")]
    [InlineData("a\nb", "only letters")]
    [InlineData("caf\u00e9", "only letters")]
    [InlineData("a b", "only letters")]
    public void Invalid_ids_are_refused_with_a_reason(string? id, string reason)
    {
        var e = Assert.Throws<AgentSessionsException>(() => SessionIds.Validate(id));

        Assert.Equal(ErrorCode.InvalidId, e.Code);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\0', e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Ids_longer_than_128_characters_are_refused()
    {
        Assert.True(SessionIds.IsValid(new string('a', 128)));
        var e = Assert.Throws<AgentSessionsException>(() => SessionIds.Validate(new string('a', 129)));
        Assert.Contains("129 characters", e.Message, StringComparison.Ordinal);
    }
}
