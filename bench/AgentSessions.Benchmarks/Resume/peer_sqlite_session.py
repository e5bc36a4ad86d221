"""The peer's in-process resume: the OpenAI Agents SDK's SQLiteSession.get_items(), re-implemented.

PyPI is not reachable from the benchmark machine, so the SDK cannot be installed. This file reproduces the
code path of agents.memory.sqlite_session.SQLiteSession (openai-agents-python at 7f7a44f8d) for a file
database, step by step, with the stdlib only:

- the schema: agent_sessions(session_id PK, created_at, updated_at) and agent_messages(id INTEGER PRIMARY
  KEY AUTOINCREMENT, session_id, message_data TEXT, created_at) with an index on (session_id, id);
- every connection is opened with check_same_thread=False and put in WAL mode; one connection per thread
  (threading.local), and every operation holds the process-wide re-entrant lock of the database file;
- add_items: INSERT OR IGNORE the session, executemany the json.dumps of each item, touch updated_at, commit;
- get_items() with no limit (the default SessionSettings has none): asyncio.to_thread of a function that
  takes the lock, runs SELECT message_data FROM agent_messages WHERE session_id = ? ORDER BY id ASC,
  fetchall()s and json.loads each row (skipping rows that are not JSON).

Usage: peer_sqlite_session.py DB ITEMS_JSONL ROUNDS [WARMUP]
Loads the items (one JSON item a line) into a fresh session "bench", then times ROUNDS awaits of
get_items() after WARMUP untimed ones, in one event loop. Prints one JSON line:
{"items": n, "samples_ms": [...], "bytes": total message_data bytes}.
"""

import asyncio
import json
import sqlite3
import sys
import threading
import time


class SQLiteSession:
    def __init__(self, session_id, db_path, sessions_table="agent_sessions", messages_table="agent_messages"):
        self.session_id = session_id
        self.db_path = db_path
        self.sessions_table = sessions_table
        self.messages_table = messages_table
        self.limit = None  # SessionSettings().limit
        self._local = threading.local()
        self._lock = threading.RLock()  # the SDK keeps one per resolved file path
        with self._lock:
            init = sqlite3.connect(str(db_path), check_same_thread=False)
            try:
                init.execute("PRAGMA journal_mode=WAL")
                init.execute(
                    f"CREATE TABLE IF NOT EXISTS {sessions_table} (session_id TEXT PRIMARY KEY,"
                    " created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)")
                init.execute(
                    f"CREATE TABLE IF NOT EXISTS {messages_table} (id INTEGER PRIMARY KEY AUTOINCREMENT,"
                    " session_id TEXT NOT NULL, message_data TEXT NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,"
                    f" FOREIGN KEY (session_id) REFERENCES {sessions_table} (session_id) ON DELETE CASCADE)")
                init.execute(
                    f"CREATE INDEX IF NOT EXISTS idx_{messages_table}_session_id ON {messages_table} (session_id, id)")
                init.commit()
            finally:
                init.close()

    def _get_connection(self):
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(str(self.db_path), check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            self._local.connection = connection
        return connection

    async def add_items(self, items):
        def add():
            with self._lock:
                conn = self._get_connection()
                conn.execute(f"INSERT OR IGNORE INTO {self.sessions_table} (session_id) VALUES (?)", (self.session_id,))
                conn.executemany(
                    f"INSERT INTO {self.messages_table} (session_id, message_data) VALUES (?, ?)",
                    [(self.session_id, json.dumps(item)) for item in items])
                conn.execute(
                    f"UPDATE {self.sessions_table} SET updated_at = CURRENT_TIMESTAMP WHERE session_id = ?",
                    (self.session_id,))
                conn.commit()

        await asyncio.to_thread(add)

    async def get_items(self, limit=None):
        assert limit is None and self.limit is None, "only the default (no limit) path is reproduced"

        def get():
            with self._lock:
                conn = self._get_connection()
                cursor = conn.execute(
                    f"SELECT message_data FROM {self.messages_table} WHERE session_id = ? ORDER BY id ASC",
                    (self.session_id,))
                items = []
                for (message_data,) in cursor.fetchall():
                    try:
                        items.append(json.loads(message_data))
                    except (json.JSONDecodeError, TypeError):
                        continue
                return items

        return await asyncio.to_thread(get)


async def main(db, items_path, rounds, warmup):
    with open(items_path, encoding="utf-8") as f:
        items = [json.loads(line) for line in f if line.strip()]
    session = SQLiteSession("bench", db)
    if not await session.get_items():  # a second run over the same file measures the same rows
        await session.add_items(items)
    size = sum(len(json.dumps(item).encode("utf-8")) for item in items)
    for _ in range(warmup):
        loaded = await session.get_items()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        loaded = await session.get_items()
        samples.append((time.perf_counter() - start) * 1000)
    if len(loaded) != len(items) or loaded[-1] != items[-1]:
        raise SystemExit(f"get_items returned {len(loaded)} items, expected {len(items)}")
    print(json.dumps({"items": len(loaded), "samples_ms": samples, "bytes": size}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 3))
