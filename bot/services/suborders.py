"""报到、处置: what a department does with its sub-order. Sign for it (签收) in time or return
it with a reason; report on site (optionally with a shared location), add progress
notes and photos, propose a joint on-site meeting that the other parties answer, complete its
part with a report; and, for the lead department, resolve the request once every part
is done.

Only the department's own staff act on its sub-order (a refusal is audited). The resident's
timeline gets plain steps (the department signed for it, is on site), never a name or a
phone.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from bot.freetext import NOTE, PLACE, REASON
from bot.i18n import N_, I18n
from bot.lifecycle import OPEN, WORKING, Status
from bot.models import FlowEnd, Person, Request, Role
from bot.models.whistle import (
    Meeting,
    MeetingParty,
    SubOrder,
    SubOrderView,
    Whistle,
    WhistleState,
)
from bot.privacy import mask_phone_numbers
from bot.services.journal import Change, audit, record
from bot.services.order_flow import transition
from bot.services.scope import (
    Refused,
    administers,
    audited_refusals,
    departments_of,
    require_department,
)
from bot.services.whistle_cards import READY_CARD, RETURN_CARD
from bot.suborders import ACTIVE, SETTLED, SubOrderState, check
from bot.views import suborders as views
from bot.views import whistle as whistle_views

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.services.flow import RequestFlow
    from bot.services.people import Actor
    from bot.services.whistle_cards import WhistleCards
    from bot.services.whistle_clocks import WhistleClocks
    from storage.db import Database, Tx

__all__ = ["MAX_PHOTOS", "SubOrderService"]

LOG = logging.getLogger(__name__)

MAX_PHOTOS = 10  # photos a department adds to one sub-order
MEETING_AHEAD = timedelta(days=30)  # a joint meeting is proposed for the next 30 days
REPORT = NOTE.with_limit(1000)


class SubOrderService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        flow: RequestFlow,
        cards: WhistleCards,
        clocks: WhistleClocks,
        i18n: I18n,
    ) -> None:
        self.db = db
        self.clock = clock
        self.flow = flow
        self.cards = cards
        self.clocks = clocks
        self.i18n = i18n

    # -- reading -------------------------------------------------------------------------------
    async def mine(self, actor: Actor) -> list[SubOrderView]:
        """The open sub-orders of the actor's departments (a lead's done part waits for the
        request to be resolved), oldest first."""
        departments = sorted(departments_of(actor))
        if not departments:
            async with audited_refusals(self.db, self.clock, actor):
                raise Refused(
                    NotAllowed(N_("This is for the staff of departments.")),
                    action="suborder.list",
                    subject="suborders",
                    unit_id=None,
                    reason="not a department's staff",
                )
        async with self.db.read() as tx:
            states = ACTIVE | {SubOrderState.COMPLETED}
            orders = await tx.whistles.of_departments(departments, states)
            out = []
            for order in orders:
                if order.state is SubOrderState.COMPLETED:
                    whistle = await tx.whistles.get(order.whistle_id)
                    if (
                        not order.is_lead
                        or whistle is None
                        or whistle.state is not (WhistleState.OPEN)
                    ):
                        continue
                out.append(await self.cards.order_view(tx, order))
            return out

    async def view(self, actor: Actor, order_id: int) -> SubOrderView:
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            order = await self._own(tx, actor, order_id, "suborder.view")
            return await self.cards.order_view(tx, order, events=True)

    async def photos(self, actor: Actor, order_id: int) -> list[str]:
        """The request's photos, for the department working on it."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            order = await self._own(tx, actor, order_id, "suborder.view")
            return [p.file_id for p in await tx.requests.photos(order.request_id)]

    async def _own(self, tx: Tx, actor: Actor, order_id: int, action: str) -> SubOrder:
        """The sub-order, if the actor works for its department (else an audited refusal)."""
        order = await tx.whistles.order(order_id)
        if order is None:
            raise NotFound(N_("That sub-order does not exist."))
        request = await tx.requests.get(order.request_id)
        require_department(
            actor,
            order.department_id,
            action=action,
            subject=f"sub_order:{order.id}",
            unit_id=request.compound_id if request else None,
        )
        return order

    # -- signing for it, or returning it -----------------------------------------------------
    async def sign(self, actor: Actor, order_id: int) -> SubOrder:
        """签收: the department takes its part; its completion clock starts."""
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            order = await self._own(tx, actor, order_id, "suborder.sign")
            if order.state is SubOrderState.SIGNED:
                return order  # a repeated press
            order = await self._move(
                tx, actor, order, SubOrderState.SIGNED, signed_at=now, signed_by=actor.id
            )
            await self.clocks.stop(tx, order, "sign")
            due = await self.clocks.schedule(tx, order, "complete", now)
            await tx.whistles.set_order(order.id, now, complete_due_at=due)
            late = now > order.sign_due_at
            await self._step(
                tx,
                actor,
                order,
                "signed",
                change=Change(
                    "suborder.sign",
                    {"state": SubOrderState.SENT.value},
                    {"state": SubOrderState.SIGNED.value, "late": late},
                ),
            )
            order = await tx.whistles.order(order.id) or order
            await self.cards.refresh(tx, order.whistle_id)
            return order

    async def returnable(self, actor: Actor, order_id: int) -> SubOrder:
        """The sub-order, if the actor's department may return it now."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            order = await self._own(tx, actor, order_id, "suborder.return")
            self._check_returnable(order)
            return order

    @staticmethod
    def _check_returnable(order: SubOrder) -> None:
        if order.ruled:
            raise InvalidInput(
                N_("The district assigned this to your department; it cannot be returned.")
            )
        check(order.state, SubOrderState.RETURNED)

    async def give_back(
        self, actor: Actor, order_id: int, reason: str, *, dispute: bool = False
    ) -> SubOrder:
        """退单: not ours to do (``dispute``: another department's), with a reason; it goes
        back to the whistler to re-route or to send to the district."""
        reason = REASON.accept(reason)
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            order = await self._own(tx, actor, order_id, "suborder.return")
            self._check_returnable(order)
            order = await self._move(
                tx,
                actor,
                order,
                SubOrderState.RETURNED,
                note=reason,
                returned_at=now,
                returned_by=actor.id,
                return_reason=reason,
                dispute=dispute,
            )
            await self.clocks.stop(tx, order)
            request = await self._request(tx, order)
            after = {"state": SubOrderState.RETURNED.value, "dispute": dispute, "reason": reason}
            before = {"sub_order": order.id, "state": SubOrderState.SENT.value}
            await audit(tx, now, request, Change("suborder.return", before, after), actor=actor)
            whistle = await self._whistle(tx, order)
            view = await self.cards.order_view(tx, order)
            for person in await self._whistlers(tx, whistle):
                await self.cards.send_order_card(
                    tx, order, person, RETURN_CARD, whistle_views.return_card, view=view
                )
            await self.cards.refresh(tx, order.whistle_id, order.id)
            return order

    # -- on site, notes, photos ----------------------------------------------------------------
    async def on_site(
        self,
        actor: Actor,
        order_id: int,
        *,
        latitude: float | None = None,
        longitude: float | None = None,
    ) -> SubOrder:
        """报到: staff of the department are on site (with the place they shared)."""
        if (
            latitude is not None
            and longitude is not None
            and not (-90 <= latitude <= 90 and -180 <= longitude <= 180)
        ):
            raise InvalidInput(N_("That location is not valid."))
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            order = await self._working(tx, actor, order_id, "suborder.on_site")
            first = order.on_site_at is None
            if first:
                await tx.whistles.set_order(order.id, now, on_site_at=now)
            await self._log(tx, actor, order, "on_site", latitude=latitude, longitude=longitude)
            request = await self._request(tx, order)
            if first:
                await self._step(tx, actor, order, "on_site")
                await self._first_on_site(tx, actor, request, order)
            order = await tx.whistles.order(order.id) or order
            await self.cards.refresh(tx, order.whistle_id, order.id)
            return order

    async def _first_on_site(
        self, tx: Tx, actor: Actor, request: Request, order: SubOrder
    ) -> None:
        """The first department on site: the request is in progress, the resident told."""
        if request.status is not Status.ACCEPTED:
            return
        department = await tx.departments.get(order.department_id)
        assert department is not None
        await self.flow.transition(
            tx,
            request,
            Status.IN_PROGRESS,
            actor=actor,
            note=N_("the departments are on site"),
            announce=False,
        )
        await self.flow.tell_audience(
            tx, request, whistle_views.resident_on_site, department=department
        )

    async def note(self, actor: Actor, order_id: int, text: str) -> SubOrder:
        """A progress note: on the sub-order, for the whistler and the other departments."""
        text = NOTE.accept(text)
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            order = await self._working(tx, actor, order_id, "suborder.note")
            await self._log(tx, actor, order, "note", note=text)
            await self.cards.refresh(tx, order.whistle_id, order.id)
            return order

    async def add_photo(self, actor: Actor, order_id: int, file_id: str) -> int:
        """A photo of the site, kept with the request; returns how many the sub-order has."""
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            order = await self._working(tx, actor, order_id, "suborder.photo")
            count = sum(1 for e in await tx.whistles.events(order.id) if e.kind == "photo")
            if count >= MAX_PHOTOS:
                raise InvalidInput(
                    N_("You can add at most {limit} photos; this one was not added."),
                    limit=MAX_PHOTOS,
                )
            await tx.requests.add_photo(order.request_id, file_id, "department", actor.id, now)
            await self._log(tx, actor, order, "photo", note=file_id)
            return count + 1

    # -- done -----------------------------------------------------------------------------
    async def complete(self, actor: Actor, order_id: int, report: str) -> SubOrder:
        """办结: the department's part is done, with a report for the whistler and the lead.
        When every part is done the lead department is asked to resolve the request."""
        report = REPORT.accept(report)
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            order = await self._own(tx, actor, order_id, "suborder.complete")
            if order.state is SubOrderState.COMPLETED:
                return order
            late = order.complete_due_at is not None and now > order.complete_due_at
            order = await self._move(
                tx,
                actor,
                order,
                SubOrderState.COMPLETED,
                note=report,
                completed_at=now,
                completed_by=actor.id,
                report=report,
            )
            await self.clocks.stop(tx, order, "complete")
            await self._step(
                tx,
                actor,
                order,
                "completed",
                change=Change(
                    "suborder.complete",
                    {"state": SubOrderState.SIGNED.value},
                    {"state": SubOrderState.COMPLETED.value, "late": late},
                ),
            )
            await self.cards.refresh(tx, order.whistle_id)
            await self._ready_to_resolve(tx, order)
            return order

    async def _ready_to_resolve(self, tx: Tx, order: SubOrder) -> None:
        """Every part is done: the lead department's staff are asked to resolve."""
        orders = await tx.whistles.orders(order.whistle_id)
        if not all(o.state in SETTLED for o in orders):
            return
        lead = next((o for o in orders if o.is_lead and o.state is SubOrderState.COMPLETED), None)
        if lead is None:
            return
        view = await self.cards.order_view(tx, lead)
        for person in await self.cards.staff(tx, lead.department_id):
            await self.cards.send_order_card(
                tx, lead, person, READY_CARD, views.ready_card, view=view
            )

    async def resolve(self, actor: Actor, order_id: int, note: str) -> Request:
        """The lead department resolves the request once every part is done; the resident is
        asked to rate it (the note is the answer they read: phone numbers are masked)."""
        note = mask_phone_numbers(REPORT.accept(note))
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            order = await self._own(tx, actor, order_id, "request.resolve")
            if not order.is_lead:
                raise Refused(
                    NotAllowed(N_("Only the lead department resolves the request.")),
                    action="request.resolve",
                    subject=f"sub_order:{order.id}",
                    unit_id=None,
                    reason="not the lead department",
                )
            orders = await tx.whistles.orders(order.whistle_id)
            waiting = [o for o in orders if o.state not in SETTLED]
            if waiting or order.state is not SubOrderState.COMPLETED:
                raise InvalidTransition(
                    N_("Not every department has completed its part yet ({count} open)."),
                    count=max(len(waiting), 1),
                )
            request = await self._request(tx, order)
            if request.status not in WORKING:
                raise InvalidTransition(N_("That request is already settled."))
            await tx.whistles.set_whistle(
                order.whistle_id,
                now,
                state=WhistleState.RESOLVED,
                resolved_at=now,
                resolved_by=actor.id,
            )
            request = await self.flow.transition(
                tx, request, Status.RESOLVED, actor=actor, note=note
            )
            await self.cards.refresh(tx, order.whistle_id)
            return request

    # -- joint on-site meetings ----------------------------------------------------------------
    async def working(self, actor: Actor, order_id: int) -> SubOrder:
        """The sub-order, if the actor's department has signed for it and works on it (what
        a joint meeting is proposed on)."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            return await self._working(tx, actor, order_id, "meeting.propose")

    async def propose_meeting(
        self,
        actor: Actor,
        order_id: int,
        meets_at: datetime,
        place: str,
        end: FlowEnd | None = None,
    ) -> Meeting:
        """联合现场会: a department proposes a time and place; every other party of the
        whistle (the departments on it, the whistling unit, first secretaries who joined) is
        asked to confirm. ``end`` ends the flow that proposed it, in the same transaction (a
        repeated Send finds the meeting it made)."""
        place = PLACE.accept(place)
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            if end is not None and end.nonce:
                done = await tx.flows.finished(actor.id, end.name, end.nonce)
                if done is not None and done.startswith("meeting:"):
                    found = await tx.whistles.meeting(int(done.split(":", 1)[1]))
                    if found is not None:
                        return found
            if not now < meets_at <= now + MEETING_AHEAD:
                raise InvalidInput(N_("Choose a time within the next 30 days."))
            order = await self._working(tx, actor, order_id, "meeting.propose")
            whistle = await self._whistle(tx, order)
            meeting = await tx.whistles.add_meeting(
                whistle_id=whistle.id,
                department_id=order.department_id,
                proposed_by=actor.id,
                meets_at=meets_at,
                place=place,
                now=now,
            )
            others = {
                o.department_id
                for o in await tx.whistles.orders(whistle.id)
                if o.state in ACTIVE and o.department_id != order.department_id
            }
            for department_id in sorted(others):
                party = await tx.whistles.add_party(meeting.id, department_id=department_id)
                await self._invite(tx, meeting, party, await self.cards.staff(tx, department_id))
            party = await tx.whistles.add_party(meeting.id, unit_id=whistle.unit_id)
            await self._invite(tx, meeting, party, await self._whistlers(tx, whistle))
            for person in await tx.whistles.joiners(whistle.id):
                party = await tx.whistles.add_party(meeting.id, person_id=person.id)
                await self._invite(tx, meeting, party, [person])
            request = await self._request(tx, order)
            await record(
                tx, now, request, "department", actor=actor, note=f"meeting:{meets_at.isoformat()}"
            )
            await self._log(tx, actor, order, "meeting", note=f"{meets_at.isoformat()} {place}")
            proposed = {"meeting": meeting.id, "at": meets_at, "place": place}
            await audit(tx, now, request, Change("meeting.propose", None, proposed), actor=actor)
            await self.cards.refresh(tx, whistle.id, orders=False)
            if end is not None:
                await tx.flows.finish(
                    end, person_id=actor.id, subject=f"meeting:{meeting.id}", now=now
                )
            return meeting

    async def _invite(self, tx: Tx, meeting: Meeting, party_id: int, people: list[Person]) -> None:
        whistle = await tx.whistles.get(meeting.whistle_id)
        assert whistle is not None
        for person in people:
            await self.cards.send_meeting_card(tx, whistle, meeting.id, party_id, person)

    async def answer_meeting(self, actor: Actor, party_id: int, attend: bool) -> Meeting:
        """A party of a meeting says whether it comes: a department's staff for the
        department, an administrator for the whistling unit, a first secretary for
        themselves."""
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            party = await tx.whistles.party(party_id)
            if party is None:
                raise NotFound(N_("That meeting does not exist."))
            meeting = await tx.whistles.meeting(party.meeting_id)
            assert meeting is not None
            whistle = await tx.whistles.get(meeting.whistle_id)
            assert whistle is not None
            if not await self._answers_for(tx, actor, party, whistle):
                raise Refused(
                    NotAllowed(N_("You cannot answer for that party.")),
                    action="meeting.answer",
                    subject=f"meeting:{meeting.id}",
                    unit_id=whistle.unit_id,
                    reason="not of the party",
                )
            answer = "yes" if attend else "no"
            if await tx.whistles.answer(party.id, answer, actor.id, now):
                await tx.audit.record(
                    actor_id=actor.id,
                    actor_label=actor.label,
                    action="meeting.answer",
                    subject=f"meeting:{meeting.id}",
                    unit_id=whistle.unit_id,
                    before=None,
                    after={"party": party.id, "answer": answer},
                    now=now,
                )
                await self.cards.refresh(tx, whistle.id, orders=False)
            return meeting

    async def _answers_for(
        self, tx: Tx, actor: Actor, party: MeetingParty, whistle: Whistle
    ) -> bool:
        if party.department_id is not None:
            return party.department_id in departments_of(actor)
        if party.unit_id is not None:
            unit = await tx.org.get(party.unit_id)
            return unit is not None and await administers(tx, actor, unit)
        return party.person_id == actor.id

    # -- helpers ---------------------------------------------------------------------------
    async def _working(self, tx: Tx, actor: Actor, order_id: int, action: str) -> SubOrder:
        """The actor's department's sub-order, signed for and not done yet."""
        order = await self._own(tx, actor, order_id, action)
        if order.state is SubOrderState.SENT:
            raise InvalidTransition(N_("Please sign for it first."))
        if order.state is not SubOrderState.SIGNED:
            check(order.state, SubOrderState.COMPLETED)
        return order

    async def _move(
        self,
        tx: Tx,
        actor: Actor,
        order: SubOrder,
        target: SubOrderState,
        *,
        note: str | None = None,
        **fields: object,
    ) -> SubOrder:
        return await transition(
            tx, self.clock.now(), order, target, actor=actor, note=note, **fields
        )

    async def _log(
        self,
        tx: Tx,
        actor: Actor,
        order: SubOrder,
        kind: str,
        *,
        note: str | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
    ) -> None:
        """What a department's person did on the sub-order (no change of its state)."""
        await tx.whistles.add_event(
            order.id,
            kind=kind,
            actor_id=actor.id,
            actor_label=actor.label,
            now=self.clock.now(),
            note=note,
            latitude=latitude,
            longitude=longitude,
        )

    async def _step(
        self, tx: Tx, actor: Actor, order: SubOrder, step: str, *, change: Change | None = None
    ) -> None:
        """A plain step on the request's timeline: "<department> signed for it"."""
        request = await self._request(tx, order)
        await record(
            tx,
            self.clock.now(),
            request,
            "department",
            actor=actor,
            note=f"{step}:{order.department_id}",
            change=change,
        )

    async def _request(self, tx: Tx, order: SubOrder) -> Request:
        request = await tx.requests.get(order.request_id)
        assert request is not None
        if request.status not in OPEN and request.status is not Status.RESOLVED:
            LOG.info("sub-order %d acted on after its request was settled", order.id)
        return request

    async def _whistle(self, tx: Tx, order: SubOrder) -> Whistle:
        whistle = await tx.whistles.get(order.whistle_id)
        assert whistle is not None
        return whistle

    async def _whistlers(self, tx: Tx, whistle: Whistle) -> list[Person]:
        """Who answers for the whistling side: whoever blew it, while they still administer
        its unit; else the unit's administrators."""
        unit = await tx.org.get(whistle.unit_id)
        assert unit is not None
        holders = await tx.people.holders(Role.ADMIN, [unit])
        if whistle.blown_by is not None:
            mine = [p for p in holders if p.id == whistle.blown_by]
            if mine:
                return mine
        return holders
