using Microsoft.Data.Sqlite;

namespace AgentSessions.Sqlite;

public sealed partial class SqliteSessionStore
{
    /// <summary>The newest schema version this build writes and understands.</summary>
    public const int SchemaVersion = 4;

    // 'AGSS': marks the file as ours, so a random SQLite database given as a store is refused, not altered.
    private const int ApplicationId = 0x41475353;

    // Each entry moves the schema from version (index) to version (index + 1). Never edit a released entry:
    // add a new one. Stores written by version 1 are kept as test fixtures.
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE sessions (
            row_id        INTEGER PRIMARY KEY,
            id            TEXT    NOT NULL UNIQUE,
            title         TEXT,
            created_at    INTEGER NOT NULL,            -- UTC ticks (100 ns since 0001-01-01)
            updated_at    INTEGER NOT NULL,
            model         TEXT,
            project_path  TEXT,
            tags          TEXT    NOT NULL DEFAULT '[]', -- JSON array, sorted; session_tags indexes it
            pinned        INTEGER NOT NULL DEFAULT 0,
            parent_id     TEXT,
            fork_seq      INTEGER,
            metadata      TEXT,                         -- JSON object or NULL
            message_count INTEGER NOT NULL DEFAULT 0,   -- the visible head: messages 1..message_count
            last_seq      INTEGER NOT NULL DEFAULT 0,   -- highest stored seq; above the head sit undone messages kept for redo
            input_tokens  INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX sessions_by_update  ON sessions (updated_at);
        CREATE INDEX sessions_by_pinned  ON sessions (pinned, updated_at);
        CREATE INDEX sessions_by_project ON sessions (project_path, updated_at) WHERE project_path IS NOT NULL;
        CREATE INDEX sessions_by_parent  ON sessions (parent_id) WHERE parent_id IS NOT NULL;

        -- updated_at copies sessions.updated_at so that "newest sessions with tag T" is one ordered index
        -- range, whatever share of the store carries the tag.
        CREATE TABLE session_tags (
            tag         TEXT    NOT NULL,
            session_row INTEGER NOT NULL,
            updated_at  INTEGER NOT NULL,
            PRIMARY KEY (tag, session_row)
        ) WITHOUT ROWID;
        CREATE INDEX session_tags_by_update  ON session_tags (tag, updated_at, session_row);
        CREATE INDEX session_tags_by_session ON session_tags (session_row);

        CREATE TABLE messages (
            row_id        INTEGER PRIMARY KEY,
            session_row   INTEGER NOT NULL,
            seq           INTEGER NOT NULL,
            message_id    TEXT    NOT NULL,
            role          INTEGER NOT NULL,             -- MessageRole
            text          TEXT    NOT NULL,             -- searchable text of all parts
            parts         TEXT,                         -- JSON array; NULL when the content is one text part equal to text
            author        TEXT,
            created_at    INTEGER NOT NULL,
            input_tokens  INTEGER NOT NULL DEFAULT 0,
            output_tokens INTEGER NOT NULL DEFAULT 0,
            model         TEXT,
            metadata      TEXT,
            indexed       INTEGER NOT NULL DEFAULT 1,   -- 0 for fork copies: their origin row is the one in the search index
            origin_row    INTEGER,                      -- for fork copies, the indexed row they copy
            UNIQUE (session_row, seq)
        );
        CREATE UNIQUE INDEX messages_by_id ON messages (session_row, message_id);
        CREATE INDEX messages_by_origin ON messages (origin_row) WHERE origin_row IS NOT NULL;

        -- Large values (a tool output, a file dump, an image), compressed, stored once however many messages
        -- repeat them. The parts JSON names them as "<field>$blob": "<sha-256 hex>".
        CREATE TABLE blobs (
            hash  BLOB    PRIMARY KEY,
            size  INTEGER NOT NULL,                     -- uncompressed bytes
            data  BLOB    NOT NULL
        ) WITHOUT ROWID;
        -- Who uses each blob: a message row id, or minus a tool_executions row id. A blob with no user is deleted.
        CREATE TABLE blob_refs (
            owner INTEGER NOT NULL,
            hash  BLOB    NOT NULL,
            PRIMARY KEY (owner, hash)
        ) WITHOUT ROWID;
        CREATE INDEX blob_refs_by_hash ON blob_refs (hash);

        CREATE TABLE snapshots (
            session_row   INTEGER NOT NULL,
            name          TEXT    NOT NULL,
            description   TEXT,
            message_count INTEGER NOT NULL,
            title         TEXT,
            tags          TEXT    NOT NULL,
            metadata      TEXT,
            created_at    INTEGER NOT NULL,
            PRIMARY KEY (session_row, name)
        ) WITHOUT ROWID;

        -- States that undo and restore stepped away from, newest on top; an append clears them.
        CREATE TABLE redo_states (
            session_row   INTEGER NOT NULL,
            position      INTEGER NOT NULL,
            message_count INTEGER NOT NULL,
            title         TEXT,
            tags          TEXT    NOT NULL,
            metadata      TEXT,
            PRIMARY KEY (session_row, position)
        ) WITHOUT ROWID;

        CREATE TABLE bookmarks (
            session_row INTEGER NOT NULL,
            name        TEXT    NOT NULL,
            seq         INTEGER NOT NULL,
            note        TEXT,
            created_at  INTEGER NOT NULL,
            PRIMARY KEY (session_row, name)
        ) WITHOUT ROWID;

        CREATE TABLE tool_executions (
            row_id      INTEGER PRIMARY KEY,
            session_row INTEGER NOT NULL,
            exec_id     TEXT    NOT NULL,
            tool_name   TEXT    NOT NULL,
            call_id     TEXT,
            arguments   TEXT,
            result      TEXT,
            result_blob BLOB,
            success     INTEGER NOT NULL,
            duration_ms INTEGER,
            agent_name  TEXT,
            seq         INTEGER,
            created_at  INTEGER NOT NULL,
            UNIQUE (session_row, exec_id)
        );

        CREATE TABLE file_changes (
            row_id      INTEGER PRIMARY KEY,
            session_row INTEGER NOT NULL,
            path        TEXT    NOT NULL,
            kind        INTEGER NOT NULL,               -- FileChangeKind
            agent_name  TEXT,
            seq         INTEGER,
            at          INTEGER NOT NULL
        );
        CREATE INDEX file_changes_by_session ON file_changes (session_row, row_id);

        -- Share links. The token is stored as is: whoever can read this file can read every session anyway.
        CREATE TABLE shares (
            token         TEXT    PRIMARY KEY,
            session_id    TEXT    NOT NULL,
            visibility    INTEGER NOT NULL,             -- ShareVisibility
            password_hash TEXT,                         -- pbkdf2-sha256$iterations$salt$hash
            expires_at    INTEGER,
            allow_fork    INTEGER NOT NULL,
            show_history  INTEGER NOT NULL,
            created_at    INTEGER NOT NULL,
            revoked_at    INTEGER
        ) WITHOUT ROWID;
        CREATE INDEX shares_by_session ON shares (session_id, created_at);

        -- External-content indexes: the text lives once, in messages and sessions. Fork copies are left out of
        -- the message index (their origin row is in it), so its content is the view of indexed rows; that keeps
        -- FTS5's own integrity check and 'rebuild' exact.
        CREATE VIEW messages_indexed AS SELECT row_id, text FROM messages WHERE indexed = 1;
        CREATE VIRTUAL TABLE messages_fts USING fts5 (
            text, content = 'messages_indexed', content_rowid = 'row_id', tokenize = 'unicode61 remove_diacritics 2');
        CREATE VIRTUAL TABLE titles_fts USING fts5 (
            title, content = 'sessions', content_rowid = 'row_id', tokenize = 'unicode61 remove_diacritics 2');
        """,
        // 2: the title index's content becomes the view of titled sessions. Untitled sessions were never
        // indexed, so FTS5's integrity check against the whole sessions table failed for them, and 'rebuild'
        // indexed rows the write path never deletes.
        """
        DROP TABLE titles_fts;
        CREATE VIEW sessions_titled AS SELECT row_id, title FROM sessions WHERE title IS NOT NULL;
        CREATE VIRTUAL TABLE titles_fts USING fts5 (
            title, content = 'sessions_titled', content_rowid = 'row_id', tokenize = 'unicode61 remove_diacritics 2');
        INSERT INTO titles_fts (titles_fts) VALUES ('rebuild');
        """,
        // 3: appends are indexed for search in batches. A new message is stored with indexed = 2 ("waiting");
        // the waiting rows are indexed together once enough have gathered, before any other write, and before a
        // search. FTS5 writes a new segment (about 7 pages) per indexing transaction, half of what a one-message
        // append wrote. The pinned index holds only pinned sessions, so an append to an unpinned session does not
        // move an entry in it.
        """
        CREATE INDEX messages_waiting ON messages (row_id) WHERE indexed = 2;
        DROP INDEX sessions_by_pinned;
        CREATE INDEX sessions_by_pinned ON sessions (updated_at) WHERE pinned = 1;
        """,
        // 4: a share names the session row it was made for, not the session's id. An id is a name that a later
        // session may take (delete then create, import --replace, cleanup then import the archive), and a link
        // must never show that later session. Deleting a session deletes its shares in the same transaction: row
        // ids can be handed out again too (SQLite reuses the highest one), so the binding alone is not enough.
        // Shares whose session was already gone answered 404; they are dropped.
        """
        CREATE TABLE shares_v4 (
            token         TEXT    PRIMARY KEY,
            session_row   INTEGER NOT NULL,             -- sessions.row_id
            visibility    INTEGER NOT NULL,             -- ShareVisibility
            password_hash TEXT,                         -- pbkdf2-sha256$iterations$salt$hash
            expires_at    INTEGER,
            allow_fork    INTEGER NOT NULL,
            show_history  INTEGER NOT NULL,
            created_at    INTEGER NOT NULL,
            revoked_at    INTEGER
        ) WITHOUT ROWID;
        INSERT INTO shares_v4 (token, session_row, visibility, password_hash, expires_at, allow_fork, show_history, created_at, revoked_at)
            SELECT sh.token, s.row_id, sh.visibility, sh.password_hash, sh.expires_at, sh.allow_fork, sh.show_history, sh.created_at, sh.revoked_at
            FROM shares sh JOIN sessions s ON s.id = sh.session_id;
        DROP TABLE shares;
        ALTER TABLE shares_v4 RENAME TO shares;
        CREATE INDEX shares_by_session ON shares (session_row, created_at);
        """,
    ];

    private static void Migrate(SqliteConnection connection, SqliteStoreOptions options)
    {
        var (version, applicationId) = ReadVersion(connection);
        CheckVersion(version, applicationId, options);
        if (version == SchemaVersion)
        {
            return;
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var begin = connection.CreateCommand();
                begin.CommandText = "BEGIN IMMEDIATE";
                begin.ExecuteNonQuery();
                break;
            }
            catch (SqliteException e) when (IsBusy(e) && clock.Elapsed < options.BusyTimeout)
            {
                Backoff(attempt);
            }
        }

        try
        {
            // Another process may have migrated while we waited for the lock.
            (version, applicationId) = ReadVersion(connection);
            CheckVersion(version, applicationId, options);
            for (var v = version; v < SchemaVersion; v++)
            {
                using var migrate = connection.CreateCommand();
                migrate.CommandText = Migrations[v];
                migrate.ExecuteNonQuery();
            }

            using (var stamp = connection.CreateCommand())
            {
                stamp.CommandText = $"PRAGMA application_id = {ApplicationId}; PRAGMA user_version = {SchemaVersion};";
                stamp.ExecuteNonQuery();
            }

            using var commit = connection.CreateCommand();
            commit.CommandText = "COMMIT";
            commit.ExecuteNonQuery();
            if (version != SchemaVersion && options.Logger is { } logger)
            {
                Log.Migrated(logger, options.DatabasePath, version, SchemaVersion);
            }
        }
        catch
        {
            using var rollback = connection.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            try
            {
                rollback.ExecuteNonQuery();
            }
            catch (SqliteException)
            {
                // Already rolled back.
            }

            throw;
        }
    }

    private static (int Version, int ApplicationId) ReadVersion(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version; PRAGMA application_id;";
        using var reader = command.ExecuteReader();
        reader.Read();
        var version = reader.GetInt32(0);
        reader.NextResult();
        reader.Read();
        return (version, reader.GetInt32(0));
    }

    private static void CheckVersion(int version, int applicationId, SqliteStoreOptions options)
    {
        if (applicationId != 0 && applicationId != ApplicationId)
        {
            throw new AgentSessionsException(ErrorCode.Corrupt, $"'{options.DatabasePath}' is a SQLite database of another application, not an agent-sessions store; choose another store directory", ErrorHint.ChooseStore);
        }

        if (version > SchemaVersion)
        {
            throw new AgentSessionsException(
                ErrorCode.UnsupportedVersion,
                $"the store at '{options.DatabasePath}' has schema version {version}, written by a newer agent-sessions; this version understands up to {SchemaVersion}. Upgrade agent-sessions to open it");
        }

        if (version > 0 && applicationId == 0)
        {
            throw new AgentSessionsException(ErrorCode.Corrupt, $"'{options.DatabasePath}' is a SQLite database of another application, not an agent-sessions store; choose another store directory", ErrorHint.ChooseStore);
        }
    }

    private static partial class Log
    {
        [Microsoft.Extensions.Logging.LoggerMessage(1, Microsoft.Extensions.Logging.LogLevel.Information, "Upgraded the store at {Path} from schema version {From} to {To}")]
        public static partial void Migrated(Microsoft.Extensions.Logging.ILogger logger, string path, int from, int to);
    }
}
