using System.Text.Json;
using AgentSessions.Formats.Import;
using Xunit;

namespace AgentSessions.Import.Tests;

/// <summary>Helpers shared by the importer tests.</summary>
internal static class ImportAssert
{
    public static readonly TimeZoneInfo Utc = TimeZoneInfo.Utc;

    // A fixed +02:00 zone without daylight saving, so naive times convert the same way all year on any machine.
    public static readonly TimeZoneInfo PlusTwo = TimeZoneInfo.CreateCustomTimeZone("Test+02", TimeSpan.FromHours(2), "Test+02", "Test+02");

    public static ImportOptions Options(TimeZoneInfo? zone = null) => new() { TimeZone = zone ?? Utc };

    public static async Task<List<SessionArchive>> ReadAllAsync(ISessionImporter importer, string path, ImportOptions? options = null)
    {
        var archives = new List<SessionArchive>();
        await foreach (var archive in importer.ReadAsync(new ImportSource(path), options ?? Options()))
        {
            archives.Add(archive);
        }

        return archives;
    }

    public static async Task<SessionArchive> ReadOneAsync(ISessionImporter importer, string path, ImportOptions? options = null)
        => Assert.Single(await ReadAllAsync(importer, path, options));

    /// <summary>Reading must fail with <see cref="ErrorCode.Corrupt"/> naming the file, and with no other exception type.</summary>
    public static async Task<AgentSessionsException> CorruptAsync(ISessionImporter importer, string path, string? fileName = null, string? contains = null, ErrorCode code = ErrorCode.Corrupt, ImportOptions? options = null)
    {
        Exception? caught = null;
        try
        {
            await ReadAllAsync(importer, path, options);
        }
        catch (Exception e)
        {
            caught = e;
        }

        Assert.NotNull(caught);
        var error = Assert.IsType<AgentSessionsException>(caught);
        Assert.Equal(code, error.Code);
        Assert.Contains(fileName ?? Path.GetFileName(path), error.Message, StringComparison.Ordinal);
        if (contains is not null)
        {
            Assert.Contains(contains, error.Message, StringComparison.Ordinal);
        }

        return error;
    }

    public static DateTimeOffset At(int year, int month, int day, int hour, int minute, int second, int microseconds)
        => new DateTimeOffset(year, month, day, hour, minute, second, TimeSpan.Zero).AddTicks(microseconds * 10L);

    public static string Json(JsonElement? element) => element is { } e ? JsonSerializer.Serialize(e) : "null";

    public static void Text(SessionMessage message, string expected)
        => Assert.Equal(expected, Assert.IsType<TextPart>(Assert.Single(message.Parts)).Text);

    public static void Metadata(IReadOnlyDictionary<string, JsonElement> metadata, string key, string expectedJson)
    {
        Assert.True(metadata.TryGetValue(key, out var value), $"metadata has no '{key}'");
        Assert.Equal(Canonical(expectedJson), Canonical(value.GetRawText()));
    }

    /// <summary>Compact JSON, for comparing independent of spacing.</summary>
    public static string Canonical(string json) => JsonSerializer.Serialize(JsonDocument.Parse(json).RootElement);

    public static void Provenance(Session session, string format, string originalId, string source)
    {
        var provenance = session.Metadata[ImportMetadata.Key];
        Assert.Equal(format, provenance.GetProperty("format").GetString());
        Assert.Equal(originalId, provenance.GetProperty("originalId").GetString());
        Assert.Equal(Path.GetFullPath(source), provenance.GetProperty("source").GetString());
        var sha = provenance.GetProperty("sha256").GetString()!;
        Assert.Matches("^[0-9a-f]{64}$", sha);
    }

    /// <summary>Writes truncated copies of <paramref name="bytes"/> (cut at several offsets) and returns their paths.</summary>
    public static IEnumerable<string> Truncations(string directory, string name, byte[] bytes, int count = 8)
    {
        var offsets = new SortedSet<int> { 0, 1, 2, bytes.Length / 2, bytes.Length - 2 };
        for (var i = 1; i <= count; i++)
        {
            offsets.Add((int)((long)bytes.Length * i / (count + 1)));
        }

        foreach (var cut in offsets.Where(o => o >= 0 && o < bytes.Length - 1))
        {
            var path = Path.Combine(directory, $"cut{cut}-{name}");
            File.WriteAllBytes(path, bytes[..cut]);
            yield return path;
        }
    }
}
