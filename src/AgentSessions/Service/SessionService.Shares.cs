using AgentSessions.Sharing;
using AgentSessions.Storage;

namespace AgentSessions;

public sealed partial class SessionService
{
    private ShareService? _shares;

    /// <summary>The share rules (tokens, password hashing, expiry), over this service's store.</summary>
    private ShareService Shares => _shares ??= new ShareService(Store);

    /// <summary>Creates a share link of a session.</summary>
    /// <remarks>A private link's password is kept only as a salted, slow hash; the token is returned once, in the share.</remarks>
    public Task<Share> CreateShareAsync(string sessionId, ShareRequest request, CancellationToken cancellationToken = default)
        => Shares.CreateAsync(sessionId, request, cancellationToken);

    /// <summary>Opens a link: finds it and checks revocation, expiry and password (compared in constant time).</summary>
    public Task<(ShareAccess Access, Share? Share)> OpenShareAsync(string token, string? password, DateTimeOffset now, CancellationToken cancellationToken = default)
        => Shares.OpenAsync(token, password, now, cancellationToken);

    /// <summary>Reads a link by token, revoked or not; null when there is none (or the token is malformed).</summary>
    public async ValueTask<Share?> GetShareAsync(string token, CancellationToken cancellationToken = default)
        => ShareService.IsWellFormedToken(token) ? await Store.GetShareAsync(token, cancellationToken).ConfigureAwait(false) : null;

    /// <summary>Lists links, of one session or all, newest first.</summary>
    public ValueTask<IReadOnlyList<Share>> ListSharesAsync(string? sessionId = null, bool includeRevoked = false, CancellationToken cancellationToken = default)
        => Store.ListSharesAsync(sessionId, includeRevoked, cancellationToken);

    /// <summary>Revokes a link; false when no live link has that token.</summary>
    public async ValueTask<bool> RevokeShareAsync(string token, CancellationToken cancellationToken = default)
        => ShareService.IsWellFormedToken(token) && await Store.RevokeShareAsync(token, cancellationToken).ConfigureAwait(false);

    /// <summary>What an opened link hands out: the whole shared view of the session, as its export holds it.</summary>
    /// <remarks>See <see cref="SharedView.ReadAsync(ISessionStore, Share, MessageWindow?, CancellationToken)"/>.</remarks>
    public Task<SharedSession> ReadSharedAsync(Share share, CancellationToken cancellationToken = default)
        => SharedView.ReadAsync(Store, share, window: null, cancellationToken);

    /// <summary>One page of what an opened link hands out, as its page shows it.</summary>
    /// <remarks>
    /// The window is resolved against the shared messages (one at most for a link without history), so no
    /// <c>before</c> or <c>from</c> reaches a message the link does not share; <see cref="SharedSession.First"/> and
    /// <see cref="SharedSession.Last"/> say which page came back. See
    /// <see cref="SharedView.ReadAsync(ISessionStore, Share, MessageWindow?, CancellationToken)"/>.
    /// </remarks>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.NotFound"/> when the session or the link is gone.</exception>
    public Task<SharedSession> ReadSharedAsync(Share share, MessageWindow window, CancellationToken cancellationToken = default)
        => SharedView.ReadAsync(Store, share, window, cancellationToken);
}
