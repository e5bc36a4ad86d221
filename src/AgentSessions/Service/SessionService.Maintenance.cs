using AgentSessions.Storage;

namespace AgentSessions;

public sealed partial class SessionService
{
    /// <summary>Counts and token totals, over the whole store or since a time.</summary>
    public ValueTask<StoreStats> GetStatsAsync(StatsQuery query, CancellationToken cancellationToken = default)
        => Store.GetStatsAsync(query, cancellationToken);

    /// <summary>Checks the store (and repairs what can be repaired in place when asked).</summary>
    public ValueTask<DoctorReport> CheckAsync(bool repair, CancellationToken cancellationToken = default)
        => Store.CheckAsync(repair, cancellationToken);

    /// <summary>What the store is and how it is set up, read back from the store itself.</summary>
    public ValueTask<StoreInfo> GetInfoAsync(CancellationToken cancellationToken = default) => Store.GetInfoAsync(cancellationToken);

    /// <summary>Lists the sessions a retention policy would remove (pinned sessions never), without removing any.</summary>
    public Task<IReadOnlyList<Session>> PlanCleanupAsync(RetentionPolicy policy, DateTimeOffset now, CancellationToken cancellationToken = default)
        => Retention.PlanAsync(Store, policy, now, cancellationToken);
}
