"""The durable end of a guided conversation, and what a crash may have left half done.

A service that commits the effect of a conversation (a request filed, a registration sent, a
visit logged, a notice sent) ends the conversation in the same transaction with
:meth:`FlowsRepo.finish`: the person's ``user_data`` row is written without the form, the
conversation's state row is deleted and the form's nonce is recorded in ``finished_flows``.
After the commit the form leaves the live ``user_data`` and the persistence
(``storage/persistence.py``) is told what was written, so no older copy is written over it.
A crash at any moment leaves either the form and its state (nothing was committed) or neither.

:meth:`FlowsRepo.reconcile` runs at start-up, before python-telegram-bot reads the persistence:
a form whose nonce is already finished (left by an older version, or by a stale write) is
dropped, and a conversation state whose form is gone is ended, both silently.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from storage.persistence import (
    CONVERSATION_DELETE,
    USER_DATA_DELETE,
    USER_DATA_UPSERT,
    conversation_key_text,
    user_data_text,
)
from storage.timestamps import from_ts, ts

if TYPE_CHECKING:
    from bot.models import FlowEnd
    from storage.db import Database, Tx

__all__ = ["FlowsRepo", "PersistedState"]

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class PersistedState:
    """What one transaction stored for a person's conversations (the persistence's view)."""

    user_id: int
    user_data: str | None  # the JSON now stored; None: no row
    ended: tuple[tuple[str, str], ...]  # (conversation name, key JSON) now without a state


def _settle(database: Database, state: PersistedState, end: FlowEnd | None) -> None:
    """After the commit: the form leaves the live user_data, the persistence learns it."""
    if end is not None:
        end.user_data.pop(end.name, None)
    database.state_written(state)


def _owner(key_text: str) -> int | None:
    """The user id of a conversation key (its last part: (chat id, user id))."""
    try:
        key = json.loads(key_text)
    except ValueError:
        return None
    if isinstance(key, list) and key and isinstance(key[-1], int):
        return key[-1]
    return None


class FlowsRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def finish(
        self, end: FlowEnd, *, person_id: int, subject: str | None, now: datetime
    ) -> None:
        """End the conversation ``end`` in this transaction (see the module's docstring)."""
        remaining = {k: v for k, v in end.user_data.items() if k != end.name}
        text = await self._store_user_data(end.user_id, remaining, now)
        key_text = conversation_key_text(end.key)
        await self.tx.execute(CONVERSATION_DELETE, (end.name, key_text))
        if end.nonce:
            await self.tx.execute(
                "INSERT INTO finished_flows (person_id, flow, nonce, subject, finished_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (person_id, end.name, end.nonce, subject, ts(now)),
            )
        state = PersistedState(end.user_id, text, ((end.name, key_text),))
        self.tx.after_commit(partial(_settle, self.tx.database, state, end))

    async def finished(self, person_id: int, flow: str, nonce: str) -> str | None:
        """What the form ``nonce`` of ``flow`` made (its subject), if it was finished."""
        subject = await self.tx.fetchval(
            "SELECT coalesce(subject, '') FROM finished_flows"
            " WHERE person_id = ? AND flow = ? AND nonce = ?",
            (person_id, flow, nonce),
        )
        return None if subject is None else str(subject)

    async def forget(self, user_id: int) -> None:
        """/forget: the person's user_data and their private chat's conversation states go in
        this transaction (their finished forms go with their people row)."""
        key_text = conversation_key_text((user_id, user_id))
        names = [
            str(r[0])
            for r in await self.tx.fetchall(
                "SELECT name FROM ptb_conversations WHERE key = ?", (key_text,)
            )
        ]
        await self.tx.execute("DELETE FROM ptb_conversations WHERE key = ?", (key_text,))
        await self.tx.execute(USER_DATA_DELETE, (user_id,))
        state = PersistedState(user_id, None, tuple((name, key_text) for name in names))
        self.tx.after_commit(partial(_settle, self.tx.database, state, None))

    async def prune(self, before: datetime) -> int:
        """Forget finished forms older than ``before`` (a restart needs only recent ones)."""
        return await self.tx.execute(
            "DELETE FROM finished_flows WHERE finished_at < ?", (ts(before),)
        )

    async def reconcile(self, flows: frozenset[str]) -> tuple[int, int]:
        """At start-up: drop forms already finished, end states without a form, for the
        conversations named in ``flows`` (each keeps its form in ``user_data[name]``).

        Returns (forms dropped, conversations ended)."""
        forms: dict[int, dict[str, Any]] = {}
        dropped = 0
        for row in await self.tx.fetchall("SELECT user_id, data FROM ptb_user_data"):
            user_id = int(row[0])
            try:
                data = json.loads(str(row[1]))
            except ValueError:
                continue  # the persistence reports it when it loads the row
            if not isinstance(data, dict):
                continue
            done = [
                name
                for name, form in data.items()
                if name in flows and await self._is_finished(user_id, form, name)
            ]
            for name in done:
                del data[name]
            if done:
                dropped += len(done)
                await self._store_user_data(user_id, data, None)
            forms[user_id] = data
        ended = 0
        for row in await self.tx.fetchall("SELECT name, key FROM ptb_conversations"):
            name, key_text = str(row[0]), str(row[1])
            if name not in flows:
                continue
            owner = _owner(key_text)
            if owner is None or name not in forms.get(owner, {}):
                await self.tx.execute(CONVERSATION_DELETE, (name, key_text))
                ended += 1
        return dropped, ended

    async def _is_finished(self, user_id: int, form: object, flow: str) -> bool:
        nonce = form.get("nonce") if isinstance(form, dict) else None
        if not isinstance(nonce, str) or not nonce:
            return False
        found = await self.tx.fetchval(
            "SELECT 1 FROM finished_flows f JOIN people p ON p.id = f.person_id"
            " WHERE p.telegram_id = ? AND f.flow = ? AND f.nonce = ?",
            (user_id, flow, nonce),
        )
        return found is not None

    async def _store_user_data(
        self, user_id: int, data: dict[str, Any], now: datetime | None
    ) -> str | None:
        text = user_data_text(user_id, data)
        if text is None:
            await self.tx.execute(USER_DATA_DELETE, (user_id,))
        else:
            stamp = ts(now) if now is not None else await self._stamp(user_id)
            await self.tx.execute(USER_DATA_UPSERT, (user_id, text, stamp))
        return text

    async def _stamp(self, user_id: int) -> datetime:
        """The row's own updated_at (reconcile has no clock: it keeps the stored one)."""
        stamp = await self.tx.fetchval(
            "SELECT updated_at FROM ptb_user_data WHERE user_id = ?", (user_id,)
        )
        return from_ts(stamp)
