"""Broadcasts (通知): the notice, its audience, its state and its progress message; and who is in
an audience (residents by their role grant, approved members by their compound)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.models import MemberType, OrgUnit
from bot.models.broadcast import Broadcast, BroadcastState, Recipient
from storage.timestamps import ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["BroadcastsRepo"]

_COLS = (
    "id, actor_id, unit_id, audience, text, photo_file_id, recipients, state, progress_chat_id,"
    " progress_message_id, created_at, finished_at"
)
_B_COLS = ", ".join("b." + col.strip() for col in _COLS.split(","))


def _row(r: Any) -> Broadcast:
    data = dict(r)
    data["audience"] = json.loads(data["audience"])
    return Broadcast.model_validate(data)


def _under(alias: str, unit: OrgUnit) -> tuple[str, list[Any]]:
    return f"substr({alias}.path, 1, ?) = ?", [len(unit.path), unit.path]


class BroadcastsRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def create(
        self,
        *,
        actor_id: int,
        unit_id: int,
        audience: dict[str, Any],
        text: str,
        photo_file_id: str | None,
        recipients: int,
        progress_chat_id: int,
        now: datetime,
    ) -> Broadcast:
        broadcast_id = await self.tx.insert(
            "INSERT INTO broadcasts (actor_id, unit_id, audience, text, photo_file_id,"
            " recipients, progress_chat_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                actor_id,
                unit_id,
                json.dumps(audience, ensure_ascii=False),
                text,
                photo_file_id,
                recipients,
                progress_chat_id,
                ts(now),
            ),
        )
        created = await self.get(broadcast_id)
        assert created is not None
        return created

    async def get(self, broadcast_id: int) -> Broadcast | None:
        row = await self.tx.fetchone(
            f"SELECT {_COLS} FROM broadcasts WHERE id = ?", (broadcast_id,)
        )
        return None if row is None else _row(row)

    async def set_progress_message(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        await self.tx.execute(
            "UPDATE broadcasts SET progress_chat_id = ?, progress_message_id = ? WHERE id = ?",
            (chat_id, message_id, broadcast_id),
        )

    async def forget_chat(self, chat_id: int) -> int:
        """/forget of the admin who sent them: their progress messages are not theirs any
        more (and their chat id goes)."""
        return await self.tx.execute(
            "UPDATE broadcasts SET progress_chat_id = 0, progress_message_id = NULL"
            " WHERE progress_chat_id = ?",
            (chat_id,),
        )

    async def finish(self, broadcast_id: int, state: BroadcastState, now: datetime) -> bool:
        """Move a sending broadcast to ``state``; False when it was no longer sending."""
        if state is BroadcastState.SENDING:
            raise ValueError(state)
        changed = await self.tx.execute(
            "UPDATE broadcasts SET state = ?, finished_at = ? WHERE id = ? AND state = 'sending'",
            (state.value, ts(now), broadcast_id),
        )
        return changed > 0

    async def sending(self) -> list[Broadcast]:
        """Broadcasts still going out, oldest first."""
        rows = await self.tx.fetchall(
            f"SELECT {_COLS} FROM broadcasts WHERE state = 'sending' ORDER BY id"
        )
        return [_row(r) for r in rows]

    async def in_units(self, units: list[OrgUnit], limit: int = 10) -> list[Broadcast]:
        """The latest broadcasts whose scope unit lies in one of ``units``, newest first."""
        if not units:
            return []
        parts = [_under("u", unit) for unit in units]
        where = " OR ".join(sql for sql, _ in parts)
        params = [p for _, ps in parts for p in ps]
        rows = await self.tx.fetchall(
            f"SELECT {_B_COLS} FROM broadcasts b JOIN org_units u ON u.id = b.unit_id"
            f" WHERE ({where}) ORDER BY b.id DESC LIMIT ?",
            [*params, limit],
        )
        return [_row(r) for r in rows]

    async def failure_reasons(self, batch: str, limit: int = 10) -> list[tuple[str, int]]:
        """Why rows of ``batch`` failed (not the blocked ones), most frequent first."""
        rows = await self.tx.fetchall(
            "SELECT coalesce(error, ''), count(*) FROM outbox"
            " WHERE batch = ? AND status = 'failed'"
            " GROUP BY error ORDER BY count(*) DESC, error LIMIT ?",
            (batch, limit),
        )
        return [(str(r[0]), int(r[1])) for r in rows]

    # -- audiences -----------------------------------------------------------------------
    async def recipients(
        self,
        unit: OrgUnit,
        *,
        residents: bool,
        members: bool,
        team_id: int | None = None,
        member_type: MemberType | None = None,
    ) -> list[Recipient]:
        """People in ``unit`` (and below): residents by their live ``resident`` grant, approved
        members by their compound, optionally one team or type; everyone once."""
        parts: list[str] = []
        params: list[Any] = []
        if residents:
            where, ps = _under("u", unit)
            parts.append(
                "SELECT g.person_id FROM role_grants g JOIN org_units u ON u.id = g.unit_id"
                f" WHERE g.role = 'resident' AND g.revoked_at IS NULL AND {where}"
            )
            params += ps
        if members:
            where, ps = _under("u", unit)
            sql = (
                "SELECT m.person_id FROM members m JOIN org_units u ON u.id = m.compound_id"
                f" WHERE m.status = 'approved' AND {where}"
            )
            params += ps
            if member_type is not None:
                sql += " AND m.member_type = ?"
                params.append(member_type.value)
            if team_id is not None:
                sql += " AND m.person_id IN (SELECT person_id FROM member_teams WHERE team_id = ?)"
                params.append(team_id)
            parts.append(sql)
        if not parts:
            return []
        rows = await self.tx.fetchall(
            "SELECT p.id, p.telegram_id FROM people p"
            f" WHERE p.id IN ({' UNION '.join(parts)}) ORDER BY p.id",
            params,
        )
        return [Recipient(person_id=int(r[0]), telegram_id=int(r[1])) for r in rows]
