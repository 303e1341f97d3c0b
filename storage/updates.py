"""Telegram updates applied at most once: the ``applied_updates`` table and the mark that puts
an update's id into the same commit as the first thing the update changed.

The bot's update runner (:mod:`bot.runner`) sets :data:`APPLYING` while it hands an update to
the Application. The first write transaction opened meanwhile (a service's, or the persistence
writing that person's conversation state) inserts the update id with its own changes, so
either both commit or neither does. A process that fetches the update again (the standby
taking over before the offset was confirmed, or the same process after a crash) finds the id
and skips the update. Rows are pruned once Telegram could no longer resend them.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from storage.timestamps import ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["APPLYING", "UpdateMark", "UpdatesRepo"]


@dataclass(eq=False)
class UpdateMark:
    """One update being applied; ``recorded`` once its id has been committed."""

    update_id: int
    at: datetime
    recorded: bool = field(default=False)


APPLYING: ContextVar[UpdateMark | None] = ContextVar("gridbot_applying_update", default=None)


class UpdatesRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def record(self, mark: UpdateMark) -> None:
        """Record the update in this transaction (once: a second record changes nothing)."""
        await self.record_many([mark])

    async def record_many(self, marks: list[UpdateMark]) -> None:
        """Record several updates (a persistence round); ones already there stay as they are."""
        await self.tx.executemany(
            "INSERT INTO applied_updates (update_id, applied_at) VALUES (?, ?)"
            " ON CONFLICT (update_id) DO NOTHING",
            [(mark.update_id, ts(mark.at)) for mark in marks],
        )

    async def applied(self, update_ids: list[int]) -> set[int]:
        """Which of ``update_ids`` were applied already."""
        if not update_ids:
            return set()
        marks = ",".join("?" * len(update_ids))
        rows = await self.tx.fetchall(
            f"SELECT update_id FROM applied_updates WHERE update_id IN ({marks})", update_ids
        )
        return {int(r[0]) for r in rows}

    async def prune(self, before: datetime) -> int:
        """Forget updates applied before ``before`` (Telegram keeps updates for 24 hours)."""
        return await self.tx.execute(
            "DELETE FROM applied_updates WHERE applied_at < ?", (ts(before),)
        )
