using System.Security.Cryptography;
using System.Text;

namespace AgentSessions.Server.Http;

/// <summary>
/// Browser logins to the owner's pages: <c>agent-sessions serve</c> prints a URL carrying a one-time login token;
/// opening it exchanges the token for a session cookie that every owner page then requires.
/// </summary>
/// <remarks>
/// <para>
/// Loopback alone does not make a client the owner: on a shared machine every account can connect to 127.0.0.1.
/// Only someone who read serve's output (or holds the API token) gets in. Both kinds of secret are 256 random bits,
/// compared in constant time against every live value, kept only in this process's memory (a restart logs every
/// browser out) and never logged.
/// </para>
/// <para>
/// A login token works once: a URL that leaks afterwards (shell scrollback, a screenshot) opens nothing. Each use
/// issues the next token and raises <see cref="LoginTokenUsed"/>, so serve can print a fresh URL for the next
/// browser. At most <see cref="MaxPendingTokens"/> unused tokens and <see cref="MaxSessions"/> sessions are kept;
/// past that the oldest go.
/// </para>
/// </remarks>
public sealed class OwnerLogin
{
    /// <summary>The session cookie's name.</summary>
    public const string CookieName = "agent_sessions_owner";

    /// <summary>The path that takes the login token (<c>/login?token=...</c>).</summary>
    public const string LoginPath = "/login";

    /// <summary>How many unused login tokens are kept; older ones stop working.</summary>
    public const int MaxPendingTokens = 16;

    /// <summary>How many browser sessions are kept; the oldest is logged out past this.</summary>
    public const int MaxSessions = 256;

    private readonly Lock _gate = new();
    private readonly List<string> _pending = [];
    private readonly List<string> _sessions = [];

    /// <summary>Raised (outside any lock) each time a login token is exchanged for a session.</summary>
    public event EventHandler? LoginTokenUsed;

    /// <summary>A new one-time login URL under <paramref name="baseUrl"/> (for instance <c>http://127.0.0.1:8765</c>).</summary>
    public string NewLoginUrl(string baseUrl)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        return baseUrl.TrimEnd('/') + LoginPath + "?token=" + NewLoginToken();
    }

    /// <summary>A new one-time login token.</summary>
    public string NewLoginToken()
    {
        var token = ApiTokenFile.NewToken();
        lock (_gate)
        {
            Add(_pending, token, MaxPendingTokens);
        }

        return token;
    }

    /// <summary>Exchanges a login token for a new session cookie value; <see langword="null"/> when the token is unknown or used.</summary>
    public string? Redeem(string? loginToken)
    {
        string? session = null;
        lock (_gate)
        {
            if (IndexOf(_pending, loginToken) is var index and >= 0)
            {
                _pending.RemoveAt(index);
                session = ApiTokenFile.NewToken();
                Add(_sessions, session, MaxSessions);
            }
        }

        if (session is not null)
        {
            LoginTokenUsed?.Invoke(this, EventArgs.Empty);
        }

        return session;
    }

    /// <summary>Whether <paramref name="cookieValue"/> is a live session.</summary>
    public bool IsSession(string? cookieValue)
    {
        lock (_gate)
        {
            return IndexOf(_sessions, cookieValue) >= 0;
        }
    }

    private static void Add(List<string> values, string value, int max)
    {
        if (values.Count >= max)
        {
            values.RemoveAt(0);
        }

        values.Add(value);
    }

    /// <summary>Where <paramref name="presented"/> is in <paramref name="values"/>, or -1; compares with every value, each in constant time.</summary>
    private static int IndexOf(List<string> values, string? presented)
    {
        if (presented is null)
        {
            return -1;
        }

        var bytes = Encoding.UTF8.GetBytes(presented);
        var found = -1;
        for (var i = 0; i < values.Count; i++)
        {
            // No early exit: the time taken says nothing about which value, or how much of one, matched.
            if (CryptographicOperations.FixedTimeEquals(bytes, Encoding.UTF8.GetBytes(values[i])))
            {
                found = i;
            }
        }

        return found;
    }
}
