"""The aiosqlite connection manager and the transaction facade.

Two connections serve the whole process, each with its own aiosqlite thread: the writer, for
``async with db.transaction() as tx`` (``BEGIN IMMEDIATE`` ... ``COMMIT``), and a query-only
reader for ``async with db.read() as tx`` and ``db.statement()``. WAL lets the reader see every
committed write while a write transaction is open, so a busy moment's many small reads (who
is this person, which categories) do not queue behind the writes. An asyncio lock per
connection keeps concurrent coroutines from interleaving statements of different
transactions on it. ``tx`` gives access to the repositories (``tx.people``, ``tx.org`` ...),
all bound to that transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import aiosqlite

from storage.repos.activities import ActivitiesRepo
from storage.repos.admin import AdminRepo
from storage.repos.api import ApiRepo
from storage.repos.audit import AuditRepo
from storage.repos.broadcasts import BroadcastsRepo
from storage.repos.cards import CardsRepo
from storage.repos.deadlines import DeadlinesRepo
from storage.repos.due import DueRepo
from storage.repos.flows import FlowsRepo, PersistedState
from storage.repos.members import MembersRepo
from storage.repos.org import OrgRepo
from storage.repos.outbox import OutboxRepo
from storage.repos.people import PeopleRepo
from storage.repos.points import PointsRepo
from storage.repos.privacy import PrivacyRepo
from storage.repos.requests import RequestsRepo
from storage.repos.stats import StatsRepo
from storage.repos.teams import TeamsRepo
from storage.repos.topics import TopicsRepo
from storage.repos.visits import VisitsRepo

__all__ = ["Database", "Tx"]

LOG = logging.getLogger(__name__)


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


class Tx:
    """A transaction (or a read) on one of the connections, with the repositories bound to it."""

    def __init__(self, conn: aiosqlite.Connection, database: Database) -> None:
        self.conn = conn
        self.database = database
        self._after_commit: list[Callable[[], None]] = []

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the transaction has committed (not if it rolls back)."""
        if callback not in self._after_commit:
            self._after_commit.append(callback)

    # Each call is one hop to aiosqlite's thread (execute and fetch together): a query's cost
    # is the database's work, not three thread handoffs.
    async def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        cursor = await self.conn.execute(sql, params)
        return cursor.rowcount

    async def insert(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run an INSERT and return the new row id."""
        row = await self.conn.execute_insert(sql, params)
        if row is None or row[0] is None:
            raise RuntimeError("INSERT gave no row id")
        return int(row[0])

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self.conn.executemany(sql, rows)

    async def fetchall(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> list[sqlite3.Row]:
        return list(await self.conn.execute_fetchall(sql, params))

    async def fetchone(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> sqlite3.Row | None:
        rows = await self.conn.execute_fetchall(sql, params)
        for row in rows:
            return row  # type: ignore[no-any-return]
        return None

    async def fetchval(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    # Repositories, created on first use and bound to this transaction.
    @cached_property
    def org(self) -> OrgRepo:
        return OrgRepo(self)

    @cached_property
    def people(self) -> PeopleRepo:
        return PeopleRepo(self)

    @cached_property
    def admin(self) -> AdminRepo:
        return AdminRepo(self)

    @cached_property
    def api(self) -> ApiRepo:
        return ApiRepo(self)

    @cached_property
    def audit(self) -> AuditRepo:
        return AuditRepo(self)

    @cached_property
    def requests(self) -> RequestsRepo:
        return RequestsRepo(self)

    @cached_property
    def cards(self) -> CardsRepo:
        return CardsRepo(self)

    @cached_property
    def deadlines(self) -> DeadlinesRepo:
        return DeadlinesRepo(self)

    @cached_property
    def members(self) -> MembersRepo:
        return MembersRepo(self)

    @cached_property
    def visits(self) -> VisitsRepo:
        return VisitsRepo(self)

    @cached_property
    def broadcasts(self) -> BroadcastsRepo:
        return BroadcastsRepo(self)

    @cached_property
    def stats(self) -> StatsRepo:
        return StatsRepo(self)

    @cached_property
    def privacy(self) -> PrivacyRepo:
        return PrivacyRepo(self)

    @cached_property
    def flows(self) -> FlowsRepo:
        return FlowsRepo(self)

    @cached_property
    def topics(self) -> TopicsRepo:
        return TopicsRepo(self)

    @cached_property
    def outbox(self) -> OutboxRepo:
        return OutboxRepo(self)

    @cached_property
    def teams(self) -> TeamsRepo:
        return TeamsRepo(self)

    @cached_property
    def activities(self) -> ActivitiesRepo:
        return ActivitiesRepo(self)

    @cached_property
    def due(self) -> DueRepo:
        return DueRepo(self)

    @cached_property
    def points(self) -> PointsRepo:
        return PointsRepo(self)


@dataclass
class _Connection:
    """One aiosqlite connection, held by one task at a time."""

    conn: aiosqlite.Connection
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    owner: asyncio.Task[object] | None = None


class Database:
    """The process's SQLite connections (WAL, foreign keys, busy timeout): one writer, one
    query-only reader."""

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 5000) -> None:
        self.path = Path(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._writer: _Connection | None = None
        self._reader: _Connection | None = None
        self._state_listeners: list[Callable[[PersistedState], None]] = []

    def on_state_written(self, listener: Callable[[PersistedState], None]) -> None:
        """Call ``listener`` after every commit that wrote a person's conversation state
        (``user_data`` and conversation rows) outside the persistence: the persistence keeps
        its caches and its queued writes coherent with it."""
        self._state_listeners.append(listener)

    def state_written(self, state: PersistedState) -> None:
        for listener in self._state_listeners:
            listener(state)

    @asynccontextmanager
    async def _exclusive(self, which: _Connection | None) -> AsyncIterator[aiosqlite.Connection]:
        """Hold a connection; a task asking again while holding either is a bug, not a wait
        (a read inside a write transaction would not see that transaction's own changes)."""
        if which is None:
            raise RuntimeError("database is not connected")
        task = asyncio.current_task()
        if task is not None and task in (self._owner(self._writer), self._owner(self._reader)):
            raise RuntimeError("nested database transaction in the same task")
        async with which.lock:
            which.owner = task
            try:
                yield which.conn
            finally:
                which.owner = None

    @staticmethod
    def _owner(which: _Connection | None) -> asyncio.Task[object] | None:
        return which.owner if which is not None else None

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
        if self._writer is not None:
            return
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        writer = await self._open(
            "PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL"
        )
        try:
            reader = await self._open("PRAGMA foreign_keys=ON", "PRAGMA query_only=ON")
        except BaseException:
            await writer.close()
            raise
        self._writer, self._reader = _Connection(writer), _Connection(reader)
        LOG.debug("connected to %s", self.path)

    async def close(self) -> None:
        for which in (self._reader, self._writer):
            if which is not None:
                async with self._exclusive(which) as conn:
                    await conn.close()
        self._writer = self._reader = None

    async def __aenter__(self) -> Database:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """Run the block as one write transaction; roll back if it raises."""
        async with self._exclusive(self._writer) as conn:
            await _begin(conn, "BEGIN IMMEDIATE")
            tx = Tx(conn, self)
            try:
                yield tx
            except BaseException:
                await _finish(conn, "ROLLBACK")
                raise
            await _finish(conn, "COMMIT")
        for callback in tx._after_commit:
            callback()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        """Run the block's queries against one consistent snapshot."""
        async with self._exclusive(self._reader) as conn:
            await _begin(conn, "BEGIN")
            try:
                yield Tx(conn, self)
            finally:
                await _finish(conn, "COMMIT")

    @asynccontextmanager
    async def statement(self) -> AsyncIterator[Tx]:
        """For one read statement: atomic on its own, so no BEGIN/COMMIT round trips."""
        async with self._exclusive(self._reader) as conn:
            yield Tx(conn, self)

    async def migration_script(self, script: str) -> None:
        """Run a migration's script in one transaction with foreign keys off (so a table can
        be rebuilt: SQLite's only way to change a constraint), checked before the commit: a
        script that leaves a dangling reference is rolled back."""
        async with self._exclusive(self._writer) as conn:
            await conn.execute("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction
            try:
                await conn.executescript(f"BEGIN IMMEDIATE;\n{script}")
                dangling = list(await conn.execute_fetchall("PRAGMA foreign_key_check"))
                if dangling:
                    raise sqlite3.IntegrityError(
                        f"migration leaves {len(dangling)} dangling references,"
                        f" e.g. {tuple(dangling[0])}"
                    )
                await conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    await conn.execute("ROLLBACK")
                raise
            finally:
                await conn.execute("PRAGMA foreign_keys=ON")

    async def executescript(self, script: str) -> None:
        """Run a multi-statement script; a script that opened a transaction is rolled back
        if it fails half-way."""
        async with self._exclusive(self._writer) as conn:
            try:
                await conn.executescript(script)
            except sqlite3.Error:
                if conn.in_transaction:
                    await conn.execute("ROLLBACK")
                raise
