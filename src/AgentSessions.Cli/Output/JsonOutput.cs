using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using AgentSessions.Formats;

namespace AgentSessions.Cli.Output;

/// <summary>Writes the stable --json output (documented in docs/cli-json.md) to stdout.</summary>
internal static class JsonOutput
{
    public static Utf8JsonWriter CreateWriter() => CreateWriter(Console.OpenStandardOutput());

    /// <summary>A writer of indented JSON into <paramref name="stream"/> (<see cref="StandardOutput.Open"/> for a long output).</summary>
    public static Utf8JsonWriter CreateWriter(Stream stream) => new(stream, AgentSessionsJson.WriterOptions(indented: true));

    public static void Write<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        using var writer = CreateWriter();
        JsonSerializer.Serialize(writer, value, typeInfo);
        writer.Flush();
        Console.Out.WriteLine();
    }

    /// <summary>Writes the properties of <paramref name="session"/> into the object being written.</summary>
    public static void WriteSessionProperties(Utf8JsonWriter writer, Session session)
    {
        foreach (var property in JsonSerializer.SerializeToElement(session, AgentSessionsJson.Context.Session).EnumerateObject())
        {
            property.WriteTo(writer);
        }
    }

    public static void WriteMessage(Utf8JsonWriter writer, SessionMessage message)
        => JsonSerializer.Serialize(writer, message, AgentSessionsJson.Context.SessionMessage);
}
