using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace AgentSessions.Mcp;

/// <summary>
/// The Model Context Protocol server over a <see cref="SessionService"/>: the read tools, the write tools when
/// allowed, and each session as a resource. See docs/mcp.md.
/// </summary>
public static class AgentSessionsMcpServer
{
    /// <summary>The name the server gives in its <c>initialize</c> answer.</summary>
    public const string Name = "agent-sessions";

    /// <summary>What the server tells a client's model about itself, in the <c>initialize</c> answer.</summary>
    public const string Instructions =
        "Past agent sessions (conversations with their tool runs) kept by agent-sessions. Use search_sessions to find "
        + "where something was discussed or done before, read_session to read the messages around a hit, session_info "
        + "for a session's files, tools, tokens and lineage, and list_sessions for the latest sessions of a project or tag.";

    /// <summary>The JSON settings of the tools' arguments and results: the SDK's, ahead of them our generated metadata.</summary>
    internal static JsonSerializerOptions SerializerOptions { get; } = CreateSerializerOptions();

    /// <summary>Serves over stdin and stdout until the client closes stdin or <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <remarks>Nothing but protocol messages may reach stdout meanwhile: the caller sends anything else that writes to the console elsewhere.</remarks>
    public static Task RunStdioAsync(SessionService service, McpServerSettings settings, CancellationToken cancellationToken = default)
        => RunAsync(service, settings, builder => builder.WithStdioServerTransport(), cancellationToken);

    /// <summary>Serves over a pair of streams (the client's output as <paramref name="input"/>) until input ends or cancellation.</summary>
    public static Task RunAsync(SessionService service, McpServerSettings settings, Stream input, Stream output, CancellationToken cancellationToken = default)
        => RunAsync(service, settings, builder => builder.WithStreamServerTransport(input, output), cancellationToken);

    /// <summary>Adds an MCP server that names itself <see cref="Name"/> and tells clients <see cref="Instructions"/>; add a transport and <see cref="WithAgentSessions"/>.</summary>
    public static IMcpServerBuilder AddAgentSessionsMcpServer(this IServiceCollection services)
        => services.AddMcpServer(options =>
        {
            options.ServerInfo = new() { Name = Name, Version = Version };
            options.ServerInstructions = Instructions;
        });

    /// <summary>
    /// Registers the server's tools (the write tools only when <see cref="McpServerSettings.AllowWrite"/>), resources,
    /// error handling and logging (to <see cref="McpServerSettings.Log"/>, unless the services already log) on an MCP
    /// server builder; the transport is the caller's.
    /// </summary>
    /// <remarks>The builder's services must resolve the <see cref="SessionService"/> the tools use.</remarks>
    public static IMcpServerBuilder WithAgentSessions(this IMcpServerBuilder builder, McpServerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        var loggerFactory = settings.Log is null ? (ILoggerFactory)NullLoggerFactory.Instance : new StderrLoggerFactory(settings.Log, settings.Debug);
        builder.Services.TryAddSingleton(loggerFactory);
        builder.WithTools<SessionTools>(SerializerOptions)
            .WithListResourceTemplatesHandler((_, _) => ValueTask.FromResult(new ListResourceTemplatesResult { ResourceTemplates = [SessionResources.Template] }))
            .WithListResourcesHandler((request, cancellationToken) => SessionResources.ListAsync(Service(request), request.Params?.Cursor, cancellationToken))
            .WithReadResourceHandler((request, cancellationToken) => SessionResources.ReadAsync(Service(request), request.Params?.Uri, cancellationToken));
        if (settings.AllowWrite)
        {
            builder.WithTools<SessionWriteTools>(SerializerOptions);
        }

        var logger = loggerFactory.CreateLogger("AgentSessions.Mcp.Tools");
        return builder.WithRequestFilters(filters => filters.AddCallToolFilter(next => ToolErrors.Filter(next, settings, logger)));
    }

    private static SessionService Service<TParams>(RequestContext<TParams> request)
        => (request.Services ?? throw new InvalidOperationException("the request has no services")).GetRequiredService<SessionService>();

    private static async Task RunAsync(SessionService service, McpServerSettings settings, Func<IMcpServerBuilder, IMcpServerBuilder> transport, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(settings);
        var services = new ServiceCollection();
        services.AddSingleton(service);
        transport(services.AddAgentSessionsMcpServer()).WithAgentSessions(settings);

        await using var provider = services.BuildServiceProvider();
        var server = provider.GetRequiredService<McpServer>();
        try
        {
            await server.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Asked to stop (a signal): a clean end, like the end of input.
        }
    }

    private static string Version { get; } =
        typeof(AgentSessionsMcpServer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private static JsonSerializerOptions CreateSerializerOptions()
    {
        // Readable escaping (as every JSON the project writes): a model reads "+00:00", not "\u002B00:00".
        // Nulls written out: the output schemas the SDK derives from the result records mark every member as
        // required, and clients that check results against them (the TypeScript SDK does) refuse a missing one.
        var options = new JsonSerializerOptions(McpJsonUtilities.DefaultOptions)
        {
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        };
        options.TypeInfoResolverChain.Insert(0, McpToolsJsonContext.Default);
        options.MakeReadOnly();
        return options;
    }
}
