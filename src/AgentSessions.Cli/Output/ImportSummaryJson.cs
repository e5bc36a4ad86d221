using System.Text.Json;
using AgentSessions.Formats.Import;

namespace AgentSessions.Cli.Output;

/// <summary>import --json: {"imported":[...],"skipped":[...],"failed":[...]}, items {source, format, sessionId, reason}.</summary>
internal static class ImportSummaryJson
{
    public static void Write(ImportSummary summary)
    {
        using var writer = JsonOutput.CreateWriter();
        writer.WriteStartObject();
        foreach (var (name, items) in new[] { ("imported", summary.Imported), ("skipped", summary.Skipped), ("failed", summary.Failed) })
        {
            writer.WriteStartArray(name);
            foreach (var item in items)
            {
                writer.WriteStartObject();
                writer.WriteString("source", item.Source);
                Optional(writer, "format", item.Format);
                Optional(writer, "sessionId", item.SessionId);
                Optional(writer, "reason", item.Reason);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
        writer.Flush();
        Console.Out.WriteLine();
    }

    private static void Optional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }
}
