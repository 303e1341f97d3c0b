"""Timers of things that are not requests (activity reminders, an activity's close ...),
claimed by the deadline sweep like the requests' own timer rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from storage.timestamps import from_ts, ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["DUE_SQL", "DueItem", "DueRepo"]

# The sweep's query, index-backed (due_items_due) and claiming like the requests' one: on
# PostgreSQL it locks the rows it returns and skips rows another transaction holds, so two
# sweeps (the old active process and the one taking over) take different rows, never waiting.
DUE_SQL = (
    "SELECT id FROM due_items WHERE state = 'pending' AND due_at <= ? ORDER BY due_at LIMIT ?"
    " FOR UPDATE SKIP LOCKED"
)


@dataclass(frozen=True)
class DueItem:
    id: int
    kind: str
    subject_id: int
    step: int
    due_at: datetime
    person_id: int | None = None  # (for the sweep's registry: these rows are for everyone)


class DueRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def add(
        self, kind: str, subject_id: int, due_at: datetime, now: datetime, *, step: int = 0
    ) -> int:
        return await self.tx.insert(
            "INSERT INTO due_items (kind, subject_id, step, due_at, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (kind, subject_id, step, ts(due_at), ts(now)),
        )

    async def claim_due(self, now: datetime, limit: int) -> list[DueItem]:
        """Mark up to ``limit`` due rows done and return them (rows another sweep took first
        are not returned)."""
        if limit <= 0:
            return []
        ids = [int(r[0]) for r in await self.tx.fetchall(DUE_SQL, (ts(now), limit))]
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = await self.tx.fetchall(
            f"UPDATE due_items SET state = 'done', done_at = ?"
            f" WHERE id IN ({marks}) AND state = 'pending'"
            " RETURNING id, kind, subject_id, step, due_at",
            (ts(now), *ids),
        )
        items = [DueItem(int(r[0]), str(r[1]), int(r[2]), int(r[3]), from_ts(r[4])) for r in rows]
        return sorted(items, key=lambda i: (i.due_at, i.id))

    async def cancel(self, kinds: tuple[str, ...], subject_id: int) -> int:
        """Cancel the pending rows of ``kinds`` about one subject."""
        return await self.tx.execute(
            "UPDATE due_items SET state = 'cancelled' WHERE subject_id = ? AND state = 'pending'"
            f" AND kind IN ({','.join('?' * len(kinds))})",
            (subject_id, *kinds),
        )

    async def pending(self, kind: str, subject_id: int) -> list[DueItem]:
        rows = await self.tx.fetchall(
            "SELECT id, kind, subject_id, step, due_at FROM due_items"
            " WHERE kind = ? AND subject_id = ? AND state = 'pending' ORDER BY due_at, id",
            (kind, subject_id),
        )
        return [DueItem(int(r[0]), str(r[1]), int(r[2]), int(r[3]), from_ts(r[4])) for r in rows]
