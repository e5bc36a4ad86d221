namespace AgentSessions.AI;

/// <summary>
/// The metadata keys the agent adapters write on stored messages (<see cref="SessionMessage.Metadata"/>; after
/// <see cref="ChatMessageMapping.ToChatMessage"/>, <see cref="Microsoft.Extensions.AI.ChatMessage.AdditionalProperties"/>).
/// </summary>
/// <remarks>
/// <para>
/// A streamed answer is stored as it arrives with <see cref="Partial"/> set to <see langword="true"/>. When the
/// stream ends normally the final message replaces it without that key. When it does not, the partial stays with
/// <see cref="Interrupted"/> saying why: <c>"cancelled"</c> (the caller's token), <c>"failed"</c> (the model, the
/// network or a checkpoint's save threw; <see cref="Error"/> names the exception type) or <c>"abandoned"</c> (the caller stopped
/// enumerating, e.g. <c>break</c> out of <c>await foreach</c>). A partial without <see cref="Interrupted"/> is a
/// checkpoint of a process that died mid-answer. So: <c>partial == true</c> means "not the whole answer".
/// </para>
/// <para>
/// Messages the adapters write on their own, partial answers and <see cref="NotRun"/> tool results, are left out
/// when deciding which request messages are already stored, so a caller that never saw them does not get its
/// own messages stored twice.
/// </para>
/// </remarks>
public static class AgentSessionsMetadata
{
    /// <summary><see langword="true"/> on an assistant message that is not the whole answer (a checkpoint or an interrupted stream).</summary>
    public const string Partial = "agent_sessions.partial";

    /// <summary>Why a streamed answer stopped early: <c>"cancelled"</c>, <c>"failed"</c> or <c>"abandoned"</c>.</summary>
    public const string Interrupted = "agent_sessions.interrupted";

    /// <summary>The exception type that failed a stream (its message is not stored: it may hold anything).</summary>
    public const string Error = "agent_sessions.error";

    /// <summary><see langword="true"/> on a tool result the adapter wrote for a tool call that never got one.</summary>
    public const string NotRun = "agent_sessions.not_run";

    /// <summary>The model's finish reason (<c>stop</c>, <c>length</c>, <c>tool_calls</c>, <c>content_filter</c>...).</summary>
    public const string FinishReason = "agent_sessions.finish_reason";

    /// <summary>The provider's response id.</summary>
    public const string ResponseId = "agent_sessions.response_id";

    /// <summary>The <see cref="Microsoft.Extensions.AI.ChatOptions.AdditionalProperties"/> key naming the session a call belongs to.</summary>
    public const string SessionIdProperty = "agent_sessions.session_id";

    /// <summary>The <see cref="Interrupted"/> value for a cancelled stream.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>The <see cref="Interrupted"/> value for a stream that threw.</summary>
    public const string Failed = "failed";

    /// <summary>The <see cref="Interrupted"/> value for a stream the caller stopped reading.</summary>
    public const string Abandoned = "abandoned";
}
