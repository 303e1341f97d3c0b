"""The deadline sweep: act on every due timer row — reminders (催办), escalations (督办) and the
auto-close of unrated requests, and whatever other clocks register their kinds.

The sweep claims due rows in a transaction, so a restart loses nothing and overlapping sweeps
never act twice. Non-urgent reminders wait for the end of quiet hours and for the member's
availability (a held row for that person).

Each kind of row has one handler (:meth:`DeadlineSweep.register`): the requests' own clocks
are registered here; another feature's clock (the sub-orders of a whistle, an activity's
reminders) registers its kinds when the services are wired, and its rows are claimed by the
same index-backed query. A row names what it is about by a foreign key: ``request_id`` (and
``sub_order_id``), or ``activity_id``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING

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

__all__ = ["BATCH", "DeadlineSweep", "DueHandler"]

LOG = logging.getLogger(__name__)

# What a kind of due row does: (the sweep's transaction, the claimed row, the batch's cache of
# escalation rungs).
DueHandler = Callable[["Tx", "DeadlineItem", "RungCache"], Awaitable[None]]

# Rows one sweep run claims and acts on, in one transaction. The store has one writer, so
# while a batch runs people's own writes wait: 25 rows keep that under ~50 ms (about 1.4 ms a
# row, see `gridbot bench`), and a full batch schedules the next run 0.1 s later, so a backlog
# of 10,000 still drains within a minute or so.
BATCH = 25


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
        self._kinds: dict[str, DueHandler] = {}
        self.register(["auto_close"], self._auto_close)
        self.register(["remind_accept", "remind_resolve"], self._reminder)
        self.register(["deliver_accept", "deliver_resolve"], self._delivery)
        self.register(["escalate_accept", "escalate_resolve"], self._escalation)

    def register(self, kinds: Iterable[str], handler: DueHandler) -> None:
        """Make ``handler`` act on the due rows of ``kinds``."""
        for kind in kinds:
            if kind in self._kinds:
                raise ValueError(f"due-item kind {kind!r} registered twice")
            self._kinds[kind] = handler

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

        The claim is index-backed: its cost follows the due rows, not the size of the tables.
        """
        async with self.db.transaction() as tx:
            items = await tx.deadlines.claim_due(self.clock.now(), limit)
            cache: RungCache = {}
            for item in items:
                await self._act(tx, item, cache)
        return len(items)

    async def _act(self, tx: Tx, item: DeadlineItem, cache: RungCache) -> None:
        handler = self._kinds.get(item.kind)
        if handler is None:
            LOG.warning("deadline item %d of unknown kind %r: skipped", item.id, item.kind)
            return
        await handler(tx, item, cache)

    # -- the requests' own clocks ---------------------------------------------------------
    async def _request(self, tx: Tx, item: DeadlineItem) -> Request | None:
        return None if item.request_id is None else await tx.requests.get(item.request_id)

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

    async def _reminder(self, tx: Tx, item: DeadlineItem, cache: RungCache) -> None:
        request = await self._request(tx, item)
        what = item.kind.removeprefix("remind_")
        if request is not None and request.status in (UNACCEPTED if what == "accept" else WORKING):
            await self._remind(tx, request, what, item.step)

    async def _delivery(self, tx: Tx, item: DeadlineItem, cache: RungCache) -> None:
        """A reminder held for one person (quiet hours, their availability) is due now."""
        request = await self._request(tx, item)
        what = item.kind.removeprefix("deliver_")
        still = UNACCEPTED if what == "accept" else WORKING
        if request is not None and item.person_id is not None and request.status in still:
            await self._remind_person(tx, request, what, item.step, item.person_id)

    async def _escalation(self, tx: Tx, item: DeadlineItem, cache: RungCache) -> None:
        request = await self._request(tx, item)
        what = item.kind.removeprefix("escalate_")
        if request is not None and request.status in (UNACCEPTED if what == "accept" else OPEN):
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
