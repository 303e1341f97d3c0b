"""Members (党员 and volunteers), their teams, and the task cards sent to them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.models import Member, MemberStatus, OrgUnit, TaskCard
from storage.dialect import contains_pattern
from storage.timestamps import ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["MembersRepo"]

_COLS = (
    "person_id, real_name, work_unit, compound_id, phone, member_type, skills, availability,"
    " share_phone, status, reject_reason, decided_by, decided_at, paused_until, created_at,"
    " updated_at"
)
_M_COLS = ", ".join("m." + col.strip() for col in _COLS.split(","))
_CARD_COLS = "id, request_id, person_id, kind, outbox_id, state, created_at"
_UPDATABLE = {
    "real_name",
    "work_unit",
    "compound_id",
    "phone",
    "member_type",
    "skills",
    "availability",
    "share_phone",
    "status",
    "reject_reason",
    "decided_by",
    "decided_at",
    "paused_until",
}


def _encode(name: str, value: Any) -> Any:
    if name in ("skills", "availability"):
        return json.dumps([getattr(v, "value", v) for v in value], ensure_ascii=False)
    if isinstance(value, datetime):
        return ts(value)
    return getattr(value, "value", value)


class MembersRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def _hydrate(self, rows: list[Any]) -> list[Member]:
        if not rows:
            return []
        ids = [int(r["person_id"]) for r in rows]
        marks = ",".join("?" * len(ids))
        team_rows = await self.tx.fetchall(
            f"SELECT person_id, team_id FROM member_teams WHERE person_id IN ({marks})"
            " ORDER BY team_id",
            ids,
        )
        teams: dict[int, list[int]] = {}
        for r in team_rows:
            teams.setdefault(int(r[0]), []).append(int(r[1]))
        out = []
        for r in rows:
            data = dict(r)
            data["skills"] = json.loads(data["skills"])
            data["availability"] = json.loads(data["availability"])
            data["team_ids"] = teams.get(int(data["person_id"]), [])
            out.append(Member.model_validate(data))
        return out

    async def get(self, person_id: int) -> Member | None:
        rows = await self.tx.fetchall(
            f"SELECT {_COLS} FROM members WHERE person_id = ?", (person_id,)
        )
        found = await self._hydrate(rows)
        return found[0] if found else None

    async def save(self, member: Member, now: datetime) -> None:
        """Insert or replace the member and their teams."""
        values = {name: _encode(name, getattr(member, name)) for name in _UPDATABLE}
        await self.tx.execute(
            f"INSERT INTO members (person_id, {', '.join(values)}, created_at, updated_at)"
            f" VALUES (?, {', '.join('?' * len(values))}, ?, ?)"
            f" ON CONFLICT (person_id) DO UPDATE SET"
            f" {', '.join(f'{name} = excluded.{name}' for name in values)},"
            " updated_at = excluded.updated_at",
            [member.person_id, *values.values(), ts(member.created_at), ts(now)],
        )
        await self.tx.execute("DELETE FROM member_teams WHERE person_id = ?", (member.person_id,))
        await self.tx.executemany(
            "INSERT INTO member_teams (person_id, team_id) VALUES (?, ?)",
            [(member.person_id, team_id) for team_id in member.team_ids],
        )

    async def update(self, person_id: int, now: datetime, **fields: Any) -> None:
        unknown = set(fields) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        sets = ", ".join(f"{name} = ?" for name in fields)
        await self.tx.execute(
            f"UPDATE members SET {sets}, updated_at = ? WHERE person_id = ?",
            [*(_encode(k, v) for k, v in fields.items()), ts(now), person_id],
        )

    async def in_units(
        self,
        units: list[OrgUnit],
        *,
        status: MemberStatus | None = MemberStatus.APPROVED,
        team_id: int | None = None,
    ) -> list[Member]:
        """Members whose compound lies in one of ``units`` (a compound, or anything above)."""
        if not units:
            return []
        where = " OR ".join("substr(u.path, 1, ?) = ?" for _ in units)
        params: list[Any] = [p for unit in units for p in (len(unit.path), unit.path)]
        sql = (
            f"SELECT {_M_COLS} FROM members m JOIN org_units u ON u.id = m.compound_id"
            f" WHERE ({where})"
        )
        if status is not None:
            sql += " AND m.status = ?"
            params.append(status.value)
        if team_id is not None:
            sql += " AND m.person_id IN (SELECT person_id FROM member_teams WHERE team_id = ?)"
            params.append(team_id)
        rows = await self.tx.fetchall(sql + " ORDER BY m.person_id", params)
        return await self._hydrate(rows)

    async def search(self, units: list[OrgUnit], text: str, limit: int = 10) -> list[Member]:
        """Approved members in ``units`` whose name contains ``text`` (ignoring case)."""
        if not units:
            return []
        where = " OR ".join("substr(u.path, 1, ?) = ?" for _ in units)
        params: list[Any] = [p for unit in units for p in (len(unit.path), unit.path)]
        rows = await self.tx.fetchall(
            f"SELECT {_M_COLS} FROM members m JOIN org_units u ON u.id = m.compound_id"
            f" WHERE ({where}) AND m.status = 'approved' AND lower(m.real_name) LIKE ? ESCAPE '\\'"
            " ORDER BY m.real_name LIMIT ?",
            [*params, contains_pattern(text), limit],
        )
        return await self._hydrate(rows)

    # -- task cards ----------------------------------------------------------------------
    async def add_card(
        self, request_id: int, person_id: int, kind: str, outbox_id: int | None, now: datetime
    ) -> bool:
        """Record a card; False when that member already has an open one of this kind."""
        existing = await self.tx.fetchone(
            "SELECT state FROM task_cards WHERE request_id = ? AND person_id = ? AND kind = ?",
            (request_id, person_id, kind),
        )
        if existing is not None:
            if existing[0] == "open":
                return False
            await self.tx.execute(
                "UPDATE task_cards SET state = 'open', outbox_id = ?, created_at = ?"
                " WHERE request_id = ? AND person_id = ? AND kind = ?",
                (outbox_id, ts(now), request_id, person_id, kind),
            )
            return True
        await self.tx.execute(
            "INSERT INTO task_cards (request_id, person_id, kind, outbox_id, state, created_at)"
            " VALUES (?, ?, ?, ?, 'open', ?)",
            (request_id, person_id, kind, outbox_id, ts(now)),
        )
        return True

    async def open_cards(self, request_id: int) -> list[TaskCard]:
        rows = await self.tx.fetchall(
            f"SELECT {_CARD_COLS} FROM task_cards WHERE request_id = ? AND state = 'open'"
            " ORDER BY id",
            (request_id,),
        )
        return [TaskCard.model_validate(dict(r)) for r in rows]

    async def open_card(self, request_id: int, person_id: int) -> TaskCard | None:
        row = await self.tx.fetchone(
            f"SELECT {_CARD_COLS} FROM task_cards WHERE request_id = ? AND person_id = ?"
            " AND state = 'open' ORDER BY id DESC LIMIT 1",
            (request_id, person_id),
        )
        return None if row is None else TaskCard.model_validate(dict(row))

    async def latest_card(self, request_id: int, person_id: int) -> TaskCard | None:
        """The card a member last got for a request (open or not): the one they work from."""
        row = await self.tx.fetchone(
            f"SELECT {_CARD_COLS} FROM task_cards WHERE request_id = ? AND person_id = ?"
            " AND outbox_id IS NOT NULL ORDER BY id DESC LIMIT 1",
            (request_id, person_id),
        )
        return None if row is None else TaskCard.model_validate(dict(row))

    async def close_cards(self, request_id: int, person_id: int | None = None) -> None:
        sql = "UPDATE task_cards SET state = 'closed' WHERE request_id = ? AND state = 'open'"
        params: list[Any] = [request_id]
        if person_id is not None:
            sql += " AND person_id = ?"
            params.append(person_id)
        await self.tx.execute(sql, params)

    async def count_cards(self, request_id: int) -> int:
        return int(
            await self.tx.fetchval(
                "SELECT count(*) FROM task_cards WHERE request_id = ?", (request_id,)
            )
        )

    # -- a member's record ---------------------------------------------------------------
    async def record(self, person_id: int) -> tuple[int, float | None, int, int]:
        """(tasks done, average rating 1-3 or None, ratings counted, open tasks)."""
        done = await self.tx.fetchval(
            "SELECT count(*) FROM requests WHERE assignee_id = ?"
            " AND status IN ('resolved', 'closed')",
            (person_id,),
        )
        rated = await self.tx.fetchone(
            "SELECT avg(CASE rating WHEN 'satisfied' THEN 3 WHEN 'basic' THEN 2"
            " WHEN 'unsatisfied' THEN 1 END), count(*) FROM requests"
            " WHERE assignee_id = ? AND rating IN ('satisfied', 'basic', 'unsatisfied')",
            (person_id,),
        )
        open_tasks = await self.tx.fetchval(
            "SELECT count(*) FROM requests WHERE assignee_id = ?"
            " AND status IN ('accepted', 'in_progress', 'reopened')",
            (person_id,),
        )
        average = None if rated is None or rated[0] is None else float(rated[0])
        return int(done), average, int(rated[1]) if rated else 0, int(open_tasks)
