"""Household visits (走访)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.models import Visit
from storage.timestamps import ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["VisitsRepo"]

_COLS = (
    "id, person_id, compound_id, households, people, note, opinion_request_id, visited_at,"
    " created_at"
)


class VisitsRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def add(
        self,
        *,
        person_id: int,
        compound_id: int,
        households: int,
        people: int,
        note: str | None,
        opinion_request_id: int | None,
        visited_at: datetime,
        now: datetime,
    ) -> Visit:
        visit_id = await self.tx.insert(
            "INSERT INTO visits (person_id, compound_id, households, people, note,"
            " opinion_request_id, visited_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                person_id,
                compound_id,
                households,
                people,
                note,
                opinion_request_id,
                ts(visited_at),
                ts(now),
            ),
        )
        row = await self.tx.fetchone(f"SELECT {_COLS} FROM visits WHERE id = ?", (visit_id,))
        return Visit.model_validate(dict(row))  # type: ignore[arg-type]

    async def by_person(self, person_id: int, limit: int = 10) -> list[Visit]:
        rows = await self.tx.fetchall(
            f"SELECT {_COLS} FROM visits WHERE person_id = ? ORDER BY visited_at DESC LIMIT ?",
            (person_id, limit),
        )
        return [Visit.model_validate(dict(r)) for r in rows]

    async def totals(self, person_id: int) -> tuple[int, int, int]:
        """(visits, households, people) logged by a member."""
        row = await self.tx.fetchone(
            "SELECT count(*), coalesce(sum(households), 0), coalesce(sum(people), 0)"
            " FROM visits WHERE person_id = ?",
            (person_id,),
        )
        assert row is not None
        return int(row[0]), int(row[1]), int(row[2])
