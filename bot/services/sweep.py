"""The deadline sweep: act on every due timer row — reminders (催办), escalations (督办) and the
auto-close of unrated requests.

The sweep claims due rows in a transaction, so a restart loses nothing and overlapping sweeps
never act twice. Non-urgent reminders wait for the end of quiet hours and for the member's
availability (a held row for that person).
"""

from __future__ import annotations

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

__all__ = ["BATCH", "DeadlineSweep"]

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
        request = await tx.requests.get(item.request_id)
        if request is None:
            return
        kind = item.kind
        if kind == "auto_close":
            if request.status is Status.RESOLVED:
                await self.flow.transition(
                    tx,
                    request,
                    Status.CLOSED,
                    actor=None,
                    note=N_("closed without a rating"),
                    rating=Rating.NOT_RATED.value,
                )
        elif kind == "remind_accept" and request.status in UNACCEPTED:
            await self._remind(tx, request, "accept", item.step)
        elif kind == "remind_resolve" and request.status in WORKING:
            await self._remind(tx, request, "resolve", item.step)
        elif kind in ("deliver_accept", "deliver_resolve") and item.person_id is not None:
            what = kind.removeprefix("deliver_")
            still = UNACCEPTED if what == "accept" else WORKING
            if request.status in still:
                await self._remind_person(tx, request, what, item.step, item.person_id)
        elif kind == "escalate_accept" and request.status in UNACCEPTED:
            await self.escalation.escalate(tx, request, item.step, "accept", cache)
        elif kind == "escalate_resolve" and request.status in OPEN:
            await self.escalation.escalate(tx, request, item.step, "resolve", cache)

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
