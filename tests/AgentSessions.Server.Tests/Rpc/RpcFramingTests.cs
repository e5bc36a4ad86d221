using System.Diagnostics;
using System.Text;
using System.Text.Json;
using AgentSessions.Testing;
using Xunit;

namespace AgentSessions.Server.Tests.Rpc;

/// <summary>What the server does with bad, partial and hostile input: an error or a clean close, never a crash or a hang.</summary>
public sealed class RpcFramingTests
{
    [Fact]
    public async Task InvalidJsonIsAParseErrorAndTheConnectionStillWorks()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);

        await rpc.SendFrameAsync("{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": ");
        await AssertErrorWithNullIdAsync(rpc, -32700);
        await rpc.SendRawAsync(RpcProcess.Frame([]));
        await AssertErrorWithNullIdAsync(rpc, -32700);

        await rpc.ResultAsync("session.create", new { id = "still-works" });
        await AssertCleanEndAsync(rpc);
    }

    [Fact]
    public async Task InvalidUtf8IsAParseErrorAndTheConnectionStillWorks()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);

        var body = Encoding.UTF8.GetBytes("{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"session.create\", \"params\": {\"title\": \"XX\"}}");
        var at = Array.IndexOf(body, (byte)'X');
        body[at] = 0xC3; // a lead byte...
        body[at + 1] = 0x28; // ...followed by no continuation byte
        await rpc.SendRawAsync(RpcProcess.Frame(body));
        await AssertErrorWithNullIdAsync(rpc, -32700);

        Assert.Equal(0, (await rpc.ResultAsync("session.list")).GetProperty("sessions").GetArrayLength());
        await AssertCleanEndAsync(rpc);
    }

    [Fact]
    public async Task NonNumericContentLengthIsAnErrorAndTheNextFrameIsFound()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);

        // The body of the bad frame and the next frame arrive together; the server must skip to the next header.
        await rpc.SendRawAsync([.. "Content-Length: twelve\r\n\r\n{\"x\": 1}"u8, .. RpcProcess.Frame(RpcProcess.Request(1, "session.list"))]);
        await AssertErrorWithNullIdAsync(rpc, -32700);
        var response = await rpc.ReadAsync();
        Assert.Equal(1, response.GetProperty("id").GetInt32());

        await rpc.SendRawAsync("Content-Length: -5\r\n\r\n"u8.ToArray());
        await AssertErrorWithNullIdAsync(rpc, -32700);
        await rpc.ResultAsync("session.list");
        await AssertCleanEndAsync(rpc);
    }

    [Fact]
    public async Task MissingContentLengthIsAnErrorAndTheNextFrameIsFound()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);

        await rpc.SendRawAsync("Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}"u8.ToArray());
        var error = await AssertErrorWithNullIdAsync(rpc, -32700);
        Assert.Contains("Content-Length", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        await rpc.ResultAsync("session.list");
        await AssertCleanEndAsync(rpc);
    }

    [Fact]
    public async Task BareJsonWithoutHeadersIsAnsweredInsteadOfWaitedOn()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);

        await rpc.SendRawAsync(Encoding.UTF8.GetBytes(RpcProcess.Request(1, "session.list") + "\n"));
        await AssertErrorWithNullIdAsync(rpc, -32700);
        await rpc.ResultAsync("session.list");
        await AssertCleanEndAsync(rpc);
    }

    [Fact]
    public async Task HeaderNamesAreCaseInsensitiveAndOtherHeadersAreIgnored()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);

        var body = Encoding.UTF8.GetBytes(RpcProcess.Request("a", "session.create", new { title = "ünïcode" }));
        await rpc.SendRawAsync([.. Encoding.ASCII.GetBytes($"content-type: application/vscode-jsonrpc; charset=utf-8\r\nCONTENT-LENGTH:{body.Length}\r\nX-Other: 1\r\n\r\n"), .. body]);
        var response = await rpc.ReadAsync();
        Assert.Equal("a", response.GetProperty("id").GetString());
        Assert.Equal("ünïcode", response.GetProperty("result").GetProperty("title").GetString());
        await AssertCleanEndAsync(rpc);
    }

    [Fact]
    public async Task FramesSplitAcrossWritesAndPipelinedFramesAreBothRead()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);

        var frame = RpcProcess.Frame(RpcProcess.Request(1, "session.create", new { id = "split" }));
        foreach (var chunk in frame.Chunk(7))
        {
            await rpc.SendRawAsync(chunk);
            await Task.Delay(5);
        }

        Assert.Equal("split", (await rpc.ReadAsync()).GetProperty("result").GetProperty("id").GetString());

        await rpc.SendRawAsync([.. RpcProcess.Frame(RpcProcess.Request(2, "session.current")), .. RpcProcess.Frame(RpcProcess.Request(3, "session.list"))]);
        Assert.Equal(2, (await rpc.ReadAsync()).GetProperty("id").GetInt32());
        Assert.Equal(3, (await rpc.ReadAsync()).GetProperty("id").GetInt32());
        await AssertCleanEndAsync(rpc);
    }

    [Fact]
    public async Task ATruncatedBodyAtEndOfInputClosesCleanly()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);
        await rpc.ResultAsync("session.list");

        await rpc.SendRawAsync("Content-Length: 100\r\n\r\n{\"jsonrpc\": \"2.0\""u8.ToArray());
        rpc.CloseInput();
        Assert.Equal(0, await rpc.WaitForExitAsync());
        await rpc.AssertNoMoreOutputAsync();
        Assert.DoesNotContain("   at ", await rpc.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATruncatedHeaderAtEndOfInputClosesCleanly()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);

        await rpc.SendRawAsync("Content-Len"u8.ToArray());
        rpc.CloseInput();
        Assert.Equal(0, await rpc.WaitForExitAsync());
        await rpc.AssertNoMoreOutputAsync();
        Assert.DoesNotContain("   at ", await rpc.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1099511627776")]
    [InlineData("99999999999999999999999999")]
    public async Task AnOversizeContentLengthIsAnErrorThenACleanCloseWithoutReadingTheBody(string length)
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);

        // Stdin stays open and no body follows: the server must answer and close on the header alone.
        var watch = Stopwatch.StartNew();
        await rpc.SendRawAsync(Encoding.ASCII.GetBytes($"Content-Length: {length}\r\n\r\n"));
        var error = await AssertErrorWithNullIdAsync(rpc, -32004);
        Assert.Equal("TooLarge", error.GetProperty("data").GetProperty("code").GetString());
        Assert.Equal(1, await rpc.WaitForExitAsync());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
        await rpc.AssertNoMoreOutputAsync();
        Assert.DoesNotContain("   at ", await rpc.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnOverlongHeaderLineIsAnErrorNotUnboundedBuffering()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);

        await rpc.SendRawAsync(Encoding.ASCII.GetBytes("X-Junk: " + new string('j', 100_000) + "\r\n\r\n"));
        await AssertErrorWithNullIdAsync(rpc, -32700);
        await rpc.ResultAsync("session.list");
        await AssertCleanEndAsync(rpc);
    }

    [Fact]
    public async Task EndOfInputWithoutShutdownExitsWithZeroAndWritesNothing()
    {
        using var store = TempDirectory.ForCaller();
        await using var rpc = RpcProcess.Start(store.Path);
        rpc.CloseInput();
        Assert.Equal(0, await rpc.WaitForExitAsync());
        await rpc.AssertNoMoreOutputAsync();
    }

    private static async Task<JsonElement> AssertErrorWithNullIdAsync(RpcProcess rpc, int code)
    {
        var response = await rpc.ReadAsync();
        Assert.Equal(JsonValueKind.Null, response.GetProperty("id").ValueKind);
        var error = response.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetInt32());
        return error;
    }

    /// <summary>Closes stdin and checks the server ends with 0, nothing more on stdout, no stack trace on stderr.</summary>
    private static async Task AssertCleanEndAsync(RpcProcess rpc)
    {
        rpc.CloseInput();
        Assert.Equal(0, await rpc.WaitForExitAsync());
        await rpc.AssertNoMoreOutputAsync();
        Assert.DoesNotContain("   at ", await rpc.Stderr, StringComparison.Ordinal);
    }
}
