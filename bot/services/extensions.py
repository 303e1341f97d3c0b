"""More time for a request: an admin extends the deadline (with a reason), or a member asks
for more days before the deadline and an admin of the area approves or refuses."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.errors import InvalidInput, NotFound
from bot.freetext import REASON
from bot.i18n import N_
from bot.lifecycle import OPEN
from bot.models import EXTENSION_DAYS, Request
from bot.services.clocks import RESOLVE_KINDS
from bot.services.journal import Change, record
from bot.services.scope import administered_request, assigned_task, audited_refusals
from bot.views import deadlines as views

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.services.flow import RequestFlow
    from bot.services.people import Actor
    from storage.db import Database, Tx

__all__ = ["ExtensionService"]


class ExtensionService:
    def __init__(self, db: Database, clock: Clock, flow: RequestFlow) -> None:
        self.db = db
        self.clock = clock
        self.flow = flow

    async def extend(self, actor: Actor, request_id: int, days: int, text: str) -> Request:
        """Push the resolve deadline back by ``days`` (with a reason)."""
        text = REASON.accept(text)
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            request, _ = await administered_request(tx, actor, request_id, "request.extend")
            return await self._extend(tx, request, days, text, actor)

    async def _extend(
        self, tx: Tx, request: Request, days: int, text: str, actor: Actor
    ) -> Request:
        if request.status not in OPEN:
            raise InvalidInput(N_("That request is already settled."))
        if days not in EXTENSION_DAYS:
            raise InvalidInput(N_("Please choose one of the offered durations."))
        now = self.clock.now()
        shift = timedelta(days=days)
        # Held rows (the member is waiting for the resident) move too and stay held.
        await tx.deadlines.shift(request.id, RESOLVE_KINDS, shift)
        new_due = (request.resolve_due_at or now) + shift
        await tx.requests.set_fields(request.id, now, resolve_due_at=new_due)
        change = Change(
            "request.extend",
            {"resolve_due_at": request.resolve_due_at},
            {"resolve_due_at": new_due, "reason": text},
        )
        await record(
            tx, now, request, "extension", actor=actor, note=f"+{days}d: {text}", change=change
        )
        return await tx.requests.get(request.id) or request

    # -- members asking for more time --------------------------------------------------------
    async def ask(self, actor: Actor, request_id: int, days: int, text: str) -> int:
        """A member asks, before the deadline, for more days; the community decides."""
        text = REASON.accept(text)
        if days not in EXTENSION_DAYS:
            raise InvalidInput(N_("Please choose one of the offered durations."))
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            request = await self._askable(tx, actor, request_id, now)
            extension_id = await tx.deadlines.add_extension(request.id, actor.id, days, text, now)
            await record(
                tx, now, request, "extension_asked", actor=actor, note=f"+{days}d: {text}"
            )
            member = await tx.members.get(actor.id)
            name = member.real_name if member else actor.person.display_name
            await self.flow.tell_admins(
                tx,
                request,
                lambda t, lang, r, c, p: views.extension_card(
                    t, lang, r, name, days, text, extension_id
                ),
            )
        return extension_id

    async def target(self, actor: Actor, request_id: int) -> Request:
        """The request, if the actor may ask for more time on it now (before the reason)."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            return await self._askable(tx, actor, request_id, self.clock.now())

    async def _askable(self, tx: Tx, actor: Actor, request_id: int, now: datetime) -> Request:
        """The actor's task, before its deadline and with no ask of more time still open."""
        request = await assigned_task(tx, actor, request_id, "task.extension")
        if request.resolve_due_at is not None and request.resolve_due_at <= now:
            raise InvalidInput(N_("The deadline has passed; ask the community directly."))
        if await tx.deadlines.pending_extension(request.id) is not None:
            raise InvalidInput(
                N_(
                    "More time has already been asked for this task;"
                    " please wait for the community's decision."
                )
            )
        return request

    async def decide(self, actor: Actor, extension_id: int, approve: bool) -> Request:
        """An admin of the community approves (the deadline moves) or refuses."""
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            extension = await tx.deadlines.extension(extension_id)
            if extension is None:
                raise NotFound(N_("That request does not exist."))
            request, _ = await administered_request(
                tx, actor, extension.request_id, "request.extension"
            )
            state = "approved" if approve else "refused"
            if not await tx.deadlines.decide_extension(extension_id, state, actor.id, now):
                raise InvalidInput(N_("This was decided already."))
            if approve:
                request = await self._extend(tx, request, extension.days, extension.reason, actor)
            else:
                await tx.audit.record(
                    actor_id=actor.id,
                    actor_label=actor.label,
                    action="request.extension",
                    subject=f"request:{request.id}",
                    unit_id=request.compound_id,
                    before=None,
                    after={"refused": extension.days},
                    now=now,
                )
            member = await tx.people.get(extension.person_id)
            if member is not None:
                await self.flow.send(
                    tx,
                    member,
                    lambda t, lang: views.extension_decided(t, request, extension.days, approve),
                )
        return request
