"""吹哨报到 from the whistler's side: blowing the whistle on a request, re-routing what a
department returned, sending a dispute of responsibility to the district, the district's
ruling, calling a department off; and what a whistle's request does to it (rated, reopened,
cancelled).

A community or street administrator blows the whistle on a request of their area: each
department summoned gets a sub-order with what is asked of it, exactly one of them the
lead. The request counts as taken by the community (accepted), the members' cards are
taken back, the departments' staff get their cards, the resident is told which departments act
together, and the community's first secretaries are told and may join. Everything a flow
confirmed commits in one transaction with the end of that flow.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from bot.freetext import ASK, NOTE
from bot.i18n import N_, I18n
from bot.lifecycle import OPEN, UNACCEPTED, Status
from bot.models import (
    Department,
    FlowEnd,
    HandledBy,
    Level,
    OrgUnit,
    Rating,
    Request,
    Role,
    Tier,
    Topic,
)
from bot.models.whistle import (
    MAX_PARTS,
    Post,
    SubOrder,
    Whistle,
    WhistleDraft,
    WhistleOptions,
    WhistleState,
    WhistleView,
)
from bot.services.journal import Change, audit, record
from bot.services.order_flow import transition
from bot.services.scope import (
    Refused,
    admin_units,
    administered_request,
    administers,
    audited_refusals,
    require_admin,
    secretary_of,
)
from bot.services.topics import Conversion
from bot.services.whistle_cards import DISPUTE_CARD, FOLLOW_BOARD, ORDER_CARD, REOPENED_CARD
from bot.suborders import ACTIVE, SubOrderRole, SubOrderState, check
from bot.views import suborders as order_views
from bot.views import whistle as views

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.services.cards import Cards
    from bot.services.flow import RequestFlow
    from bot.services.people import Actor
    from bot.services.topics import TopicService
    from bot.services.whistle_cards import WhistleCards
    from bot.services.whistle_clocks import WhistleClocks
    from storage.db import Database, Tx

__all__ = ["FLOW", "WhistleService", "topic_conversion"]

LOG = logging.getLogger(__name__)

FLOW = "whistle"  # the flow's name (its form in user_data, its finished forms)
CONVERSION = "whistle"  # a topic of the month's conversion into a whistle


class WhistleService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        flow: RequestFlow,
        cards: Cards,
        whistle_cards: WhistleCards,
        clocks: WhistleClocks,
        i18n: I18n,
    ) -> None:
        self.db = db
        self.clock = clock
        self.flow = flow
        self.cards = cards
        self.wcards = whistle_cards
        self.clocks = clocks
        self.i18n = i18n

    # -- what may be summoned ------------------------------------------------------------------
    async def options(self, actor: Actor, request_id: int) -> WhistleOptions:
        """The departments a whistle on the request may summon (refused, and audited, for
        anyone but an administrator of its area)."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            request, compound = await administered_request(tx, actor, request_id, "whistle.blow")
            return await self._options(tx, request, compound)

    async def _options(self, tx: Tx, request: Request, compound: OrgUnit) -> WhistleOptions:
        if request.status not in OPEN:
            raise InvalidTransition(N_("That request is already settled."))
        area = [u for u in await tx.org.ancestors(compound) if u.level is not Level.COMMUNITY]
        departments = await tx.departments.serving(area)
        whistle = await tx.whistles.by_request(request.id)
        on_it: list[tuple[SubOrder, Department]] = []
        if whistle is not None:
            orders = await tx.whistles.orders(whistle.id)
            names = await tx.departments.many([o.department_id for o in orders])
            on_it = [(o, names[o.department_id]) for o in orders]
        view = await self.flow.view(tx, request, is_owner=False, supporters=0)
        return WhistleOptions(view, departments, on_it)

    # -- blowing the whistle ---------------------------------------------------------------
    async def blow(
        self, actor: Actor, draft: WhistleDraft, end: FlowEnd | None = None
    ) -> tuple[Whistle, list[SubOrder]]:
        """吹哨: send each department of the draft its sub-order; ``end`` ends the flow in the
        same transaction. A repeated Send finds the whistle it made."""
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            if end is not None and end.nonce:
                done = await tx.flows.finished(actor.id, FLOW, end.nonce)
                if done is not None and done.startswith("whistle:"):
                    whistle = await tx.whistles.get(int(done.split(":", 1)[1]))
                    if whistle is not None:
                        return whistle, await tx.whistles.orders(whistle.id)
            request, compound = await administered_request(
                tx, actor, draft.request_id, "whistle.blow"
            )
            options = await self._options(tx, request, compound)
            whistle, orders = await self.summon(tx, actor, request, compound, options, draft)
            if end is not None:
                await tx.flows.finish(
                    end, person_id=actor.id, subject=f"whistle:{whistle.id}", now=self.clock.now()
                )
        return whistle, orders

    def _check_draft(self, draft: WhistleDraft, options: WhistleOptions) -> WhistleDraft:
        """The draft, its texts cleaned; refused when it cannot be sent as it is."""
        if not draft.parts:
            raise InvalidInput(N_("Choose at least one department."))
        if len(draft.parts) > MAX_PARTS:
            raise InvalidInput(N_("At most {count} departments at once."), count=MAX_PARTS)
        allowed = {d.id for d in options.available()}
        ids = [p.department_id for p in draft.parts]
        if len(set(ids)) != len(ids) or not set(ids) <= allowed:
            raise InvalidInput(N_("That department cannot be summoned to this request."))
        leads = [p for p in draft.parts if p.lead]
        if options.needs_lead and len(leads) != 1:
            raise InvalidInput(N_("Choose the one department that leads."))
        if not options.needs_lead and leads:
            raise InvalidInput(N_("This whistle already has a lead department."))
        parts = []
        for part in draft.parts:
            if part.ask is None:
                raise InvalidInput(N_("Write what each department should do."))
            parts.append(part.model_copy(update={"ask": ASK.accept(part.ask)}))
        note = NOTE.with_limit(1000).accept(draft.note) if draft.note else None
        return draft.model_copy(update={"parts": parts, "note": note})

    async def summon(
        self,
        tx: Tx,
        actor: Actor,
        request: Request,
        compound: OrgUnit,
        options: WhistleOptions,
        draft: WhistleDraft,
    ) -> tuple[Whistle, list[SubOrder]]:
        """The whistle itself, in the caller's transaction (also a topic's conversion)."""
        draft = self._check_draft(draft, options)
        now = self.clock.now()
        unit = await self._whistling_unit(tx, actor, compound)
        whistle = await tx.whistles.by_request(request.id)
        first = whistle is None
        if whistle is None:
            whistle = await tx.whistles.create(
                request_id=request.id,
                unit_id=unit.id,
                blown_by=actor.id,
                share_contact=draft.share_contact,
                note=draft.note,
                topic_id=draft.topic_id,
                source_key=f"{FLOW}:{actor.id}:{draft.nonce}",
                now=now,
            )
        elif draft.share_contact and not whistle.share_contact:
            await tx.whistles.set_whistle(whistle.id, now, share_contact=True)
            whistle = whistle.model_copy(update={"share_contact": True})
        if request.status in UNACCEPTED:
            # The community has taken it: it is worked on jointly, not offered to members.
            request = await self.flow.transition(
                tx,
                request,
                Status.ACCEPTED,
                actor=actor,
                note=N_("the departments act on it together"),
                announce=False,
                assignee_id=None,
            )
            await self.cards.close_member_cards(tx, request, winner=None, taker=None)
        names = {d.id: d for d in options.departments}
        orders = []
        for part in draft.parts:
            role = SubOrderRole.LEAD if part.lead else SubOrderRole.ASSIST
            assert part.ask is not None
            orders.append(
                await self._create(tx, actor, whistle, names[part.department_id], role, part.ask)
            )
        for order in orders:  # every card names every department on the whistle
            await self._notify(tx, order, names[order.department_id])
        codes = [names[p.department_id].code for p in draft.parts]
        lead = next((names[p.department_id].code for p in draft.parts if p.lead), None)
        change = Change(
            "whistle.blow",
            {"status": request.status.value} if first else None,
            {"departments": codes, "lead": lead, "share_contact": whistle.share_contact},
        )
        ids = ",".join(str(p.department_id) for p in draft.parts)
        await record(tx, now, request, "department", actor=actor, note=f"whistled:{ids}")
        await record(tx, now, request, "whistle", actor=actor, note=draft.note, change=change)
        if draft.share_contact:
            shared = Change("whistle.share_contact", None, {"departments": codes})
            await audit(tx, now, request, shared, actor=actor)
        await self._tell_resident(tx, request, [names[p.department_id] for p in draft.parts])
        if first:
            await self.wcards.send_board(tx, whistle, actor.person)
            await self._tell_secretaries(tx, whistle, compound)
        else:
            await self.wcards.refresh(tx, whistle.id)
        return whistle, orders

    async def _create(
        self,
        tx: Tx,
        actor: Actor | None,
        whistle: Whistle,
        department: Department,
        role: SubOrderRole,
        ask: str,
        *,
        ruled: bool = False,
        replaces: SubOrder | None = None,
    ) -> SubOrder:
        """A sub-order stored, its sign-for clock started."""
        now = self.clock.now()
        order = await tx.whistles.add_order(
            whistle_id=whistle.id,
            request_id=whistle.request_id,
            department_id=department.id,
            role=role,
            ask=ask,
            sign_due_at=self.clocks.sign_due(now),
            now=now,
            ruled=ruled,
            replaces_id=replaces.id if replaces else None,
        )
        await self.clocks.schedule(tx, order, "sign", now)
        await tx.whistles.add_event(
            order.id,
            kind="sent",
            actor_id=actor.id if actor else None,
            actor_label=actor.label if actor else "system",
            now=now,
            note=ask,
        )
        return order

    async def _notify(self, tx: Tx, order: SubOrder, department: Department) -> None:
        """The department's liaisons (its head when it has none yet) get the card."""
        people = await self.wcards.staff(tx, department.id, (Post.LIAISON,))
        people = people or await self.wcards.staff(tx, department.id, (Post.HEAD,))
        view = await self.wcards.order_view(tx, order)
        for person in people:
            await self.wcards.send_order_card(
                tx, order, person, ORDER_CARD, order_views.order_card, view=view
            )
        if not people:
            LOG.warning("sub-order %d: %s has nobody in the bot yet", order.id, department.code)

    async def _whistling_unit(self, tx: Tx, actor: Actor, compound: OrgUnit) -> OrgUnit:
        """The actor's own unit the whistle is blown from: the narrowest they administer
        around the compound (a community's, a street's, the district's)."""
        scopes = [u for u in await admin_units(tx, actor) if u.contains(compound)]
        if not scopes:  # administered_request checked it; a grant revoked meanwhile
            raise NotAllowed(N_("Only an administrator of this area can do this."))
        return max(scopes, key=lambda u: u.level.depth)

    async def _tell_resident(
        self, tx: Tx, request: Request, departments: list[Department]
    ) -> None:
        await self.flow.tell_audience(
            tx, request, views.resident_whistled, departments=departments
        )

    async def _tell_secretaries(self, tx: Tx, whistle: Whistle, compound: OrgUnit) -> None:
        """The community's first secretaries hear of the joint action and may join it."""
        if compound.parent_id is None:
            return
        secretaries = [p for p, _pairing in await tx.departments.secretaries(compound.parent_id)]
        if not secretaries:
            return
        view = await self.wcards.whistle_view(tx, whistle)
        now, tz = self.clock.now(), self.wcards.config.tz
        await self.wcards.tell(
            tx,
            secretaries,
            lambda t, language: views.secretary_card(t, language, view, now, tz),
        )

    # -- what a department returned ----------------------------------------------------------
    async def returned(self, actor: Actor, order_id: int) -> tuple[SubOrder, list[Department]]:
        """A returned sub-order and where it may be re-routed (the whistler's choice)."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            order, request, compound = await self._whistler_order(
                tx, actor, order_id, "whistle.reroute"
            )
            if order.state is not SubOrderState.RETURNED:
                check(order.state, SubOrderState.REROUTED)
            options = await self._options(tx, request, compound)
            others = [d for d in options.available() if d.id != order.department_id]
            return order, others

    async def reroute(self, actor: Actor, order_id: int, department_id: int) -> SubOrder:
        """改派: what one department returned goes to another, with the same ask and role."""
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            order, request, compound = await self._whistler_order(
                tx, actor, order_id, "whistle.reroute"
            )
            return await self._replace(
                tx, actor, request, compound, order, department_id, SubOrderState.REROUTED
            )

    async def dispute(self, actor: Actor, order_id: int) -> SubOrder:
        """A dispute of responsibility goes up to the district (区级统筹), whose administrators
        rule which department does it."""
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            order, request, _compound = await self._whistler_order(
                tx, actor, order_id, "whistle.dispute"
            )
            order = await self._decide(tx, actor, request, order, SubOrderState.DISPUTED)
            admins = await self.wcards.district_admins(tx, request.compound_id)
            view = await self.wcards.order_view(tx, order)
            for admin in admins:
                await self.wcards.send_order_card(
                    tx, order, admin, DISPUTE_CARD, views.dispute_card, view=view
                )
            if not admins:
                LOG.warning("sub-order %d: no district administrator to rule", order.id)
            await self.wcards.refresh(tx, order.whistle_id, order.id)
            return order

    async def ruling_options(
        self, actor: Actor, order_id: int
    ) -> tuple[SubOrder, list[Department]]:
        """A disputed sub-order and the departments the district may assign it to."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            order, request, compound = await self._district_order(tx, actor, order_id)
            options = await self._options(tx, request, compound)
            return order, options.available()

    async def rule(self, actor: Actor, order_id: int, department_id: int) -> SubOrder:
        """裁定: the district assigns the disputed part to a department, which may not return
        it again."""
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            order, request, compound = await self._district_order(tx, actor, order_id)
            return await self._replace(
                tx, actor, request, compound, order, department_id, SubOrderState.RULED
            )

    async def withdraw(self, actor: Actor, order_id: int) -> SubOrder:
        """撤回: the whistler calls an assisting department off (the lead is re-routed
        instead)."""
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            order, request, _compound = await self._whistler_order(
                tx, actor, order_id, "whistle.withdraw"
            )
            if order.is_lead:
                raise InvalidInput(
                    N_("The lead department cannot be called off; re-route it instead.")
                )
            order = await self._decide(tx, actor, request, order, SubOrderState.WITHDRAWN)
            await self.clocks.stop(tx, order)
            await self.wcards.refresh(tx, order.whistle_id, order.id)
            return order

    async def _replace(
        self,
        tx: Tx,
        actor: Actor,
        request: Request,
        compound: OrgUnit,
        order: SubOrder,
        department_id: int,
        target: SubOrderState,
    ) -> SubOrder:
        """What one department returned goes to another (re-routed by the whistler, or ruled by
        the district: then it cannot be returned again), with the same ask and role."""
        options = await self._options(tx, request, compound)
        department = next((d for d in options.available() if d.id == department_id), None)
        # Re-routed elsewhere; the district may rule that the one that returned it does it.
        same = department is not None and department.id == order.department_id
        if department is None or (same and target is not SubOrderState.RULED):
            raise InvalidInput(N_("That department cannot be summoned to this request."))
        whistle = await tx.whistles.get(order.whistle_id)
        assert whistle is not None
        await self._decide(tx, actor, request, order, target, department=department)
        new = await self._create(
            tx,
            actor,
            whistle,
            department,
            order.role,
            order.ask,
            ruled=target is SubOrderState.RULED,
            replaces=order,
        )
        await self._notify(tx, new, department)
        await record(
            tx, self.clock.now(), request, "department", actor=actor, note=f"added:{department.id}"
        )
        await self.wcards.refresh(tx, whistle.id)
        return new

    async def _decide(
        self,
        tx: Tx,
        actor: Actor,
        request: Request,
        order: SubOrder,
        target: SubOrderState,
        *,
        department: Department | None = None,
    ) -> SubOrder:
        """The whistler's (or the district's) decision on a sub-order, with its audit row:
        ``whistle.reroute``, ``.dispute``, ``.rule``, ``.withdraw``; ``department`` is where
        the task goes now."""
        now = self.clock.now()
        before = {
            "sub_order": order.id,
            "state": order.state.value,
            "department": await self._code(tx, order),
        }
        after: dict[str, object] = {"state": target.value}
        if department is not None:
            after["department"] = department.code
        note = department.code if department is not None else None
        decided = await transition(
            tx, now, order, target, actor=actor, note=note, decided_at=now, decided_by=actor.id
        )
        action = {
            SubOrderState.REROUTED: "whistle.reroute",
            SubOrderState.DISPUTED: "whistle.dispute",
            SubOrderState.RULED: "whistle.rule",
            SubOrderState.WITHDRAWN: "whistle.withdraw",
        }[target]
        await audit(tx, now, request, Change(action, before, after), actor=actor)
        return decided

    async def _code(self, tx: Tx, order: SubOrder) -> str:
        department = await tx.departments.get(order.department_id)
        return department.code if department else "?"

    async def _whistler_order(
        self, tx: Tx, actor: Actor, order_id: int, action: str
    ) -> tuple[SubOrder, Request, OrgUnit]:
        """The sub-order, if the actor administers its request's area (the whistler's side)."""
        order = await tx.whistles.order(order_id)
        if order is None:
            raise NotFound(N_("That sub-order does not exist."))
        request, compound = await administered_request(tx, actor, order.request_id, action)
        return order, request, compound

    async def _district_order(
        self, tx: Tx, actor: Actor, order_id: int
    ) -> tuple[SubOrder, Request, OrgUnit]:
        """A disputed sub-order, if the actor is an administrator of its district."""
        order = await tx.whistles.order(order_id)
        if order is None:
            raise NotFound(N_("That sub-order does not exist."))
        request = await tx.requests.get(order.request_id)
        compound = await tx.org.get(request.compound_id) if request else None
        assert request is not None and compound is not None
        district = next(u for u in await tx.org.ancestors(compound) if u.parent_id is None)
        if not any(s.id == district.id for s in await admin_units(tx, actor)):
            raise Refused(
                NotAllowed(N_("Only the district's administrators rule on disputes.")),
                action="whistle.rule",
                subject=f"request:{request.id}",
                unit_id=request.compound_id,
                reason="not a district administrator",
            )
        if order.state is not SubOrderState.DISPUTED:
            check(order.state, SubOrderState.RULED)
        return order, request, compound

    # -- the whistle as a whole ----------------------------------------------------------------
    async def board(self, actor: Actor, whistle_id: int) -> WhistleView:
        """The whistle's board, for an administrator of its area or a first secretary of its
        community."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            whistle = await self._visible(tx, actor, whistle_id, "whistle.view")
            view = await self.wcards.whistle_view(tx, whistle)
            return replace(
                view, manage=await administers(tx, actor, view.request.compound_path[-1])
            )

    async def _place(self, tx: Tx, whistle_id: int) -> tuple[Whistle, Request, OrgUnit]:
        """The whistle, its request and the request's compound."""
        whistle = await tx.whistles.get(whistle_id)
        if whistle is None:
            raise NotFound(N_("That whistle does not exist."))
        request = await tx.requests.get(whistle.request_id)
        compound = await tx.org.get(request.compound_id) if request else None
        assert request is not None and compound is not None
        return whistle, request, compound

    async def _visible(self, tx: Tx, actor: Actor, whistle_id: int, action: str) -> Whistle:
        whistle, request, compound = await self._place(tx, whistle_id)
        if compound.parent_id is not None and secretary_of(actor, compound.parent_id):
            return whistle
        await require_admin(tx, actor, compound, action=action, subject=f"request:{request.id}")
        return whistle

    async def join(self, actor: Actor, whistle_id: int) -> WhistleView:
        """A first secretary joins the joint action of their community: they get its board,
        and the meetings proposed from then on."""
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            whistle, request, compound = await self._place(tx, whistle_id)
            if compound.parent_id is None or not secretary_of(actor, compound.parent_id):
                raise Refused(
                    NotAllowed(N_("Only the first secretary of this community can join.")),
                    action="whistle.join",
                    subject=f"request:{request.id}",
                    unit_id=request.compound_id,
                    reason="not a first secretary of the community",
                )
            if whistle.state is not WhistleState.OPEN:
                raise InvalidTransition(N_("This joint action is already over."))
            if await tx.whistles.join(whistle.id, actor.id, now):
                await record(
                    tx,
                    now,
                    request,
                    "joined",
                    actor=actor,
                    change=Change("whistle.join", None, {"whistle": whistle.id}),
                )
                await self.wcards.send_board(tx, whistle, actor.person, FOLLOW_BOARD)
            return await self.wcards.whistle_view(tx, whistle)

    async def listing(self, actor: Actor) -> list[WhistleView]:
        """The latest whistles the actor may follow: of the communities they are first
        secretary of, and of the areas they administer."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            communities = actor.units_with(Role.FIRST_SECRETARY)
            units = [u for u in [await tx.org.get(c) for c in communities] if u is not None]
            units += await admin_units(tx, actor)
            if not units:
                raise Refused(
                    NotAllowed(N_("This is for first secretaries and administrators.")),
                    action="whistle.list",
                    subject="whistles",
                    unit_id=None,
                    reason="neither a first secretary nor an administrator",
                )
            found = await tx.whistles.in_units(units, tuple(WhistleState))
            return [await self.wcards.whistle_view(tx, w) for w in found]

    # -- the request moved on ------------------------------------------------------------------
    async def on_transition(self, tx: Tx, request: Request, old: Status, new: Status) -> None:
        """Keep a whistle in step with its request (an observer of RequestFlow): the rating
        is credited to every department that did its part; not satisfied (redo) gives the lead
        its part back; a cancelled request calls every department off."""
        if new not in (Status.CLOSED, Status.REOPENED, Status.CANCELLED):
            return
        whistle = await tx.whistles.by_request(request.id)
        if whistle is None:
            return
        now = self.clock.now()
        rating = request.rating
        if rating is not None and rating is not Rating.NOT_RATED:
            await tx.whistles.credit_rating(whistle.id, rating, now)
        lead: SubOrder | None = None
        if new is Status.CLOSED:
            await tx.whistles.set_whistle(whistle.id, now, state=WhistleState.CLOSED)
        elif new is Status.CANCELLED:
            await tx.whistles.set_whistle(whistle.id, now, state=WhistleState.CANCELLED)
            for order in await tx.whistles.orders(whistle.id):
                if order.state in ACTIVE:
                    await tx.whistles.change_state(
                        order.id, order.state, SubOrderState.WITHDRAWN, now, decided_at=now
                    )
                    await self.clocks.stop(tx, order)
        else:
            lead = await self._redo(tx, whistle)
        await self.wcards.refresh(tx, whistle.id)
        if lead is not None:
            view = await self.wcards.order_view(tx, lead)
            for person in await self.wcards.staff(tx, lead.department_id):
                await self.wcards.send_order_card(
                    tx, lead, person, REOPENED_CARD, order_views.reopened_card, view=view
                )

    async def _redo(self, tx: Tx, whistle: Whistle) -> SubOrder | None:
        """重办: the resident was not satisfied; the lead's part is open again, with a new
        completion deadline (its staff are told by the caller); return it."""
        now = self.clock.now()
        await tx.whistles.set_whistle(
            whistle.id, now, state=WhistleState.OPEN, resolved_at=None, resolved_by=None
        )
        lead = next(
            (
                o
                for o in await tx.whistles.orders(whistle.id)
                if o.is_lead and o.state is SubOrderState.COMPLETED
            ),
            None,
        )
        if lead is None:
            return None
        due = await self.clocks.schedule(tx, lead, "complete", now)
        await tx.whistles.change_state(
            lead.id,
            SubOrderState.COMPLETED,
            SubOrderState.SIGNED,
            now,
            complete_due_at=due,
            completed_at=None,
            completed_by=None,
        )
        await tx.whistles.add_event(
            lead.id, kind="reopened", actor_id=None, actor_label="system", now=now
        )
        return await tx.whistles.order(lead.id)


def topic_conversion(topics: TopicService) -> Conversion:
    """每月一题 → 难事合力办: one press files the community's own difficult matter about the
    topic, for its administrators (never the members' pool), who then pick the departments
    to whistle (the press goes on into the whistle's steps)."""

    async def run(tx: Tx, actor: Actor, topic: Topic) -> str:
        request = await topics.file_for(
            tx, actor, topic, tier=Tier.DIFFICULT, handled_by=HandledBy.ADMINS
        )
        return f"request:{request.id}"

    return Conversion(CONVERSION, N_("🔔 Blow the whistle"), run, flow=views.FLOW)
