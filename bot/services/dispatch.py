"""组织下单、党员接单: who gets a task card, exactly-once accept, assignment by hand.

Where a request goes is its route (:mod:`bot.services.routes`), which also says who may
accept its cards (:meth:`~bot.services.routes.Route.worker`). The members' pool: approved,
active members of its compound (narrowed to the category's service team when it has one),
available now; widened to the whole community when fewer than ``[dispatch] min_pool``.
Accepting is one conditional update; the first press wins and every other card is edited to
say who took it.
"""

from __future__ import annotations

import logging
from datetime import datetime, time
from functools import partial
from typing import TYPE_CHECKING

from bot.errors import AlreadyTaken, InvalidInput, InvalidTransition, NotAllowed, NotFound
from bot.freetext import REASON
from bot.i18n import N_, I18n
from bot.lifecycle import UNACCEPTED, WORKING, Status
from bot.models import (
    Availability,
    Member,
    MemberType,
    OrgUnit,
    Request,
    ServiceTeam,
    TaskCard,
    Tier,
)
from bot.services.flow import held_by
from bot.services.journal import Change, record
from bot.services.routes import Routes
from bot.services.scope import (
    Refused,
    administered_request,
    audited_refusals,
)
from bot.views import tasks as views

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.services.cards import Cards
    from bot.services.flow import RequestFlow
    from bot.services.people import Actor
    from storage.db import Database, Tx

__all__ = ["DispatchService", "slot_of"]

LOG = logging.getLogger(__name__)


def slot_of(local: datetime, day_start: time, day_end: time) -> Availability:
    """The availability slot of a local time: weekday daytime, weekday evening, weekend."""
    if local.weekday() >= 5:
        return Availability.WEEKEND
    if day_start <= local.time() < day_end:
        return Availability.WEEKDAY_DAY
    return Availability.WEEKDAY_EVENING


class DispatchService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        flow: RequestFlow,
        cards: Cards,
        i18n: I18n,
        config: Config,
    ) -> None:
        self.db = db
        self.clock = clock
        self.flow = flow
        self.cards = cards
        self.i18n = i18n
        self.config = config
        self.routes = Routes()  # registered where the services are wired (bot/app.py)

    async def route(self, tx: Tx, request: Request, *, actor: Actor | None = None) -> Request:
        """Send a request just triaged on its route; return it as it is now."""
        category = await tx.requests.category(request.category_id)
        assert category is not None
        await self.routes.of(request, category).send(tx, request, actor=actor)
        return await tx.requests.get(request.id) or request

    # -- the pool ------------------------------------------------------------------------
    def available(self, member: Member, tier: Tier, now: datetime) -> bool:
        """May ``member`` get a card for a request of ``tier`` now?"""
        if not member.active_at(now):
            return False
        if tier is Tier.URGENT:
            return True
        settings = self.config.dispatch
        slot = slot_of(now.astimezone(self.config.tz), settings.day_start, settings.day_end)
        if member.member_type is MemberType.IN_SERVICE and slot is Availability.WEEKDAY_DAY:
            return False  # 八小时外: in-service members serve outside working hours
        return slot in member.availability

    async def pool(self, tx: Tx, request: Request) -> list[Member]:
        """The members who get a card for ``request`` now (its route says who)."""
        category = await tx.requests.category(request.category_id)
        assert category is not None
        return await self.routes.of(request, category).pool(tx, request)

    async def members_pool(
        self, tx: Tx, request: Request, *, team_id: int | None = None, strict: bool = False
    ) -> list[Member]:
        """The members nearby: of the compound, widened to the community when too few. Of
        ``team_id`` (default: the category's team), and only of it when ``strict``; else,
        when the team has nobody in the community, anyone there."""
        now = self.clock.now()
        compound = await tx.org.get(request.compound_id)
        category = await tx.requests.category(request.category_id)
        assert compound is not None and category is not None
        if team_id is None:
            team = await self._team(tx, category.team_code)
            team_id = team.id if team else None

        # Not the resident themselves, nor anyone who declined this request.
        excluded = {request.resident_id} | {
            e.actor_id for e in await tx.requests.events(request.id) if e.kind == "decline"
        }

        def eligible(members: list[Member]) -> list[Member]:
            return [
                m
                for m in members
                if m.person_id not in excluded and self.available(m, request.tier, now)
            ]

        chosen = eligible(await tx.members.in_units([compound], team_id=team_id))
        if len(chosen) < self.config.dispatch.min_pool and compound.parent_id is not None:
            community = await tx.org.get(compound.parent_id)
            assert community is not None
            wider = eligible(await tx.members.in_units([community], team_id=team_id))
            if not wider and team_id is not None and not strict:
                wider = eligible(await tx.members.in_units([community]))
            if len(wider) > len(chosen):
                chosen = wider
        return chosen

    async def _team(self, tx: Tx, code: str | None) -> ServiceTeam | None:
        if code is None:
            return None
        return next((t for t in await tx.org.teams() if t.code == code), None)

    # -- sending cards ---------------------------------------------------------------------
    async def offer_cards(
        self, tx: Tx, request: Request, person_ids: list[int], *, actor: Actor | None = None
    ) -> int:
        """Send cards with Accept to ``person_ids`` (the members of the pool, a property
        company's staff ...); return how many went out. The request is dispatched first
        (unless there is nobody to send one to)."""
        people = []
        for person_id in person_ids:
            if person_id == request.resident_id:
                continue
            if await tx.members.open_card(request.id, person_id) is not None:
                continue
            person = await tx.people.get(person_id)
            if person is not None and not person.unreachable:
                people.append(person)
        if not people:
            return 0
        if request.status is not Status.DISPATCHED:
            request = await self.flow.transition(
                tx,
                request,
                Status.DISPATCHED,
                actor=actor,
                note=None,
                announce=False,
                assignee_id=None,
            )
        now = self.clock.now()
        for person in people:
            view = await self.flow.view(tx, request, is_owner=False, supporters=0)
            language = person.language or self.i18n.default
            t = self.i18n.get(language)
            outbox_id = await self.flow.notifier.send(
                tx, person.telegram_id, views.pool_card(t, language, view, now, self.config.tz)
            )
            await tx.members.add_card(request.id, person.id, "pool", outbox_id, now)
        return len(people)

    async def dispatch(self, tx: Tx, request: Request, *, actor: Actor | None = None) -> int:
        """Send task cards to the pool; return how many went out.

        With nobody available the request waits (the sweep tries again) and the admins are
        told once a day.
        """
        if request.status not in UNACCEPTED:
            return 0
        members = await self.pool(tx, request)
        now = self.clock.now()
        if not members:
            day = now.astimezone(self.config.tz).date().isoformat()
            await self.cards.flag_admins(tx, request, views.no_pool_flag, dedup=f"nopool:{day}")
            return 0
        sent = await self.offer_cards(
            tx, request, [member.person_id for member in members], actor=actor
        )
        LOG.info("request %s sent to %d members", request.number, sent)
        return sent

    async def dispatch_waiting(self) -> int:
        """The sweep's part: try again for requests that found nobody available."""
        async with self.db.read() as tx:
            waiting = await tx.requests.waiting_for_pool()
        sent = 0
        for request_id in waiting:
            async with self.db.transaction() as tx:
                request = await tx.requests.get(request_id)
                if request is None or request.status is not Status.TRIAGED:
                    continue
                sent += await self.dispatch(tx, request)
        return sent

    # -- accepting -----------------------------------------------------------------------
    async def accept(self, actor: Actor, request_id: int) -> Request:
        """接单: the first member to press Accept gets it; everyone else is told who did."""
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            request = await tx.requests.get(request_id)
            if request is None:
                raise NotFound(N_("That request does not exist."))
            category = await tx.requests.category(request.category_id)
            assert category is not None
            route = self.routes.of(request, category)
            taker_name = await route.worker(tx, actor, request)
            if taker_name is None:
                raise Refused(
                    NotAllowed(N_("Only registered, approved members can accept tasks.")),
                    action="request.accept",
                    subject=f"request:{request.id}",
                    unit_id=request.compound_id,
                    reason="not a worker of the request's route",
                )
            card = await tx.members.open_card(request.id, actor.id)
            if card is None:
                if request.assignee_id == actor.id:
                    return request  # a repeated press
                if request.assignee_id is not None:
                    taker = await self._name(tx, request)
                    raise AlreadyTaken(N_("Already taken by {name}."), name=taker)
                raise Refused(
                    NotAllowed(N_("This task was not offered to you.")),
                    action="request.accept",
                    subject=f"request:{request.id}",
                    unit_id=request.compound_id,
                    reason="not in the pool",
                )
            # One conditional update: of simultaneous presses exactly one succeeds.
            accepted = await self.flow.try_transition(
                tx,
                request,
                Status.ACCEPTED,
                actor=actor,
                note=None,
                announce=False,
                assignee_id=actor.id,
            )
            if accepted is None:
                fresh = await tx.requests.get(request.id)
                assert fresh is not None
                if fresh.assignee_id == actor.id:
                    return fresh
                taker = await self._name(tx, fresh)
                raise AlreadyTaken(N_("Already taken by {name}."), name=taker)
            await self.cards.close_member_cards(tx, accepted, winner=actor.id, taker=taker_name)
            affiliation = await route.affiliation(tx, actor, accepted)
            await self._tell_resident_accepted(tx, accepted, actor, taker_name, affiliation)
        return accepted

    async def _tell_resident_accepted(
        self, tx: Tx, request: Request, actor: Actor, name: str, affiliation: str | None
    ) -> None:
        """Whoever took it, by name (their company, or a member's teams, and their phone if
        they share it)."""
        member = await tx.members.get(actor.id)
        teams = [t for t in await tx.org.teams() if member and t.id in member.team_ids]
        phone = member.phone if member is not None and member.share_phone else None
        for person_id, own in await self.flow.audience(tx, request):
            person = await tx.people.get(person_id)
            if person is None:
                continue
            render = partial(
                views.accepted_notice,
                request=request,
                name=name,
                teams=teams,
                affiliation=affiliation,
                phone=phone,
                own=own,
            )
            await self.flow.send(tx, person, render)

    async def candidates(
        self, actor: Actor, request_id: int, *, team_id: int | None = None, name: str | None = None
    ) -> tuple[Request, list[Member]]:
        """Members an admin may assign the request to: its community, by team or by name."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            request, compound = await administered_request(tx, actor, request_id, "request.admin")
            await self._not_held(tx, request)
            community = await self._assign_area(tx, compound)
            if name is not None:
                members = await tx.members.search([community], name.strip())
            else:
                members = await tx.members.in_units([community], team_id=team_id)
        now = self.clock.now()
        members = [m for m in members if self._assignable(request, m, now)]
        # The request's own compound first.
        members.sort(key=lambda m: (m.compound_id != request.compound_id, m.real_name))
        return request, members[:20]

    async def admin_request(self, actor: Actor, request_id: int) -> Request:
        """The request, if the actor administers its area (refusals are audited)."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            request, _compound = await administered_request(tx, actor, request_id, "request.admin")
        return request

    async def admin_request_by_number(self, actor: Actor, number: str) -> Request:
        """The request with ``number``, if the actor administers its area."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            request = await tx.requests.by_number(number) if number else None
            if request is None:
                raise NotFound(N_("That request does not exist."))
            found, _compound = await administered_request(tx, actor, request.id, "request.admin")
        return found

    async def assign(
        self, actor: Actor, request_id: int, person_id: int
    ) -> tuple[Request, Member]:
        """An admin gives the request to one member, who gets Accept / Decline."""
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            request, compound = await administered_request(tx, actor, request_id, "request.admin")
            member = await self._chosen(tx, request, compound, person_id, now)
            request = await self.offer_to(tx, actor, request, member)
        return request, member

    async def offer_to(self, tx: Tx, actor: Actor, request: Request, member: Member) -> Request:
        """Give the request to ``member`` by hand (whoever had it is told it moved on): they
        get a card with Accept / Decline. The caller checked that the actor may."""
        now = self.clock.now()
        await self._not_held(tx, request)
        before = {"status": request.status.value, "assignee_id": request.assignee_id}
        if request.status in WORKING:
            previous = request.assignee_id
            request = await self.flow.transition(
                tx,
                request,
                Status.RETURNED,
                actor=actor,
                note=N_("reassigned by the community"),
                announce=False,
                assignee_id=None,
            )
            if previous is not None:
                returned = request
                await self._tell_person(
                    tx, previous, lambda t, lang: views.task_reassigned(t, returned)
                )
        if request.status not in UNACCEPTED:
            raise InvalidInput(N_("This request cannot be assigned now."))
        if request.status is not Status.DISPATCHED:
            request = await self.flow.transition(
                tx, request, Status.DISPATCHED, actor=actor, note=None, announce=False
            )
        await self.cards.close_member_cards(tx, request, winner=None, taker=None)
        person = await tx.people.get(member.person_id)
        assert person is not None
        view = await self.flow.view(tx, request, is_owner=False, supporters=0)
        language = person.language or self.i18n.default
        outbox_id = await self.flow.notifier.send(
            tx,
            person.telegram_id,
            views.assign_card(self.i18n.get(language), language, view, now, self.config.tz),
        )
        await tx.members.add_card(request.id, member.person_id, "assign", outbox_id, now)
        after = {"status": request.status.value, "offered_to": member.person_id}
        change = Change("request.assign", before, after)
        await record(tx, now, request, "assign", actor=actor, note=member.real_name, change=change)
        return request

    async def redispatch(self, actor: Actor, request_id: int) -> int:
        """An admin sends a waiting request to the members' pool again."""
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            request, _compound = await administered_request(tx, actor, request_id, "request.admin")
            if request.status not in UNACCEPTED:
                raise InvalidInput(N_("This request cannot be assigned now."))
            return await self.dispatch(tx, request, actor=actor)

    async def offered(self, actor: Actor, request_id: int) -> Request:
        """The request, if an admin offered it to the actor and the offer is still open."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            request, _card = await self._offer(tx, actor, request_id)
        return request

    async def decline(self, actor: Actor, request_id: int, reason: str) -> Request:
        """The assigned member says no (with a reason): back to the pool, admins told."""
        reason = REASON.accept(reason)
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            request, card = await self._offer(tx, actor, request_id)
            await tx.members.close_cards(request.id, actor.id)
            if card.outbox_id is not None:
                t = self.i18n.get(actor.person.language)
                await self.flow.notifier.edit(
                    tx, card.outbox_id, views.card_declined(t, request, reason)
                )
            await record(tx, now, request, "decline", actor=actor, note=reason)
            name = actor.person.display_name
            member = await tx.members.get(actor.id)
            if member is not None:
                name = member.real_name
            await self.cards.flag_admins(
                tx,
                request,
                lambda t, lang, r, c, p: views.declined_flag(t, lang, r, c, p, name, reason),
            )
            await self.dispatch(tx, request, actor=actor)
        return request

    # -- helpers -------------------------------------------------------------------------
    @staticmethod
    async def _not_held(tx: Tx, request: Request) -> None:
        """A request departments or a consultation have is not handed to a member behind
        their backs."""
        held = await held_by(tx, request)
        if held == "whistle":
            raise InvalidTransition(
                N_(
                    "Departments are handling this request since the whistle: add or change"
                    " departments on its whistle card."
                )
            )
        if held == "consultation":
            raise InvalidTransition(
                N_("The parties of the compound are settling this request in a consultation.")
            )

    async def _assign_area(self, tx: Tx, compound: OrgUnit) -> OrgUnit:
        """Where an admin may pick a member for a request of ``compound``: its community."""
        community = await tx.org.get(compound.parent_id) if compound.parent_id else compound
        assert community is not None
        return community

    def _assignable(self, request: Request, member: Member, now: datetime) -> bool:
        """May ``member`` of the request's area be given it by hand now? Approved, not on
        leave, and not the resident who raised it."""
        return member.active_at(now) and member.person_id != request.resident_id

    async def _chosen(
        self, tx: Tx, request: Request, compound: OrgUnit, person_id: int, now: datetime
    ) -> Member:
        """The member an admin picked, if :meth:`candidates` could have offered them; else a
        refusal to audit (the id comes from a button, and buttons can be forged)."""
        member = await tx.members.get(person_id)
        home = await tx.org.get(member.compound_id) if member is not None else None
        area = await self._assign_area(tx, compound)
        if member is None or home is None or not area.contains(home):
            reason = "not a member of the request's community"
        elif not self._assignable(request, member, now):
            reason = (
                "the request's own resident"
                if member.person_id == request.resident_id
                else "not an active member"
            )
        else:
            return member
        raise Refused(
            NotAllowed(N_("That member is not available.")),
            action="request.assign",
            subject=f"request:{request.id}",
            unit_id=request.compound_id,
            reason=reason,
        )

    async def _offer(self, tx: Tx, actor: Actor, request_id: int) -> tuple[Request, TaskCard]:
        """The request and the actor's open card, if an admin offered it to them (else a
        refusal to audit: only the one it was offered to may decline it)."""
        request = await tx.requests.get(request_id)
        if request is None:
            raise NotFound(N_("That request does not exist."))
        card = await tx.members.open_card(request.id, actor.id)
        if card is None or card.kind != "assign":
            raise Refused(
                NotAllowed(N_("This task was not offered to you.")),
                action="task.decline",
                subject=f"request:{request.id}",
                unit_id=request.compound_id,
                reason="not offered to the actor",
            )
        return request, card

    async def _name(self, tx: Tx, request: Request) -> str:
        return await self.flow.assignee_name(tx, request) or "?"

    async def _tell_person(self, tx: Tx, person_id: int, render: views.Render) -> None:
        person = await tx.people.get(person_id)
        if person is not None:
            await self.flow.send(tx, person, render)
