"""Dagster's SQLite event log, with one open connection per database file.

`grensverkeer run` records every run in the Dagster instance (.dagster/), so analysts see it in
the UI. Dagster's SqliteEventLogStorage opens a new SQLite engine and connection for every event
and commits each with a full sync: about 0.1-0.2 s per asset step, seconds per build, most of the
Dagster overhead of a bundled run. This storage keeps the engines open and runs the databases in
WAL mode with synchronous=NORMAL (the SQLite setting for "safe after a crash of the process; the
last transactions can be lost on a power cut"): the same tables and files, readable by the
webserver and by Dagster's own storage class. Configured in dagster.yaml (event_log_storage).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from sqlalchemy import event
from sqlalchemy.engine import Connection


def _pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("pragma journal_mode=wal")
    cursor.execute("pragma synchronous=normal")
    cursor.close()


class RunHistoryEventLog(SqliteEventLogStorage):
    """SqliteEventLogStorage whose engines stay open (one per run database and one for the index)."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: dict = {}
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value):  # ty: ignore[invalid-method-override]
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str):
        engine = self._engines.get(shard)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            event.listen(engine, "connect", _pragmas)
            self._engines[shard] = engine
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn:
                with conn.begin():
                    yield conn

    def dispose(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()
        super().dispose()
