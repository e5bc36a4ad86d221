using Microsoft.Data.Sqlite;

namespace AgentSessions.Sqlite;

/// <summary>
/// A pooled read connection that keeps one command per SQL text, so SQLite parses and plans each query once
/// per connection rather than once per call (a visible share of a 1,000-message load otherwise).
/// </summary>
internal sealed class ReadConnection(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    public SqliteConnection Connection { get; } = connection;

    /// <summary>The cached command for <paramref name="sql"/>, with its parameters cleared. Do not dispose it.</summary>
    public SqliteCommand Command(string sql)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            // Dynamic filters give a bounded set of texts; cap the cache anyway.
            if (_commands.Count >= 64)
            {
                DisposeCommands();
            }

            command = Connection.CreateCommand();
            command.CommandText = sql;
            _commands[sql] = command;
        }

        command.Parameters.Clear();
        return command;
    }

    private void DisposeCommands()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
    }

    public void Dispose()
    {
        DisposeCommands();
        Connection.Dispose();
    }
}
