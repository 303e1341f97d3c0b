"""Hot spots and topics: what the analysis reads, the topics proposed, their cards and runs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.models import OrgUnit, Topic, TopicState
from storage.timestamps import from_ts, ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["Filed", "TopicsRepo"]

_TOPIC_COLS = (
    "id, unit_id, scope_id, kind, month, signature, label, category_id, evidence, score, rank,"
    " state, reason, converted_kind, converted_ref, decided_by, decided_at, created_at"
)


@dataclass(frozen=True)
class Filed:
    """A request as the hot-spot analysis sees it, with when neighbours said "me too"."""

    id: int
    number: str
    compound_id: int
    category_id: int
    created_at: datetime
    description: str
    supporters: tuple[datetime, ...] = ()


def _topic(row: Any) -> Topic:
    data = dict(row)
    data["evidence"] = json.loads(data["evidence"])
    return Topic.model_validate(data)


class TopicsRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    # -- what the analysis reads -----------------------------------------------------------
    async def filed(self, unit: OrgUnit, start: datetime, end: datetime) -> list[Filed]:
        """Requests of the unit's subtree filed in [start, end), not cancelled, with the times
        of their supporters."""
        rows = await self.tx.fetchall(
            "SELECT r.id, r.number, r.compound_id, r.category_id, r.created_at, r.description"
            " FROM requests r JOIN org_units u ON u.id = r.compound_id"
            " WHERE substr(u.path, 1, ?) = ? AND r.created_at >= ? AND r.created_at < ?"
            " AND r.status != 'cancelled' ORDER BY r.id",
            (len(unit.path), unit.path, ts(start), ts(end)),
        )
        support: dict[int, list[datetime]] = {}
        supporters = await self.tx.fetchall(
            "SELECT s.request_id, s.created_at FROM request_supporters s"
            " JOIN requests r ON r.id = s.request_id JOIN org_units u ON u.id = r.compound_id"
            " WHERE substr(u.path, 1, ?) = ? AND r.created_at >= ? AND r.created_at < ?"
            " AND r.status != 'cancelled'",
            (len(unit.path), unit.path, ts(start), ts(end)),
        )
        for request_id, at in supporters:
            support.setdefault(int(request_id), []).append(from_ts(at))
        return [
            Filed(
                id=int(r[0]),
                number=str(r[1]),
                compound_id=int(r[2]),
                category_id=int(r[3]),
                created_at=from_ts(r[4]),
                description=str(r[5]),
                supporters=tuple(sorted(support.get(int(r[0]), []))),
            )
            for r in rows
        ]

    # -- topics ----------------------------------------------------------------------------
    async def add(
        self,
        *,
        unit_id: int,
        scope_id: int,
        kind: str,
        month: str,
        signature: str,
        label: str,
        category_id: int | None,
        evidence: dict[str, Any],
        score: float,
        rank: int,
        now: datetime,
    ) -> int | None:
        """Store a proposal; None when this one was proposed already (the same month,
        community, kind and problem)."""
        row = await self.tx.fetchone(
            "INSERT INTO topics (unit_id, scope_id, kind, month, signature, label, category_id,"
            " evidence, score, rank, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (unit_id, kind, month, signature) DO NOTHING RETURNING id",
            (
                unit_id,
                scope_id,
                kind,
                month,
                signature,
                label,
                category_id,
                json.dumps(evidence, ensure_ascii=False),
                score,
                rank,
                ts(now),
            ),
        )
        return None if row is None else int(row[0])

    async def get(self, topic_id: int) -> Topic | None:
        row = await self.tx.fetchone(f"SELECT {_TOPIC_COLS} FROM topics WHERE id = ?", (topic_id,))
        return None if row is None else _topic(row)

    async def of_units(self, unit_ids: list[int], months: list[str]) -> list[Topic]:
        """The topics of these communities in these months, by month, kind and rank."""
        if not unit_ids or not months:
            return []
        rows = await self.tx.fetchall(
            f"SELECT {_TOPIC_COLS} FROM topics WHERE unit_id IN ({','.join('?' * len(unit_ids))})"
            f" AND month IN ({','.join('?' * len(months))}) ORDER BY month, kind, rank, id",
            [*unit_ids, *months],
        )
        return [_topic(r) for r in rows]

    async def dismissed_since(self, unit_id: int, month: str) -> dict[str, Topic]:
        """Signatures dismissed in a community from ``month`` on, latest first wins."""
        rows = await self.tx.fetchall(
            f"SELECT {_TOPIC_COLS} FROM topics WHERE unit_id = ? AND month >= ?"
            " AND state = 'dismissed' ORDER BY month, id",
            (unit_id, month),
        )
        return {t.signature: t for t in map(_topic, rows)}

    async def decide(
        self,
        topic_id: int,
        state: TopicState,
        *,
        person_id: int,
        now: datetime,
        reason: str | None = None,
        converted_kind: str | None = None,
        converted_ref: str | None = None,
    ) -> bool:
        """Move a proposed topic on; False when someone decided it first."""
        changed = await self.tx.execute(
            "UPDATE topics SET state = ?, reason = ?, converted_kind = ?, converted_ref = ?,"
            " decided_by = ?, decided_at = ? WHERE id = ? AND state = 'proposed'",
            (
                state.value,
                reason,
                converted_kind,
                converted_ref,
                person_id,
                ts(now),
                topic_id,
            ),
        )
        return changed == 1

    # -- cards and runs --------------------------------------------------------------------
    async def add_card(self, topic_id: int, person_id: int, outbox_id: int | None) -> None:
        await self.tx.execute(
            "INSERT INTO topic_cards (topic_id, person_id, outbox_id) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (topic_id, person_id, outbox_id),
        )

    async def cards(self, topic_id: int) -> list[tuple[int, int | None]]:
        rows = await self.tx.fetchall(
            "SELECT person_id, outbox_id FROM topic_cards WHERE topic_id = ? ORDER BY person_id",
            (topic_id,),
        )
        return [(int(r[0]), None if r[1] is None else int(r[1])) for r in rows]

    async def ran(self, unit_id: int, month: str) -> bool:
        value = await self.tx.fetchval(
            "SELECT 1 FROM hotspot_runs WHERE unit_id = ? AND month = ?", (unit_id, month)
        )
        return value is not None

    async def mark_run(self, unit_id: int, month: str, topics: int, now: datetime) -> bool:
        changed = await self.tx.execute(
            "INSERT INTO hotspot_runs (unit_id, month, topics, ran_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (unit_id, month, topics, ts(now)),
        )
        return changed == 1
