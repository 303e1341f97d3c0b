"""python-telegram-bot persistence in the store (SQLite or PostgreSQL), as JSON (never pickle).

What is kept: the states of persistent ``ConversationHandler``\\ s and every user's
``user_data`` and every chat's ``chat_data``. What is not: ``bot_data`` (the bot keeps live
service objects there) and callback data; for those the methods return nothing and store
nothing.

JSON decides what survives a restart. ``user_data`` and ``chat_data`` may hold dicts with
``str`` keys, lists, tuples, ``str``, ``int``, finite ``float``, ``bool`` and ``None``. A round
trip keeps these types with three exceptions JSON forces: tuples come back as lists, ``int`` and
``str`` enum members come back as plain ``int``/``str``, and dict subclasses come back as plain
dicts. Anything else (a set, a datetime, an ``int`` dict key ...) makes ``update_*`` raise a
:class:`TypeError` naming the user or chat and the offending key; nothing is dropped silently.
An empty dict is kept as no row at all, which reads back the same (PTB hands out ``{}`` for
users it has no data for).

Writes are queued in ``update_*`` and ``drop_*`` and committed by one writer task, one
transaction per persistence round, only when the JSON differs from what this instance last read
or wrote for that row, so an idle bot does not rewrite rows on every run of PTB's persistence
loop.

A service may end a conversation inside its own transaction (``tx.flows.finish``, see
``storage/repos/flows.py``): that transaction writes the person's ``user_data`` without the
conversation's form and deletes the conversation's state, together with the effect. The
database then tells this persistence what was written, after the commit and before anything
else runs: the caches take the new values and the writes still queued for those rows (older)
are dropped, so nothing older is written over them. The writer takes its batch only once it
holds the write connection, so a batch can never straddle such a transaction.

At start-up, before PTB reads anything, :meth:`FlowsRepo.reconcile` finishes what a crash
left half done: a form whose nonce is already recorded as finished is dropped, and a
conversation state whose form is gone is ended, silently.

PTB reads the persistence in ``Application.initialize()``, before ``post_init`` runs, so the
persistence connects and migrates the database itself on first use (both are idempotent).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from telegram.ext import BasePersistence, PersistenceInput

from bot.clock import Clock, SystemClock
from storage.migrate import migrate
from storage.timestamps import ts
from storage.updates import UpdateMark

if TYPE_CHECKING:
    from storage.db import Database
    from storage.repos.flows import PersistedState

__all__ = [
    "CONVERSATION_DELETE",
    "USER_DATA_DELETE",
    "USER_DATA_UPSERT",
    "StorePersistence",
    "conversation_key_text",
    "user_data_text",
]

LOG = logging.getLogger(__name__)

Data = dict[Any, Any]
_UNKNOWN = object()
ConversationKey = tuple[int | str, ...]
Owner = tuple[str, int]  # ("user", id) or ("chat", id): whose data a row is
# PTB's callback-data snapshot (telegram.ext._utils.types.CDCData); never stored here.
CallbackData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]


@dataclass(frozen=True)
class _DataTable:
    """One of the two per-id data tables and the words used for it in messages."""

    what: str  # "user_data"
    owner: str  # "user"
    select: str
    upsert: str
    delete: str


_USER_DATA = _DataTable(
    what="user_data",
    owner="user",
    select="SELECT user_id, data FROM ptb_user_data",
    upsert=(
        "INSERT INTO ptb_user_data (user_id, data, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET data = excluded.data,"
        " updated_at = excluded.updated_at"
    ),
    delete="DELETE FROM ptb_user_data WHERE user_id = ?",
)

_CHAT_DATA = _DataTable(
    what="chat_data",
    owner="chat",
    select="SELECT chat_id, data FROM ptb_chat_data",
    upsert=(
        "INSERT INTO ptb_chat_data (chat_id, data, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (chat_id) DO UPDATE SET data = excluded.data,"
        " updated_at = excluded.updated_at"
    ),
    delete="DELETE FROM ptb_chat_data WHERE chat_id = ?",
)

_SELECT_CONVERSATIONS = "SELECT key, state FROM ptb_conversations WHERE name = ?"
_UPSERT_CONVERSATION = (
    "INSERT INTO ptb_conversations (name, key, state, updated_at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (name, key) DO UPDATE SET state = excluded.state,"
    " updated_at = excluded.updated_at"
)
_DELETE_CONVERSATION = "DELETE FROM ptb_conversations WHERE name = ? AND key = ?"

# The statements other transactions use to write the same rows (storage/repos/flows.py).
USER_DATA_UPSERT = _USER_DATA.upsert
USER_DATA_DELETE = _USER_DATA.delete
CONVERSATION_DELETE = _DELETE_CONVERSATION


def _json_problem(value: object, path: str, open_containers: set[int]) -> str | None:
    """Describe the first part of ``value`` that JSON cannot keep, or return ``None``."""
    if value is None or isinstance(value, str | int):  # bool is an int
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{path} is {value!r}, which JSON cannot hold"
    if not isinstance(value, dict | list | tuple):
        return f"{path} is a {type(value).__qualname__}, which is not JSON-serializable"
    if id(value) in open_containers:
        return f"{path} contains itself"
    open_containers.add(id(value))
    try:
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    return (
                        f"{path} has the key {key!r} of type {type(key).__qualname__};"
                        " JSON object keys must be str"
                    )
                problem = _json_problem(item, f"{path}[{key!r}]", open_containers)
                if problem is not None:
                    return problem
        else:
            for index, item in enumerate(value):
                problem = _json_problem(item, f"{path}[{index}]", open_containers)
                if problem is not None:
                    return problem
    finally:
        open_containers.discard(id(value))
    return None


def _to_json(value: object, path: str, context: str) -> str:
    """Serialize ``value`` compactly; raise TypeError saying what in it JSON cannot keep."""
    problem = _json_problem(value, path, set())
    if problem is not None:
        raise TypeError(f"cannot store {context} as JSON: {problem}")
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def user_data_text(user_id: int, data: Data) -> str | None:
    """The JSON stored for a user's data (None: no row, for an empty dict)."""
    return _to_json(data, "user_data", f"user_data of user {user_id}") if data else None


def conversation_key_text(key: ConversationKey) -> str:
    """The JSON stored as a conversation's key."""
    return _to_json(list(key), "key", f"conversation key {key!r}")


def _from_json(text: str, context: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise TypeError(f"stored {context} is not valid JSON: {text[:80]!r}") from exc


class StorePersistence(BasePersistence[Data, Data, Data]):
    """Conversation states, ``user_data`` and ``chat_data`` in the bot's store.

    Pass it to ``ApplicationBuilder().persistence(...)``; mark the ``ConversationHandler``\\ s
    to keep with ``name=...`` and ``persistent=True``. ``clock`` stamps ``updated_at``.
    ``flows`` names the conversations that keep their form in ``user_data[name]``: at start-up
    their finished forms are dropped and their states without a form ended.
    """

    __slots__ = (
        "_chats",
        "_clock",
        "_committed",
        "_complete",
        "_conversations",
        "_db",
        "_flows",
        "_pending",
        "_queued",
        "_ready",
        "_ready_lock",
        "_round_done",
        "_users",
        "_writer",
        "mark_source",
    )

    def __init__(
        self,
        db: Database,
        *,
        update_interval: float = 1.0,
        store_user_data: bool = True,
        store_chat_data: bool = True,
        clock: Clock | None = None,
        flows: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False,
                chat_data=store_chat_data,
                user_data=store_user_data,
                callback_data=False,
            ),
            update_interval=update_interval,
        )
        self._db = db
        self._flows = flows
        self._clock: Clock = clock or SystemClock()
        self._ready = False
        self._ready_lock = asyncio.Lock()
        # The JSON this instance last read or wrote per row; None means "known to have no row".
        self._users: dict[int, str | None] = {}
        self._chats: dict[int, str | None] = {}
        self._conversations: dict[tuple[str, str], str | None] = {}
        # What was loaded whole: a row missing from a loaded table is known not to exist.
        self._complete: set[str] = set()
        # Writes waiting for the writer task: one transaction for a whole persistence round.
        self._pending: dict[tuple[str, object], tuple[str, tuple[Any, ...], Owner]] = {}
        # Which updates are being applied for whom (set by the update runner): their ids are
        # recorded in the same commit as the state they changed (storage/updates.py).
        self.mark_source: Callable[[set[Owner]], list[UpdateMark]] | None = None
        # Writes queued and committed so far (counts), for flush().
        self._queued = 0
        self._committed = 0
        self._round_done = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        db.on_state_written(self._written_elsewhere)

    def _last_written(self, scope: str, written: dict[Any, str | None], key: object) -> object:
        """The JSON last seen for ``key`` (None: no row), or ``_UNKNOWN``."""
        if key in written:
            return written[key]
        return None if scope in self._complete else _UNKNOWN

    async def _ensure_ready(self) -> None:
        """Connect and migrate the database once (PTB calls us before ``post_init``)."""
        if self._ready:
            return
        async with self._ready_lock:
            if self._ready:
                return
            await self._db.connect()
            await migrate(self._db)
            async with self._db.transaction() as tx:
                forms, states = await tx.flows.reconcile(self._flows)
            if forms or states:
                LOG.info(
                    "start-up: %d finished forms dropped, %d conversations without a form ended",
                    forms,
                    states,
                )
            self._ready = True

    def _written_elsewhere(self, state: PersistedState) -> None:
        """A service's transaction wrote this person's state (and committed): take it as
        what is stored, and drop the older writes still queued for those rows."""
        self._pending.pop((_USER_DATA.what, state.user_id), None)
        self._users[state.user_id] = state.user_data
        for name, key_text in state.ended:
            self._pending.pop(("conversation", (name, key_text)), None)
            self._conversations[name, key_text] = None

    # -- user_data and chat_data ---------------------------------------------------------

    async def _load(self, table: _DataTable, written: dict[int, str | None]) -> dict[int, Data]:
        await self._ensure_ready()
        async with self._db.read() as tx:
            rows = await tx.fetchall(table.select)
        loaded: dict[int, Data] = {}
        for row in rows:
            owner_id, text = int(row[0]), str(row[1])
            data = _from_json(text, f"{table.what} of {table.owner} {owner_id}")
            if not isinstance(data, dict):
                raise TypeError(
                    f"stored {table.what} of {table.owner} {owner_id} is not a JSON object"
                )
            loaded[owner_id] = data
            written[owner_id] = text
        self._complete.add(table.what)
        LOG.debug("restored %s for %d %ss", table.what, len(loaded), table.owner)
        return loaded

    async def _store(
        self, table: _DataTable, written: dict[int, str | None], owner_id: int, data: Data
    ) -> None:
        if not isinstance(data, dict):
            raise TypeError(
                f"{table.what} of {table.owner} {owner_id} is a {type(data).__qualname__},"
                " not a dict"
            )
        text = (
            _to_json(data, table.what, f"{table.what} of {table.owner} {owner_id}")
            if data
            else None
        )
        if self._last_written(table.what, written, owner_id) == text:
            return
        await self._ensure_ready()
        if text is None:
            self._write((table.what, owner_id), table.delete, (owner_id,), (table.owner, owner_id))
        else:
            self._write(
                (table.what, owner_id),
                table.upsert,
                (owner_id, text, ts(self._clock.now())),
                (table.owner, owner_id),
            )
        written[owner_id] = text
        LOG.debug("stored %s of %s %d", table.what, table.owner, owner_id)

    async def _drop(
        self, table: _DataTable, written: dict[int, str | None], owner_id: int
    ) -> None:
        await self._ensure_ready()
        self._write((table.what, owner_id), table.delete, (owner_id,), (table.owner, owner_id))
        await self.flush()  # dropping personal data is not left for later
        written[owner_id] = None
        LOG.debug("dropped %s of %s %d", table.what, table.owner, owner_id)

    async def get_user_data(self) -> dict[int, Data]:
        """Every stored user's ``user_data``, by user id (fresh objects)."""
        if not self.store_data.user_data:
            return {}
        return await self._load(_USER_DATA, self._users)

    async def get_chat_data(self) -> dict[int, Data]:
        """Every stored chat's ``chat_data``, by chat id (fresh objects)."""
        if not self.store_data.chat_data:
            return {}
        return await self._load(_CHAT_DATA, self._chats)

    async def update_user_data(self, user_id: int, data: Data) -> None:
        """Write the user's data if it changed; raise TypeError if JSON cannot keep it."""
        if self.store_data.user_data:
            await self._store(_USER_DATA, self._users, user_id, data)

    async def update_chat_data(self, chat_id: int, data: Data) -> None:
        """Write the chat's data if it changed; raise TypeError if JSON cannot keep it."""
        if self.store_data.chat_data:
            await self._store(_CHAT_DATA, self._chats, chat_id, data)

    async def drop_user_data(self, user_id: int) -> None:
        """Delete the user's stored data."""
        if self.store_data.user_data:
            await self._drop(_USER_DATA, self._users, user_id)

    async def drop_chat_data(self, chat_id: int) -> None:
        """Delete the chat's stored data."""
        if self.store_data.chat_data:
            await self._drop(_CHAT_DATA, self._chats, chat_id)

    async def refresh_user_data(self, user_id: int, user_data: Data) -> None:
        """Do nothing: this process is the only writer, its copy is current."""

    async def refresh_chat_data(self, chat_id: int, chat_data: Data) -> None:
        """Do nothing: this process is the only writer, its copy is current."""

    # -- conversations -------------------------------------------------------------------

    async def get_conversations(self, name: str) -> dict[ConversationKey, object]:
        """The stored states of the conversation handler ``name``, keyed by tuples."""
        await self._ensure_ready()
        async with self._db.read() as tx:
            rows = await tx.fetchall(_SELECT_CONVERSATIONS, (name,))
        conversations: dict[ConversationKey, object] = {}
        for row in rows:
            key_text, state_text = str(row[0]), str(row[1])
            key = _from_json(key_text, f"key of conversation {name!r}")
            if not isinstance(key, list):
                raise TypeError(f"stored key of conversation {name!r} is not a list: {key_text}")
            conversations[tuple(key)] = _from_json(
                state_text, f"state of conversation {name!r} {key_text}"
            )
            self._conversations[name, key_text] = state_text
        self._complete.add(f"conversation {name}")
        LOG.debug("restored %d states of conversation %r", len(conversations), name)
        return conversations

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """Write the conversation's new state if it changed; ``None`` deletes it (ended)."""
        context = f"conversation {name!r} {key!r}"
        key_text = _to_json(list(key), "key", context)
        state_text = None if new_state is None else _to_json(new_state, "state", context)
        cache_key = (name, key_text)
        # Conversations are keyed by chat first (PTB's per_chat).
        owner: Owner = ("chat", key[0]) if key and isinstance(key[0], int) else ("none", 0)
        if self._last_written(f"conversation {name}", self._conversations, cache_key) == (
            state_text
        ):
            return
        await self._ensure_ready()
        if state_text is None:
            self._write(("conversation", cache_key), _DELETE_CONVERSATION, (name, key_text), owner)
        else:
            self._write(
                ("conversation", cache_key),
                _UPSERT_CONVERSATION,
                (name, key_text, state_text, ts(self._clock.now())),
                owner,
            )
        self._conversations[cache_key] = state_text
        LOG.debug("conversation %r %s is now %s", name, key_text, state_text)

    # -- not stored: bot_data and callback data ------------------------------------------

    async def get_bot_data(self) -> Data:
        """Return an empty dict: ``bot_data`` holds live objects and is not stored."""
        return {}

    async def update_bot_data(self, data: Data) -> None:
        """Do nothing: ``bot_data`` is not stored."""

    async def refresh_bot_data(self, bot_data: Data) -> None:
        """Do nothing: ``bot_data`` is not stored."""

    async def get_callback_data(self) -> CallbackData | None:
        """Return ``None``: callback data is not stored."""
        return None

    async def update_callback_data(self, data: CallbackData) -> None:
        """Do nothing: callback data is not stored."""

    async def flush(self) -> None:
        """Wait until every write handed to us so far is committed (not for writes queued
        meanwhile: under load the writer never runs out of work)."""
        target = self._queued
        while self._committed < target:
            writer = self._writer
            if writer is None or writer.done():
                if not self._pending:
                    return
                await self._write_pending()  # the writer gave up: try here, errors surface
                continue
            round_done = asyncio.ensure_future(self._round_done.wait())
            try:
                await asyncio.wait({writer, round_done}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                round_done.cancel()

    # -- writing -----------------------------------------------------------------------

    def _write(
        self, key: tuple[str, object], sql: str, params: tuple[Any, ...], owner: Owner
    ) -> None:
        """Queue a write; the latest write of a row wins. The writer task commits everything
        queued in one persistence round in a single transaction, right after the round."""
        self._pending[key] = (sql, params, owner)
        self._queued += 1
        if self._writer is None or self._writer.done():
            # A context of its own: the writer commits for everybody, never as the update
            # that happened to start it (storage.updates.APPLYING).
            self._writer = asyncio.get_running_loop().create_task(
                self._write_soon(), context=contextvars.Context()
            )

    async def _write_soon(self) -> None:
        await asyncio.sleep(0)  # let the rest of this round queue its writes first
        try:
            await self._write_pending()
        except Exception:
            LOG.exception(
                "persistence: writing %d rows failed; they stay queued", len(self._pending)
            )

    def _marks(self, owners: set[Owner]) -> list[UpdateMark]:
        if self.mark_source is None:
            return []
        return [mark for mark in self.mark_source(owners) if not mark.recorded]

    async def _write_pending(self) -> None:
        while self._pending:
            batch: dict[tuple[str, object], tuple[str, tuple[Any, ...], Owner]] = {}
            marks: list[UpdateMark] = []
            try:
                async with self._db.transaction() as tx:
                    # Taken only now, holding the write connection: a service transaction that
                    # wrote some of these rows meanwhile has dropped them from the queue.
                    batch, self._pending = self._pending, {}
                    queued = self._queued  # every write counted so far is in this batch or before
                    # One round trip per kind of statement: each row appears once in the
                    # batch, so the order between rows does not matter.
                    by_sql: dict[str, list[tuple[Any, ...]]] = {}
                    for sql, params, _owner in batch.values():
                        by_sql.setdefault(sql, []).append(params)
                    for sql, rows in by_sql.items():
                        await tx.executemany(sql, rows)
                    marks = self._marks({owner for _sql, _params, owner in batch.values()})
                    if marks:
                        await tx.updates.record_many(marks)
                for mark in marks:
                    mark.recorded = True
                self._committed = max(self._committed, queued)
                self._round_done.set()
                self._round_done = asyncio.Event()
            except BaseException:
                # Keep what failed (unless a newer write of the same row came meanwhile).
                self._pending = {**batch, **self._pending}
                raise
