"""The clocks of a request (accept and resolve), and when a person may be pinged.

When a request is triaged it gets two clocks from its tier. Timer rows in the database fire at
50% and 80% of a window (reminders) and at 100%, 200% and 300% (escalation to the community's,
the street's and the district's admins); :class:`bot.services.sweep.DeadlineSweep` acts on
them. The clocks follow every status change (:meth:`Clocks.on_transition`, an observer of
:class:`bot.services.flow.RequestFlow`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.lifecycle import UNACCEPTED, Status
from bot.models import Level, Member, Request, Tier

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.services.dispatch import DispatchService
    from storage.db import Tx

__all__ = [
    "ACCEPT_KINDS",
    "LADDER",
    "RESOLVE_KINDS",
    "Clocks",
]

LADDER = (Level.COMMUNITY, Level.STREET, Level.DISTRICT)
REMINDER_AT = (0.5, 0.8)
ACCEPT_KINDS = ("remind_accept", "escalate_accept", "deliver_accept")
RESOLVE_KINDS = ("remind_resolve", "escalate_resolve", "deliver_resolve")


class Clocks:
    def __init__(self, clock: Clock, dispatch: DispatchService, config: Config) -> None:
        self.clock = clock
        self.dispatch = dispatch
        self.config = config

    def windows(self, tier: Tier) -> tuple[timedelta, timedelta]:
        spec = getattr(self.config.deadlines, tier.value)
        return timedelta(minutes=spec.accept_minutes), timedelta(minutes=spec.resolve_minutes)

    async def schedule(
        self, tx: Tx, request: Request, start: datetime, *, accept: bool, resolve: bool
    ) -> None:
        """Set the due times from ``start`` and create the timer rows. Reminders already in
        the past are skipped; escalations already due fire at the next sweep."""
        now = self.clock.now()
        accept_window, resolve_window = self.windows(request.tier)
        fields: dict[str, object] = {}
        plans: list[tuple[str, timedelta]] = []
        if accept:
            fields["accept_due_at"] = start + accept_window
            plans.append(("accept", accept_window))
        if resolve:
            fields["resolve_due_at"] = start + resolve_window
            plans.append(("resolve", resolve_window))
        await tx.requests.set_fields(request.id, now, **fields)
        timers: list[tuple[str, int, datetime]] = []
        for what, window in plans:
            for step, share in enumerate(REMINDER_AT, 1):
                due = start + window * share
                if due > now:
                    timers.append((f"remind_{what}", step, due))
            for step in range(1, len(LADDER) + 1):
                timers.append((f"escalate_{what}", step, start + window * step))
        await tx.deadlines.add_many(request.id, timers, now)

    async def reschedule(self, tx: Tx, request: Request) -> Request:
        """New windows for the request's (changed) tier, counted from when it was triaged."""
        await tx.deadlines.cancel(request.id, ACCEPT_KINDS + RESOLVE_KINDS)
        start = request.triaged_at or request.created_at
        await self.schedule(tx, request, start, accept=request.status in UNACCEPTED, resolve=True)
        return await tx.requests.get(request.id) or request

    async def on_transition(self, tx: Tx, request: Request, old: Status, new: Status) -> None:
        """Keep the clocks in step with the status (called by RequestFlow.transition)."""
        now = self.clock.now()
        if new is Status.TRIAGED and old is Status.SUBMITTED:
            await self.schedule(tx, request, now, accept=True, resolve=True)
        elif new is Status.ACCEPTED:
            await tx.deadlines.cancel(request.id, ACCEPT_KINDS)
        elif new is Status.RESOLVED:
            await tx.deadlines.cancel(request.id)
            days = timedelta(days=self.config.deadlines.auto_close_days)
            await tx.deadlines.add(request.id, "auto_close", now + days, now)
        elif new is Status.REOPENED:
            await tx.deadlines.cancel(request.id)
            await self.schedule(tx, request, now, accept=False, resolve=True)
        elif new in (Status.CLOSED, Status.CANCELLED):
            await tx.deadlines.cancel(request.id)

    # -- when a person may be pinged -------------------------------------------------------
    def quiet(self, local: datetime) -> bool:
        start, end = self.config.quiet_hours.start, self.config.quiet_hours.end
        moment = local.time()
        if start <= end:
            return start <= moment < end
        return moment >= start or moment < end

    def quiet_now(self, tier: Tier) -> bool:
        """Should a message about a request of ``tier`` arrive silently now?"""
        now = self.clock.now()
        return tier is not Tier.URGENT and self.quiet(now.astimezone(self.config.tz))

    def next_allowed(self, tier: Tier, member: Member | None, now: datetime) -> datetime:
        """The first moment from ``now`` at which a reminder may reach this person: outside
        quiet hours and, for a member, in a slot they serve. Urgent: always now."""
        if tier is Tier.URGENT:
            return now
        when = now
        for _ in range(4 * 24 * 8):  # at most eight days ahead, in 15-minute steps
            local = when.astimezone(self.config.tz)
            member_ok = member is None or self.dispatch.available(member, tier, when)
            if not self.quiet(local) and member_ok:
                return when
            when = _next_quarter(when)
        return now  # no allowed time found (availability empty): do not hold forever


def _next_quarter(when: datetime) -> datetime:
    base = when.replace(second=0, microsecond=0)
    return base + timedelta(minutes=15 - base.minute % 15)
