using System.CommandLine;
using System.Text;
using AgentSessions.Cli.Output;
using AgentSessions.Formats;
using AgentSessions.Storage;

namespace AgentSessions.Cli.Commands;

/// <summary>add, search.</summary>
internal static class MessageCommands
{
    public static void AddTo(RootCommand root)
    {
        root.Add(Add());
        root.Add(Search());
    }

    private static Command Add()
    {
        var id = SessionCommands.IdArgument();
        var role = new Option<string>("--role") { Description = "user, assistant, system or tool", Required = true };
        var content = new Option<string?>("--content") { Description = "The message text (default: read UTF-8 from stdin)", HelpName = "TEXT" };
        var input = new Option<long>("--input-tokens") { Description = "Input tokens spent", HelpName = "N" };
        var output = new Option<long>("--output-tokens") { Description = "Output tokens spent", HelpName = "N" };
        var model = new Option<string?>("--model") { Description = "The model" };
        var author = new Option<string?>("--author") { Description = "The author or agent name" };
        var json = new Option<bool>("--json") { Description = "Print the stored message as JSON" };
        var command = new Command("add", "Append a message to a session (durable when the command returns)") { id, role, content, input, output, model, author, json };
        command.SetAction(async (parse, ct) =>
        {
            var messageRole = MessageRoles.Parse(parse.GetValue(role)!);
            var text = parse.GetValue(content) ?? await ReadStdinAsync(ct);
            if (text.Length == 0)
            {
                throw new AgentSessionsException(ErrorCode.InvalidArgument, "the message is empty; pass --content TEXT or pipe text on stdin");
            }

            await using var service = CliApp.OpenService(parse);
            var stored = await service.AppendAsync(
                parse.GetValue(id)!,
                new NewMessage(messageRole, text)
                {
                    InputTokens = parse.GetValue(input),
                    OutputTokens = parse.GetValue(output),
                    Model = parse.GetValue(model),
                    AuthorName = parse.GetValue(author),
                },
                ct);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(stored, AgentSessionsJson.Context.SessionMessage);
            }
            else
            {
                Console.Out.WriteLine($"{stored.Sequence} {stored.Id}");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Reads stdin as strict UTF-8, refusing invalid bytes and content over the store's size limit.</summary>
    private static async Task<string> ReadStdinAsync(CancellationToken cancellationToken)
    {
        if (!Console.IsInputRedirected)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, "no content: pass --content TEXT or pipe the text on stdin");
        }

        var limit = StoreRules.DefaultMaxMessageBytes;
        await using var stdin = Console.OpenStandardInput();
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stdin.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw new AgentSessionsException(ErrorCode.TooLarge, $"the message on stdin is larger than {StoreRules.FormatBytes(limit)}, the most one message may hold; split it, or store the file outside the session");
            }

            buffer.Write(chunk, 0, read);
        }

        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (bytes.StartsWith(Encoding.UTF8.Preamble))
        {
            bytes = bytes[3..];
        }

        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new AgentSessionsException(ErrorCode.InvalidArgument, $"stdin is not valid UTF-8 (bad byte at offset {e.Index}); convert it first, for example with iconv -f LATIN1 -t UTF-8", e);
        }
    }

    private static Command Search()
    {
        var query = new Argument<string>("QUERY") { Description = "Words to find (all must match; \"quoted phrase\"; word* for a prefix)" };
        var tag = new Option<string?>("--tag") { Description = "Only sessions with this tag" };
        var role = new Option<string?>("--role") { Description = "Only messages of this role" };
        var since = new Option<string?>("--since") { Description = "Only messages since a time: 2026-11-01, 2026-11-01T14:00Z, or an age such as 7d, 12h, 30m", HelpName = "WHEN" };
        var session = new Option<string?>("--session") { Description = "Only this session", HelpName = "ID" };
        var limit = new Option<int>("--limit") { Description = "The most hits", DefaultValueFactory = _ => 20 };
        var exhaustive = new Option<bool>("--exhaustive") { Description = "Rank every match (by default, when very many messages match, the 5,000 newest matches are ranked)" };
        var json = SessionCommands.JsonOption();
        var command = new Command("search", "Full-text search over messages and titles, best match first") { query, tag, role, since, session, limit, exhaustive, json };
        command.SetAction(async (parse, ct) =>
        {
            var roleText = parse.GetValue(role);
            var sinceText = parse.GetValue(since);
            var search = new SearchQuery(parse.GetValue(query)!)
            {
                Tag = parse.GetValue(tag),
                Role = roleText is null ? null : MessageRoles.Parse(roleText),
                Since = sinceText is null ? null : Durations.ParseSince(sinceText, DateTimeOffset.UtcNow),
                SessionId = parse.GetValue(session),
                Limit = parse.GetValue(limit),
                Exhaustive = parse.GetValue(exhaustive),
            };
            await using var service = CliApp.OpenService(parse);
            var hits = new List<SearchHit>();
            await foreach (var hit in service.SearchAsync(search, ct))
            {
                hits.Add(hit);
            }

            if (parse.GetValue(json))
            {
                using var writer = JsonOutput.CreateWriter();
                writer.WriteStartObject();
                writer.WriteStartArray("hits");
                foreach (var hit in hits)
                {
                    System.Text.Json.JsonSerializer.Serialize(writer, hit, AgentSessionsJson.Context.SearchHit);
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
                writer.Flush();
                Console.Out.WriteLine();
            }
            else if (hits.Count == 0)
            {
                Console.Out.WriteLine("no matches");
            }
            else
            {
                hits.ForEach(ConsoleOutput.SearchHit);
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
