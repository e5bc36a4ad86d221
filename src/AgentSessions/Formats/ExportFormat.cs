namespace AgentSessions.Formats;

/// <summary>The formats a session can be exported to.</summary>
public enum ExportFormat
{
    /// <summary>Our lossless, versioned JSON document (<c>.json</c>).</summary>
    Json,

    /// <summary>Our JSON Lines: a header line, then one message per line (<c>.jsonl</c>).</summary>
    Jsonl,

    /// <summary>Readable Markdown (<c>.md</c>).</summary>
    Markdown,

    /// <summary>One self-contained, script-free HTML page (<c>.html</c>).</summary>
    Html,

    /// <summary>Our JSON document, base64-encoded (<c>.b64</c>), for pasting through channels that mangle JSON.</summary>
    Base64,
}

/// <summary>Names and file extensions of <see cref="ExportFormat"/>.</summary>
public static class ExportFormats
{
    /// <summary>The names accepted by <c>--format</c>.</summary>
    public static readonly string[] Names = ["json", "jsonl", "markdown", "html", "base64"];

    /// <summary>Parses a format name.</summary>
    public static ExportFormat Parse(string name) => name.ToLowerInvariant() switch
    {
        "json" => ExportFormat.Json,
        "jsonl" => ExportFormat.Jsonl,
        "markdown" or "md" => ExportFormat.Markdown,
        "html" => ExportFormat.Html,
        "base64" => ExportFormat.Base64,
        _ => throw new AgentSessionsException(ErrorCode.InvalidArgument, $"unknown export format '{name}'; use one of: {string.Join(", ", Names)}"),
    };

    /// <summary>The file extension, with its dot.</summary>
    public static string Extension(this ExportFormat format) => format switch
    {
        ExportFormat.Json => ".json",
        ExportFormat.Jsonl => ".jsonl",
        ExportFormat.Markdown => ".md",
        ExportFormat.Html => ".html",
        _ => ".b64",
    };
}
