using System.CommandLine;
using System.Text.Json;
using AgentSessions.Cli.Output;
using AgentSessions.Formats.Import;
using AgentSessions.Storage;

namespace AgentSessions.Cli.Commands;

/// <summary>copy: whole sessions with their history from one store to another (SessionService.CopyToAsync).</summary>
internal static class CopyCommand
{
    public static void AddTo(RootCommand root) => root.Add(Copy());

    private static Command Copy()
    {
        var from = new Option<string>("--from") { Description = "The store to copy from (a directory, as --store takes)", HelpName = "STORE", Required = true };
        var to = new Option<string>("--to") { Description = "The store to copy to (created when it is new)", HelpName = "STORE", Required = true };
        var sessions = new Option<string[]>("--session") { Description = "Only this session (repeat for more); default: every session", HelpName = "ID", AllowMultipleArgumentsPerToken = true };
        var since = new Option<string?>("--since") { Description = "Only sessions updated since a date or an age (7d)", HelpName = "WHEN" };
        var json = SessionCommands.JsonOption();
        var command = new Command("copy", "Copy sessions with their history to another store; a second run copies only what is new") { from, to, sessions, since, json };
        command.SetAction(async (parse, ct) =>
        {
            var request = new CopyRequest
            {
                SessionIds = parse.GetValue(sessions) ?? [],
                Since = parse.GetValue(since) is { } sinceText ? Durations.ParseSince(sinceText, DateTimeOffset.UtcNow) : null,
            };
            // Ids checked before any store is opened: opening the target creates it.
            foreach (var id in request.SessionIds)
            {
                SessionIds.Validate(id);
            }

            var source = StoreLocation.Parse(parse.GetValue(from)!);
            var target = StoreLocation.Parse(parse.GetValue(to)!);
            if (source.IsDirectory && !Directory.Exists(source.Value))
            {
                // Opening would create an empty store there: a mistyped --from must not leave one behind.
                throw new AgentSessionsException(ErrorCode.NotFound, $"there is no store at '{source}'");
            }

            if (SameStore(source, target))
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, $"--from and --to name the same store ({source}); copy moves sessions between two stores");
            }

            await using var sourceService = CliApp.OpenService(source);
            foreach (var id in request.SessionIds)
            {
                // Before the target is opened (which creates it): a mistyped id leaves nothing behind.
                _ = await sourceService.GetAsync(id, ct);
            }

            await using var targetService = CliApp.OpenService(target);
            var summary = await Output.Progress.RunAsync("copying", (IProgress<ImportProgress> bar) =>
                sourceService.CopyToAsync(targetService, request, new ToBar(bar), ct));
            if (parse.GetValue(json))
            {
                WriteJson(summary);
            }
            else
            {
                foreach (var conflict in summary.Conflicts)
                {
                    Console.Error.WriteLine($"conflict {Line(conflict.SessionId)}: {Line(conflict.Reason)}; the target's session was left as it is");
                }

                Console.Out.WriteLine(Describe(summary));
            }

            if (summary.Failure is { } failure)
            {
                var message = $"copying session '{failure.SessionId}' failed: {failure.Reason}; the sessions before it are copied, run the copy again to finish";
                throw summary.FailureException is AgentSessionsException e
                    ? new AgentSessionsException(e.Code, message, e)
                    : new IOException(message, summary.FailureException);
            }

            if (summary.Stopped)
            {
                // The summary is out; the signal's own line and exit code follow (CliApp).
                throw new OperationCanceledException(ct);
            }

            return summary.Conflicts.Count > 0 ? ExitCodes.Failure : ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The one-line account: what was written, what was already there, what was left alone.</summary>
    internal static string Describe(CopySummary summary)
    {
        if (summary.Copied.Count == 0 && summary.Updated.Count == 0 && summary.Conflicts.Count == 0 && !summary.Stopped && summary.Failure is null)
        {
            return summary.AlreadyPresent == 0
                ? "nothing to copy: no session matched"
                : $"nothing new to copy: {Sessions(summary.AlreadyPresent)} already present";
        }

        var parts = new List<string> { $"copied {Sessions(summary.Copied.Count)}, {summary.Messages} message(s)" };
        if (summary.Updated.Count > 0)
        {
            parts.Add($"{summary.Updated.Count} updated");
        }

        parts.Add($"{summary.AlreadyPresent} already present");
        if (summary.Conflicts.Count > 0)
        {
            parts.Add($"{summary.Conflicts.Count} conflict(s) skipped");
        }

        var looked = summary.Copied.Count + summary.Updated.Count + summary.AlreadyPresent + summary.Conflicts.Count;
        if (summary.Selected > looked)
        {
            parts.Add($"{summary.Selected - looked} not copied yet");
        }

        return string.Join("; ", parts);
    }

    private static string Sessions(int count) => count == 1 ? "1 session" : $"{count} sessions";

    private static void WriteJson(CopySummary summary)
    {
        using var writer = JsonOutput.CreateWriter();
        writer.WriteStartObject();
        writer.WriteNumber("selected", summary.Selected);
        WriteIds(writer, "copied", summary.Copied);
        WriteIds(writer, "updated", summary.Updated);
        writer.WriteNumber("alreadyPresent", summary.AlreadyPresent);
        writer.WriteStartArray("conflicts");
        foreach (var conflict in summary.Conflicts)
        {
            WriteIssue(writer, conflict);
        }

        writer.WriteEndArray();
        writer.WriteNumber("messages", summary.Messages);
        writer.WriteBoolean("stopped", summary.Stopped);
        writer.WritePropertyName("failure");
        if (summary.Failure is { } failure)
        {
            WriteIssue(writer, failure);
        }
        else
        {
            writer.WriteNullValue();
        }

        writer.WriteEndObject();
        writer.Flush();
        Console.Out.WriteLine();
    }

    private static void WriteIds(Utf8JsonWriter writer, string name, IReadOnlyList<string> ids)
    {
        writer.WriteStartArray(name);
        foreach (var id in ids)
        {
            writer.WriteStringValue(id);
        }

        writer.WriteEndArray();
    }

    private static void WriteIssue(Utf8JsonWriter writer, CopyIssue issue)
    {
        writer.WriteStartObject();
        writer.WriteString("sessionId", issue.SessionId);
        writer.WriteString("reason", issue.Reason);
        writer.WriteEndObject();
    }

    /// <summary>Whether two locations are one store: the same URL, or directories that resolve to the same place.</summary>
    private static bool SameStore(StoreLocation a, StoreLocation b)
    {
        if (a.IsDirectory != b.IsDirectory)
        {
            return false;
        }

        return a.IsDirectory
            ? string.Equals(Resolved(a.Value), Resolved(b.Value), StringComparison.Ordinal)
            : string.Equals(a.Value, b.Value, StringComparison.Ordinal);

        // A symbolic link to the source is the source: copying into it would compare every session with itself.
        static string Resolved(string directory)
        {
            try
            {
                return Path.TrimEndingDirectorySeparator(new DirectoryInfo(directory).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(directory));
            }
            catch (IOException)
            {
                return Path.TrimEndingDirectorySeparator(directory);
            }
        }
    }

    private static string Line(string? text) => TerminalText.NeutralizeLine(text);

    /// <summary>Feeds the copy's progress to the import bar; synchronously, so the bar's last refresh sees the end.</summary>
    private sealed class ToBar(IProgress<ImportProgress> bar) : IProgress<CopyProgress>
    {
        public void Report(CopyProgress value) => bar.Report(new ImportProgress(value.Done, value.Total, value.Current));
    }
}
