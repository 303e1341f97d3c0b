"""What the departments' figures and the whistles by unit are computed from: the sub-orders
sent in a period, the whistles blown, the difficult matters resolved, each in one subtree
(``storage.repos.stats.subtree_range``: the path index answers it)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.models import OrgUnit, Tier
from bot.models.whistle_stats import OrderFacts
from storage.repos.stats import subtree_range
from storage.timestamps import from_ts, ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["WhistleStatsRepo"]

_SCOPE = "r.compound_id IN (SELECT id FROM org_units WHERE path >= :lo AND path < :hi)"


def _when(value: str | datetime | None) -> datetime | None:
    return None if value is None else from_ts(value)


class WhistleStatsRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    def _params(self, unit: OrgUnit, start: datetime, end: datetime) -> dict[str, object]:
        lo, hi = subtree_range(unit)
        return {"lo": lo, "hi": hi, "start": ts(start), "end": ts(end)}

    async def orders(self, unit: OrgUnit, start: datetime, end: datetime) -> list[OrderFacts]:
        """The sub-orders sent in [start, end) on requests of the unit's subtree."""
        rows = await self.tx.fetchall(
            "SELECT s.department_id, s.state, s.sent_at, s.sign_due_at, s.signed_at,"
            " s.complete_due_at, s.completed_at, s.returned_at, s.rating"
            " FROM sub_orders s JOIN requests r ON r.id = s.request_id"
            f" WHERE {_SCOPE} AND s.sent_at >= :start AND s.sent_at < :end ORDER BY s.id",
            self._params(unit, start, end),
        )
        return [
            OrderFacts(
                department_id=int(r[0]),
                state=str(r[1]),
                sent_at=from_ts(r[2]),
                sign_due_at=from_ts(r[3]),
                signed_at=_when(r[4]),
                complete_due_at=_when(r[5]),
                completed_at=_when(r[6]),
                returned_at=_when(r[7]),
                rating=r[8],
            )
            for r in rows
        ]

    async def whistles(
        self, unit: OrgUnit, start: datetime, end: datetime
    ) -> list[tuple[str, set[int]]]:
        """Whistles blown in [start, end) on requests of the unit's subtree: (the request's
        compound path, the departments its sub-orders reached)."""
        rows = await self.tx.fetchall(
            "SELECT w.id, o.path, s.department_id FROM whistles w"
            " JOIN requests r ON r.id = w.request_id JOIN org_units o ON o.id = r.compound_id"
            " LEFT JOIN sub_orders s ON s.whistle_id = w.id"
            f" WHERE {_SCOPE} AND w.created_at >= :start AND w.created_at < :end",
            self._params(unit, start, end),
        )
        found: dict[int, tuple[str, set[int]]] = {}
        for whistle_id, path, department_id in rows:
            entry = found.setdefault(int(whistle_id), (str(path), set()))
            if department_id is not None:
                entry[1].add(int(department_id))
        return list(found.values())

    async def difficult_resolved(self, unit: OrgUnit, start: datetime, end: datetime) -> list[str]:
        """The compound paths of the difficult matters (of the difficult tier, or whistled)
        resolved in [start, end) in the unit's subtree."""
        rows = await self.tx.fetchall(
            "SELECT o.path FROM requests r JOIN org_units o ON o.id = r.compound_id"
            f" WHERE {_SCOPE} AND r.resolved_at >= :start AND r.resolved_at < :end"
            " AND (r.tier = :tier OR EXISTS (SELECT 1 FROM whistles w WHERE w.request_id = r.id))",
            {**self._params(unit, start, end), "tier": Tier.DIFFICULT.value},
        )
        return [str(r[0]) for r in rows]
