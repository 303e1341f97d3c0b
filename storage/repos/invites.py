"""One-time invitation links that expire: a table of ``token``, the subject the link is for
(a unit for an administrator, a seat for its holder), ``created_by``, ``created_at``,
``expires_at``, ``used_by`` and ``used_at``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from storage.timestamps import from_ts, ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["Invite", "InviteLinks"]


@dataclass(frozen=True)
class Invite:
    token: str
    subject_id: int  # the unit or the seat
    created_by: int | None
    expires_at: datetime
    used_at: datetime | None


def _invite(row: Any) -> Invite:
    return Invite(
        str(row[0]),
        int(row[1]),
        None if row[2] is None else int(row[2]),
        from_ts(row[3]),
        None if row[4] is None else from_ts(row[4]),
    )


class InviteLinks:
    """The links of one table (``subject``: its column naming what a link is for)."""

    def __init__(self, tx: Tx, table: str, subject: str) -> None:
        self.tx = tx
        self.table = table
        self.subject = subject

    async def add_invite(
        self, token: str, subject_id: int, created_by: int, now: datetime, expires_at: datetime
    ) -> None:
        await self.tx.execute(
            f"INSERT INTO {self.table} (token, {self.subject}, created_by, created_at,"
            " expires_at) VALUES (?, ?, ?, ?, ?)",
            (token, subject_id, created_by, ts(now), ts(expires_at)),
        )

    async def invite(self, token: str) -> Invite | None:
        row = await self.tx.fetchone(
            f"SELECT token, {self.subject}, created_by, expires_at, used_at FROM {self.table}"
            " WHERE token = ?",
            (token,),
        )
        return None if row is None else _invite(row)

    async def take(self, token: str, person_id: int, now: datetime) -> Invite | None:
        """Use the link now, once and before it expires: what it was for; None when it is
        unknown, used or expired."""
        row = await self.tx.fetchone(
            f"UPDATE {self.table} SET used_by = ?, used_at = ? WHERE token = ?"
            f" AND used_at IS NULL AND expires_at > ?"
            f" RETURNING token, {self.subject}, created_by, expires_at, used_at",
            (person_id, ts(now), token, ts(now)),
        )
        return None if row is None else _invite(row)

    async def drop_open_invites(self, subject_id: int, now: datetime) -> int:
        """Earlier links stop working (the seat is filled, or a new link was made)."""
        return await self.tx.execute(
            f"UPDATE {self.table} SET expires_at = ? WHERE {self.subject} = ?"
            " AND used_at IS NULL AND expires_at > ?",
            (ts(now), subject_id, ts(now)),
        )
