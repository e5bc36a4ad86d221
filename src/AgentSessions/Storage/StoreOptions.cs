using Microsoft.Extensions.Logging;

namespace AgentSessions.Storage;

/// <summary>The settings every backend honours alike; a backend's own options derive from this record.</summary>
public abstract record StoreOptions
{
    /// <summary>The largest message accepted, in bytes of content. Default: <see cref="StoreRules.DefaultMaxMessageBytes"/> (16 MiB).</summary>
    /// <remarks>Checked by <see cref="StoreRules.ValidateMessage"/> on append and import, so every store refuses the same messages.</remarks>
    public long MaxMessageBytes
    {
        get => _maxMessageBytes;
        init
        {
            if (value <= 0)
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, $"the largest message must be positive (got {value})");
            }

            _maxMessageBytes = value;
        }
    }

    private readonly long _maxMessageBytes = StoreRules.DefaultMaxMessageBytes;

    /// <summary>
    /// The longest one search may run. Default: 10 seconds. A search still running then is stopped inside the
    /// engine and refused with <see cref="ErrorCode.InvalidArgument"/> and advice to narrow it; ordinary searches
    /// take milliseconds, so only an exhaustive search of very many long, dense matches comes near it.
    /// </summary>
    public TimeSpan SearchTimeout
    {
        get => _searchTimeout;
        init
        {
            if (value <= TimeSpan.Zero)
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, $"the search time limit must be positive (got {value})");
            }

            _searchTimeout = value;
        }
    }

    private readonly TimeSpan _searchTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Where the store reports what its owner may want to know (schema upgrades); none by default.</summary>
    public ILogger? Logger { get; init; }
}
