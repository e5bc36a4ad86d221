using System.Globalization;
using Microsoft.Data.Sqlite;

namespace AgentSessions.Sqlite;

/// <summary>The durability settings one connection reports when asked: what it does, not what it was told.</summary>
/// <param name="Synchronous"><c>PRAGMA synchronous</c>: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA.</param>
/// <param name="JournalMode"><c>PRAGMA journal_mode</c>, lower case (<c>wal</c>).</param>
internal readonly record struct ConnectionSettings(long Synchronous, string JournalMode)
{
    public const long Off = 0;
    public const long Normal = 1;
    public const long Full = 2;

    public static ConnectionSettings Read(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA synchronous";
        var synchronous = (long)command.ExecuteScalar()!;
        command.CommandText = "PRAGMA journal_mode";
        var journalMode = ((string)command.ExecuteScalar()!).ToLowerInvariant();
        return new ConnectionSettings(synchronous, journalMode);
    }

    public string SynchronousName => Synchronous switch
    {
        Off => "off",
        Normal => "normal",
        Full => "full",
        3 => "extra",
        _ => Synchronous.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>What an acknowledged write of a connection with these settings survives, for <c>info</c>.</summary>
    public string Durability
    {
        get
        {
            var mode = Synchronous switch
            {
                >= Full => "full (synchronous=FULL: acknowledged writes survive power loss)",
                Normal => "normal (synchronous=NORMAL: acknowledged writes survive a process crash)",
                _ => $"unsafe (synchronous={SynchronousName.ToUpperInvariant()}: an OS crash or power loss can lose or corrupt acknowledged writes)",
            };
            return JournalMode == "wal" ? mode : $"{mode}; journal_mode={JournalMode}, not wal";
        }
    }

    /// <summary>One value when the writer and the readers agree, both when they do not.</summary>
    public static string Describe(string writer, string reader) => writer == reader ? writer : $"{writer} (readers: {reader})";
}
