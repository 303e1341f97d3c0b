"""Cards about a request in administrators' chats, by the outbox row that sent each."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.models import AdminCard
from storage.timestamps import ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["CardsRepo"]


class CardsRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def add(self, request_id: int, person_id: int, outbox_id: int, now: datetime) -> None:
        await self.tx.execute(
            "INSERT INTO admin_cards (request_id, person_id, outbox_id, created_at)"
            " VALUES (?, ?, ?, ?)",
            (request_id, person_id, outbox_id, ts(now)),
        )

    async def of_request(self, request_id: int) -> list[AdminCard]:
        rows = await self.tx.fetchall(
            "SELECT id, request_id, person_id, outbox_id FROM admin_cards WHERE request_id = ?"
            " ORDER BY id",
            (request_id,),
        )
        return [AdminCard.model_validate(dict(r)) for r in rows]
