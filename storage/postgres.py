"""PostgreSQL through asyncpg: the store for a district or a city.

Like the SQLite store, a process writes through one connection, one transaction at a time
(READ COMMITTED; claims use ``FOR UPDATE SKIP LOCKED``, counters a row lock), so the same
repository code behaves the same on both. Reads go through a small pool of other connections,
each ``db.read()`` a REPEATABLE READ, READ ONLY snapshot. A writer connection that broke (the
server restarted) is replaced at the next transaction.

Datetime parameters go in as ``timestamptz`` and come back as aware UTC datetimes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg

from storage.db import Database, Leadership, Params, Row, StoreUrl, Tx
from storage.dialect import POSTGRESQL, Dialect
from storage.timestamps import ts

__all__ = ["PostgresDatabase", "PostgresLeadership", "PostgresTx", "lock_key"]

LOG = logging.getLogger(__name__)

READERS = 4
_CONNECT_OPTIONS: dict[str, Any] = {
    "statement_cache_size": 1024,
    "server_settings": {"application_name": "gridbot", "timezone": "UTC"},
}


# What a broken or unreachable connection raises.
_UNREACHABLE = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``name``."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _value(value: Any) -> Any:
    return ts(value) if isinstance(value, datetime) else value


def _count(status: str) -> int:
    """Rows changed, from a command tag such as ``UPDATE 3`` or ``INSERT 0 1``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PostgresTx(Tx):
    """A transaction (or a read) on one asyncpg connection."""

    dialect: Dialect = POSTGRESQL

    def __init__(self, conn: asyncpg.Connection, database: Database) -> None:
        super().__init__(database)
        self.conn = conn

    @staticmethod
    def _prepare(sql: str, params: Params) -> tuple[str, list[Any]]:
        statement = POSTGRESQL.sql(sql)
        return statement.sql, [_value(v) for v in statement.args(params)]

    async def execute(self, sql: str, params: Params = ()) -> int:
        text, args = self._prepare(sql, params)
        return _count(await self.conn.execute(text, *args))

    async def insert(self, sql: str, params: Params = ()) -> int:
        text, args = self._prepare(sql, params)
        value = await self.conn.fetchval(f"{text} RETURNING id", *args)
        if value is None:
            raise RuntimeError("INSERT gave no row id")
        return int(value)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        statement = POSTGRESQL.sql(sql)
        batch = [[_value(v) for v in statement.args(row)] for row in rows]
        if batch:
            await self.conn.executemany(statement.sql, batch)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        text, args = self._prepare(sql, params)
        return list(await self.conn.fetch(text, *args))

    async def execute_script(self, script: str) -> None:
        await self.conn.execute(script)  # several statements: the simple query protocol

    async def explain(self, sql: str, params: Params = (), *, avoid_scans: bool = False) -> str:
        if avoid_scans:
            await self.conn.execute("SET LOCAL enable_seqscan = off")
        rows = await self.fetchall(f"EXPLAIN {sql}", params)
        return "\n".join(str(row[0]) for row in rows)

    async def has_table(self, name: str) -> bool:
        row = await self.fetchone(
            "SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = ?",
            (name,),
        )
        return row is not None

    async def _references(self) -> list[tuple[str, str]]:
        rows = await self.fetchall(
            "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c"
            " JOIN pg_namespace n ON n.oid = c.connamespace"
            " WHERE c.contype = 'f' AND n.nspname = current_schema()"
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    async def primary_key(self, table: str) -> list[str]:
        rows = await self.fetchall(
            "SELECT a.attname FROM pg_index i"
            " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
            " WHERE i.indrelid = CAST(? AS regclass) AND i.indisprimary"
            " ORDER BY array_position(i.indkey, a.attnum)",
            (table,),
        )
        return [str(r[0]) for r in rows] or ["ctid"]

    async def column_kinds(self, table: str) -> dict[str, str]:
        rows = await self.fetchall(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ?",
            (table,),
        )
        kinds = {"timestamp with time zone": "timestamp", "boolean": "boolean"}
        return {str(r[0]): kinds[str(r[1])] for r in rows if str(r[1]) in kinds}

    row_id = "ctid"

    async def text_columns(self) -> list[tuple[str, str]]:
        rows = await self.fetchall(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema()"
            " AND data_type IN ('text', 'character varying', 'character')"
            " ORDER BY table_name, ordinal_position"
        )
        return [(str(r[0]), str(r[1])) for r in rows]

    async def continue_ids(self, table: str) -> None:
        rows = await self.fetchall(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ? AND is_identity = 'YES'",
            (table,),
        )
        for (column,) in rows:
            await self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
                f" coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"
            )

    async def tables(self) -> list[str]:
        rows = await self.fetchall(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            " ORDER BY tablename"
        )
        return [str(r[0]) for r in rows]


ACTIVE_LOCK = "gridbot active bot process"


class PostgresLeadership(Leadership):
    """A session-level advisory lock on a connection of its own.

    PostgreSQL releases it when the session ends: at once when the holding process dies (its
    socket closes), and within the TCP keepalive settings given to the session when its
    machine or network dies; those are derived from ``takeover_seconds`` so that a standby
    takes over within it. The active process checks its session every second and stops
    before the server could have handed the lock to another.
    """

    def __init__(self, url: str, takeover_seconds: float) -> None:
        self.url = url
        self.key = lock_key(ACTIVE_LOCK)
        self.takeover = takeover_seconds
        self._conn: asyncpg.Connection | None = None

    def _settings(self) -> dict[str, str]:
        idle = max(1, int(self.takeover * 0.4))
        count = max(1, int(self.takeover * 0.3))
        return {
            **_CONNECT_OPTIONS["server_settings"],
            "application_name": "gridbot leadership",
            "tcp_keepalives_idle": str(idle),
            "tcp_keepalives_interval": "1",
            "tcp_keepalives_count": str(count),
            "tcp_user_timeout": str(int((idle + count) * 1000)),
        }

    async def acquire(self, poll_seconds: float) -> None:
        while True:
            try:
                if self._conn is None or self._conn.is_closed():
                    self._conn = await asyncpg.connect(
                        self.url, server_settings=self._settings(), timeout=self.takeover
                    )
                if await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key):
                    return
            except _UNREACHABLE as exc:
                LOG.warning("standby: cannot reach the store to take over: %s", exc)
                await self._drop()
            await asyncio.sleep(poll_seconds)

    async def check(self, within: float) -> bool:
        conn = self._conn
        if conn is None or conn.is_closed():
            return False
        try:
            held = await asyncio.wait_for(
                conn.fetchval(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                    " AND pid = pg_backend_pid() AND granted"
                ),
                within,
            )
        except _UNREACHABLE as exc:
            LOG.error("active: lost the store's session that holds the lock: %s", exc)
            return False
        return bool(held)

    async def release(self) -> None:
        await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            try:
                await asyncio.wait_for(conn.close(), 2)
            except _UNREACHABLE:
                conn.terminate()


class PostgresDatabase(Database):
    """A writer connection and a pool of readers on one PostgreSQL database."""

    dialect = POSTGRESQL

    def __init__(self, url: StoreUrl, *, read_only: bool = False) -> None:
        super().__init__(url, read_only=read_only)
        self._writer: asyncpg.Connection | None = None
        self._writer_lock = asyncio.Lock()
        self._readers: asyncpg.Pool | None = None
        self._connected = False

    def leadership(self, takeover_seconds: float) -> Leadership:
        return PostgresLeadership(self.url, takeover_seconds)

    async def _connect_writer(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.url, **_CONNECT_OPTIONS)

    async def connect(self) -> None:
        if self._connected:
            return
        settings = dict(_CONNECT_OPTIONS["server_settings"])
        if self.read_only:
            settings["default_transaction_read_only"] = "on"
        self._readers = await asyncpg.create_pool(
            self.url,
            min_size=1,
            max_size=READERS,
            statement_cache_size=_CONNECT_OPTIONS["statement_cache_size"],
            server_settings=settings,
        )
        if not self.read_only:
            try:
                self._writer = await self._connect_writer()
            except BaseException:
                await self._readers.close()
                self._readers = None
                raise
        self._connected = True
        LOG.debug("connected to %s", self.store.redacted())

    async def close(self) -> None:
        async with self._writer_lock:
            if self._writer is not None:
                with contextlib.suppress(Exception):
                    await self._writer.close(timeout=5)
                self._writer = None
        if self._readers is not None:
            readers, self._readers = self._readers, None
            try:
                await asyncio.wait_for(readers.close(), 5)
            except (TimeoutError, OSError, asyncpg.PostgresError):
                readers.terminate()
        self._connected = False

    def _pool(self) -> asyncpg.Pool:
        if self._readers is None:
            raise RuntimeError("database is not connected")
        return self._readers

    @asynccontextmanager
    async def _write_transaction(self, serialize: str | None) -> AsyncIterator[Tx]:
        if not self._connected:
            raise RuntimeError("database is not connected")
        async with self._writer_lock:
            if self._writer is None or self._writer.is_closed():
                LOG.warning("writer connection to %s lost; reconnecting", self.store.redacted())
                self._writer = await self._connect_writer()
            conn = self._writer
            transaction = conn.transaction()
            await transaction.start()
            tx = PostgresTx(conn, self)
            try:
                if serialize is not None:
                    await conn.execute("SELECT pg_advisory_xact_lock($1)", lock_key(serialize))
                yield tx
            except BaseException:
                await self._end(conn, transaction.rollback)
                raise
            await self._end(conn, transaction.commit)

    async def _end(self, conn: asyncpg.Connection, finish: Any) -> None:
        """COMMIT or ROLLBACK to the end even when the task is being cancelled; a connection
        that cannot finish its transaction is dropped (the server then rolls it back)."""
        ending = asyncio.ensure_future(finish())
        try:
            await asyncio.shield(ending)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await ending
            raise
        except (asyncpg.InterfaceError, OSError):
            conn.terminate()
            raise
        finally:
            if not ending.done() or ending.cancelled() or ending.exception() is not None:
                conn.terminate()

    @asynccontextmanager
    async def _read_transaction(self) -> AsyncIterator[Tx]:
        async with (
            self._pool().acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            yield PostgresTx(conn, self)

    @asynccontextmanager
    async def _read_statement(self) -> AsyncIterator[Tx]:
        async with self._pool().acquire() as conn:
            yield PostgresTx(conn, self)
