namespace AgentSessions.Server.Pages;

/// <summary>Counts wrong share passwords per (token, client address) and refuses further tries for a while.</summary>
/// <remarks>
/// A sliding window: once <see cref="MaxFailures"/> wrong passwords fall within <see cref="Window"/>, every further
/// try on that link from that address is refused (right password or not, or the refusal itself would tell) until
/// the oldest failure leaves the window. Keyed by the link too so one busy address (a NAT) does not lock out
/// other links. In memory: a restart forgets, which is acceptable for a local server and keeps nothing on disk.
/// </remarks>
internal sealed class PasswordAttemptLimiter(TimeProvider time, int maxFailures = 5, TimeSpan? window = null)
{
    private const int PruneAbove = 10_000;

    private readonly Dictionary<(string Token, string Client), List<DateTimeOffset>> _failures = [];
    private readonly Lock _gate = new();

    public int MaxFailures { get; } = maxFailures;

    public TimeSpan Window { get; } = window ?? TimeSpan.FromMinutes(5);

    /// <summary>Whether tries are refused now, and for how long.</summary>
    public bool IsBlocked(string token, string client, out TimeSpan retryAfter)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            retryAfter = TimeSpan.Zero;
            if (!_failures.TryGetValue((token, client), out var list))
            {
                return false;
            }

            list.RemoveAll(t => t <= now - Window);
            if (list.Count < MaxFailures)
            {
                return false;
            }

            // Free again when enough failures have aged out to fall below the limit.
            retryAfter = list[list.Count - MaxFailures] + Window - now;
            return true;
        }
    }

    /// <summary>Records a wrong password.</summary>
    public void RecordFailure(string token, string client)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (_failures.Count > PruneAbove)
            {
                // Keep memory bounded under a flood of distinct addresses: forget keys with nothing recent.
                foreach (var key in _failures.Where(p => p.Value.Count == 0 || p.Value[^1] <= now - Window).Select(p => p.Key).ToList())
                {
                    _failures.Remove(key);
                }
            }

            if (!_failures.TryGetValue((token, client), out var list))
            {
                _failures[(token, client)] = list = [];
            }

            list.Add(now);
        }
    }

    /// <summary>Forgets the failures of a client that got the password right.</summary>
    public void Reset(string token, string client)
    {
        lock (_gate)
        {
            _failures.Remove((token, client));
        }
    }
}
