"""The decision of a consultation and its follow-through (决议、公示、落实): the chair records
the decision (the seat votes and owners' votes attached) and publishes it to the compound's
residents and owners, who may object with a reason until the window ends (objections reach the
branch, the community and the chair); action items for a party or a person carry it out, each
with a deadline the sweep watches (reminders, then the assignee, the chair and the community
are told when it passes). When the window has ended and every item is done, the consultation
is done and the request it came from is resolved, so its resident rates it."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from bot.freetext import DECISION, ITEM, NOTE, REASON
from bot.i18n import N_, I18n
from bot.lifecycle import Status, is_allowed
from bot.models import FlowEnd, Person, Role
from bot.models.consult import (
    DECIDED_STATES,
    ActionItem,
    ActionState,
    Consultation,
    ConsultationState,
    VoteState,
)
from bot.models.parties import CompoundParties, PartyKind
from bot.services.consult import (
    ACTION_DUE,
    ACTION_KINDS,
    ACTION_REMIND,
    CONSULT_CLOSE,
    CONSULT_REMIND,
    OBJECTION_END,
)
from bot.services.consult_base import assignee_name, chair_check, item_people, journal, refusal
from bot.services.parties import compound_parties
from bot.services.scope import Refused, administers, audited_refusals, nearest_admins
from bot.views import consult as views
from bot.views.common import fmt_time

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.services.consult import ConsultationService
    from bot.services.escalation import RungCache
    from bot.services.flow import RequestFlow
    from bot.services.people import Actor
    from bot.services.seat_votes import SeatVoteService
    from bot.services.sweep import DeadlineSweep
    from storage.db import Database, Tx
    from storage.repos.deadlines import DeadlineItem

__all__ = ["DecisionService"]

LOG = logging.getLogger(__name__)


class DecisionService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        consult: ConsultationService,
        seat_votes: SeatVoteService,
        flow: RequestFlow,
        sweep: DeadlineSweep,
        i18n: I18n,
        config: Config,
    ) -> None:
        self.db = db
        self.clock = clock
        self.consult = consult
        self.seat_votes = seat_votes
        self.flow = flow
        self.i18n = i18n
        self.config = config
        sweep.register((OBJECTION_END,), self._objection_due)
        sweep.register(ACTION_KINDS, self._action_due)

    async def require_decider(self, actor: Actor, consultation_id: int) -> Consultation:
        """The consultation, if the actor chairs it and its decision may be recorded now (asked
        before the chair types it)."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            consultation = await self.consult.get(tx, consultation_id)
            await self._check_decidable(tx, actor, consultation)
            return consultation

    async def _check_decidable(self, tx: Tx, actor: Actor, consultation: Consultation) -> None:
        """The chair decides a consultation still discussing, once its owners' votes have closed
        (a decision must not overtake the owners, nor be published before their result)."""
        await chair_check(tx, actor, consultation, "consultation.decide")
        if consultation.state is not ConsultationState.OPEN:
            raise InvalidTransition(N_("The decision of this consultation is recorded already."))
        for vote in await tx.households.votes_of(consultation.id):
            if vote.state is VoteState.OPEN:
                raise InvalidTransition(
                    N_(
                        "The owners' vote is still open until {closes}: record the decision"
                        " once it has closed."
                    ),
                    closes=fmt_time(vote.closes_at, self.consult.tz),
                )

    async def decide(
        self, actor: Actor, consultation_id: int, text: str, end: FlowEnd | None = None
    ) -> Consultation:
        """The chair records the decision; open proposals close; the seat votes and owners'
        votes are attached to it."""
        text = DECISION.accept(text)
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            consultation = await self.consult.get(tx, consultation_id)
            await self._check_decidable(tx, actor, consultation)
            for proposal in await tx.consult.proposals(consultation.id):
                if proposal.state == "open":
                    await self.seat_votes.close_in(tx, consultation, proposal, actor=actor)
            if not await tx.consult.update(
                consultation.id,
                now,
                expect=ConsultationState.OPEN,
                state=ConsultationState.DECIDED,
                decision=text,
                decided_at=now,
                closed_at=consultation.closed_at or now,
            ):
                raise InvalidTransition(
                    N_("The decision of this consultation is recorded already.")
                )
            await tx.deadlines.cancel_of(
                "consultation_id", consultation.id, (CONSULT_REMIND, CONSULT_CLOSE)
            )
            await journal(
                tx,
                now,
                actor,
                "consultation.decide",
                consultation,
                after={"decision": text},
            )
            if end is not None:
                await tx.flows.finish(
                    end, person_id=actor.id, subject=f"consultation:{consultation.id}", now=now
                )
            return await self.consult.get(tx, consultation.id)

    async def publish(self, actor: Actor, consultation_id: int) -> tuple[Consultation, int]:
        """公示: the decision goes to the compound's residents and owners, who may object until
        the window ends; return it and how many were told."""
        now = self.clock.now()
        until = now + timedelta(days=self.config.consultation.objection_days)
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            consultation = await self.consult.get(tx, consultation_id)
            await chair_check(tx, actor, consultation, "consultation.publish")
            if not await tx.consult.update(
                consultation.id,
                now,
                expect=ConsultationState.DECIDED,
                state=ConsultationState.PUBLISHED,
                published_at=now,
                objection_until=until,
            ):
                raise InvalidTransition(
                    N_("Only a recorded decision that is not published yet can be published.")
                )
            consultation = await self.consult.get(tx, consultation.id)
            await tx.deadlines.add_of(
                "consultation_id", consultation.id, OBJECTION_END, until, now
            )
            view = await self.consult.view_in(tx, consultation, None)
            audience = await self._residents(tx, consultation)
            for person in audience:
                await self.consult.send(
                    tx,
                    person,
                    lambda t, lang: views.publication(t, lang, view, self.consult.tz),
                    batch=f"publication:{consultation.id}",
                )
            await self.consult.broadcast(
                tx,
                consultation,
                lambda v: lambda t, lang: views.published_note(t, lang, v, self.consult.tz),
            )
            await journal(
                tx,
                now,
                actor,
                "consultation.publish",
                consultation,
                after={"told": len(audience), "objection_until": until},
            )
        return consultation, len(audience)

    async def _residents(self, tx: Tx, consultation: Consultation) -> list[Person]:
        """The compound's residents and the owners of its households, each once."""
        compound = await tx.org.get(consultation.compound_id)
        assert compound is not None
        people = {p.id: p for p in await tx.people.holders(Role.RESIDENT, [compound])}
        for owner_id in await tx.households.owners(compound.id):
            person = await tx.people.get(owner_id)
            if person is not None:
                people[person.id] = person
        return [p for p in people.values() if not p.unreachable]

    async def objectable(self, actor: Actor, consultation_id: int) -> Consultation:
        """The published decision, if the actor may object to it now."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            consultation = await self.consult.get(tx, consultation_id)
            await self._require_objector(tx, actor, consultation)
            return consultation

    async def _require_objector(self, tx: Tx, actor: Actor, consultation: Consultation) -> None:
        compound = await tx.org.get(consultation.compound_id)
        assert compound is not None
        owns = await tx.households.owned_by(actor.id, compound.id)
        if actor.person.home_unit_id != compound.id and not owns:
            raise Refused(
                NotAllowed(N_("Only the residents and owners of this compound can object.")),
                action="consultation.object",
                subject=f"consultation:{consultation.id}",
                unit_id=compound.id,
                reason="neither a resident nor an owner of the compound",
            )
        now = self.clock.now()
        if (
            consultation.state is not ConsultationState.PUBLISHED
            or consultation.objection_until is None
            or consultation.objection_until <= now
        ):
            raise InvalidTransition(N_("The time for objections to this decision has ended."))

    async def object(self, actor: Actor, consultation_id: int, reason: str) -> Consultation:
        """A resident or owner of the compound objects to the published decision, with a
        reason; the branch, the community and the chair are told."""
        reason = REASON.accept(reason)
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            consultation = await self.consult.get(tx, consultation_id)
            await self._require_objector(tx, actor, consultation)
            await tx.consult.add_objection(consultation.id, actor.id, reason, now)
            await journal(
                tx,
                now,
                actor,
                "consultation.object",
                consultation,
                after={"reason": reason},
            )
            for person in await self._branch_and_community(tx, consultation):
                await self.consult.send(
                    tx, person, lambda t, lang: views.objection_note(t, lang, consultation, reason)
                )
        return consultation

    async def _branch_and_community(self, tx: Tx, consultation: Consultation) -> list[Person]:
        compound = await tx.org.get(consultation.compound_id)
        assert compound is not None
        people: dict[int, Person] = {}
        branch = await tx.parties.of_kind(compound.id, PartyKind.BRANCH)
        ids = await tx.parties.holders(branch.id) if branch else []
        _level, admins = await nearest_admins(tx, compound)
        ids += [a.id for a in admins]
        if consultation.chair_id is not None:
            ids.append(consultation.chair_id)
        for person_id in ids:
            person = await tx.people.get(person_id)
            if person is not None and not person.unreachable:
                people[person.id] = person
        return list(people.values())

    async def assignees(self, actor: Actor, consultation_id: int) -> CompoundParties:
        """Who an action item may go to: the compound's parties (and their seat holders)."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            consultation = await self.consult.get(tx, consultation_id)
            await chair_check(tx, actor, consultation, "action.add")
            compound = await tx.org.get(consultation.compound_id)
            assert compound is not None
            return await compound_parties(tx, compound)

    async def add_item(
        self,
        actor: Actor,
        consultation_id: int,
        text: str,
        *,
        party_id: int | None = None,
        person_id: int | None = None,
        due_at: datetime,
        end: FlowEnd | None = None,
    ) -> ActionItem:
        """落实: a task carrying the decision out, for a party or one person, with a deadline."""
        text = ITEM.accept(text)
        now = self.clock.now()
        if (party_id is None) == (person_id is None):
            raise InvalidInput(N_("Choose who carries it out."))
        if due_at <= now:
            raise InvalidInput(N_("The deadline must be in the future."))
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            consultation = await self.consult.get(tx, consultation_id)
            await chair_check(tx, actor, consultation, "action.add")
            if consultation.state not in DECIDED_STATES:
                raise InvalidTransition(N_("Action items follow a recorded decision."))
            await self._check_assignee(tx, consultation, party_id, person_id)
            item = await tx.consult.add_item(
                consultation.id,
                text,
                party_id=party_id,
                person_id=person_id,
                due_at=due_at,
                created_by=actor.id,
                now=now,
            )
            span = due_at - now
            for step, share in enumerate((0.5, 0.8), 1):
                await tx.deadlines.add_of(
                    "action_item_id", item.id, ACTION_REMIND, now + span * share, now, step=step
                )
            await tx.deadlines.add_of("action_item_id", item.id, ACTION_DUE, due_at, now)
            who = await assignee_name(tx, item)
            await journal(
                tx,
                now,
                actor,
                "action.add",
                consultation,
                after={"item": item.id, "to": who, "due_at": due_at},
            )
            for person in await item_people(tx, item):
                await self.consult.send(
                    tx,
                    person,
                    lambda t, lang: views.item_card(
                        t, lang, consultation, item, who, self.consult.tz
                    ),
                )
            if end is not None:
                await tx.flows.finish(
                    end, person_id=actor.id, subject=f"action:{item.id}", now=now
                )
        return item

    async def _check_assignee(
        self, tx: Tx, consultation: Consultation, party_id: int | None, person_id: int | None
    ) -> None:
        if party_id is not None:
            party = await tx.parties.party(party_id)
            if party is not None and party.compound_id == consultation.compound_id:
                return
        if person_id is not None:
            if await tx.parties.held_in(person_id, consultation.compound_id):
                return
            member = await tx.members.get(person_id)
            if member is not None and member.compound_id == consultation.compound_id:
                return
            if person_id == consultation.chair_id:
                return
        raise refusal(
            consultation,
            N_("An action item goes to a party of this compound or one of its people."),
            action="action.add",
            reason="assignee outside the compound",
        )

    async def my_items(self, actor: Actor) -> list[tuple[ActionItem, Consultation, str]]:
        """Open action items of the actor, or of a party they hold a seat in."""
        async with self.db.read() as tx:
            parties = {s.party_id for s in await tx.parties.seats_of_person(actor.id)}
            out = []
            for item in await tx.consult.items_for(actor.id, sorted(parties)):
                consultation = await tx.consult.get(item.consultation_id)
                if consultation is not None:
                    out.append((item, consultation, await assignee_name(tx, item)))
        return out

    async def item_done(self, actor: Actor, item_id: int, note: str | None = None) -> ActionItem:
        """The item is done (by its person, a seat holder of its party, or the chair); the
        consultation completes when it was the last."""
        if note is not None:
            note = NOTE.accept(note)
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            item = await tx.consult.item(item_id)
            if item is None:
                raise NotFound(N_("That action item does not exist."))
            consultation = await self.consult.get(tx, item.consultation_id)
            if not await self._may_finish(tx, actor, consultation, item):
                raise refusal(
                    consultation,
                    N_("Only whoever it was given to, or the chair, can mark it done."),
                    action="action.done",
                    reason="not the item's assignee",
                    subject=f"action:{item.id}",
                )
            if not await tx.consult.finish_item(item.id, ActionState.DONE, actor.id, note, now):
                raise InvalidTransition(N_("This action item is finished already."))
            await tx.deadlines.cancel_of("action_item_id", item.id, ACTION_KINDS)
            await journal(
                tx,
                now,
                actor,
                "action.done",
                consultation,
                after={"item": item.id, "on_time": now <= item.due_at, "note": note},
            )
            done = await tx.consult.item(item.id)
            assert done is not None
            who = await assignee_name(tx, done)
            chair = await tx.people.get(consultation.chair_id) if consultation.chair_id else None
            if chair is not None and chair.id != actor.id:
                await self.consult.send(
                    tx,
                    chair,
                    lambda t, lang: views.item_done_note(t, lang, consultation, done, who),
                )
            await self._complete_if_done(tx, consultation, actor)
        return done

    async def _may_finish(
        self, tx: Tx, actor: Actor, consultation: Consultation, item: ActionItem
    ) -> bool:
        if item.person_id == actor.id or consultation.chair_id == actor.id:
            return True
        if item.party_id is not None:
            return actor.id in await tx.parties.holders(item.party_id)
        compound = await tx.org.get(consultation.compound_id)
        return compound is not None and await administers(tx, actor, compound)

    async def finish(self, actor: Actor, consultation_id: int) -> Consultation:
        """The chair closes a consultation whose decision needs nothing carried out (or whose
        items are all finished), once the objection window has ended."""
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            consultation = await self.consult.get(tx, consultation_id)
            await chair_check(tx, actor, consultation, "consultation.finish")
            if consultation.state is not ConsultationState.CARRYING_OUT:
                raise InvalidTransition(
                    N_(
                        "It can be closed once the decision is published and its objection window"
                        " has ended."
                    )
                )
            if any(i.state is ActionState.OPEN for i in await tx.consult.items(consultation.id)):
                raise InvalidTransition(N_("Some action items are still open."))
            await self._complete(tx, consultation, actor)
            return await self.consult.get(tx, consultation.id)

    async def _complete_if_done(
        self, tx: Tx, consultation: Consultation, actor: Actor | None
    ) -> None:
        """Done when the objection window has ended and every action item is finished."""
        consultation = await self.consult.get(tx, consultation.id)
        if consultation.state is not ConsultationState.CARRYING_OUT:
            return
        items = await tx.consult.items(consultation.id)
        if items and all(i.state is not ActionState.OPEN for i in items):
            await self._complete(tx, consultation, actor)

    async def _complete(self, tx: Tx, consultation: Consultation, actor: Actor | None) -> None:
        now = self.clock.now()
        if not await tx.consult.update(
            consultation.id,
            now,
            expect=ConsultationState.CARRYING_OUT,
            state=ConsultationState.DONE,
            done_at=now,
        ):
            return
        await journal(
            tx,
            now,
            actor,
            "consultation.done",
            consultation,
        )
        done = await self.consult.get(tx, consultation.id)
        await self.consult.broadcast(
            tx, done, lambda v: lambda t, lang: views.done_note(t, lang, v)
        )
        if consultation.request_id is not None:
            await self._resolve_request(tx, done, actor)

    async def _resolve_request(
        self, tx: Tx, consultation: Consultation, actor: Actor | None
    ) -> None:
        """The decision is carried out: the request it came from is resolved, and its resident
        asked to rate it."""
        request = await tx.requests.get(consultation.request_id or 0)
        if request is None or not is_allowed(request.status, Status.RESOLVED):
            return
        t = self.i18n.get(self.i18n.default)
        note = t(
            "The decision of the consultation “{title}” has been carried out: {decision}"
        ).format(title=consultation.title, decision=consultation.decision or "")
        await self.flow.transition(tx, request, Status.RESOLVED, actor=actor, note=note[:1000])

    async def _objection_due(self, tx: Tx, item: DeadlineItem, _cache: RungCache) -> None:
        """The window has ended: the decision is carried out (done already if every item is)."""
        consultation = await tx.consult.get(item.consultation_id or 0)
        if consultation is None or consultation.state is not ConsultationState.PUBLISHED:
            return
        now = self.clock.now()
        await tx.consult.update(
            consultation.id,
            now,
            expect=ConsultationState.PUBLISHED,
            state=ConsultationState.CARRYING_OUT,
        )
        objections = await tx.consult.objections(consultation.id)
        chair = await tx.people.get(consultation.chair_id) if consultation.chair_id else None
        items = await tx.consult.items(consultation.id)
        if chair is not None:
            await self.consult.send(
                tx,
                chair,
                lambda t, lang: views.window_ended(
                    t, lang, consultation, len(objections), len(items)
                ),
            )
        await self._complete_if_done(tx, consultation, None)

    async def _action_due(self, tx: Tx, due: DeadlineItem, _cache: RungCache) -> None:
        """An action item's reminders, and when its deadline passes: the assignee, the chair
        and the community's administrators are told (督办)."""
        item = await tx.consult.item(due.action_item_id or 0)
        if item is None or item.state is not ActionState.OPEN:
            return
        consultation = await tx.consult.get(item.consultation_id)
        if consultation is None:
            return
        who = await assignee_name(tx, item)
        people = await item_people(tx, item)
        overdue = due.kind == ACTION_DUE
        if overdue:
            compound = await tx.org.get(consultation.compound_id)
            assert compound is not None
            _level, admins = await nearest_admins(tx, compound)
            chair = await tx.people.get(consultation.chair_id) if consultation.chair_id else None
            people += [p for p in [*admins, chair] if p is not None]
        for person in {p.id: p for p in people}.values():
            await self.consult.send(
                tx,
                person,
                lambda t, lang: views.item_reminder(
                    t, lang, consultation, item, who, self.consult.tz, overdue=overdue
                ),
            )
