"""Deadlines, reminders (催办) and the escalation ladder (督办: 社区主导、街道指挥、区级统筹).

When a request is triaged it gets two clocks from its tier: accept and resolve. Timer rows in
the database fire at 50% and 80% of a window (reminders) and at 100%, 200% and 300% (escalation
to the community's, the street's and the district's admins). The sweep claims due rows in a
transaction, so a restart loses nothing and overlapping sweeps never act twice. Non-urgent
reminders wait for the end of quiet hours and for the member's availability.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.i18n import N_, I18n
from bot.lifecycle import OPEN, WORKING, Status
from bot.models import Level, Member, Person, Rating, Request, Role, Tier
from bot.services.scope import Refused, administers, assigned_task, audited_refusals
from bot.views import deadlines as views

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.services.dispatch import DispatchService
    from bot.services.flow import RequestFlow
    from bot.services.people import Actor
    from storage.db import Database, Tx
    from storage.repos.deadlines import DeadlineItem

__all__ = ["LADDER", "DeadlineService"]

LOG = logging.getLogger(__name__)

LADDER = (Level.COMMUNITY, Level.STREET, Level.DISTRICT)
REMINDER_AT = (0.5, 0.8)
ACCEPT_KINDS = ("remind_accept", "escalate_accept", "deliver_accept")
RESOLVE_KINDS = ("remind_resolve", "escalate_resolve", "deliver_resolve")
UNACCEPTED = frozenset({Status.TRIAGED, Status.DISPATCHED, Status.RETURNED})
EXTENSION_DAYS = (1, 3, 7)
# Rows one sweep run claims and acts on, in one transaction. The store has one writer, so
# while a batch runs people's own writes wait: 25 rows keep that under ~50 ms (about 1.4 ms a
# row, see `gridbot bench`), and a full batch schedules the next run 0.1 s later, so a backlog
# of 10,000 still drains within a minute or so.
BATCH = 25


class DeadlineService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        flow: RequestFlow,
        dispatch: DispatchService,
        i18n: I18n,
        config: Config,
    ) -> None:
        self.db = db
        self.clock = clock
        self.flow = flow
        self.dispatch = dispatch
        self.i18n = i18n
        self.config = config

    # -- windows and schedules -------------------------------------------------------------
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

    # -- the sweep -------------------------------------------------------------------------
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
            cache: dict[tuple[int, int], _Rung] = {}
            for item in items:
                await self._act(tx, item, cache)
        return len(items)

    async def _act(self, tx: Tx, item: DeadlineItem, cache: dict[tuple[int, int], _Rung]) -> None:
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
            await self._escalate(tx, request, item.step, "accept", cache)
        elif kind == "escalate_resolve" and request.status in OPEN:
            await self._escalate(tx, request, item.step, "resolve", cache)

    # -- reminders ---------------------------------------------------------------------------
    async def _remind(self, tx: Tx, request: Request, what: str, step: int) -> None:
        """Remind the assignee, or every member holding a card while nobody accepted."""
        if what == "resolve" or request.assignee_id is not None:
            targets = [request.assignee_id] if request.assignee_id is not None else []
        else:
            targets = [card.person_id for card in await tx.members.open_cards(request.id)]
        for person_id in targets:
            await self._remind_person(tx, request, what, step, person_id)
        await tx.requests.add_event(
            request.id,
            kind="reminder",
            actor_id=None,
            actor_label="system",
            now=self.clock.now(),
            note=f"{what}:{step}:{len(targets)}",
        )

    async def _remind_person(
        self, tx: Tx, request: Request, what: str, step: int, person_id: int
    ) -> None:
        """Send the reminder now, or hold it until this person may be pinged."""
        person = await tx.people.get(person_id)
        if person is None:
            return
        member = await tx.members.get(person_id)
        now = self.clock.now()
        when = self.next_allowed(request.tier, member, now)
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
            what=what,
            due=due,
            can_accept=request.assignee_id is None,
        )
        await self.flow.notifier.send(tx, person.telegram_id, message)

    def quiet(self, local: datetime) -> bool:
        start, end = self.config.quiet_hours.start, self.config.quiet_hours.end
        moment = local.time()
        if start <= end:
            return start <= moment < end
        return moment >= start or moment < end

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

    # -- escalation --------------------------------------------------------------------------
    async def _ladder(
        self, tx: Tx, compound_id: int, step: int, cache: dict[tuple[int, int], _Rung]
    ) -> _Rung:
        """Who answers escalation ``step`` for a compound: that level's admins, or the next
        level's when it has none. Cached for the batch (many requests share a compound)."""
        key = (compound_id, step)
        if key in cache:
            return cache[key]
        level = LADDER[min(step, len(LADDER)) - 1]
        compound = await tx.org.get(compound_id)
        path = [*await tx.org.ancestors(compound), compound] if compound else []
        rung = _Rung(level.value, [])
        for wanted in LADDER[LADDER.index(level) :]:
            unit = next((u for u in path if u.level is wanted), None)
            if unit is None:
                continue
            admins = await tx.people.holders(Role.ADMIN, [unit])
            if admins:
                rung = _Rung(unit.level.value, admins)
                break
        cache[key] = rung
        return rung

    async def _escalate(
        self,
        tx: Tx,
        request: Request,
        step: int,
        what: str,
        cache: dict[tuple[int, int], _Rung],
    ) -> None:
        rung = await self._ladder(tx, request.compound_id, step, cache)
        now = self.clock.now()
        name = rung.level
        if _rank(name) > _rank(request.escalation_level):
            await tx.requests.set_fields(request.id, now, escalation_level=name)
            request = request.model_copy(update={"escalation_level": name})
        await tx.requests.add_event(
            request.id,
            kind="escalation",
            actor_id=None,
            actor_label="system",
            now=now,
            note=f"{what}:{name}",
        )
        if not rung.admins:
            LOG.warning("request %s: escalation %d found no administrator", request.number, step)
            return
        silent = request.tier is not Tier.URGENT and self.quiet(now.astimezone(self.config.tz))
        view = await self.flow.view(tx, request, is_owner=False, supporters=0, timeline=False)
        due = request.accept_due_at if what == "accept" else request.resolve_due_at
        for admin in rung.admins:
            language = admin.language or self.i18n.default
            message = views.escalation_card(
                self.i18n.get(language),
                language,
                view,
                now,
                what=what,
                level=name,
                overdue=now - (due or now),
            )
            await self.flow.notifier.send(tx, admin.telegram_id, message, silent=silent)

    # -- admin actions -----------------------------------------------------------------------
    async def _admin_request(self, tx: Tx, actor: Actor, request_id: int, action: str) -> Request:
        request = await tx.requests.get(request_id)
        if request is None:
            raise NotFound(N_("That request does not exist."))
        compound = await tx.org.get(request.compound_id)
        assert compound is not None
        if Role.ADMIN not in actor.roles or not await administers(tx, actor, compound):
            raise Refused(
                NotAllowed(N_("Only an administrator of this area can do this.")),
                action=action,
                subject=f"request:{request.id}",
                unit_id=request.compound_id,
                reason="outside the admin's scope",
            )
        return request

    async def retier(self, actor: Actor, request_id: int, tier: Tier) -> Request:
        """Change the tier; the clocks are recomputed from the filing time."""
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            request = await self._admin_request(tx, actor, request_id, "request.retier")
            if request.status not in OPEN:
                raise InvalidInput(N_("That request is already settled."))
            if request.tier is tier:
                return request
            before = {"tier": request.tier.value}
            await tx.requests.set_fields(request.id, now, tier=tier)
            await tx.deadlines.cancel(request.id, ACCEPT_KINDS + RESOLVE_KINDS)
            request = await tx.requests.get(request.id) or request
            start = request.triaged_at or request.created_at
            await self.schedule(
                tx, request, start, accept=request.status in UNACCEPTED, resolve=True
            )
            await tx.requests.add_event(
                request.id,
                kind="retier",
                actor_id=actor.id,
                actor_label=actor.label,
                now=now,
                note=tier.value,
            )
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action="request.retier",
                subject=f"request:{request.id}",
                unit_id=request.compound_id,
                before=before,
                after={"tier": tier.value},
                now=now,
            )
            return await tx.requests.get(request.id) or request

    async def extend(self, actor: Actor, request_id: int, days: int, reason: str) -> Request:
        """Push the resolve deadline back by ``days`` (with a reason)."""
        reason = _reason(reason)
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            request = await self._admin_request(tx, actor, request_id, "request.extend")
            return await self._extend(tx, request, days, reason, actor)

    async def _extend(
        self, tx: Tx, request: Request, days: int, reason: str, actor: Actor
    ) -> Request:
        if request.status not in OPEN:
            raise InvalidInput(N_("That request is already settled."))
        if days not in EXTENSION_DAYS:
            raise InvalidInput(N_("Please choose one of the offered durations."))
        now = self.clock.now()
        shift = timedelta(days=days)
        before = {"resolve_due_at": request.resolve_due_at}
        # Held rows (the member is waiting for the resident) move too and stay held.
        await tx.deadlines.shift(request.id, RESOLVE_KINDS, shift)
        new_due = (request.resolve_due_at or now) + shift
        await tx.requests.set_fields(request.id, now, resolve_due_at=new_due)
        await tx.requests.add_event(
            request.id,
            kind="extension",
            actor_id=actor.id,
            actor_label=actor.label,
            now=now,
            note=f"+{days}d: {reason}",
        )
        await tx.audit.record(
            actor_id=actor.id,
            actor_label=actor.label,
            action="request.extend",
            subject=f"request:{request.id}",
            unit_id=request.compound_id,
            before=before,
            after={"resolve_due_at": new_due, "reason": reason},
            now=now,
        )
        return await tx.requests.get(request.id) or request

    async def message_assignee(self, actor: Actor, request_id: int, text: str) -> Request:
        """An admin writes to the member working on the request."""
        text = _reason(text, limit=2000)
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            request = await self._admin_request(tx, actor, request_id, "request.message")
            if request.assignee_id is None:
                raise InvalidInput(N_("Nobody is working on this request yet."))
            assignee = await tx.people.get(request.assignee_id)
            if assignee is None:
                raise InvalidInput(N_("Nobody is working on this request yet."))
            await self.flow.send(
                tx, assignee, lambda t, lang: views.admin_message(t, request, text)
            )
            await tx.requests.add_event(
                request.id,
                kind="admin_message",
                actor_id=actor.id,
                actor_label=actor.label,
                now=self.clock.now(),
                note=text,
            )
        return request

    # -- members asking for more time --------------------------------------------------------
    async def ask_extension(self, actor: Actor, request_id: int, days: int, reason: str) -> int:
        """A member asks, before the deadline, for more days; the community decides."""
        reason = _reason(reason)
        if days not in EXTENSION_DAYS:
            raise InvalidInput(N_("Please choose one of the offered durations."))
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            request = await self._askable(tx, actor, request_id, now)
            extension_id = await tx.deadlines.add_extension(
                request.id, actor.id, days, reason, now
            )
            await tx.requests.add_event(
                request.id,
                kind="extension_asked",
                actor_id=actor.id,
                actor_label=actor.label,
                now=now,
                note=f"+{days}d: {reason}",
            )
            member = await tx.members.get(actor.id)
            name = member.real_name if member else actor.person.display_name
            await self.flow.tell_admins(
                tx,
                request,
                lambda t, lang, r, c, p: views.extension_card(
                    t, lang, r, name, days, reason, extension_id
                ),
            )
        return extension_id

    async def extension_target(self, actor: Actor, request_id: int) -> Request:
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

    async def decide_extension(self, actor: Actor, extension_id: int, approve: bool) -> Request:
        """An admin of the community approves (the deadline moves) or refuses."""
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            extension = await tx.deadlines.extension(extension_id)
            if extension is None:
                raise NotFound(N_("That request does not exist."))
            request = await self._admin_request(
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

    # -- waiting for the resident ----------------------------------------------------------
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
            await tx.requests.add_event(
                request.id,
                kind="waiting",
                actor_id=actor.id,
                actor_label=actor.label,
                now=now,
                note=note,
            )
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


@dataclass(frozen=True)
class _Rung:
    """The level an escalation reached and its admins."""

    level: str
    admins: list[Person]


def _reason(text: str, limit: int = 500) -> str:
    text = text.strip()
    if not text or len(text) > limit:
        raise InvalidInput(
            N_("Please give a short reason (at most {limit} characters)."), limit=limit
        )
    return text


def _rank(level: str | None) -> int:
    order = [None, *(lv.value for lv in LADDER)]
    return order.index(level) if level in order else 0


def _next_quarter(when: datetime) -> datetime:
    base = when.replace(second=0, microsecond=0)
    return base + timedelta(minutes=15 - base.minute % 15)
