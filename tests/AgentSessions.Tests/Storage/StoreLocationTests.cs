using AgentSessions.Storage;
using Xunit;

namespace AgentSessions.Tests.Storage;

public sealed class StoreLocationTests
{
    [Theory]
    [InlineData("postgresql://me@db:5432/sessions", "postgresql")]
    [InlineData("postgres://db/sessions", "postgres")]
    public void A_scheme_url_is_a_server_location(string value, string scheme)
    {
        var location = StoreLocation.Parse(value);
        Assert.False(location.IsDirectory);
        Assert.Equal(scheme, location.Url!.Scheme);
        Assert.Equal(value, location.Value);
    }

    [Theory]
    [InlineData("relative/dir")]
    [InlineData("/abs/with:colon")]
    [InlineData("C:odd")]
    public void Anything_else_is_a_directory_made_absolute(string value)
    {
        var location = StoreLocation.Parse(value);
        Assert.True(location.IsDirectory);
        Assert.Equal(Path.GetFullPath(value), location.Value);
        Assert.Null(location.Url);
    }

    [Fact]
    public void A_password_in_a_url_is_never_shown()
    {
        var location = StoreLocation.Parse("postgresql://me:hunter2@db:5432/sessions");
        Assert.Equal("postgresql://me:***@db:5432/sessions", location.ToString());
        var e = Assert.Throws<AgentSessionsException>(() => StoreLocation.Parse("postgresql://me:hunter2@[bad/x"));
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Given_then_environment_then_default()
    {
        var saved = (Environment.GetEnvironmentVariable(StoreLocation.EnvironmentVariable), Environment.GetEnvironmentVariable("AGENT_SESSIONS_HOME"));
        try
        {
            Environment.SetEnvironmentVariable("AGENT_SESSIONS_HOME", "/tmp/as-home");
            Environment.SetEnvironmentVariable(StoreLocation.EnvironmentVariable, null);
            Assert.Equal("/tmp/as-home", StoreLocation.Resolve(null).Value);
            Assert.Equal("/tmp/as-home", StoreLocation.Resolve("  ").Value);
            Environment.SetEnvironmentVariable(StoreLocation.EnvironmentVariable, "/tmp/as-env");
            Assert.Equal("/tmp/as-env", StoreLocation.Resolve(null).Value);
            Assert.Equal("/tmp/as-given", StoreLocation.Resolve("/tmp/as-given").Value);
        }
        finally
        {
            Environment.SetEnvironmentVariable(StoreLocation.EnvironmentVariable, saved.Item1);
            Environment.SetEnvironmentVariable("AGENT_SESSIONS_HOME", saved.Item2);
        }
    }
}
