using Xunit;

namespace AgentSessions.Specification.Tests;

// Tool runs and file changes: recorded with the session, and naming the agents that worked in it.
public abstract partial class SessionStoreSpecification
{
    [Fact]
    public async Task Tool_runs_and_file_changes_are_recorded_and_name_the_agents()
    {
        await Store.CreateAsync(new NewSession { Id = "tools" });
        await Store.AppendAsync("tools", [
            new NewMessage(MessageRole.Assistant, [new ToolCallPart("call-1", "grep", Json("""{"pattern":"TODO"}"""))]) { AuthorName = "planner" },
            new NewMessage(MessageRole.Tool, [new ToolResultPart("call-1", Json("\"3 matches\""))]),
        ]);
        var at = DateTimeOffset.UtcNow;

        await Store.RecordToolExecutionAsync("tools", new ToolExecution
        {
            Id = "exec-1", ToolName = "grep", CallId = "call-1", Arguments = Json("""{"pattern":"TODO"}"""), Result = Json("\"3 matches\""),
            Success = true, DurationMs = 42, AgentName = "runner", Sequence = 1, CreatedAt = at,
        });
        await Store.RecordToolExecutionAsync("tools", new ToolExecution { Id = "exec-2", ToolName = "rm", Success = false, Result = Json("\"denied\""), CreatedAt = at });
        await Store.RecordFileChangeAsync("tools", new FileChange("src/a.cs", FileChangeKind.Modified, at) { AgentName = "editor", Sequence = 2 });
        await Store.RecordFileChangeAsync("tools", new FileChange("src/new.cs", FileChangeKind.Created, at));

        var details = await Store.GetDetailsAsync("tools");
        Assert.Equal(["exec-1", "exec-2"], details.ToolExecutions.Select(e => e.Id));
        var first = details.ToolExecutions[0];
        Assert.Equal(("grep", "call-1", 42L, "runner", 1L), (first.ToolName, first.CallId, first.DurationMs!.Value, first.AgentName, first.Sequence!.Value));
        Assert.Equal("3 matches", first.Result!.Value.GetString());
        Assert.Equal("TODO", first.Arguments!.Value.GetProperty("pattern").GetString());
        Assert.False(details.ToolExecutions[1].Success);
        Assert.Equal([("src/a.cs", FileChangeKind.Modified), ("src/new.cs", FileChangeKind.Created)], details.Files.Select(f => (f.Path, f.Kind)));
        Assert.Equal(["editor", "planner", "runner"], details.AgentsUsed);
        Assert.Equal(ErrorCode.Conflict, (await Assert.ThrowsAsync<AgentSessionsException>(async () => await Store.RecordToolExecutionAsync("tools", new ToolExecution { Id = "exec-1", ToolName = "x", CreatedAt = at }))).Code);
    }
}
