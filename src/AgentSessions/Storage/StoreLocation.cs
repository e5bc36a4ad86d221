namespace AgentSessions.Storage;

/// <summary>
/// Where a store is: a directory (the embedded SQLite store) or a server URL (<c>scheme://...</c>). One locator for
/// every front end, so the CLI, the RPC and HTTP servers and library hosts find the same store the same way.
/// </summary>
/// <remarks>
/// The order is: the value given (a <c>--store</c> option, a host's configuration), else
/// <c>$AGENT_SESSIONS_STORE</c>, else the default directory (<see cref="DefaultDirectory"/>). A URL's password
/// is never part of what is shown: <see cref="ToString"/> hides it.
/// </remarks>
public sealed record StoreLocation
{
    /// <summary>The environment variable that names the store when no value is given.</summary>
    public const string EnvironmentVariable = "AGENT_SESSIONS_STORE";

    private StoreLocation(string value, Uri? url)
    {
        Value = value;
        Url = url;
    }

    /// <summary>The directory (absolute) or the URL as given.</summary>
    public string Value { get; }

    /// <summary>The parsed URL when the store is on a server; null for a directory.</summary>
    public Uri? Url { get; }

    /// <summary>Whether the store is a directory on this machine.</summary>
    public bool IsDirectory => Url is null;

    /// <summary>Resolves a store from a given value, the environment, or the default directory.</summary>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.InvalidArgument"/> when no home directory can be found for the default.</exception>
    public static StoreLocation Resolve(string? given)
    {
        if (string.IsNullOrWhiteSpace(given))
        {
            given = Environment.GetEnvironmentVariable(EnvironmentVariable);
        }

        return string.IsNullOrWhiteSpace(given) ? new StoreLocation(DefaultDirectory(), null) : Parse(given);
    }

    /// <summary>A directory or a <c>scheme://</c> URL.</summary>
    public static StoreLocation Parse(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        // Only something that looks like scheme:// is a URL: a directory may contain a colon.
        var scheme = value.IndexOf("://", StringComparison.Ordinal);
        if (scheme > 0 && value[..scheme].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.'))
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var url))
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, $"the store '{Redact(value)}' is not a valid URL");
            }

            return new StoreLocation(value, url);
        }

        return new StoreLocation(Path.GetFullPath(value), null);
    }

    /// <summary>
    /// The default store directory: <c>$AGENT_SESSIONS_HOME</c>, else <c>$XDG_DATA_HOME/agent-sessions</c>, else
    /// <c>~/.local/share/agent-sessions</c>.
    /// </summary>
    /// <exception cref="AgentSessionsException"><see cref="ErrorCode.InvalidArgument"/> when there is no home directory to put it in.</exception>
    public static string DefaultDirectory()
    {
        var home = Environment.GetEnvironmentVariable("AGENT_SESSIONS_HOME");
        if (!string.IsNullOrEmpty(home))
        {
            return Path.GetFullPath(home);
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg))
        {
            return Path.Combine(xdg, "agent-sessions");
        }

        // $HOME first, as every other XDG-following tool does; the passwd entry only when it is unset.
        var userHome = Environment.GetEnvironmentVariable("HOME");
        if (string.IsNullOrEmpty(userHome))
        {
            userHome = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        }

        if (string.IsNullOrEmpty(userHome) || !Path.IsPathRooted(userHome))
        {
            // Never fall back to a path relative to the working directory: sessions would scatter.
            throw new AgentSessionsException(ErrorCode.InvalidArgument, "cannot find a home directory for the default store; set AGENT_SESSIONS_HOME or name a store directory");
        }

        return Path.Combine(userHome, ".local", "share", "agent-sessions");
    }

    /// <summary>The location for messages: a URL without its password.</summary>
    public override string ToString() => Url is null ? Value : Redact(Value);

    private static string Redact(string url)
    {
        // user:password@host -> user:***@host, whatever else the URL holds.
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        var at = url.IndexOf('@', scheme + 3);
        if (scheme < 0 || at < 0)
        {
            return url;
        }

        var colon = url.IndexOf(':', scheme + 3);
        return colon > 0 && colon < at ? string.Concat(url.AsSpan(0, colon + 1), "***", url.AsSpan(at)) : url;
    }
}
