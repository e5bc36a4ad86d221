using Microsoft.Extensions.Logging;

namespace AgentSessions.Mcp;

/// <summary>
/// Log lines to one writer (stderr in the CLI): warnings and errors, and everything in debug mode, with exception
/// stacks only then. Small on purpose: a full logging stack costs start-up time, and stdout must never see a byte.
/// </summary>
internal sealed class StderrLoggerFactory(TextWriter writer, bool debug) : ILoggerFactory
{
    private readonly Lock _lock = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
        // One writer is the whole point; other providers are not wanted here.
    }

    public void Dispose()
    {
    }

    private sealed class Logger(StderrLoggerFactory factory, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && (factory.Debug || logLevel >= LogLevel.Warning);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var line = $"agent-sessions mcp: {Level(logLevel)}: {formatter(state, exception).ReplaceLineEndings(" ")}";
            if (factory.Debug)
            {
                line = $"{line} [{category}]";
            }

            lock (factory._lock)
            {
                factory.Writer.WriteLine(line);
                if (exception is not null && factory.Debug)
                {
                    factory.Writer.WriteLine(exception);
                }

                factory.Writer.Flush();
            }
        }

        private static string Level(LogLevel level) => level switch
        {
            LogLevel.Critical or LogLevel.Error => "error",
            LogLevel.Warning => "warning",
            LogLevel.Information => "info",
            _ => "debug",
        };
    }

    private TextWriter Writer => writer;

    private bool Debug => debug;
}
