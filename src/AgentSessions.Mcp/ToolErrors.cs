using System.Text.Json;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace AgentSessions.Mcp;

/// <summary>
/// Turns every failure of a tool call into a tool error (<c>isError: true</c>) with one clear line, so the model can
/// correct its call; the server itself never fails for a bad argument.
/// </summary>
/// <remarks>
/// The SDK's own fallback hides the message of any exception but its own type ("An error occurred invoking
/// 'x'."), which tells a model nothing. Arguments the SDK cannot bind (a missing parameter, a string where a
/// number belongs) throw before the tool runs, so this filter wraps the whole call, binding included.
/// </remarks>
internal static class ToolErrors
{
    public static McpRequestHandler<CallToolRequestParams, CallToolResult> Filter(
        McpRequestHandler<CallToolRequestParams, CallToolResult> next, McpServerSettings settings, ILogger logger)
        => async (request, cancellationToken) =>
        {
            var name = request.Params?.Name ?? "";
            if (!settings.AllowWrite && SessionWriteTools.Names.Contains(name))
            {
                return Error($"'{name}' changes the store, and this server is read-only: start it with '{settings.AllowWriteCommand}' to allow the write tools");
            }

            if (request.MatchedPrimitive is McpServerTool tool
                && ToolArguments.Check(name, tool.ProtocolTool.InputSchema, request.Params?.Arguments) is { } problem)
            {
                return Error(problem);
            }

            try
            {
                return await next(request, cancellationToken).ConfigureAwait(false);
            }
            catch (AgentSessionsException e)
            {
                return Error(Describe(e));
            }
            catch (JsonException e)
            {
                return Error($"invalid arguments for '{name}': {FirstLine(e.Message)}");
            }
            catch (ArgumentException e)
            {
                // ArgumentException.Message ends in " (Parameter 'x')", which names an internal parameter.
                var message = e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
                return Error($"invalid arguments for '{name}': {FirstLine(message)}");
            }
            catch (Exception e) when (e is not OperationCanceledException and not McpProtocolException)
            {
                // A defect, not a bad argument: logged (with its stack in debug mode), answered as a tool error.
                logger.LogError(e, "tool {Tool} failed unexpectedly", name);
                return Error($"'{name}' failed unexpectedly ({e.GetType().Name}); the server's log (stderr) has the details");
            }
        };

    /// <summary>The error's message, with what a model can do about it.</summary>
    public static string Describe(AgentSessionsException e)
    {
        var hint = e.Hint switch
        {
            ErrorHint.ListSessions => "list_sessions or search_sessions find the right id",
            ErrorHint.RunDoctor => "the store's owner can run 'agent-sessions doctor'",
            ErrorHint.Repair => "the store's owner can run 'agent-sessions doctor --repair'",
            _ => null,
        };
        return hint is null ? e.Message : $"{e.Message}; {hint}";
    }

    private static CallToolResult Error(string message) => new()
    {
        IsError = true,
        Content = [new TextContentBlock { Text = message }],
    };

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }
}
