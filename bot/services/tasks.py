"""Working a task: on my way, progress notes, the masked relay, handing back, done.

Only the member who accepted a request works it. The relay carries words between that member
and the resident with the request number, never a user id, @username or phone number, and
closes when the request is closed or cancelled.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING

from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.freetext import NOTE, RELAY
from bot.i18n import N_, I18n
from bot.lifecycle import WORKING, Status
from bot.models import Request, RequestView
from bot.services.journal import record
from bot.services.scope import Refused, assigned_task, audited_refusals
from bot.views import tasks as views

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.services.cards import Cards
    from bot.services.flow import RequestFlow
    from bot.services.people import Actor
    from bot.services.waiting import WaitingService
    from storage.db import Database

__all__ = ["MAX_NOTE", "TaskService"]

LOG = logging.getLogger(__name__)

MAX_NOTE = NOTE.limit
MAX_COMPLETION_PHOTOS = 5
RELAY_CLOSED = frozenset({Status.CLOSED, Status.CANCELLED})
NO_RESIDENT = N_(
    "This request did not come from a resident in the bot, so there is nobody to write to."
    " Use progress notes: the city system that sent it reads them."
)


def _text(text: str) -> str:
    return NOTE.accept(text)


class TaskService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        flow: RequestFlow,
        waiting: WaitingService,
        cards: Cards,
        i18n: I18n,
        config: Config,
    ) -> None:
        self.db = db
        self.clock = clock
        self.flow = flow
        self.waiting = waiting
        self.cards = cards
        self.i18n = i18n
        self.config = config

    async def my_tasks(self, actor: Actor) -> list[RequestView]:
        async with self.db.read() as tx:
            requests = await tx.requests.assigned_to(actor.id, WORKING)
            return [await self.flow.view(tx, r, is_owner=False, supporters=0) for r in requests]

    async def task(self, actor: Actor, request_id: int) -> RequestView:
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            request = await assigned_task(tx, actor, request_id, "task.view")
            return await self.flow.view(tx, request, is_owner=False, supporters=0)

    async def start(self, actor: Actor, request_id: int) -> Request:
        """On my way / in progress."""
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            request = await assigned_task(tx, actor, request_id, "task.start")
            if request.status is Status.IN_PROGRESS:
                return request
            return await self.flow.transition(
                tx, request, Status.IN_PROGRESS, actor=actor, note=N_("the helper is on the way")
            )

    async def note(self, actor: Actor, request_id: int, text: str) -> Request:
        """A progress note: in the timeline, and told to the resident and supporters."""
        text = _text(text)
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            request = await assigned_task(tx, actor, request_id, "task.note")
            await record(tx, now, request, "note", actor=actor, note=text)
            for person_id, own in await self.flow.audience(tx, request):
                person = await tx.people.get(person_id)
                if person is not None:
                    render = partial(views.progress_notice, request=request, text=text, own=own)
                    await self.flow.send(tx, person, render)
        return request

    async def relay_target(self, actor: Actor, request_id: int) -> Request:
        """The request, if the actor may write through its relay now."""
        async with audited_refusals(self.db, self.clock, actor):
            async with self.db.read() as tx:
                request = await tx.requests.get(request_id)
            if request is None:
                raise NotFound(N_("That request does not exist."))
            self._check_relay(actor, request)
        return request

    def _check_relay(self, actor: Actor, request: Request) -> int | None:
        """Return the other side's person id; raise when the relay is closed to the actor."""
        if request.status in RELAY_CLOSED:
            raise InvalidInput(N_("This request is closed; messages are no longer passed on."))
        if request.assignee_id is None:
            raise InvalidInput(N_("Nobody is working on this request yet."))
        if actor.id == request.assignee_id:
            if request.resident_id is None:
                raise InvalidInput(
                    NO_RESIDENT
                    if request.channel != "telegram"
                    else N_("The resident is no longer registered.")
                )
            return request.resident_id
        if actor.id == request.resident_id:
            return request.assignee_id
        raise Refused(
            NotAllowed(N_("Only the resident and the helper can write here.")),
            action="request.relay",
            subject=f"request:{request.id}",
            unit_id=request.compound_id,
            reason="neither its resident nor its member",
        )

    async def relay(self, actor: Actor, request_id: int, text: str) -> Request:
        """Pass words between the resident and the member working on the request."""
        text = RELAY.accept(text)
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            request = await tx.requests.get(request_id)
            if request is None:
                raise NotFound(N_("That request does not exist."))
            recipient_id = self._check_relay(actor, request)
            to_resident = actor.id == request.assignee_id
            if not to_resident:
                await self.waiting.resume_if_waiting(tx, request)  # the resident answered
            if recipient_id is None:
                raise InvalidInput(N_("The resident is no longer registered."))
            recipient = await tx.people.get(recipient_id)
            if recipient is None:
                raise InvalidInput(N_("The resident is no longer registered."))
            await self.flow.send(
                tx,
                recipient,
                lambda t, lang: views.relay_message(t, request, text, to_resident=to_resident),
            )
            await record(tx, now, request, "relay", actor=actor)
        return request

    async def give_back(self, actor: Actor, request_id: int, reason: str) -> Request:
        """退回: not mine to do; the request goes back to the admins, with the reason."""
        reason = _text(reason)
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            request = await assigned_task(tx, actor, request_id, "task.return")
            request = await self.flow.transition(
                tx,
                request,
                Status.RETURNED,
                actor=actor,
                note=reason,
                announce=False,
                assignee_id=None,
            )
            name = actor.person.display_name
            member = await tx.members.get(actor.id)
            if member is not None:
                name = member.real_name
            await self.cards.flag_admins(
                tx,
                request,
                lambda t, lang, r, c, p: views.returned_flag(t, lang, r, c, p, name, reason),
            )
        return request

    async def done(self, actor: Actor, request_id: int, note: str, photos: list[str]) -> Request:
        """The work is done: resolved with a note (and photos); the resident is asked to rate.

        Pressing Done twice resolves once: the second finds it already resolved.
        """
        note = _text(note)
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            request = await assigned_task(tx, actor, request_id, "task.done")
            for file_id in photos[:MAX_COMPLETION_PHOTOS]:
                await tx.requests.add_photo(request.id, file_id, "completion", actor.id, now)
            return await self.flow.transition(tx, request, Status.RESOLVED, actor=actor, note=note)
