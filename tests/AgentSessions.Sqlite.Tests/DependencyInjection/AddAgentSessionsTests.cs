using AgentSessions.Sqlite;
using AgentSessions.Storage;
using AgentSessions.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace AgentSessions.Sqlite.Tests.DependencyInjection;

/// <summary><c>services.AddAgentSessions().UseSqlite(dir)</c> and choosing the backend by location.</summary>
public sealed class AddAgentSessionsTests
{
    [Fact]
    public async Task UseSqlite_gives_a_working_service_whose_store_the_container_disposes()
    {
        using var temp = TempDirectory.ForCaller();
        var services = new ServiceCollection();
        services.AddAgentSessions().UseSqlite(temp.Path, o => o with { Durability = SqliteDurability.Normal });
        var provider = services.BuildServiceProvider();
        var service = provider.GetRequiredService<SessionService>();
        Assert.Same(service, provider.GetRequiredService<SessionService>());
        await service.CreateAsync(new NewSession { Id = "di" });
        await service.AppendAsync("di", new NewMessage(MessageRole.User, "hello"));
        Assert.StartsWith(temp.Path, service.Location, StringComparison.Ordinal);
        Assert.StartsWith("normal", (await service.GetInfoAsync()).Details["durability"], StringComparison.Ordinal);

        var store = provider.GetRequiredService<ISessionStore>();
        await provider.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await store.GetAsync("di"));

        // What was written is on disk for the next owner.
        await using var reopened = SqliteSessionStore.Open(temp.Path);
        Assert.Equal(1, (await reopened.GetAsync("di"))!.MessageCount);
    }

    [Fact]
    public async Task UseStoreAt_chooses_the_registered_backend_for_the_location_and_refuses_what_none_opens()
    {
        using var temp = TempDirectory.ForCaller();
        var services = new ServiceCollection();
        services.AddAgentSessions(o => o.Store = temp.Combine("located")).AddSqliteProvider().UseStoreAt();
        await using (var provider = services.BuildServiceProvider())
        {
            var service = provider.GetRequiredService<SessionService>();
            await service.CreateAsync(new NewSession { Id = "here" });
            Assert.True(File.Exists(Path.Combine(temp.Combine("located"), SqliteStoreOptions.DatabaseFileName)));
        }

        var url = new ServiceCollection();
        url.AddAgentSessions().AddSqliteProvider().UseStoreAt("postgresql://me:secret@db.example:5432/sessions");
        await using var urlProvider = url.BuildServiceProvider();
        var e = Assert.Throws<AgentSessionsException>(() => urlProvider.GetRequiredService<SessionService>());
        Assert.Equal(ErrorCode.InvalidArgument, e.Code);
        Assert.Contains("a store is a directory", e.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorHint.ChooseStore, e.Hint);
        Assert.DoesNotContain("secret", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_second_backend_or_none_is_a_clear_error()
    {
        using var temp = TempDirectory.ForCaller();
        var services = new ServiceCollection();
        var builder = services.AddAgentSessions().UseSqlite(temp.Path);
        Assert.Contains("one Use", Assert.Throws<InvalidOperationException>(() => builder.UseSqlite(temp.Combine("other"))).Message, StringComparison.Ordinal);

        var none = new ServiceCollection();
        none.AddAgentSessions();
        using var provider = none.BuildServiceProvider();
        Assert.Contains("UseSqlite", Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<SessionService>()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_container_s_logger_hears_about_a_schema_upgrade()
    {
        using var temp = TempDirectory.ForCaller();
        File.Copy(Path.Combine(AppContext.BaseDirectory, "Fixtures", "schema-v1.db"), Path.Combine(temp.Path, SqliteStoreOptions.DatabaseFileName));
        var logged = new List<string>();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(new ListLoggerFactory(logged));
        services.AddAgentSessions().UseSqlite(temp.Path);
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<SessionService>().ListAsync(new SessionQuery());
        Assert.Contains(logged, line => line.Contains("from schema version 1 to " + SqliteSessionStore.SchemaVersion, StringComparison.Ordinal));
    }

    private sealed class ListLoggerFactory(List<string> lines) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => new ListLogger(lines);

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        private sealed class ListLogger(List<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (lines)
                {
                    lines.Add(formatter(state, exception));
                }
            }
        }
    }
}
