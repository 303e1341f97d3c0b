"""Timer rows for reminders, escalations and auto-close; members' extension requests.

A timer row names what it is about by a foreign key: a request (``request_id``, and perhaps
its sub-order), an activity, or a consultation, a proposal, an action item, an owners' vote
or a property-service rating round (要事商议办); its ``kind`` picks the handler the sweep
hands it to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from storage.timestamps import from_ts, ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["SWEEP_SQL", "DeadlineItem", "DeadlinesRepo", "Extension", "Subject"]

# The sweep's query, kept as a constant so a test can EXPLAIN it. On PostgreSQL it locks the
# rows it returns and skips rows another transaction holds (SKIP LOCKED): two sweeps (the old
# active process and the one taking over) take different rows and never wait for each other.
SWEEP_SQL = (
    "SELECT id FROM deadline_items WHERE state = 'pending' AND due_at <= ? ORDER BY due_at LIMIT ?"
    " FOR UPDATE SKIP LOCKED"
)


@dataclass(frozen=True)
class DeadlineItem:
    """A timer row. It is about a request (``request_id``), and then perhaps about a
    department's sub-order of the request's whistle (``sub_order_id``); or about an activity
    (``activity_id``, no request), or one of 要事商议办's subjects (no request)."""

    id: int
    request_id: int | None
    kind: str
    step: int
    person_id: int | None
    due_at: datetime
    sub_order_id: int | None = None
    activity_id: int | None = None
    consultation_id: int | None = None
    proposal_id: int | None = None
    action_item_id: int | None = None
    owners_vote_id: int | None = None
    rating_id: int | None = None


@dataclass(frozen=True)
class Extension:
    id: int
    request_id: int
    person_id: int
    days: int
    reason: str
    state: str


class DeadlinesRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def add(
        self,
        request_id: int | None,
        kind: str,
        due_at: datetime,
        now: datetime,
        *,
        step: int = 0,
        person_id: int | None = None,
        sub_order_id: int | None = None,
        activity_id: int | None = None,
    ) -> int:
        """A timer of a request (and perhaps its sub-order), or of an activity (no request)."""
        return await self.tx.insert(
            "INSERT INTO deadline_items (request_id, kind, step, person_id, due_at, created_at,"
            " sub_order_id, activity_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (request_id, kind, step, person_id, ts(due_at), ts(now), sub_order_id, activity_id),
        )

    async def add_of(
        self,
        column: Subject,
        subject_id: int,
        kind: str,
        due_at: datetime,
        now: datetime,
        *,
        step: int = 0,
    ) -> int:
        """A timer about the subject ``column`` names (a consultation, an action item ...),
        with no request."""
        return await self.tx.insert(
            f"INSERT INTO deadline_items ({column}, kind, step, due_at, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (subject_id, kind, step, ts(due_at), ts(now)),
        )

    async def add_many(
        self, request_id: int, items: list[tuple[str, int, datetime]], now: datetime
    ) -> None:
        """Add timers ``(kind, step, due_at)`` of one request, for nobody in particular, in one
        statement."""
        await self.tx.executemany(
            "INSERT INTO deadline_items (request_id, kind, step, person_id, due_at, created_at)"
            " VALUES (?, ?, ?, NULL, ?, ?)",
            [(request_id, kind, step, ts(due), ts(now)) for kind, step, due in items],
        )

    async def claim_due(self, now: datetime, limit: int) -> list[DeadlineItem]:
        """Mark up to ``limit`` due rows done and return them; rows another sweep took first
        are not returned (the update only takes rows still pending)."""
        ids = [int(r[0]) for r in await self.tx.fetchall(SWEEP_SQL, (ts(now), limit))]
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = await self.tx.fetchall(
            f"UPDATE deadline_items SET state = 'done', done_at = ?"
            f" WHERE id IN ({marks}) AND state = 'pending'"
            f" RETURNING {_ITEM_COLS}",
            (ts(now), *ids),
        )
        return sorted((_item(r) for r in rows), key=lambda i: (i.due_at, i.id))

    async def cancel(self, request_id: int, kinds: tuple[str, ...] | None = None) -> int:
        """Cancel the pending (and held) rows of a request, optionally only some kinds."""
        sql = (
            "UPDATE deadline_items SET state = 'cancelled' WHERE request_id = ?"
            " AND state IN ('pending', 'held')"
        )
        params: list[object] = [request_id]
        if kinds:
            sql += f" AND kind IN ({','.join('?' * len(kinds))})"
            params += list(kinds)
        return await self.tx.execute(sql, params)

    async def hold(self, request_id: int, kinds: tuple[str, ...]) -> int:
        """Stop the clock: pending rows of ``kinds`` wait until :meth:`release`."""
        return await self.tx.execute(
            f"UPDATE deadline_items SET state = 'held' WHERE request_id = ? AND state = 'pending'"
            f" AND kind IN ({','.join('?' * len(kinds))})",
            (request_id, *kinds),
        )

    async def shift(self, request_id: int, kinds: tuple[str, ...], by: timedelta) -> int:
        """Move the deadline: pending and held rows of ``kinds`` fall due later by ``by``, each
        keeping its state (a held row stays held until :meth:`release`)."""
        rows = await self.tx.fetchall(
            "SELECT id, due_at FROM deadline_items WHERE request_id = ?"
            f" AND state IN ('pending', 'held') AND kind IN ({','.join('?' * len(kinds))})",
            (request_id, *kinds),
        )
        await self.tx.executemany(
            "UPDATE deadline_items SET due_at = ? WHERE id = ?",
            [(ts(from_ts(row[1]) + by), int(row[0])) for row in rows],
        )
        return len(rows)

    async def release(self, request_id: int, shift: timedelta) -> int:
        """Restart the clock: held rows become pending again, later by ``shift``."""
        rows = await self.tx.fetchall(
            "SELECT id, due_at FROM deadline_items WHERE request_id = ? AND state = 'held'",
            (request_id,),
        )
        for row in rows:
            await self.tx.execute(
                "UPDATE deadline_items SET state = 'pending', due_at = ? WHERE id = ?",
                (ts(from_ts(row[1]) + shift), int(row[0])),
            )
        return len(rows)

    async def pending(self, request_id: int) -> list[DeadlineItem]:
        rows = await self.tx.fetchall(
            f"SELECT {_ITEM_COLS} FROM deadline_items"
            " WHERE request_id = ? AND state = 'pending' ORDER BY due_at, id",
            (request_id,),
        )
        return [_item(r) for r in rows]

    # -- the clocks of sub-orders and activities -----------------------------------------
    async def pending_for_order(self, sub_order_id: int) -> list[DeadlineItem]:
        return await self.pending_of("sub_order_id", sub_order_id)

    async def cancel_for_order(self, sub_order_id: int, kinds: tuple[str, ...]) -> int:
        """Cancel the pending rows of ``kinds`` of one sub-order."""
        return await self.cancel_of("sub_order_id", sub_order_id, kinds)

    async def pending_for_activity(self, activity_id: int) -> list[DeadlineItem]:
        return await self.pending_of("activity_id", activity_id)

    async def cancel_for_activity(self, activity_id: int, kinds: tuple[str, ...]) -> int:
        """Cancel the pending rows of ``kinds`` of one activity."""
        return await self.cancel_of("activity_id", activity_id, kinds)

    async def pending_of(self, column: Subject, subject_id: int) -> list[DeadlineItem]:
        """The pending rows about one subject (``column`` names its kind)."""
        rows = await self.tx.fetchall(
            f"SELECT {_ITEM_COLS} FROM deadline_items"
            f" WHERE {column} = ? AND state = 'pending' ORDER BY due_at, id",
            (subject_id,),
        )
        return [_item(r) for r in rows]

    async def cancel_of(self, column: Subject, subject_id: int, kinds: tuple[str, ...]) -> int:
        """Cancel the pending (and held) rows of ``kinds`` about one subject."""
        return await self.tx.execute(
            f"UPDATE deadline_items SET state = 'cancelled' WHERE {column} = ?"
            f" AND state IN ('pending', 'held') AND kind IN ({','.join('?' * len(kinds))})",
            (subject_id, *kinds),
        )

    # -- extensions ----------------------------------------------------------------------
    async def add_extension(
        self, request_id: int, person_id: int, days: int, reason: str, now: datetime
    ) -> int:
        return await self.tx.insert(
            "INSERT INTO extension_requests (request_id, person_id, days, reason, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (request_id, person_id, days, reason, ts(now)),
        )

    async def pending_extension(self, request_id: int) -> Extension | None:
        """The request's extension ask still waiting for a decision, if there is one."""
        row = await self.tx.fetchone(
            "SELECT id, request_id, person_id, days, reason, state FROM extension_requests"
            " WHERE request_id = ? AND state = 'pending' ORDER BY id LIMIT 1",
            (request_id,),
        )
        return None if row is None else _extension(row)

    async def extension(self, extension_id: int) -> Extension | None:
        row = await self.tx.fetchone(
            "SELECT id, request_id, person_id, days, reason, state FROM extension_requests"
            " WHERE id = ?",
            (extension_id,),
        )
        return None if row is None else _extension(row)

    async def decide_extension(
        self, extension_id: int, state: str, by: int, now: datetime
    ) -> bool:
        """Approve or refuse a pending extension; False if it was decided already."""
        changed = await self.tx.execute(
            "UPDATE extension_requests SET state = ?, decided_by = ?, decided_at = ?"
            " WHERE id = ? AND state = 'pending'",
            (state, by, ts(now), extension_id),
        )
        return changed == 1


_ITEM_COLS = (
    "id, request_id, kind, step, person_id, due_at, sub_order_id, activity_id, consultation_id,"
    " proposal_id, action_item_id, owners_vote_id, rating_id"
)
# What a timer row may be about besides a request: the column naming it.
Subject = Literal[
    "sub_order_id",
    "activity_id",
    "consultation_id",
    "proposal_id",
    "action_item_id",
    "owners_vote_id",
    "rating_id",
]


def _id(value: Any) -> int | None:
    return None if value is None else int(value)


def _item(row: Sequence[Any]) -> DeadlineItem:
    return DeadlineItem(
        int(row[0]),
        _id(row[1]),
        str(row[2]),
        int(row[3]),
        _id(row[4]),
        from_ts(row[5]),
        *(_id(row[i]) for i in range(6, 13)),
    )


def _extension(row: Sequence[Any]) -> Extension:
    return Extension(int(row[0]), int(row[1]), int(row[2]), int(row[3]), str(row[4]), str(row[5]))
