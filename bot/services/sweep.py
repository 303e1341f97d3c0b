"""The deadline sweep: act on every due timer row — reminders (催办), escalations (督办), the
auto-close of unrated requests, and the timers of other things (an activity's reminders ...).

The sweep claims due rows in a transaction, so a restart loses nothing and overlapping sweeps
never act twice. Non-urgent reminders wait for the end of quiet hours and for the member's
availability (a held row for that person).

What a row does is looked up by its kind in :class:`DueKinds`: the request kinds are
registered here, and a service with timers of its own registers its kinds where the services
are wired (``DeadlineSweep.kinds.register("activity_remind", ...)``); its rows live in
``due_items`` and are claimed in the same batch.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from bot.i18n import N_, I18n
from bot.lifecycle import OPEN, UNACCEPTED, WORKING, Status
from bot.models import Rating, Request
from bot.services.journal import record
from bot.views import deadlines as views

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.services.clocks import Clocks
    from bot.services.escalation import EscalationService, RungCache
    from bot.services.flow import RequestFlow
    from storage.db import Database, Tx
    from storage.repos.deadlines import DeadlineItem

__all__ = ["BATCH", "DeadlineSweep", "Due", "DueHandler", "DueKinds"]

LOG = logging.getLogger(__name__)

# Rows one sweep run claims and acts on, in one transaction. The store has one writer, so
# while a batch runs people's own writes wait: 25 rows keep that under ~50 ms (about 1.4 ms a
# row, see `gridbot bench`), and a full batch schedules the next run 0.1 s later, so a backlog
# of 10,000 still drains within a minute or so.
BATCH = 25


class Due(Protocol):
    """A claimed timer row, of a request (``deadline_items``) or of anything else
    (``due_items``: ``subject_id`` says what)."""

    id: int
    kind: str
    step: int
    person_id: int | None
    due_at: datetime


# A kind's action: the batch's transaction, the row, and a cache the batch shares.
DueHandler = Callable[["Tx", Any, dict[Any, Any]], Awaitable[None]]


class DueKinds:
    """What each kind of timer row does."""

    def __init__(self) -> None:
        self._handlers: dict[str, DueHandler] = {}

    def register(self, kind: str, handler: DueHandler) -> None:
        if kind in self._handlers:
            raise ValueError(f"due-item kind {kind!r} is registered already")
        self._handlers[kind] = handler

    async def act(self, tx: Tx, item: Due, cache: dict[Any, Any]) -> None:
        handler = self._handlers.get(item.kind)
        if handler is None:
            LOG.warning("no action for due item %d of kind %r", item.id, item.kind)
            return
        await handler(tx, item, cache)


class DeadlineSweep:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        flow: RequestFlow,
        clocks: Clocks,
        escalation: EscalationService,
        i18n: I18n,
        config: Config,
    ) -> None:
        self.db = db
        self.clock = clock
        self.flow = flow
        self.clocks = clocks
        self.escalation = escalation
        self.i18n = i18n
        self.config = config
        self.kinds = DueKinds()
        self.kinds.register("auto_close", self._auto_close)
        for what, still in (("accept", UNACCEPTED), ("resolve", WORKING)):
            self.kinds.register(f"remind_{what}", partial(self._remind_due, what, still))
            self.kinds.register(f"deliver_{what}", partial(self._deliver_due, what, still))
        self.kinds.register("escalate_accept", partial(self._escalate_due, "accept", UNACCEPTED))
        self.kinds.register("escalate_resolve", partial(self._escalate_due, "resolve", OPEN))

    async def sweep(self) -> int:
        """Act on every due timer row, batch after batch; return how many were handled."""
        handled = 0
        while True:
            batch = await self.sweep_batch(BATCH)
            handled += batch
            if batch < BATCH:
                return handled

    async def sweep_batch(self, limit: int = BATCH) -> int:
        """Claim and act on up to ``limit`` due rows in one transaction; return how many.

        The claims are index-backed: their cost follows the due rows, not the size of the
        tables. The requests' rows come first, then the other timers, up to ``limit`` in all.
        """
        async with self.db.transaction() as tx:
            now = self.clock.now()
            items: list[Due] = list(await tx.deadlines.claim_due(now, limit))
            items += await tx.due.claim_due(now, limit - len(items))
            cache: dict[Any, Any] = {}
            for item in items:
                await self.kinds.act(tx, item, cache)
        return len(items)

    # -- the requests' kinds -----------------------------------------------------------------
    async def _request(self, tx: Tx, item: DeadlineItem) -> Request | None:
        return await tx.requests.get(item.request_id)

    async def _auto_close(self, tx: Tx, item: DeadlineItem, cache: RungCache) -> None:
        request = await self._request(tx, item)
        if request is not None and request.status is Status.RESOLVED:
            await self.flow.transition(
                tx,
                request,
                Status.CLOSED,
                actor=None,
                note=N_("closed without a rating"),
                rating=Rating.NOT_RATED.value,
            )

    async def _remind_due(
        self, what: str, still: frozenset[Status], tx: Tx, item: DeadlineItem, cache: RungCache
    ) -> None:
        request = await self._request(tx, item)
        if request is not None and request.status in still:
            await self._remind(tx, request, what, item.step)

    async def _deliver_due(
        self, what: str, still: frozenset[Status], tx: Tx, item: DeadlineItem, cache: RungCache
    ) -> None:
        request = await self._request(tx, item)
        if request is not None and item.person_id is not None and request.status in still:
            await self._remind_person(tx, request, what, item.step, item.person_id)

    async def _escalate_due(
        self, what: str, still: frozenset[Status], tx: Tx, item: DeadlineItem, cache: RungCache
    ) -> None:
        request = await self._request(tx, item)
        if request is not None and request.status in still:
            await self.escalation.escalate(tx, request, item.step, what, cache)

    # -- reminders ---------------------------------------------------------------------------
    async def _remind(self, tx: Tx, request: Request, what: str, step: int) -> None:
        """Remind the assignee, or every member holding a card while nobody accepted."""
        if what == "resolve" or request.assignee_id is not None:
            targets = [request.assignee_id] if request.assignee_id is not None else []
        else:
            targets = [card.person_id for card in await tx.members.open_cards(request.id)]
        for person_id in targets:
            await self._remind_person(tx, request, what, step, person_id)
        note = f"{what}:{step}:{len(targets)}"
        await record(tx, self.clock.now(), request, "reminder", actor=None, note=note)

    async def _remind_person(
        self, tx: Tx, request: Request, what: str, step: int, person_id: int
    ) -> None:
        """Send the reminder now, or hold it until this person may be pinged."""
        person = await tx.people.get(person_id)
        if person is None:
            return
        member = await tx.members.get(person_id)
        now = self.clock.now()
        when = self.clocks.next_allowed(request.tier, member, now)
        if when > now:
            await tx.deadlines.add(
                request.id, f"deliver_{what}", when, now, step=step, person_id=person_id
            )
            return
        due = request.accept_due_at if what == "accept" else request.resolve_due_at
        view = await self.flow.view(tx, request, is_owner=False, supporters=0)
        language = person.language or self.i18n.default
        message = views.reminder(
            self.i18n.get(language),
            language,
            view,
            now,
            self.config.tz,
            what=what,
            due=due,
            can_accept=request.assignee_id is None,
        )
        await self.flow.notifier.send(tx, person.telegram_id, message)
