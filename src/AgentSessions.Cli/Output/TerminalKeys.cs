using System.Threading.Channels;

namespace AgentSessions.Cli.Output;

/// <summary>
/// The keys typed at the terminal, read by one thread of their own and handed out in order, so the prompt, the
/// session picker and the watch for Ctrl+C during an answer all read the same queue and never two reads at once.
/// </summary>
/// <remarks>
/// <para>
/// Ctrl+C is read as a key (<see cref="Console.TreatControlCAsInput"/>), not sent as SIGINT: the CLI's
/// <see cref="Interruption"/> turns SIGINT into the end of the whole command, and in a chat Ctrl+C must stop only
/// the answer in progress. A SIGINT sent from elsewhere (<c>kill -INT</c>) still ends the command as it does for
/// every other one.
/// </para>
/// <para>
/// The reading thread is a background thread blocked in <see cref="Console.ReadKey(bool)"/>, which no token can
/// reach; it ends with the process. The runtime puts the terminal back as it found it (echo, line mode) at exit.
/// </para>
/// </remarks>
internal sealed class TerminalKeys
{
    private readonly Channel<ConsoleKeyInfo> _keys = Channel.CreateUnbounded<ConsoleKeyInfo>(new UnboundedChannelOptions { SingleWriter = true });

    // Keys taken while an answer streamed (type-ahead), given back to the prompt first. One reader at a time.
    private readonly Queue<ConsoleKeyInfo> _returned = new();

    private TerminalKeys()
    {
    }

    /// <summary>Starts reading keys; call only when stdin is a terminal.</summary>
    public static TerminalKeys Start()
    {
        Console.TreatControlCAsInput = true;
        var keys = new TerminalKeys();
        var reader = new Thread(keys.Read) { IsBackground = true, Name = "agent-sessions terminal keys" };
        reader.Start();
        return keys;
    }

    /// <summary>Whether the key is Ctrl+C (as a key: see the remarks of the class).</summary>
    public static bool IsControlC(ConsoleKeyInfo key)
        => key.KeyChar == '\u0003' || (key.Key == ConsoleKey.C && key.Modifiers.HasFlag(ConsoleModifiers.Control));

    /// <summary>Whether the key is Ctrl+D, end of input at an empty prompt.</summary>
    public static bool IsControlD(ConsoleKeyInfo key)
        => key.KeyChar == '\u0004' || (key.Key == ConsoleKey.D && key.Modifiers.HasFlag(ConsoleModifiers.Control));

    /// <summary>The next key typed; throws <see cref="EndOfStreamException"/> when the terminal is gone.</summary>
    public async ValueTask<ConsoleKeyInfo> ReadAsync(CancellationToken cancellationToken)
    {
        if (_returned.TryDequeue(out var returned))
        {
            return returned;
        }

        try
        {
            return await _keys.Reader.ReadAsync(cancellationToken);
        }
        catch (ChannelClosedException e)
        {
            throw new EndOfStreamException("the terminal closed", e);
        }
    }

    /// <summary>Gives keys back, to be read again before any other (keys typed ahead while an answer streamed).</summary>
    public void Return(IEnumerable<ConsoleKeyInfo> keys)
    {
        var later = _returned.ToList();
        _returned.Clear();
        foreach (var key in keys.Concat(later))
        {
            _returned.Enqueue(key);
        }
    }

    private void Read()
    {
        try
        {
            var empty = 0;
            while (true)
            {
                var key = Console.ReadKey(intercept: true);
                // A terminal that ended may read as endless empty keys rather than an error: the queue is unbounded,
                // so many in a row (no hand types them) end the input instead of filling memory.
                empty = key == default ? empty + 1 : 0;
                if (empty > 1_000)
                {
                    break;
                }

                _keys.Writer.TryWrite(key);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            // The terminal went away (hang-up) or stdin stopped being one.
        }

        // Whoever waits for a key learns that none will come.
        _keys.Writer.TryComplete();
    }
}
