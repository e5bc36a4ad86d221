using AgentSessions.Cli.Commands;
using Xunit;

namespace AgentSessions.Tests;

/// <summary>The piped chat's prompt reader: lines as ReadLine gives them, and none longer than a message may be.</summary>
public sealed class PromptLinesTests
{
    [Fact]
    public async Task Lines_end_at_LF_or_CR_LF_and_a_last_line_without_an_end_counts()
    {
        var lines = new ChatCommand.PromptLines(new StringReader("one\r\ntwo\n\nthree"));

        Assert.Equal("one", await lines.ReadAsync(default));
        Assert.Equal("two", await lines.ReadAsync(default));
        Assert.Equal("", await lines.ReadAsync(default));
        Assert.Equal("three", await lines.ReadAsync(default));
        Assert.Null(await lines.ReadAsync(default));
    }

    [Fact]
    public async Task A_line_across_many_reads_is_whole_and_one_over_the_limit_is_refused_before_it_is_read_whole()
    {
        var longLine = new string('x', 200_000);
        var lines = new ChatCommand.PromptLines(new StringReader(longLine + "\nnext\n"));
        Assert.Equal(longLine, await lines.ReadAsync(default));
        Assert.Equal("next", await lines.ReadAsync(default));

        // A reader that never ends a line: refused once the limit is passed, not read to the end.
        var endless = new ChatCommand.PromptLines(new EndlessReader());
        var error = await Assert.ThrowsAsync<AgentSessionsException>(async () => await endless.ReadAsync(default));
        Assert.Equal(ErrorCode.TooLarge, error.Code);
        Assert.Contains("newline", error.Message, StringComparison.Ordinal);
    }

    /// <summary>An input of 'a' without end and without a line end (a binary file, /dev/zero as text).</summary>
    private sealed class EndlessReader : TextReader
    {
        public override int Read(char[] buffer, int index, int count)
        {
            Array.Fill(buffer, 'a', index, count);
            return count;
        }

        public override ValueTask<int> ReadAsync(Memory<char> buffer, CancellationToken cancellationToken = default)
        {
            buffer.Span.Fill('a');
            return ValueTask.FromResult(buffer.Length);
        }
    }
}
