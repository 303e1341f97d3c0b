"""Invitation links that make someone an administrator of a unit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from storage.timestamps import from_ts, ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["AdminRepo", "Invite"]


@dataclass(frozen=True)
class Invite:
    token: str
    unit_id: int
    created_by: int | None
    expires_at: datetime
    used_at: datetime | None


class AdminRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def add_invite(
        self, token: str, unit_id: int, created_by: int, now: datetime, expires_at: datetime
    ) -> None:
        await self.tx.execute(
            "INSERT INTO admin_invites (token, unit_id, created_by, created_at, expires_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (token, unit_id, created_by, ts(now), ts(expires_at)),
        )

    async def invite(self, token: str) -> Invite | None:
        row = await self.tx.fetchone(
            "SELECT token, unit_id, created_by, expires_at, used_at FROM admin_invites"
            " WHERE token = ?",
            (token,),
        )
        if row is None:
            return None
        return Invite(
            str(row[0]),
            int(row[1]),
            None if row[2] is None else int(row[2]),
            from_ts(row[3]),
            None if row[4] is None else from_ts(row[4]),
        )

    async def use_invite(self, token: str, person_id: int, now: datetime) -> bool:
        changed = await self.tx.execute(
            "UPDATE admin_invites SET used_by = ?, used_at = ?"
            " WHERE token = ? AND used_at IS NULL",
            (person_id, ts(now), token),
        )
        return changed == 1
