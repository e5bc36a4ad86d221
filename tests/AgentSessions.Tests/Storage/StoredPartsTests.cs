using System.Text.Json;
using AgentSessions.Formats;
using AgentSessions.Storage;
using Xunit;

namespace AgentSessions.Tests.Storage;

/// <summary>The on-disk encoding of parts: its exact bytes are pinned, so no change elsewhere can move them.</summary>
public sealed class StoredPartsTests
{
    private static readonly ContentPart[] Every =
    [
        new TextPart("héllo <b> \"q\""),
        new ToolCallPart("c1", "grep", JsonDocument.Parse("""{"pattern":"x","n":2}""").RootElement),
        new ToolCallPart("c2", "now", null),
        new ToolResultPart("c1", JsonDocument.Parse("\"found\"").RootElement, IsError: true),
        new ToolResultPart("c2", null),
        new DataPart([1, 2, 255], "image/png", "a.png"),
        new DataPart([], "application/octet-stream"),
        new UriPart("https://example.com/x", "text/html"),
        new ReasoningPart("think", "opaque"),
        new ReasoningPart("plain"),
    ];

    // Version 1, byte for byte. If this string has to change, the encoding needs a version 2 read beside it.
    private const string Golden =
        """[{"type":"text","text":"héllo <b> \"q\""},""" +
        """{"type":"toolCall","callId":"c1","name":"grep","arguments":{"pattern":"x","n":2}},""" +
        """{"type":"toolCall","callId":"c2","name":"now"},""" +
        """{"type":"toolResult","callId":"c1","result":"found","isError":true},""" +
        """{"type":"toolResult","callId":"c2","isError":false},""" +
        """{"type":"data","data":"AQL/","mediaType":"image/png","name":"a.png"},""" +
        """{"type":"data","data":"","mediaType":"application/octet-stream"},""" +
        """{"type":"uri","uri":"https://example.com/x","mediaType":"text/html"},""" +
        """{"type":"reasoning","text":"think","protectedData":"opaque"},""" +
        """{"type":"reasoning","text":"plain"}]""";

    [Fact]
    public void Version_1_bytes_are_pinned()
        => Assert.Equal(Golden, StoredParts.ToJson(Every));

    [Fact]
    public void What_it_writes_reads_back_equal()
    {
        var read = StoredParts.Read(StoredParts.ToJson(Every));
        Assert.Equal(Every.Length, read.Count);
        for (var i = 0; i < Every.Length; i++)
        {
            Assert.Equal(Canonical(Every[i]), Canonical(read[i]));
        }
    }

    [Fact]
    public void Rows_written_by_earlier_releases_through_the_model_serializer_still_read()
    {
        // Releases before StoredParts serialized parts with the model's attributes; every database holds such rows.
        var old = JsonSerializer.Serialize(Every.ToList(), AgentSessionsJson.Context.ListContentPart);
        var read = StoredParts.Read(old);
        Assert.Equal(Every.Select(Canonical), read.Select(Canonical));
    }

    [Fact]
    public void Field_order_and_unknown_fields_do_not_matter()
    {
        var read = StoredParts.Read("""[{"text":"a","later":{"x":[1]},"type":"text"}]""");
        Assert.Equal("a", Assert.IsType<TextPart>(Assert.Single(read)).Text);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{}")]
    [InlineData("[]")]
    [InlineData("[1]")]
    [InlineData("[{\"type\":\"text\"}]")]
    [InlineData("[{\"text\":\"no type\"}]")]
    [InlineData("[{\"type\":\"video\",\"uri\":\"x\"}]")]
    [InlineData("[{\"type\":\"data\",\"data\":\"!!\",\"mediaType\":\"x/y\"}]")]
    [InlineData("[{\"type\":\"text\",\"text\":3}]")]
    [InlineData("[{\"type\":\"text\",\"text\":\"a\"}] trailing")]
    [InlineData("[{\"type\":\"text\",\"text\":\"a\"}")]
    public void Damaged_content_is_a_json_error_for_the_backend_to_name(string json)
        => Assert.ThrowsAny<JsonException>(() => StoredParts.Read(json));

    private static string Canonical(ContentPart part)
        => JsonSerializer.Serialize(part, AgentSessionsJson.Context.ContentPart);
}
