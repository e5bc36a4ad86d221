namespace AgentSessions;

/// <summary>Who produced a message.</summary>
public enum MessageRole
{
    /// <summary>The human (or the program acting for one).</summary>
    User,

    /// <summary>The model.</summary>
    Assistant,

    /// <summary>Instructions that frame the conversation.</summary>
    System,

    /// <summary>The output of a tool the model called.</summary>
    Tool,
}

/// <summary>Conversions between <see cref="MessageRole"/> and its lower-case wire name.</summary>
public static class MessageRoles
{
    /// <summary>The lower-case name used in JSON, the CLI and the database (<c>user</c>, <c>assistant</c>...).</summary>
    public static string ToWireName(this MessageRole role) => role switch
    {
        MessageRole.User => "user",
        MessageRole.Assistant => "assistant",
        MessageRole.System => "system",
        MessageRole.Tool => "tool",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };

    /// <summary>Parses a wire name, case-insensitively.</summary>
    /// <exception cref="AgentSessionsException">The name is not one of user, assistant, system, tool.</exception>
    public static MessageRole Parse(string name)
        => TryParse(name, out var role)
            ? role
            : throw new AgentSessionsException(ErrorCode.InvalidArgument, $"unknown role '{name}'; expected one of: user, assistant, system, tool");

    /// <summary>Parses a wire name, case-insensitively, without throwing.</summary>
    public static bool TryParse(string? name, out MessageRole role)
    {
        switch (name?.ToLowerInvariant())
        {
            case "user": role = MessageRole.User; return true;
            case "assistant": role = MessageRole.Assistant; return true;
            case "system": role = MessageRole.System; return true;
            case "tool": role = MessageRole.Tool; return true;
            default: role = default; return false;
        }
    }
}
