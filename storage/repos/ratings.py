"""物业服务评议: the monthly rounds of residents rating their property company."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.models import Rating
from bot.models.consult import RatingRound
from storage.timestamps import from_ts, ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["RatingsRepo"]

_COLS = "id, compound_id, party_id, month, state, asked, opened_at, closes_at, closed_at"


def _round(row: Any) -> RatingRound:
    data = dict(row)
    for key in ("opened_at", "closes_at", "closed_at"):
        data[key] = from_ts(data[key]) if data[key] else None
    return RatingRound.model_validate(data)


class RatingsRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def open(
        self,
        compound_id: int,
        party_id: int | None,
        month: str,
        now: datetime,
        closes_at: datetime,
    ) -> RatingRound | None:
        """Open the compound's round of ``month``; None when it exists already."""
        row = await self.tx.fetchone(
            "INSERT INTO property_ratings (compound_id, party_id, month, opened_at, closes_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (compound_id, month) DO NOTHING RETURNING id",
            (compound_id, party_id, month, ts(now), ts(closes_at)),
        )
        return None if row is None else await self.get(int(row[0]))

    async def set_asked(self, round_id: int, asked: int) -> None:
        await self.tx.execute(
            "UPDATE property_ratings SET asked = ? WHERE id = ?", (asked, round_id)
        )

    async def get(self, round_id: int) -> RatingRound | None:
        row = await self.tx.fetchone(
            f"SELECT {_COLS} FROM property_ratings WHERE id = ?", (round_id,)
        )
        return None if row is None else _round(row)

    async def latest(self, compound_id: int, limit: int = 6) -> list[RatingRound]:
        rows = await self.tx.fetchall(
            f"SELECT {_COLS} FROM property_ratings WHERE compound_id = ?"
            " ORDER BY month DESC LIMIT ?",
            (compound_id, limit),
        )
        return [_round(r) for r in rows]

    async def answer(
        self, round_id: int, person_id: int, answer: Rating, now: datetime
    ) -> Rating | None:
        """Record the resident's answer (replacing an earlier one); return the earlier one."""
        before = await self.tx.fetchval(
            "SELECT answer FROM property_rating_answers WHERE rating_id = ? AND person_id = ?",
            (round_id, person_id),
        )
        await self.tx.execute(
            "INSERT INTO property_rating_answers (rating_id, person_id, answer, answered_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (rating_id, person_id) DO UPDATE"
            " SET answer = excluded.answer, answered_at = excluded.answered_at",
            (round_id, person_id, answer.value, ts(now)),
        )
        return None if before is None else Rating(before)

    async def comment(self, round_id: int, person_id: int, text: str) -> bool:
        changed = await self.tx.execute(
            "UPDATE property_rating_answers SET comment = ? WHERE rating_id = ? AND person_id = ?",
            (text, round_id, person_id),
        )
        return changed == 1

    async def mine(self, round_id: int, person_id: int) -> Rating | None:
        value = await self.tx.fetchval(
            "SELECT answer FROM property_rating_answers WHERE rating_id = ? AND person_id = ?",
            (round_id, person_id),
        )
        return None if value is None else Rating(value)

    async def answers(self, round_id: int) -> list[tuple[Rating, str | None]]:
        rows = await self.tx.fetchall(
            "SELECT answer, comment FROM property_rating_answers WHERE rating_id = ? ORDER BY id",
            (round_id,),
        )
        return [(Rating(r[0]), r[1]) for r in rows]

    async def close(self, round_id: int, now: datetime) -> bool:
        changed = await self.tx.execute(
            "UPDATE property_ratings SET state = 'closed', closed_at = ? WHERE id = ?"
            " AND state = 'open'",
            (ts(now), round_id),
        )
        return changed == 1

    async def closed_between(
        self, compound_ids: list[int], start: datetime, end: datetime
    ) -> list[RatingRound]:
        if not compound_ids:
            return []
        marks = ",".join("?" * len(compound_ids))
        rows = await self.tx.fetchall(
            f"SELECT {_COLS} FROM property_ratings WHERE compound_id IN ({marks})"
            " AND state = 'closed' AND closed_at >= ? AND closed_at < ? ORDER BY id",
            [*compound_ids, ts(start), ts(end)],
        )
        return [_round(r) for r in rows]
