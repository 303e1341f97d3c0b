"""Waiting for the resident: the member pauses the resolve clock while the resident owes an
answer; it runs again when the resident writes (through the relay or "add information") or
when the member says so."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.errors import InvalidInput
from bot.i18n import N_
from bot.models import Request
from bot.services.clocks import RESOLVE_KINDS
from bot.services.journal import record
from bot.services.scope import assigned_task, audited_refusals

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.services.people import Actor
    from storage.db import Database, Tx

__all__ = ["WaitingService"]


class WaitingService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def set_waiting(self, actor: Actor, request_id: int, waiting: bool) -> Request:
        """Pause (or restart) the resolve clock while the member waits for the resident."""
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            request = await assigned_task(tx, actor, request_id, "task.waiting")
            if waiting and request.resident_id is None:
                raise InvalidInput(N_("There is no resident in the bot to wait for."))
            if waiting and request.waiting_since is None:
                await tx.deadlines.hold(request.id, RESOLVE_KINDS)
                await tx.requests.set_fields(request.id, now, waiting_since=now)
                note = N_("waiting for the resident")
            elif not waiting and request.waiting_since is not None:
                await self._resume(tx, request, now)
                note = N_("working again")
            else:
                return request
            await record(tx, now, request, "waiting", actor=actor, note=note)
            return await tx.requests.get(request.id) or request

    async def resume_if_waiting(self, tx: Tx, request: Request) -> None:
        """The resident answered: the clock runs again."""
        if request.waiting_since is not None:
            await self._resume(tx, request, self.clock.now())

    async def _resume(self, tx: Tx, request: Request, now: datetime) -> None:
        assert request.waiting_since is not None
        paused = now - request.waiting_since
        await tx.deadlines.release(request.id, paused)
        due = request.resolve_due_at + paused if request.resolve_due_at else None
        await tx.requests.set_fields(request.id, now, waiting_since=None, resolve_due_at=due)
