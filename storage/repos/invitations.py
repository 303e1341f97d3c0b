"""Invitation links: stored, and used once (see ``bot/services/invitations.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.models import Invitation
from storage.timestamps import ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["InvitationsRepo"]

_COLS = "token, kind, target_id, created_by, created_at, expires_at, used_by, used_at, unit_id"


class InvitationsRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def add(
        self,
        token: str,
        kind: str,
        target_id: int,
        *,
        created_by: int | None,
        now: datetime,
        expires_at: datetime,
        unit_id: int | None = None,
    ) -> None:
        await self.tx.execute(
            "INSERT INTO invitations (token, kind, target_id, created_by, created_at,"
            " expires_at, unit_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (token, kind, target_id, created_by, ts(now), ts(expires_at), unit_id),
        )

    async def get(self, token: str) -> Invitation | None:
        row = await self.tx.fetchone(f"SELECT {_COLS} FROM invitations WHERE token = ?", (token,))
        return None if row is None else Invitation.model_validate(dict(row))

    async def use(self, token: str, person_id: int, now: datetime) -> Invitation | None:
        """Take the link for ``person_id``: one conditional update, so of two people opening
        it at once exactly one gets it. None when it is unknown, used or expired."""
        row = await self.tx.fetchone(
            f"UPDATE invitations SET used_by = ?, used_at = ?"
            f" WHERE token = ? AND used_at IS NULL AND expires_at > ? RETURNING {_COLS}",
            (person_id, ts(now), token, ts(now)),
        )
        return None if row is None else Invitation.model_validate(dict(row))

    async def expire(self, kind: str, target_id: int, now: datetime) -> int:
        """The open links of ``kind`` at ``target_id`` stop working now."""
        return await self.tx.execute(
            "UPDATE invitations SET expires_at = ? WHERE kind = ? AND target_id = ?"
            " AND used_at IS NULL AND expires_at > ?",
            (ts(now), kind, target_id, ts(now)),
        )
