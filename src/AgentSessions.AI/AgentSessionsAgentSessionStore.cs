// AgentSessionStore is experimental in Agent Framework 1.28 (diagnostic MAAI001). This file implements it, so the
// diagnostic is suppressed here; the class carries [Experimental("MAAI001")] itself, so its users see the same
// warning the framework's own store gives them.
#pragma warning disable MAAI001

using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AgentSessions.Storage;
using Microsoft.Agents.AI;

namespace AgentSessions.AI;

/// <summary>
/// An Agent Framework <see cref="AgentSessionStore"/> over AgentSessions: one AgentSessions session per
/// <see cref="AgentSessionStoreKey"/>, holding the agent session's messages (written by
/// <see cref="AgentSessionsChatHistoryProvider"/>) and its serialized state; plus what the abstraction lacks:
/// <see cref="ListAsync"/>, <see cref="SearchAsync"/> and <see cref="ForkAsync"/>.
/// </summary>
/// <remarks>
/// <para>
/// A key without partitions whose id follows the id rules (<see cref="SessionIds"/>) is the AgentSessions session
/// of that id, so <c>project-discussion-2024</c> is the same conversation in the CLI, the viewer and the agent.
/// Any other key (partitions, or an id outside the rules) maps to <c>agent-</c> and a SHA-256 of the key's
/// canonical form; the key itself is kept in the session's metadata (<see cref="KeyMetadata"/>) and checked on
/// every lookup, so two keys that differ in any partition never share a session.
/// </para>
/// <para>
/// The agent's serialized session (its state bag) is kept in <see cref="StateMetadata"/> on save. A session
/// read back is bound to its AgentSessions session through the provider, which must be the agent's
/// <see cref="ChatClientAgentOptions.ChatHistoryProvider"/>. Experimental, like the framework type it implements.
/// </para>
/// </remarks>
[Experimental("MAAI001")]
public sealed class AgentSessionsAgentSessionStore : AgentSessionStore
{
    /// <summary>Session metadata key holding the <see cref="AgentSessionStoreKey"/> (id and partitions) as JSON.</summary>
    public const string KeyMetadata = "agent_sessions.agent_key";

    /// <summary>Session metadata key holding the agent's serialized session.</summary>
    public const string StateMetadata = "agent_sessions.agent_state";

    private readonly SessionService _service;

    /// <summary>Creates the store.</summary>
    public AgentSessionsAgentSessionStore(SessionService service) => _service = service ?? throw new ArgumentNullException(nameof(service));

    /// <summary>The AgentSessions session id a key maps to.</summary>
    public static string SessionIdOf(AgentSessionStoreKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Partitions is null && SessionIds.IsValid(key.SessionId))
        {
            return key.SessionId;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(Canonical(key).GetRawText()));
        return "agent-" + Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }

    /// <inheritdoc />
    public override async ValueTask SaveSessionAsync(AIAgent agent, AgentSessionStoreKey key, AgentSession session, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(session);
        var id = SessionIdOf(key);
        var provider = ProviderOf(agent);
        var bound = provider.GetSessionId(session);
        var existing = await FindAsync(key, cancellationToken).ConfigureAwait(false);
        if (bound != id)
        {
            // The agent session ran before it had a key: its conversation moves under the key's session (a fork
            // keeps every message and record), unless that session already holds another conversation.
            if (await _service.FindAsync(id, cancellationToken).ConfigureAwait(false) is not null)
            {
                throw new InvalidOperationException($"the agent session writes to AgentSessions session '{bound}', and the key's session '{id}' already holds another conversation");
            }

            if (await _service.FindAsync(bound, cancellationToken).ConfigureAwait(false) is not null)
            {
                await _service.ForkAsync(bound, null, new NewSession { Id = id }, cancellationToken).ConfigureAwait(false);
            }

            provider.BindSession(session, id);
            existing = null;
        }

        var state = await agent.SerializeSessionAsync(session, cancellationToken: cancellationToken).ConfigureAwait(false);
        var metadata = new Dictionary<string, JsonElement> { [KeyMetadata] = Canonical(key), [StateMetadata] = state };
        if (existing is null && await _service.FindAsync(id, cancellationToken).ConfigureAwait(false) is null)
        {
            await _service.CreateAsync(new NewSession { Id = id, Metadata = metadata }, cancellationToken).ConfigureAwait(false);
            return;
        }

        await _service.UpdateAsync(id, new SessionUpdate { Metadata = metadata }, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async ValueTask<AgentSession?> GetSessionAsync(AIAgent agent, AgentSessionStoreKey key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var session = await FindAsync(key, cancellationToken).ConfigureAwait(false);
        if (session is null)
        {
            return null;
        }

        // A fresh object per lookup, as the contract asks: deserialized from the stored state, never cached.
        var agentSession = session.Metadata.TryGetValue(StateMetadata, out var state) && state.ValueKind == JsonValueKind.Object
            ? await agent.DeserializeSessionAsync(state, cancellationToken: cancellationToken).ConfigureAwait(false)
            : await agent.CreateSessionAsync(cancellationToken).ConfigureAwait(false);
        ProviderOf(agent).BindSession(agentSession, session.Id);
        return agentSession;
    }

    /// <inheritdoc />
    public override async ValueTask<AgentSession> GetOrCreateSessionAsync(AIAgent agent, AgentSessionStoreKey key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(agent);
        if (await GetSessionAsync(agent, key, cancellationToken).ConfigureAwait(false) is { } found)
        {
            return found;
        }

        // Bound to the key's session before its first run, so its messages land there from the start.
        var created = await agent.CreateSessionAsync(cancellationToken).ConfigureAwait(false);
        ProviderOf(agent).BindSession(created, SessionIdOf(key));
        return created;
    }

    /// <inheritdoc />
    public override async ValueTask DeleteSessionAsync(AIAgent agent, AgentSessionStoreKey key, CancellationToken cancellationToken = default)
    {
        if (await FindAsync(key, cancellationToken).ConfigureAwait(false) is { } session)
        {
            try
            {
                await _service.DeleteAsync(session.Id, cancellationToken).ConfigureAwait(false);
            }
            catch (AgentSessionsException e) when (e.Code == ErrorCode.NotFound)
            {
                // Deleted meanwhile: a missing session is a no-op.
            }
        }
    }

    /// <summary>
    /// The stored agent sessions, newest update first: those saved under a key whose partitions include every
    /// one of <paramref name="partitions"/> (all when null), with the AgentSessions session each lives in.
    /// </summary>
    public async IAsyncEnumerable<(AgentSessionStoreKey Key, Session Session)> ListAsync(
        IReadOnlyDictionary<string, string>? partitions = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        const int PageSize = 200;
        for (var offset = 0; ; offset += PageSize)
        {
            var page = await _service.ListAsync(new SessionQuery { Limit = PageSize, Offset = offset }, cancellationToken).ConfigureAwait(false);
            foreach (var session in page.Sessions)
            {
                if (KeyOf(session) is { } key && InPartitions(key, partitions))
                {
                    yield return (key, session);
                }
            }

            if (!page.HasMore)
            {
                yield break;
            }
        }
    }

    /// <summary>Full-text search over the stored agent sessions in <paramref name="partitions"/> (all when null), best match first.</summary>
    public async IAsyncEnumerable<(AgentSessionStoreKey Key, SearchHit Hit)> SearchAsync(
        string text, IReadOnlyDictionary<string, string>? partitions = null, int limit = 20,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var keys = new Dictionary<string, AgentSessionStoreKey?>(StringComparer.Ordinal);
        await foreach (var hit in _service.SearchAsync(new SearchQuery(text) { Limit = limit }, cancellationToken).ConfigureAwait(false))
        {
            if (!keys.TryGetValue(hit.SessionId, out var key))
            {
                key = await _service.FindAsync(hit.SessionId, cancellationToken).ConfigureAwait(false) is { } session ? KeyOf(session) : null;
                keys[hit.SessionId] = key;
            }

            if (key is not null && InPartitions(key, partitions))
            {
                yield return (key, hit);
            }
        }
    }

    /// <summary>
    /// Copies the agent session stored under <paramref name="from"/> (up to a message, default all) into a new one
    /// under <paramref name="to"/> and returns it, ready to run: the two go on independently.
    /// </summary>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.NotFound"/> when nothing is stored under <paramref name="from"/>; <see cref="ErrorCode.Conflict"/> when <paramref name="to"/>'s session exists.</exception>
    public async ValueTask<AgentSession> ForkAsync(AIAgent agent, AgentSessionStoreKey from, AgentSessionStoreKey to, long? atSequence = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var source = await FindAsync(from, cancellationToken).ConfigureAwait(false)
            ?? throw AgentSessionsException.SessionNotFound(SessionIdOf(from));
        var metadata = new Dictionary<string, JsonElement>(source.Metadata) { [KeyMetadata] = Canonical(to) };
        await _service.ForkAsync(source.Id, atSequence, new NewSession { Id = SessionIdOf(to), Metadata = metadata }, cancellationToken).ConfigureAwait(false);
        return await GetSessionAsync(agent, to, cancellationToken).ConfigureAwait(false)
            ?? throw AgentSessionsException.SessionNotFound(SessionIdOf(to));
    }

    /// <summary>The session stored under <paramref name="key"/>: the mapped one, unless it records another key.</summary>
    private async ValueTask<Session?> FindAsync(AgentSessionStoreKey key, CancellationToken cancellationToken)
    {
        var session = await _service.FindAsync(SessionIdOf(key), cancellationToken).ConfigureAwait(false);
        if (session is null)
        {
            return null;
        }

        // A session made elsewhere (the CLI, an import) under a plain id has no recorded key and is the key's.
        return KeyOf(session) is not { } recorded || recorded.Equals(key) ? session : null;
    }

    private static AgentSessionsChatHistoryProvider ProviderOf(AIAgent agent)
        => agent.GetService<ChatClientAgent>()?.ChatHistoryProvider as AgentSessionsChatHistoryProvider
            ?? throw new InvalidOperationException($"the agent's ChatHistoryProvider must be an {nameof(AgentSessionsChatHistoryProvider)}: this store keeps the messages through it");

    private static bool InPartitions(AgentSessionStoreKey key, IReadOnlyDictionary<string, string>? partitions)
        => partitions is null || partitions.All(p => key.Partitions is { } own && own.TryGetValue(p.Key, out var value) && value == p.Value);

    /// <summary>The key as JSON, partitions sorted ordinally, so equal keys give equal text.</summary>
    private static JsonElement Canonical(AgentSessionStoreKey key)
    {
        var partitions = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in key.Partitions ?? new Dictionary<string, string>())
        {
            partitions[name] = value;
        }

        return JsonSerializer.SerializeToElement(new StoredKey(key.SessionId, partitions.Count == 0 ? null : partitions));
    }

    private static AgentSessionStoreKey? KeyOf(Session session)
    {
        if (!session.Metadata.TryGetValue(KeyMetadata, out var json) || json.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var stored = json.Deserialize<StoredKey>();
        return stored?.Id is { } id ? new AgentSessionStoreKey(id, stored.Partitions) : null;
    }

    private sealed record StoredKey(
        [property: System.Text.Json.Serialization.JsonPropertyName("id")] string Id,
        [property: System.Text.Json.Serialization.JsonPropertyName("partitions")] IReadOnlyDictionary<string, string>? Partitions);
}
