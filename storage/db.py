"""The store: one interface, two engines (SQLite and PostgreSQL), and the transaction facade.

``open_database(url)`` gives a :class:`Database` for ``sqlite:PATH`` (or a bare path) or
``postgresql://...``. Both work the same way for the code above them:

* ``async with db.transaction() as tx`` is one write transaction. A process writes through one
  connection, one transaction at a time, so a transaction never sees another of the same
  process half-done; on PostgreSQL other processes (a command-line run, a standby taking over)
  meet row locks and ``FOR UPDATE SKIP LOCKED`` claims.
* ``async with db.read() as tx`` is a consistent read-only snapshot and ``db.statement()`` one
  read statement, on other connections, so reads neither wait for nor block the writes.
* ``tx`` gives access to the repositories (``tx.people``, ``tx.org`` ...), all bound to that
  transaction; their SQL is portable (see :mod:`storage.dialect`), translated per store.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from storage.dialect import Dialect
from storage.updates import APPLYING

if TYPE_CHECKING:
    from storage.repos.activities import ActivitiesRepo
    from storage.repos.api import ApiRepo
    from storage.repos.audit import AuditRepo
    from storage.repos.broadcasts import BroadcastsRepo
    from storage.repos.cards import CardsRepo
    from storage.repos.consult import ConsultRepo
    from storage.repos.deadlines import DeadlinesRepo
    from storage.repos.departments import DepartmentsRepo
    from storage.repos.flows import FlowsRepo, PersistedState
    from storage.repos.households import HouseholdsRepo
    from storage.repos.invitations import InvitationsRepo
    from storage.repos.members import MembersRepo
    from storage.repos.org import OrgRepo
    from storage.repos.outbox import OutboxRepo
    from storage.repos.parties import PartiesRepo
    from storage.repos.people import PeopleRepo
    from storage.repos.points import PointsRepo
    from storage.repos.privacy import PrivacyRepo
    from storage.repos.ratings import RatingsRepo
    from storage.repos.requests import RequestsRepo
    from storage.repos.stats import StatsRepo
    from storage.repos.teams import TeamsRepo
    from storage.repos.topics import TopicsRepo
    from storage.repos.visits import VisitsRepo
    from storage.repos.whistle_stats import WhistleStatsRepo
    from storage.repos.whistles import WhistlesRepo
    from storage.updates import UpdatesRepo

__all__ = [
    "Database",
    "Leadership",
    "Params",
    "Row",
    "StoreUrl",
    "Tx",
    "open_database",
    "parse_store_url",
]

LOG = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]
# sqlite3.Row or asyncpg.Record: both index by position and by name, and dict(row) works.
Row = Any


class StoreUrl:
    """Where the data lives: ``sqlite:PATH`` (or a bare path) or ``postgresql://...``."""

    def __init__(self, url: str | Path) -> None:
        text = str(url)
        if text.startswith(("postgresql://", "postgres://")):
            self.engine = "postgresql"
            self.path: Path | None = None
        else:
            self.engine = "sqlite"
            if text.startswith("sqlite:"):
                text = text.removeprefix("sqlite:")
                if text.startswith("///"):  # sqlite:///abs/path
                    text = text[2:]
            if not text or "://" in text:
                raise ValueError(
                    f"not a store URL: {url!r} (sqlite:PATH or postgresql://USER@HOST/DB)"
                )
            self.path = Path(text)
        self.url = text if self.engine == "postgresql" else f"sqlite:{self.path}"

    def __str__(self) -> str:
        return self.url

    def redacted(self) -> str:
        """The URL without its password, for messages and logs."""
        if self.engine != "postgresql":
            return self.url
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))


def parse_store_url(url: str | Path) -> StoreUrl:
    return StoreUrl(url)


class Tx(ABC):
    """A transaction (or a read) on one connection, with the repositories bound to it."""

    dialect: Dialect

    def __init__(self, database: Database) -> None:
        self.database = database
        self._after_commit: list[Callable[[], None]] = []

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the transaction has committed (not if it rolls back)."""
        if callback not in self._after_commit:
            self._after_commit.append(callback)

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the number of rows it changed."""

    @abstractmethod
    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT into a table keyed by ``id`` and return the new row's id."""

    @abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement once per row of parameters."""

    @abstractmethod
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a query (or a statement with RETURNING); return its rows."""

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    @abstractmethod
    async def execute_script(self, script: str) -> None:
        """Run several statements (a migration) inside this transaction."""

    @abstractmethod
    async def explain(self, sql: str, params: Params = (), *, avoid_scans: bool = False) -> str:
        """The store's plan for a query, one line per step (for tests and the benchmark).

        ``avoid_scans`` asks PostgreSQL to prefer indexes as it would on a big table (on a
        small one it rightly scans); SQLite plans the same either way."""

    @abstractmethod
    async def has_table(self, name: str) -> bool:
        """True when the store has a table called ``name``."""

    @abstractmethod
    async def tables(self) -> list[str]:
        """The names of the store's tables, sorted."""

    @abstractmethod
    async def text_columns(self) -> list[tuple[str, str]]:
        """(table, column) for every text column of every table, in table order."""

    # The column that names a row in any table, for rewriting rows found by a scan
    # (SQLite's rowid, PostgreSQL's ctid): valid within the transaction that read it.
    row_id: str

    # For `gridbot db copy`: the shape of the store.
    async def foreign_keys(self) -> dict[str, set[str]]:
        """Each table and the other tables its foreign keys refer to."""
        graph: dict[str, set[str]] = {t: set() for t in await self.tables()}
        for table, parent in await self._references():
            if table != parent:
                graph.setdefault(table, set()).add(parent)
        return graph

    @abstractmethod
    async def _references(self) -> list[tuple[str, str]]:
        """(table, referenced table) for every foreign key."""

    @abstractmethod
    async def primary_key(self, table: str) -> list[str]:
        """The columns of ``table``'s primary key, in order."""

    async def column_kinds(self, table: str) -> dict[str, str]:
        """Columns whose values the store keeps in a type of its own ("timestamp",
        "boolean"), which values from another store must be converted to."""
        return {}

    @abstractmethod
    async def continue_ids(self, table: str) -> None:
        """After rows were inserted with their ids: new rows continue after them."""

    # Repositories, created on first use and bound to this transaction.
    @cached_property
    def org(self) -> OrgRepo:
        from storage.repos.org import OrgRepo

        return OrgRepo(self)

    @cached_property
    def people(self) -> PeopleRepo:
        from storage.repos.people import PeopleRepo

        return PeopleRepo(self)

    @cached_property
    def invitations(self) -> InvitationsRepo:
        from storage.repos.invitations import InvitationsRepo

        return InvitationsRepo(self)

    @cached_property
    def api(self) -> ApiRepo:
        from storage.repos.api import ApiRepo

        return ApiRepo(self)

    @cached_property
    def audit(self) -> AuditRepo:
        from storage.repos.audit import AuditRepo

        return AuditRepo(self)

    @cached_property
    def requests(self) -> RequestsRepo:
        from storage.repos.requests import RequestsRepo

        return RequestsRepo(self)

    @cached_property
    def cards(self) -> CardsRepo:
        from storage.repos.cards import CardsRepo

        return CardsRepo(self)

    @cached_property
    def privacy(self) -> PrivacyRepo:
        from storage.repos.privacy import PrivacyRepo

        return PrivacyRepo(self)

    @cached_property
    def flows(self) -> FlowsRepo:
        from storage.repos.flows import FlowsRepo

        return FlowsRepo(self)

    @cached_property
    def deadlines(self) -> DeadlinesRepo:
        from storage.repos.deadlines import DeadlinesRepo

        return DeadlinesRepo(self)

    @cached_property
    def members(self) -> MembersRepo:
        from storage.repos.members import MembersRepo

        return MembersRepo(self)

    @cached_property
    def visits(self) -> VisitsRepo:
        from storage.repos.visits import VisitsRepo

        return VisitsRepo(self)

    @cached_property
    def broadcasts(self) -> BroadcastsRepo:
        from storage.repos.broadcasts import BroadcastsRepo

        return BroadcastsRepo(self)

    @cached_property
    def stats(self) -> StatsRepo:
        from storage.repos.stats import StatsRepo

        return StatsRepo(self)

    @cached_property
    def topics(self) -> TopicsRepo:
        from storage.repos.topics import TopicsRepo

        return TopicsRepo(self)

    @cached_property
    def outbox(self) -> OutboxRepo:
        from storage.repos.outbox import OutboxRepo

        return OutboxRepo(self)

    @cached_property
    def parties(self) -> PartiesRepo:
        from storage.repos.parties import PartiesRepo

        return PartiesRepo(self)

    @cached_property
    def households(self) -> HouseholdsRepo:
        from storage.repos.households import HouseholdsRepo

        return HouseholdsRepo(self)

    @cached_property
    def consult(self) -> ConsultRepo:
        from storage.repos.consult import ConsultRepo

        return ConsultRepo(self)

    @cached_property
    def ratings(self) -> RatingsRepo:
        from storage.repos.ratings import RatingsRepo

        return RatingsRepo(self)

    @cached_property
    def teams(self) -> TeamsRepo:
        from storage.repos.teams import TeamsRepo

        return TeamsRepo(self)

    @cached_property
    def activities(self) -> ActivitiesRepo:
        from storage.repos.activities import ActivitiesRepo

        return ActivitiesRepo(self)

    @cached_property
    def points(self) -> PointsRepo:
        from storage.repos.points import PointsRepo

        return PointsRepo(self)

    @cached_property
    def departments(self) -> DepartmentsRepo:
        from storage.repos.departments import DepartmentsRepo

        return DepartmentsRepo(self)

    @cached_property
    def whistles(self) -> WhistlesRepo:
        from storage.repos.whistles import WhistlesRepo

        return WhistlesRepo(self)

    @cached_property
    def whistle_stats(self) -> WhistleStatsRepo:
        from storage.repos.whistle_stats import WhistleStatsRepo

        return WhistleStatsRepo(self)

    @cached_property
    def updates(self) -> UpdatesRepo:
        from storage.updates import UpdatesRepo

        return UpdatesRepo(self)


class Leadership(ABC):
    """Which of the processes sharing a store is the active one: whoever holds this.

    Held for the life of a process (released when it ends, however it ends); the others wait
    in :meth:`acquire`, polling every ``poll_seconds``.
    """

    @abstractmethod
    async def acquire(self, poll_seconds: float) -> None:
        """Wait until this process holds it."""

    @abstractmethod
    async def check(self, within: float) -> bool:
        """True while it is still held (False once the store could have given it away)."""

    @abstractmethod
    async def release(self) -> None:
        """Give it up (idempotent)."""


class Database(ABC):
    """A store's connections: one writer (one transaction at a time), readers beside it."""

    dialect: Dialect

    def __init__(self, url: StoreUrl, *, read_only: bool = False) -> None:
        self.store = url
        self.read_only = read_only
        # Tasks holding a connection: asking for a second one is a bug, not a wait (a read
        # inside a write transaction would not see that transaction's own changes).
        self._holders: set[asyncio.Task[Any]] = set()
        self._state_listeners: list[Callable[[PersistedState], None]] = []

    def on_state_written(self, listener: Callable[[PersistedState], None]) -> None:
        """Call ``listener`` after every commit that wrote a person's conversation state
        (``user_data`` and conversation rows) outside the persistence: the persistence keeps
        its caches and its queued writes coherent with it."""
        self._state_listeners.append(listener)

    def state_written(self, state: PersistedState) -> None:
        for listener in self._state_listeners:
            listener(state)

    @property
    def url(self) -> str:
        return self.store.url

    @property
    def engine(self) -> str:
        return self.store.engine

    @abstractmethod
    def leadership(self, takeover_seconds: float) -> Leadership:
        """The lock that makes one process of those sharing this store the active one; a
        process that dies without releasing it loses it within ``takeover_seconds``."""

    @abstractmethod
    async def connect(self) -> None:
        """Open the connections (idempotent)."""

    @abstractmethod
    async def close(self) -> None:
        """Close the connections (idempotent)."""

    async def __aenter__(self) -> Database:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @asynccontextmanager
    async def _held(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None and task in self._holders:
            raise RuntimeError("nested database transaction in the same task")
        if task is not None:
            self._holders.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._holders.discard(task)

    @asynccontextmanager
    async def transaction(self, *, serialize: str | None = None) -> AsyncIterator[Tx]:
        """Run the block as one write transaction; roll back if it raises.

        ``serialize`` names work that must not run in two processes at once (migrations): on
        PostgreSQL the transaction first takes a transaction-level advisory lock of that name;
        on SQLite every write transaction is exclusive already.

        While an update is being applied (:data:`storage.updates.APPLYING`), its first
        transaction also records the update id, so a replayed update is recognised.
        """
        if self.read_only:
            raise RuntimeError(f"{self.store.redacted()} is opened read-only")
        mark = APPLYING.get()
        async with self._held(), self._write_transaction(serialize) as tx:
            if mark is not None and not mark.recorded:
                await tx.updates.record(mark)
            yield tx
        if mark is not None:
            mark.recorded = True
        for callback in tx._after_commit:
            callback()

    @asynccontextmanager
    async def migration(self) -> AsyncIterator[Tx]:
        """One migration's transaction, held by one process at a time. On SQLite, foreign
        keys are off inside it (so a table can be rebuilt: SQLite's only way to change a
        constraint) and checked before the commit: a migration that leaves a dangling
        reference is rolled back."""
        if self.read_only:
            raise RuntimeError(f"{self.store.redacted()} is opened read-only")
        async with self._held(), self._migration_transaction() as tx:
            yield tx

    def _migration_transaction(self) -> Any:
        return self._write_transaction("gridbot migrate")

    @abstractmethod
    def _write_transaction(self, serialize: str | None) -> Any:
        """An async context manager: BEGIN on the writer, COMMIT or ROLLBACK at the end."""

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Tx]:
        """Run the block's queries against one consistent snapshot."""
        async with self._held(), self._read_transaction() as tx:
            yield tx

    @abstractmethod
    def _read_transaction(self) -> Any:
        """An async context manager: a read-only snapshot on a reader connection."""

    @asynccontextmanager
    async def statement(self) -> AsyncIterator[Tx]:
        """For one read statement: atomic on its own, so no BEGIN/COMMIT round trips."""
        async with self._held(), self._read_statement() as tx:
            yield tx

    @abstractmethod
    def _read_statement(self) -> Any:
        """An async context manager: a reader connection without a transaction."""


def open_database(url: str | Path | StoreUrl, *, read_only: bool = False) -> Database:
    """The store at ``url`` (not connected yet): SQLite for ``sqlite:PATH`` or a bare path,
    PostgreSQL for ``postgresql://``."""
    store = url if isinstance(url, StoreUrl) else StoreUrl(url)
    if store.engine == "postgresql":
        from storage.postgres import PostgresDatabase

        return PostgresDatabase(store, read_only=read_only)
    from storage.sqlite import SQLiteDatabase

    return SQLiteDatabase(store, read_only=read_only)
