using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace AgentSessions.Sqlite;

/// <summary>
/// The write path: one writer connection, <c>BEGIN IMMEDIATE</c> transactions retried on busy, and group commit.
/// </summary>
/// <remarks>
/// Writes queue up while the writer is busy. Whoever takes the writer next runs every queued write in one
/// transaction, each in its own savepoint, and commits once: one fsync acknowledges them all, so sixteen threads
/// appending at once pay for about one commit each round instead of sixteen. A write that fails rolls back to its
/// savepoint and fails alone; a failed commit fails every write in it, and none of them is stored. A caller is
/// answered only after the commit that holds its write, so "acknowledged" still means "on disk". A lone writer
/// gets a plain transaction, as before.
/// </remarks>
public sealed partial class SqliteSessionStore
{
    /// <summary>The most writes one transaction carries.</summary>
    private const int MaxGroupCommit = 256;

    private long _commits;

    private long _busyRetries;

    // When this process last saw another waiting for the write lock after its commit (Stopwatch ticks; 0: never).
    private long _stepAsideFrom;

    /// <summary>Transactions this store has committed (tests check that concurrent writes share them).</summary>
    internal long Commits => Interlocked.Read(ref _commits);

    /// <summary>
    /// Busy answers this store has retried, from BEGIN IMMEDIATE or from a transaction that met a lock (tests wait
    /// for enough of them, rather than for a length of time, to know the retry loop has gone round many times).
    /// </summary>
    internal long BusyRetries => Interlocked.Read(ref _busyRetries);

    /// <summary>
    /// Test hook, null outside tests: runs on the writer inside the open transaction just before each COMMIT, with
    /// the number of writes in it. Tests hold a commit here to see that nobody is answered before it, kill the
    /// process while it is held, or throw to fail a group's commit.
    /// </summary>
    internal Action<int>? BeforeCommit { get; set; }

    /// <summary>
    /// Runs <paramref name="work"/> in a <c>BEGIN IMMEDIATE</c> transaction on the writer, retrying on busy, possibly
    /// together with other queued writes. Unless <paramref name="indexesLater"/> (appends), messages waiting for the
    /// search index are indexed first, so every other write (deletes, forks, undo, repairs) sees an index that
    /// covers every stored message.
    /// </summary>
    private async ValueTask<T> WriteAsync<T>(Func<SqliteConnection, T> work, CancellationToken cancellationToken, bool indexesLater = false)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        var request = new WriteRequest<T>(work, indexesLater, cancellationToken);
        _writeQueue.Enqueue(request);
        try
        {
            await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (request.TryCancel())
        {
            // Still queued: nobody will run it now.
            throw;
        }
        catch (OperationCanceledException)
        {
            // Another caller's batch already took it; its outcome is decided there.
            return await request.Task.ConfigureAwait(false);
        }

        try
        {
            // Usually the first group holds this request; with more than MaxGroupCommit queued, a later one does.
            while (!request.Task.IsCompleted)
            {
                ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
                RunQueuedWrites();
            }
        }
        finally
        {
            _writeGate.Release();
        }

        return await request.Task.ConfigureAwait(false);
    }

    /// <summary>Takes the queued writes and runs them in one transaction (the caller holds the write gate).</summary>
    private void RunQueuedWrites()
    {
        var batch = new List<WriteRequest>();
        while (batch.Count < MaxGroupCommit && _writeQueue.TryDequeue(out var queued))
        {
            if (queued.TryTake())
            {
                batch.Add(queued);
            }
        }

        if (batch.Count == 0)
        {
            return;
        }

        try
        {
            RunGroup(batch);
        }
        catch (Exception e)
        {
            // Whatever escapes (a rollback that throws, say) must still answer every taken write, or its caller
            // would wait forever; answered ones ignore this.
            FailAll(batch, e);
        }
    }

    private void RunGroup(List<WriteRequest> batch)
    {
        var clock = Stopwatch.StartNew();
        for (var attempt = 0; ; attempt++)
        {
            var began = false;
            try
            {
                BeginImmediate(clock);
                began = true;
                if (batch.Count == 1)
                {
                    IndexWaitingBefore(batch[0]);
                    batch[0].Run(_writer);
                }
                else
                {
                    foreach (var request in batch)
                    {
                        // Before each write, not once per group: an append earlier in the group adds waiting rows.
                        IndexWaitingBefore(request);
                        RunInSavepoint(request);
                    }
                }

                Commit(batch.Count);
                Interlocked.Increment(ref _commits);
                OfferTurn();
                foreach (var request in batch)
                {
                    request.Complete();
                }

                return;
            }
            catch (Exception e) when (began)
            {
                Rollback();
                if (e is SqliteException busy && IsBusy(busy) && clock.Elapsed < _options.BusyTimeout)
                {
                    Interlocked.Increment(ref _busyRetries);
                    Backoff(attempt);
                    continue;
                }

                FailAll(batch, e);
                return;
            }
            catch (SqliteException e) when (IsBusy(e) && clock.Elapsed < _options.BusyTimeout)
            {
                Backoff(attempt);
            }
            catch (Exception e)
            {
                FailAll(batch, e);
                return;
            }
        }
    }

    private void Commit(int writes)
    {
        BeforeCommit?.Invoke(writes);
        _commands.Commit.ExecuteNonQuery();
    }

    /// <summary>Takes the write lock, polling in short jittered steps while another process holds it.</summary>
    /// <remarks>
    /// Neither of the library waits is usable here. SQLite's own busy handler in this build sleeps whole seconds
    /// (it is compiled without usleep: strace shows clock_nanosleep of 1 s), and Microsoft.Data.Sqlite retries a
    /// busy statement every 150 ms. A process that comes back only that rarely finds the lock taken again by a
    /// writer appending in a loop, and waited over a second for its first append. The writer connection therefore
    /// has no busy timeout and asks for the lock through the raw API, so a busy answer comes back at once and the
    /// next try follows within a few milliseconds (<see cref="Backoff"/>).
    /// </remarks>
    private void BeginImmediate(Stopwatch clock)
    {
        // Another process said it waits while we last committed: give it the lock (see WriterTurns).
        var pause = Stopwatch.GetElapsedTime(Volatile.Read(ref _stepAsideFrom));
        if (pause < WriterTurns.StepAside)
        {
            Thread.Sleep(WriterTurns.StepAside - pause);
        }

        var waited = Stopwatch.StartNew();
        for (var attempt = 0; ; attempt++)
        {
            var rc = SQLitePCL.raw.sqlite3_exec(_writer.Handle, "BEGIN IMMEDIATE");
            if (rc == SQLitePCL.raw.SQLITE_OK)
            {
                _turns.Done();
                return;
            }

            var error = new SqliteException(SQLitePCL.raw.sqlite3_errmsg(_writer.Handle).utf8_to_string(), rc, SQLitePCL.raw.sqlite3_extended_errcode(_writer.Handle));
            if (!IsBusy(error) || clock.Elapsed >= _options.BusyTimeout)
            {
                _turns.Done();
                throw error;
            }

            Interlocked.Increment(ref _busyRetries);

            // Ask for a turn only after a while: a writer that steps aside after every commit would halve the
            // throughput of two busy writers, while letting it run for a few milliseconds keeps its commits
            // flowing and still bounds the wait. Once announced, the holder steps aside within a commit, so poll
            // every millisecond.
            if (waited.Elapsed >= WriterTurns.AskAfter)
            {
                _turns.Waiting();
            }

            if (_turns.IsWaiting)
            {
                Thread.Sleep(1);
            }
            else
            {
                Backoff(attempt);
            }
        }
    }

    /// <summary>After a commit: if another process waits for the lock, the next transaction starts a little later.</summary>
    private void OfferTurn()
    {
        if (_turns.OthersWaiting())
        {
            Volatile.Write(ref _stepAsideFrom, Stopwatch.GetTimestamp());
        }
    }

    private void IndexWaitingBefore(WriteRequest request)
    {
        if (!request.IndexesLater && (long)_commands.CountWaiting.ExecuteScalar()! > 0)
        {
            IndexWaitingMessages();
        }
    }

    /// <summary>Runs one write of a group; its own failure rolls back to its savepoint and is kept for its caller.</summary>
    private void RunInSavepoint(WriteRequest request)
    {
        _commands.Savepoint.ExecuteNonQuery();
        try
        {
            request.Run(_writer);
            _commands.Release.ExecuteNonQuery();
        }
        catch (Exception e) when (e is not SqliteException busy || !IsBusy(busy))
        {
            if (!_writer.IsInTransaction())
            {
                // SQLite gave up the whole transaction (disk full, I/O error): the group fails together.
                throw;
            }

            _commands.RollbackToSavepoint.ExecuteNonQuery();
            _commands.Release.ExecuteNonQuery();
            request.Defer(Translate(e));
        }
    }

    private void FailAll(List<WriteRequest> batch, Exception e)
    {
        var error = Translate(e);
        foreach (var request in batch)
        {
            request.Fail(error);
        }
    }

    private Exception Translate(Exception e) => e is SqliteException sqlite ? Translate(sqlite, _options.DatabasePath) : e;

    /// <summary>One queued write: its work, and the task its caller is answered through.</summary>
    private abstract class WriteRequest
    {
        private const int Queued = 0;
        private const int Taken = 1;
        private const int Cancelled = 2;
        private int _state;

        protected WriteRequest(bool indexesLater, CancellationToken cancellationToken)
        {
            IndexesLater = indexesLater;
            CancellationToken = cancellationToken;
        }

        public bool IndexesLater { get; }

        protected CancellationToken CancellationToken { get; }

        /// <summary>Claims the request for a batch; false when its caller cancelled it first.</summary>
        public bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Queued) == Queued;

        /// <summary>Withdraws the request; false when a batch has already taken it.</summary>
        public bool TryCancel() => Interlocked.CompareExchange(ref _state, Cancelled, Queued) == Queued;

        /// <summary>Does the work inside the open transaction and keeps its result until the commit.</summary>
        public abstract void Run(SqliteConnection connection);

        /// <summary>Answers the caller after the commit: the kept result, or the write's own failure.</summary>
        public abstract void Complete();

        /// <summary>The write failed and rolled back to its savepoint; its caller hears so when the group commits.</summary>
        /// <remarks>
        /// Not at once: if the commit then meets a busy lock, the whole group runs again, this write included, and a
        /// caller must never be told "failed" about a write that a retry then stores.
        /// </remarks>
        public abstract void Defer(Exception error);

        /// <summary>Nothing of the group was stored: answer with <paramref name="error"/> now.</summary>
        public abstract void Fail(Exception error);
    }

    private sealed class WriteRequest<T>(Func<SqliteConnection, T> work, bool indexesLater, CancellationToken cancellationToken)
        : WriteRequest(indexesLater, cancellationToken)
    {
        // Continuations run elsewhere, not inside the batch that completes them.
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _result;
        private Exception? _error;

        public Task<T> Task => _completion.Task;

        public override void Run(SqliteConnection connection)
        {
            // A retried batch runs every write again from the start.
            _error = null;
            CancellationToken.ThrowIfCancellationRequested();
            _result = work(connection);
        }

        public override void Complete()
        {
            if (_error is null)
            {
                _completion.TrySetResult(_result!);
            }
            else
            {
                Fail(_error);
            }
        }

        public override void Defer(Exception error) => _error = error;

        public override void Fail(Exception error)
        {
            if (error is OperationCanceledException)
            {
                _completion.TrySetCanceled(CancellationToken);
            }
            else
            {
                _completion.TrySetException(error);
            }
        }
    }
}
