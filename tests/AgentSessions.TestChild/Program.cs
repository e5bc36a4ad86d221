// A child process for the multi-process and crash tests. It talks over stdout, one line per event, and flushes
// each line: the parent treats a line as the child's acknowledgement that the write returned.
//
//   append STORE SESSION COUNT TAG   append COUNT messages; print "ack SEQ TAG I MICROSECONDS" after each append
//                                     returns (the last field: how long that append took, waits included)
//   create STORE COUNT                create COUNT sessions with generated ids; print "id ID" after each
//   mixed STORE SESSION COUNT TAG    like append, with tokens (input I, output 2I) on message I, and after every
//                                     10th append a list, a search and a read of the session's last messages
//   wait-turn DATABASE               announce waiting for the write lock (WriterTurns); print "waiting", then
//                                     withdraw when stdin closes and print "done"
//   held-append STORE SESSION WRITERS HOLD_MS TAG
//                                    WRITERS tasks append message after message (I counts across them) and print
//                                     "ack SEQ TAG I" after each append returns; every COMMIT is held HOLD_MS in
//                                     the store's BeforeCommit hook, which first prints "hold" and cancels the
//                                     token of every append in flight (their callers stop waiting): only a write
//                                     still queued may be withdrawn, one its group took is answered after COMMIT.
//                                     Runs until killed
//   reader STORE SESSION STOPFILE    list, search, read and get in a loop until STOPFILE exists; print
//                                     "rounds N" at the end
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
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var result = await s.AppendAsync(session, [new NewMessage(MessageRole.User, text)]);
                var micros = (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMicroseconds;
                stdout.WriteLine($"ack {result.Messages[0].Sequence} {tag} {i} {micros}");
                stdout.Flush();
            }

            return 0;
        }

        case ["mixed", var store, var session, var count, var tag]:
        {
            await using var s = SqliteSessionStore.Open(store);
            for (var i = 0; i < int.Parse(count, System.Globalization.CultureInfo.InvariantCulture); i++)
            {
                var message = new NewMessage(MessageRole.Assistant, ChildText.For(tag, i)) { InputTokens = i, OutputTokens = 2 * i };
                var result = await s.AppendAsync(session, [message]);
                stdout.WriteLine($"ack {result.Messages[0].Sequence} {tag} {i}");
                stdout.Flush();
                if (i % 10 == 9)
                {
                    await Reads.Once(s, session, tag);
                }
            }

            return 0;
        }

        case ["held-append", var store, var session, var writers, var holdMs, var tag]:
        {
            await using var s = SqliteSessionStore.Open(store);
            var inFlight = new System.Collections.Concurrent.ConcurrentDictionary<int, CancellationTokenSource>();
            var hold = int.Parse(holdMs, System.Globalization.CultureInfo.InvariantCulture);
            s.BeforeCommit = writes =>
            {
                foreach (var cts in inFlight.Values)
                {
                    // Their callbacks run elsewhere, not on the writer inside its transaction.
                    _ = cts.CancelAsync();
                }

                stdout.WriteLine("hold");
                stdout.Flush();
                Thread.Sleep(hold);
            };
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, int.Parse(writers, System.Globalization.CultureInfo.InvariantCulture)).Select(_ => Task.Run(async () =>
            {
                while (true)
                {
                    var i = Interlocked.Increment(ref next);
                    using var cts = new CancellationTokenSource();
                    inFlight[i] = cts;
                    try
                    {
                        var result = await s.AppendAsync(session, [new NewMessage(MessageRole.User, ChildText.For(tag, i))], cts.Token);
                        stdout.WriteLine($"ack {result.Messages[0].Sequence} {tag} {i}");
                        stdout.Flush();
                    }
                    catch (OperationCanceledException)
                    {
                        // Withdrawn while still queued: never stored, never acknowledged.
                    }
                    finally
                    {
                        inFlight.TryRemove(i, out var _);
                    }
                }
            })));
            return 0;
        }

        case ["reader", var store, var session, var stopFile]:
        {
            await using var s = SqliteSessionStore.Open(store);
            var rounds = 0;
            while (!File.Exists(stopFile))
            {
                await Reads.Once(s, session, "p0");
                rounds++;
                // A pause like a front end's refresh: a tight loop would only starve the writers of CPU.
                await Task.Delay(10);
            }

            stdout.WriteLine($"rounds {rounds}");
            return 0;
        }

        case ["wait-turn", var database]:
        {
            using var turns = WriterTurns.Open(database);
            turns.Waiting();
            stdout.WriteLine(turns.IsWaiting ? "waiting" : "could not announce");
            stdout.Flush();
            await Console.In.ReadToEndAsync();
            turns.Done();
            stdout.WriteLine("done");
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
            Console.Error.WriteLine("usage: append STORE SESSION COUNT TAG | held-append STORE SESSION WRITERS HOLD_MS TAG | mixed STORE SESSION COUNT TAG | reader STORE SESSION STOPFILE | create STORE COUNT");
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

/// <summary>The reads a busy front end does while agents write: list, search, read the tail, get.</summary>
internal static class Reads
{
    public static async Task Once(SqliteSessionStore s, string session, string word)
    {
        await s.ListAsync(new AgentSessions.Storage.SessionQuery { Limit = 20 });
        await foreach (var _ in s.SearchAsync(new AgentSessions.Storage.SearchQuery(word) { Limit = 5 }))
        {
        }

        var info = await s.GetAsync(session) ?? throw new InvalidOperationException($"session {session} vanished");
        long previous = 0;
        await foreach (var m in s.ReadAsync(session, new AgentSessions.Storage.MessageRange(Math.Max(1, info.MessageCount - 20))))
        {
            // Each read is one snapshot: sequence numbers run without gaps.
            if (previous != 0 && m.Sequence != previous + 1)
            {
                throw new InvalidOperationException($"gap after {previous}: got {m.Sequence}");
            }

            previous = m.Sequence;
        }
    }
}
