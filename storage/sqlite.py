"""SQLite through aiosqlite: the embedded default store.

Two connections serve the whole process, each with its own aiosqlite thread: the writer, for
``db.transaction()`` (``BEGIN IMMEDIATE`` ... ``COMMIT``), and a query-only reader for
``db.read()`` and ``db.statement()``. WAL lets the reader see every committed write while a
write transaction is open. An asyncio lock per connection keeps concurrent coroutines from
interleaving statements of different transactions on it.

Datetime parameters are stored as fixed-width UTC text (:func:`storage.timestamps.ts_text`).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from storage.db import Database, Leadership, Params, Row, StoreUrl, Tx
from storage.dialect import SQLITE, Dialect
from storage.timestamps import ts_text

__all__ = ["SQLiteDatabase", "SQLiteLeadership", "SQLiteTx"]

LOG = logging.getLogger(__name__)


def _value(value: Any) -> Any:
    return ts_text(value) if isinstance(value, datetime) else value


def _params(params: Params) -> Params:
    if isinstance(params, dict):
        return {key: _value(value) for key, value in params.items()}
    return [_value(value) for value in params]


async def _begin(conn: aiosqlite.Connection, statement: str) -> None:
    """Open a transaction; if the task is cancelled meanwhile, the statement still runs in
    aiosqlite's thread, so close what it opened before letting the cancellation through."""
    begin = asyncio.ensure_future(conn.execute(statement))
    try:
        await asyncio.shield(begin)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await begin
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
        raise


async def _finish(conn: aiosqlite.Connection, statement: str) -> None:
    """COMMIT or ROLLBACK to the end even when the task is being cancelled: a connection
    shared by the whole process must never be left inside a transaction."""
    finish = asyncio.ensure_future(conn.execute(statement))
    try:
        await asyncio.shield(finish)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await finish
        raise


def _statements(script: str) -> list[str]:
    """Split a script into complete statements (``sqlite3.complete_statement`` knows about
    literals, comments and trigger bodies)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    rest = "".join(line for line in buffer.splitlines() if not line.strip().startswith("--"))
    if rest.strip():  # the last statement may go without its semicolon
        statements.append(buffer.strip())
    return statements


class SQLiteTx(Tx):
    """A transaction (or a read) on one aiosqlite connection."""

    dialect: Dialect = SQLITE

    def __init__(self, conn: aiosqlite.Connection, database: Database) -> None:
        super().__init__(database)
        self.conn = conn

    # Each call is one hop to aiosqlite's thread (execute and fetch together): a query's cost
    # is the database's work, not three thread handoffs.
    async def execute(self, sql: str, params: Params = ()) -> int:
        cursor = await self.conn.execute(SQLITE.sql(sql).sql, _params(params))
        return cursor.rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        row = await self.conn.execute_insert(SQLITE.sql(sql).sql, _params(params))
        if row is None or row[0] is None:
            raise RuntimeError("INSERT gave no row id")
        return int(row[0])

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self.conn.executemany(SQLITE.sql(sql).sql, [_params(row) for row in rows])

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self.conn.execute_fetchall(SQLITE.sql(sql).sql, _params(params)))

    async def execute_script(self, script: str) -> None:
        for statement in _statements(script):
            await self.conn.execute(statement)

    async def explain(self, sql: str, params: Params = (), *, avoid_scans: bool = False) -> str:
        rows = await self.fetchall(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row["detail"]) for row in rows)

    async def has_table(self, name: str) -> bool:
        row = await self.fetchone(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        )
        return row is not None

    async def _references(self) -> list[tuple[str, str]]:
        rows = await self.fetchall(
            'SELECT m.name, f."table" FROM sqlite_master m'
            " JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table'"
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    async def primary_key(self, table: str) -> list[str]:
        rows = await self.fetchall("SELECT name, pk FROM pragma_table_info(?)", (table,))
        key = [str(r[0]) for r in sorted(rows, key=lambda r: r[1]) if r[1]]
        return key or ["rowid"]

    row_id = "rowid"

    async def text_columns(self) -> list[tuple[str, str]]:
        found = []
        for table in await self.tables():
            for column in await self.fetchall(
                "SELECT name, type FROM pragma_table_info(?)", (table,)
            ):
                declared = str(column[1]).upper()
                if declared in ("", "TEXT") or "CHAR" in declared or "CLOB" in declared:
                    found.append((table, str(column[0])))
        return found

    async def continue_ids(self, table: str) -> None:
        """Nothing to do: a rowid always continues after the largest one."""

    async def tables(self) -> list[str]:
        rows = await self.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
            " AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
        return [str(r[0]) for r in rows]


class SQLiteLeadership(Leadership):
    """An exclusive ``flock`` on ``<database>.lock``: the kernel lets it go the moment the
    holding process ends, so a second ``gridbot run`` on the same machine and file waits as a
    standby instead of fighting the first over Telegram's updates."""

    def __init__(self, path: Path) -> None:
        self.path = path.with_name(path.name + ".lock")
        self._fd: int | None = None

    async def acquire(self, poll_seconds: float) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    await asyncio.sleep(poll_seconds)
                    continue
                self._fd = fd
                return
        except BaseException:
            os.close(fd)
            raise

    async def check(self, within: float) -> bool:
        return self._fd is not None

    async def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the file releases the lock


class _Connection:
    """One aiosqlite connection, held by one task at a time."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn
        self.lock = asyncio.Lock()


class SQLiteDatabase(Database):
    """The process's SQLite connections (WAL, foreign keys, busy timeout): one writer, one
    query-only reader."""

    dialect = SQLITE

    def __init__(
        self, url: StoreUrl, *, read_only: bool = False, busy_timeout_ms: int = 5000
    ) -> None:
        super().__init__(url, read_only=read_only)
        assert url.path is not None
        self.path = url.path
        self._busy_timeout_ms = busy_timeout_ms
        self._writer: _Connection | None = None
        self._reader: _Connection | None = None

    def leadership(self, takeover_seconds: float) -> Leadership:
        return SQLiteLeadership(self.path)

    @property
    def conn(self) -> aiosqlite.Connection:
        """The writer connection."""
        if self._writer is None:
            raise RuntimeError("database is not connected")
        return self._writer.conn

    async def _open(self, *pragmas: str) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            for pragma in (*pragmas, f"PRAGMA busy_timeout={int(self._busy_timeout_ms)}"):
                await conn.execute(pragma)
        except BaseException:
            await conn.close()
            raise
        return conn

    async def connect(self) -> None:
        if self._reader is not None:
            return
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        writer = None
        if not self.read_only:
            writer = await self._open(
                "PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL"
            )
        try:
            reader = await self._open("PRAGMA foreign_keys=ON", "PRAGMA query_only=ON")
        except BaseException:
            if writer is not None:
                await writer.close()
            raise
        self._writer = None if writer is None else _Connection(writer)
        self._reader = _Connection(reader)
        LOG.debug("connected to %s", self.path)

    async def close(self) -> None:
        for which in (self._reader, self._writer):
            if which is not None:
                async with which.lock:
                    await which.conn.close()
        self._writer = self._reader = None

    @staticmethod
    def _require(which: _Connection | None) -> _Connection:
        if which is None:
            raise RuntimeError("database is not connected")
        return which

    @asynccontextmanager
    async def _write_transaction(self, serialize: str | None) -> AsyncIterator[Tx]:
        which = self._require(self._writer)
        async with which.lock:
            conn = which.conn
            await _begin(conn, "BEGIN IMMEDIATE")
            tx = SQLiteTx(conn, self)
            try:
                yield tx
            except BaseException:
                await _finish(conn, "ROLLBACK")
                raise
            await _finish(conn, "COMMIT")

    @asynccontextmanager
    async def _migration_transaction(self) -> AsyncIterator[Tx]:
        which = self._require(self._writer)
        async with which.lock:
            conn = which.conn
            await conn.execute("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction
            try:
                await _begin(conn, "BEGIN IMMEDIATE")
                try:
                    yield SQLiteTx(conn, self)
                    dangling = list(await conn.execute_fetchall("PRAGMA foreign_key_check"))
                    if dangling:
                        raise sqlite3.IntegrityError(
                            f"migration leaves {len(dangling)} dangling references,"
                            f" e.g. {tuple(dangling[0])}"
                        )
                except BaseException:
                    await _finish(conn, "ROLLBACK")
                    raise
                await _finish(conn, "COMMIT")
            finally:
                await conn.execute("PRAGMA foreign_keys=ON")

    @asynccontextmanager
    async def _read_transaction(self) -> AsyncIterator[Tx]:
        which = self._require(self._reader)
        async with which.lock:
            await _begin(which.conn, "BEGIN")
            try:
                yield SQLiteTx(which.conn, self)
            finally:
                await _finish(which.conn, "COMMIT")

    @asynccontextmanager
    async def _read_statement(self) -> AsyncIterator[Tx]:
        which = self._require(self._reader)
        async with which.lock:
            yield SQLiteTx(which.conn, self)
