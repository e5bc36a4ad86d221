namespace AgentSessions.FakeOpenAi;

/// <summary>How a <see cref="FakeOpenAiServer"/> starts.</summary>
public sealed record FakeOpenAiOptions
{
    /// <summary>The port on 127.0.0.1; 0 (the default) lets the system pick a free one.</summary>
    public int Port { get; init; }

    /// <summary>Replies queued at start, taken one per chat request in order.</summary>
    public IReadOnlyList<ScriptedReply> Replies { get; init; } = [];

    /// <summary>What answers when the queue is empty; <see cref="ScriptedReply.Echo"/> unless set.</summary>
    public Func<RecordedRequest, ScriptedReply>? Fallback { get; init; }

    /// <summary>The pause before each streamed content chunk of a reply that sets none; 0 (no pause) unless set.</summary>
    public int ChunkDelayMs { get; init; }

    /// <summary>A JSON-lines file every request is appended to (created, or appended to if it exists); null: memory only.</summary>
    public string? RecordPath { get; init; }

    /// <summary>The ids <c>GET /v1/models</c> lists; <c>fake-model</c> unless set. Chat requests may name any model.</summary>
    public IReadOnlyList<string> Models { get; init; } = ["fake-model"];
}
