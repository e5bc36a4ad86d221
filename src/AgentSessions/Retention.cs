using AgentSessions.Storage;

namespace AgentSessions;

/// <summary>Which sessions a cleanup removes. Pinned sessions are never candidates.</summary>
public sealed record RetentionPolicy
{
    /// <summary>Keep at least this many of the most recently updated unpinned sessions.</summary>
    public int? Keep { get; init; }

    /// <summary>Remove only sessions not updated for at least this long.</summary>
    public TimeSpan? OlderThan { get; init; }

    /// <summary>Throws unless the policy names at least one limit and its values make sense.</summary>
    public void Validate()
    {
        if (Keep is null && OlderThan is null)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, "a cleanup needs a number of sessions to keep and/or an age; nothing is ever removed without one", ErrorHint.CleanupRule);
        }

        if (Keep is < 0)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, "the number of sessions to keep cannot be negative");
        }

        if (OlderThan is { } age && age <= TimeSpan.Zero)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, "the age must be a positive duration such as 30d");
        }
    }
}

/// <summary>Plans and carries out retention cleanups; the plan is always shown before anything is removed.</summary>
public static class Retention
{
    /// <summary>Lists the sessions <paramref name="policy"/> would remove, oldest update last.</summary>
    public static async Task<IReadOnlyList<Session>> PlanAsync(ISessionStore store, RetentionPolicy policy, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(policy);
        policy.Validate();
        var cutoff = policy.OlderThan is { } age ? now - age : (DateTimeOffset?)null;
        var candidates = new List<Session>();
        var kept = 0;
        const int Page = 1000;
        for (var offset = 0; ; offset += Page)
        {
            var page = await store.ListAsync(new SessionQuery { Pinned = false, Limit = Page, Offset = offset }, cancellationToken).ConfigureAwait(false);
            foreach (var session in page.Sessions)
            {
                // Newest first: the first Keep unpinned sessions always stay.
                if (policy.Keep is { } keep && kept < keep)
                {
                    kept++;
                    continue;
                }

                if (cutoff is null || session.UpdatedAt < cutoff)
                {
                    candidates.Add(session);
                }
            }

            if (!page.HasMore)
            {
                return candidates;
            }
        }
    }
}
