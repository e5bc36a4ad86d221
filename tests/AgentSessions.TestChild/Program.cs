// A child process for the multi-process and crash tests. It talks over stdout, one line per event, and flushes
// each line: the parent treats a line as the child's acknowledgement that the write returned.
//
//   append STORE SESSION COUNT TAG   append COUNT messages; print "ack SEQ" after each append returns
//   create STORE COUNT                create COUNT sessions with generated ids; print "id ID" after each
using AgentSessions;
using AgentSessions.Sqlite;

var stdout = Console.Out;
try
{
    switch (args)
    {
        case ["append", var store, var session, var count, var tag]:
        {
            await using var s = SqliteSessionStore.Open(store);
            for (var i = 0; i < int.Parse(count, System.Globalization.CultureInfo.InvariantCulture); i++)
            {
                var text = ChildText.For(tag, i);
                var result = await s.AppendAsync(session, [new NewMessage(MessageRole.User, text)]);
                stdout.WriteLine($"ack {result.Messages[0].Sequence} {tag} {i}");
                stdout.Flush();
            }

            return 0;
        }

        case ["create", var store, var count]:
        {
            await using var s = SqliteSessionStore.Open(store);
            for (var i = 0; i < int.Parse(count, System.Globalization.CultureInfo.InvariantCulture); i++)
            {
                var created = await s.CreateAsync(new NewSession());
                stdout.WriteLine($"id {created.Id}");
                stdout.Flush();
            }

            return 0;
        }

        default:
            Console.Error.WriteLine("usage: append STORE SESSION COUNT TAG | create STORE COUNT");
            return 2;
    }
}
catch (AgentSessionsException e)
{
    Console.Error.WriteLine($"error {e.Code}: {e.Message}");
    return 1;
}

/// <summary>The deterministic text of message I written under TAG, so the parent can tell a torn row.</summary>
internal static class ChildText
{
    public static string For(string tag, int i)
    {
        // Long enough to span pages, with a checksum-like tail the parent recomputes.
        var body = string.Concat(Enumerable.Repeat($"{tag}:{i};", 40 + (i % 50)));
        return $"{tag} {i} {body} end-{body.Length}";
    }
}
