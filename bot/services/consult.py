"""议事协商 (有事好商量): consultations of the parties of a compound, from convening to the
decision carried out.

1. **Convene.** The community's administrators or the compound's branch secretary convene a
   consultation — from an important request, a topic of the month, or as a new topic — with a
   background (and photos or files), the seats invited (the four parties: the community's
   administrators, the branch, the owners' committee, the property company or
   self-management group; resident representatives and members may join by a link), and a
   closing time. The convener chairs it.
2. **Discuss.** What a participant says reaches every other participant, labelled with their
   party and seat (the branch's secretary ...); a person holding two seats is labelled with both.
3. **Seat votes.** The chair puts proposals (one question, or several options) to a vote of
   the seat holders and the community: agree / disagree / abstain, one voice per person,
   changeable until the proposal closes; quorum is more than half of those who may vote, and a
   proposal carries with more than half of the votes cast agreeing.
4. **Owners' vote** (:mod:`bot.services.owners_vote`) where the matter needs the owners.
5. **Decision, publication, objections.** The chair records the decision (the seat votes and
   owners' votes attached) and publishes it to the compound's residents and owners, who may
   object with a reason until the window ends; objections reach the branch, the community and
   the chair.
6. **Action items** for a party or a person, each with a deadline the sweep watches
   (reminders, then the community is told when it passes). When the window has ended and
   every item is done, the consultation is done and the request it came from is resolved, so
   its resident rates it.

Reminders go to the participants who have neither spoken nor voted, halfway and a day before
the close. Every clock is a row of the deadline sweep (kinds registered below).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.art278 import Choice
from bot.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from bot.freetext import DESCRIPTION, NOTE, REASON, TextField
from bot.i18n import N_, I18n, Translator
from bot.lifecycle import OPEN, UNACCEPTED, Status, is_allowed
from bot.messages import OutMessage
from bot.models import FlowEnd, Level, OrgUnit, Person, Request, Role, Topic
from bot.models.consult import (
    DECIDED_STATES,
    LIVE_STATES,
    ActionItem,
    ActionState,
    Consultation,
    ConsultationState,
    ConsultationView,
    OwnersVoteView,
    Participant,
    ParticipantKind,
    Proposal,
    ProposalView,
    SeatVoteCount,
    Speaker,
)
from bot.models.parties import CompoundParties, PartyKind, SeatRole
from bot.services.clocks import RESOLVE_KINDS
from bot.services.journal import Change, record
from bot.services.parties import compound_parties, holding
from bot.services.scope import Refused, admin_units, administers, audited_refusals, nearest_admins
from bot.services.topics import Conversion
from bot.views import consult as views
from bot.views import topics as topic_views

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.outbox import Notifier
    from bot.services.cards import Cards
    from bot.services.escalation import RungCache
    from bot.services.flow import RequestFlow
    from bot.services.people import Actor
    from bot.services.sweep import DeadlineSweep
    from storage.db import Database, Tx
    from storage.repos.deadlines import DeadlineItem

__all__ = [
    "ACTION_KINDS",
    "CONSULT_INVITE_PREFIX",
    "CONSULT_KINDS",
    "ConsultationService",
    "Convening",
    "chair_check",
    "speakers_of",
]

LOG = logging.getLogger(__name__)

TITLE = TextField("title", 60, multiline=False, empty=N_("Please give the matter a short title."))
BACKGROUND = DESCRIPTION.with_limit(2000)
PROPOSAL = TextField("proposal", 500, multiline=True, empty=N_("Please type the proposal."))
OPTION = TextField("option", 100, multiline=False, empty=N_("Please type the option."))
DECISION = TextField("decision", 2000, multiline=True, empty=N_("Please type the decision."))
ITEM = TextField(
    "action item", 300, multiline=True, empty=N_("Please describe what is to be done.")
)
MAX_OPTIONS = 4
MAX_FILES = 10

CONSULT_INVITE_PREFIX = "cs_"
CONSULT_REMIND = "consult_remind"
CONSULT_CLOSE = "consult_close"
PROPOSAL_CLOSE = "proposal_close"
OBJECTION_END = "objection_end"
ACTION_REMIND = "action_remind"
ACTION_DUE = "action_due"
CONSULT_KINDS = (CONSULT_REMIND, CONSULT_CLOSE, OBJECTION_END)
ACTION_KINDS = (ACTION_REMIND, ACTION_DUE)

Render = Callable[[Translator, str], OutMessage]
Place = Callable[["Tx", Topic], Awaitable[tuple[OrgUnit, OrgUnit]]]
VotesOf = Callable[["Tx", Consultation, "int | None"], Awaitable[list[OwnersVoteView]]]


@dataclass(frozen=True)
class Convening:
    """What a consultation is convened with (the convene flow's answers, or a topic's)."""

    compound_id: int
    title: str
    background: str
    seat_ids: tuple[int, ...]
    closes_at: datetime
    files: tuple[tuple[str, str, str | None], ...] = ()  # (file id, photo|document, name)
    request_id: int | None = None
    topic_id: int | None = None
    source_key: str | None = None


# -- who takes part, and how they are named ---------------------------------------------------
async def speakers_of(tx: Tx, consultation: Consultation) -> list[Speaker]:
    """The people taking part, each once, with every seat they were invited for."""
    by_person: dict[int, list[Participant]] = {}
    for participant in await tx.consult.participants(consultation.id):
        if participant.person_id is not None:
            by_person.setdefault(participant.person_id, []).append(participant)
    community = None
    compound = await tx.org.get(consultation.compound_id)
    if compound is not None and compound.parent_id is not None:
        community = await tx.org.get(compound.parent_id)
    out = []
    for person_id, rows in by_person.items():
        seats = []
        for row in rows:
            if row.seat_id is not None:
                seat = await tx.parties.seat(row.seat_id)
                if seat is not None:
                    seats.append(await holding(tx, seat))
        name = await _name(tx, person_id, [s.seat.holder_name for s in seats])
        kinds = tuple(dict.fromkeys(row.kind for row in rows))
        out.append(Speaker(person_id, name, kinds, tuple(seats), community))
    order = {kind: n for n, kind in enumerate(ParticipantKind)}
    out.sort(key=lambda s: (min(order[k] for k in s.kinds), s.person_id))
    return out


async def _name(tx: Tx, person_id: int, seat_names: list[str | None]) -> str:
    for name in seat_names:
        if name:
            return name
    member = await tx.members.get(person_id)
    if member is not None:
        return member.real_name
    person = await tx.people.get(person_id)
    return (person.display_name if person else "") or "?"


async def chair_check(tx: Tx, actor: Actor, consultation: Consultation, action: str) -> None:
    """Refuse (audited as ``action``) unless the actor chairs the consultation or administers
    its area (who may stand in for a chair who left)."""
    if consultation.chair_id == actor.id:
        return
    compound = await tx.org.get(consultation.compound_id)
    if compound is not None and await administers(tx, actor, compound):
        return
    raise Refused(
        NotAllowed(N_("Only the chair of this consultation can do this.")),
        action=action,
        subject=f"consultation:{consultation.id}",
        unit_id=consultation.compound_id,
        reason="not the chair",
    )


class ConsultationService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        flow: RequestFlow,
        cards: Cards,
        notifier: Notifier,
        sweep: DeadlineSweep,
        i18n: I18n,
        config: Config,
    ) -> None:
        self.db = db
        self.clock = clock
        self.flow = flow
        self.cards = cards
        self.notifier = notifier
        self.i18n = i18n
        self.config = config
        self.tz = config.tz
        # The owners' votes of a consultation, for its screens: the owners' vote service
        # (built on this one) sets it.
        self.votes_of: VotesOf | None = None
        sweep.register((CONSULT_REMIND,), self._remind_due)
        sweep.register((CONSULT_CLOSE,), self._close_due)
        sweep.register((PROPOSAL_CLOSE,), self._proposal_due)
        sweep.register((OBJECTION_END,), self._objection_due)
        sweep.register(ACTION_KINDS, self._action_due)

    # -- convening -----------------------------------------------------------------------
    async def convening_compounds(self, actor: Actor) -> list[OrgUnit]:
        """Where the actor may convene: the compounds of their area, or whose branch they
        lead."""
        async with self.db.read() as tx:
            found: dict[int, OrgUnit] = {}
            for scope in await admin_units(tx, actor):
                for unit in await tx.org.subtree(scope, Level.COMPOUND):
                    found[unit.id] = unit
            for unit_id in actor.units_with(Role.SEAT):
                unit = await tx.org.get(unit_id)
                if unit is not None and await self._leads_branch(tx, actor, unit):
                    found[unit.id] = unit
        if not found:
            raise NotAllowed(
                N_("Consultations are convened by the community or the branch secretary.")
            )
        return sorted(found.values(), key=lambda u: (u.path, u.sort))

    async def invitable(self, actor: Actor, compound_id: int) -> CompoundParties:
        """The compound's parties and seats, to choose whom to invite."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            compound = await self._convening(tx, actor, compound_id)
            return await compound_parties(tx, compound)

    async def convene(
        self, actor: Actor, convening: Convening, end: FlowEnd | None = None
    ) -> tuple[Consultation, bool]:
        """Convene the consultation; return it and whether it is new (the same flow or press
        convenes once). ``end`` ends the convene flow in the same transaction."""
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            if convening.source_key is not None:
                found = await tx.consult.by_source(convening.source_key)
                if found is not None:
                    await self._finish(tx, actor, end, found)
                    return found, False
            made = await self.convene_in(tx, actor, convening)
            await self._finish(tx, actor, end, made)
        return made, True

    async def convene_in(self, tx: Tx, actor: Actor, convening: Convening) -> Consultation:
        """Convene inside the caller's transaction (a topic's conversion uses it)."""
        now = self.clock.now()
        compound = await self._convening(tx, actor, convening.compound_id)
        title = TITLE.accept(convening.title)
        background = BACKGROUND.accept(convening.background)
        if convening.closes_at <= now:
            raise InvalidInput(N_("The closing time must be in the future."))
        request = None
        if convening.request_id is not None:
            request = await tx.requests.get(convening.request_id)
            if request is None or request.compound_id != compound.id:
                raise NotFound(N_("That request does not exist."))
            if request.status not in OPEN:
                raise InvalidTransition(N_("That request is already settled."))
        consultation = await tx.consult.create(
            compound_id=compound.id,
            title=title,
            background=background,
            chair_id=actor.id,
            closes_at=convening.closes_at,
            now=now,
            request_id=convening.request_id,
            topic_id=convening.topic_id,
            source_key=convening.source_key,
        )
        for file_id, kind, name in convening.files[:MAX_FILES]:
            await tx.consult.add_file(consultation.id, file_id, kind, name, now)
        await self._invite(tx, actor, consultation, compound, convening.seat_ids)
        self_seated = await tx.parties.held_in(actor.id, compound.id)
        if not self_seated:
            await tx.consult.add_participant(
                consultation.id, actor.id, ParticipantKind.COMMUNITY, now
            )
        await self._schedule(tx, consultation, now)
        if request is not None:
            await self._take_request(tx, actor, consultation, request)
        await tx.audit.record(
            actor_id=actor.id,
            actor_label=actor.label,
            action="consultation.convene",
            subject=f"consultation:{consultation.id}",
            unit_id=compound.id,
            after={
                "title": title,
                "seats": list(convening.seat_ids),
                "request_id": convening.request_id,
                "topic_id": convening.topic_id,
                "closes_at": convening.closes_at,
            },
            now=now,
        )
        await self._broadcast(
            tx, consultation, lambda v: lambda t, lang: views.invitation(t, lang, v, self.tz)
        )
        await self._send_files(tx, consultation)
        LOG.info("consultation %d convened in %s", consultation.id, compound.code)
        return consultation

    async def _invite(
        self,
        tx: Tx,
        actor: Actor,
        consultation: Consultation,
        compound: OrgUnit,
        seat_ids: tuple[int, ...],
    ) -> None:
        now = self.clock.now()
        parties = {p.id: p for p in await tx.parties.of_compound(compound.id)}
        for seat_id in dict.fromkeys(seat_ids):
            seat = await tx.parties.seat(seat_id)
            if seat is None or seat.party_id not in parties:
                raise Refused(
                    NotAllowed(N_("That seat is not one of this compound's.")),
                    action="consultation.convene",
                    subject=f"seat:{seat_id}",
                    unit_id=compound.id,
                    reason="seat of another compound",
                )
            await tx.consult.add_participant(
                consultation.id, seat.person_id, ParticipantKind.SEAT, now, seat_id=seat.id
            )
        # The community party organisation (the fourth party, which guides): its admins.
        _level, admins = await nearest_admins(tx, compound)
        for admin in admins:
            if admin.id != actor.id or not await tx.parties.held_in(actor.id, compound.id):
                await tx.consult.add_participant(
                    consultation.id, admin.id, ParticipantKind.COMMUNITY, now
                )

    async def _schedule(self, tx: Tx, consultation: Consultation, now: datetime) -> None:
        span = consultation.closes_at - now
        reminders = [now + span / 2, consultation.closes_at - timedelta(days=1)]
        for step, when in enumerate(sorted(set(reminders)), 1):
            if now + timedelta(hours=1) < when < consultation.closes_at:
                await tx.deadlines.add_for(CONSULT_REMIND, consultation.id, when, now, step=step)
        await tx.deadlines.add_for(CONSULT_CLOSE, consultation.id, consultation.closes_at, now)

    async def _take_request(
        self, tx: Tx, actor: Actor, consultation: Consultation, request: Request
    ) -> None:
        """The request is in the consultation's hands: accepted by the chair, its resolve
        clock held until the decision is carried out; its resident is told."""
        note = N_("settled by consultation of the parties")
        if request.status in UNACCEPTED:
            await self.cards.close_member_cards(tx, request, winner=None, taker=None)
            request = await self.flow.transition(
                tx, request, Status.ACCEPTED, actor=actor, note=note, assignee_id=actor.id
            )
        await tx.deadlines.hold(request.id, RESOLVE_KINDS)
        await record(
            tx,
            self.clock.now(),
            request,
            "consultation",
            actor=actor,
            note=consultation.title,
            change=Change("request.consultation", None, {"consultation": consultation.id}),
        )

    def topic_conversion(self, place: Place) -> Conversion:
        """每月一题 → 议事协商: one press convenes a consultation on a topic of the month in the
        compound it came from, with every seat of its parties and the community invited, the
        admin who pressed chairing."""

        async def run(tx: Tx, actor: Actor, topic: Topic) -> str:
            scope, compound = await place(tx, topic)
            t = self.i18n.get(self.i18n.default)
            language = self.i18n.default
            category = await tx.requests.category(topic.category_id) if topic.category_id else None
            label = topic_views.topic_label(t, language, topic, category)
            seats = []
            for party in await tx.parties.of_compound(compound.id):
                seats += [s.id for s in await tx.parties.seats(party.id)]
            now = self.clock.now()
            consultation = await self.convene_in(
                tx,
                actor,
                Convening(
                    compound_id=compound.id,
                    title=views.topic_title(t, label)[: TITLE.limit],
                    background=views.topic_background(t, topic, label, scope.label(language)),
                    seat_ids=tuple(seats),
                    closes_at=now + timedelta(days=self.config.consultation.close_days),
                    topic_id=topic.id,
                    source_key=f"topic:{topic.id}",
                ),
            )
            return f"consultation:{consultation.id}"

        async def describe(tx: Tx, ref: str) -> str | None:
            kind, _, key = ref.partition(":")
            found = (
                await tx.consult.get(int(key))
                if kind == "consultation" and key.isdigit()
                else None
            )
            return found.title if found else None

        return Conversion("consultation", N_("🏛 Consult the parties"), run, describe)

    # -- what people see -----------------------------------------------------------------
    async def mine(self, actor: Actor) -> list[Consultation]:
        """Consultations the actor chairs or takes part in, and those of the compounds of
        their area (admins), newest first."""
        async with self.db.read() as tx:
            found = {c.id: c for c in await tx.consult.of_person(actor.id)}
            compounds = []
            for scope in await admin_units(tx, actor):
                compounds += [u.id for u in await tx.org.subtree(scope, Level.COMPOUND)]
            for c in await tx.consult.in_compounds(compounds, limit=20):
                found[c.id] = c
        return sorted(found.values(), key=lambda c: c.id, reverse=True)[:20]

    async def view(self, actor: Actor, consultation_id: int) -> ConsultationView:
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            consultation = await self._get(tx, consultation_id)
            await self._require_insider(tx, actor, consultation, "consultation.view")
            return await self._view(tx, consultation, actor.id)

    async def _view(
        self, tx: Tx, consultation: Consultation, viewer_id: int | None
    ) -> ConsultationView:
        compound = await tx.org.get(consultation.compound_id)
        assert compound is not None
        speakers = await speakers_of(tx, consultation)
        vacant = []
        for participant in await tx.consult.participants(consultation.id):
            if participant.person_id is None and participant.seat_id is not None:
                seat = await tx.parties.seat(participant.seat_id)
                if seat is not None:
                    vacant.append(await holding(tx, seat))
        proposals = [
            await self._proposal_view(tx, p, speakers, viewer_id)
            for p in await tx.consult.proposals(consultation.id)
        ]
        votes: list[OwnersVoteView] = []
        if self.votes_of is not None:
            votes = await self.votes_of(tx, consultation, viewer_id)
        items = [(i, await self._assignee(tx, i)) for i in await tx.consult.items(consultation.id)]
        chair = await _name(tx, consultation.chair_id, []) if consultation.chair_id else None
        files = await tx.consult.files(consultation.id)
        return ConsultationView(
            consultation=consultation,
            compound=compound,
            path=[*await tx.org.ancestors(compound), compound],
            chair=chair,
            speakers=speakers,
            vacant=vacant,
            proposals=proposals,
            votes=votes,
            objections=await tx.consult.objections(consultation.id),
            items=items,
            request=(
                await tx.requests.get(consultation.request_id) if consultation.request_id else None
            ),
            files=len(files),
            photos=[file_id for file_id, kind, _name in files if kind == "photo"],
            messages=await tx.consult.count_messages(consultation.id),
            is_chair=viewer_id is not None and viewer_id == consultation.chair_id,
            viewer=next((s for s in speakers if s.person_id == viewer_id), None),
        )

    async def history(
        self, actor: Actor, consultation_id: int
    ) -> list[tuple[str, str | None, bool, datetime]]:
        """The latest messages of the discussion (for a participant who joins late)."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            consultation = await self._get(tx, consultation_id)
            await self._require_insider(tx, actor, consultation, "consultation.view")
            return await tx.consult.messages(consultation.id)

    async def stands_in(self, actor: Actor, consultation_id: int) -> bool:
        """May the actor act as the chair (the chair, or an admin of its area)?"""
        async with self.db.read() as tx:
            consultation = await self._get(tx, consultation_id)
            try:
                await chair_check(tx, actor, consultation, "consultation.chair")
            except Refused:
                return False
        return True

    async def require_chair(self, actor: Actor, consultation_id: int, action: str) -> Consultation:
        """The consultation, if the actor chairs it (refusals audited as ``action``)."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            consultation = await self._get(tx, consultation_id)
            await chair_check(tx, actor, consultation, action)
            return consultation

    async def proposal_for(
        self, actor: Actor, proposal_id: int
    ) -> tuple[Consultation, ProposalView, bool]:
        """A proposal as a participant sees it, and whether they vote on it."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            proposal = await tx.consult.proposal(proposal_id)
            if proposal is None:
                raise NotFound(N_("That proposal does not exist."))
            consultation = await self._get(tx, proposal.consultation_id)
            await self._require_insider(tx, actor, consultation, "proposal.view")
            speakers = await speakers_of(tx, consultation)
            me = next((s for s in speakers if s.person_id == actor.id), None)
            view = await self._proposal_view(tx, proposal, speakers, actor.id)
        return consultation, view, me is not None and me.votes

    async def objectable(self, actor: Actor, consultation_id: int) -> Consultation:
        """The published decision, if the actor may object to it now."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            consultation = await self._get(tx, consultation_id)
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

    async def invite(
        self, actor: Actor, consultation_id: int, kind: ParticipantKind
    ) -> tuple[Consultation, str]:
        """A one-time deep-link payload that brings a resident representative or a party member
        into the discussion (they speak; they do not vote)."""
        if kind not in (ParticipantKind.REPRESENTATIVE, ParticipantKind.MEMBER):
            raise InvalidInput(N_("This menu has expired. Please use the latest message."))
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            consultation = await self._get(tx, consultation_id)
            await chair_check(tx, actor, consultation, "consultation.invite")
            if consultation.state is not ConsultationState.OPEN:
                raise InvalidTransition(N_("The discussion of this consultation has closed."))
            token = secrets.token_urlsafe(12)
            until = min(consultation.closes_at, now + timedelta(days=7))
            await tx.consult.add_invite(token, consultation.id, kind, actor.id, now, until)
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action="consultation.invite",
                subject=f"consultation:{consultation.id}",
                unit_id=consultation.compound_id,
                after={"kind": kind.value, "expires_at": until},
                now=now,
            )
        return consultation, f"{CONSULT_INVITE_PREFIX}{token}"

    async def join(self, actor: Actor, payload: str) -> ConsultationView:
        """Opening a consultation's link: the person takes part (and is sent the invitation)."""
        token = payload.removeprefix(CONSULT_INVITE_PREFIX)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            used = await tx.consult.use_invite(token, actor.id, now)
            if used is None:
                raise InvalidInput(N_("This invitation is not valid any more. Ask for a new one."))
            consultation = await self._get(tx, used[0])
            if consultation.state is not ConsultationState.OPEN:
                raise InvalidTransition(N_("The discussion of this consultation has closed."))
            await tx.consult.add_participant(consultation.id, actor.id, used[1], now)
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action="consultation.join",
                subject=f"consultation:{consultation.id}",
                unit_id=consultation.compound_id,
                after={"kind": used[1].value},
                now=now,
            )
            return await self._view(tx, consultation, actor.id)

    # -- discussion ----------------------------------------------------------------------
    async def say(
        self, actor: Actor, consultation_id: int, *, text: str | None, photo: str | None = None
    ) -> int:
        """Pass what a participant says to every other participant, labelled; return how many
        it reached."""
        if text is not None:
            text = NOTE.accept(text)
        elif photo is None:
            raise InvalidInput(N_("Please send some text or a photo."))
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            consultation = await self._get(tx, consultation_id)
            speakers = await speakers_of(tx, consultation)
            me = next((s for s in speakers if s.person_id == actor.id), None)
            if me is None:
                raise Refused(
                    NotAllowed(N_("Only the participants of this consultation can speak in it.")),
                    action="consultation.say",
                    subject=f"consultation:{consultation.id}",
                    unit_id=consultation.compound_id,
                    reason="not a participant",
                )
            if consultation.state is not ConsultationState.OPEN:
                raise InvalidTransition(N_("The discussion of this consultation has closed."))
            t = self.i18n.get(self.i18n.default)
            label = views.speaker_label(t, self.i18n.default, me)
            await tx.consult.add_message(consultation.id, actor.id, label, text, photo, now)
            reached = 0
            for other in speakers:
                if other.person_id == actor.id:
                    continue
                person = await tx.people.get(other.person_id)
                if person is None or person.unreachable:
                    continue
                await self._send(
                    tx,
                    person,
                    lambda t, lang: views.said(t, lang, consultation, me, text, photo),
                )
                reached += 1
        return reached

    # -- seat votes ----------------------------------------------------------------------
    async def propose(
        self,
        actor: Actor,
        consultation_id: int,
        text: str,
        options: list[str],
        closes_at: datetime | None = None,
        end: FlowEnd | None = None,
    ) -> Proposal:
        """The chair puts a proposal to the seat vote (one question, or 2-4 options)."""
        text = PROPOSAL.accept(text)
        options = [OPTION.accept(o) for o in options]
        if len(options) == 1 or len(options) > MAX_OPTIONS:
            raise InvalidInput(
                N_("Give no options (agree or not with the proposal) or 2 to {n}."), n=MAX_OPTIONS
            )
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            consultation = await self._get(tx, consultation_id)
            await chair_check(tx, actor, consultation, "proposal.add")
            if consultation.state is not ConsultationState.OPEN:
                raise InvalidTransition(N_("The discussion of this consultation has closed."))
            closes = min(closes_at or consultation.closes_at, consultation.closes_at)
            if closes <= now:
                raise InvalidInput(N_("The closing time must be in the future."))
            proposal = await tx.consult.add_proposal(
                consultation.id, text, options, actor.id, now, closes
            )
            if closes < consultation.closes_at:
                await tx.deadlines.add_for(PROPOSAL_CLOSE, proposal.id, closes, now)
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action="proposal.add",
                subject=f"consultation:{consultation.id}",
                unit_id=consultation.compound_id,
                after={"proposal": proposal.id, "options": len(options)},
                now=now,
            )
            speakers = await speakers_of(tx, consultation)
            for speaker in speakers:
                person = await tx.people.get(speaker.person_id)
                if person is None or person.unreachable:
                    continue
                view = await self._proposal_view(tx, proposal, speakers, speaker.person_id)
                render = self._ballot_render(consultation, view, speaker.votes)
                await self._send(tx, person, render)
            if end is not None:
                await tx.flows.finish(
                    end, person_id=actor.id, subject=f"proposal:{proposal.id}", now=now
                )
        return proposal

    def _ballot_render(
        self, consultation: Consultation, view: ProposalView, can_vote: bool
    ) -> Render:
        return lambda t, lang: views.proposal_card(t, lang, consultation, view, can_vote, self.tz)

    async def seat_vote(
        self, actor: Actor, proposal_id: int, option_no: int, choice: Choice
    ) -> tuple[Consultation, ProposalView]:
        """A seat holder's (or the community's) vote; a second one replaces the first."""
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            proposal = await tx.consult.proposal(proposal_id)
            if proposal is None:
                raise NotFound(N_("That proposal does not exist."))
            consultation = await self._get(tx, proposal.consultation_id)
            speakers = await speakers_of(tx, consultation)
            me = next((s for s in speakers if s.person_id == actor.id), None)
            if me is None or not me.votes:
                raise Refused(
                    NotAllowed(N_("Only the seat holders of the parties vote on proposals.")),
                    action="proposal.vote",
                    subject=f"proposal:{proposal.id}",
                    unit_id=consultation.compound_id,
                    reason="not a voting participant",
                )
            if proposal.state != "open" or proposal.closes_at <= now:
                raise InvalidTransition(N_("Voting on this proposal has closed."))
            if not 0 <= option_no < len(proposal.choices):
                raise InvalidInput(N_("This menu has expired. Please use the latest message."))
            before = await tx.consult.seat_vote(proposal.id, option_no, actor.id, choice, now)
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action="proposal.vote",
                subject=f"proposal:{proposal.id}",
                unit_id=consultation.compound_id,
                before=None if before is None else {"choice": before.value},
                after={"option": option_no, "choice": choice.value},
                now=now,
            )
            return consultation, await self._proposal_view(tx, proposal, speakers, actor.id)

    async def close_proposal(self, actor: Actor, proposal_id: int) -> ProposalView:
        """The chair closes a proposal early; everyone sees the result."""
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            proposal = await tx.consult.proposal(proposal_id)
            if proposal is None:
                raise NotFound(N_("That proposal does not exist."))
            consultation = await self._get(tx, proposal.consultation_id)
            await chair_check(tx, actor, consultation, "proposal.close")
            return await self._close_proposal(tx, consultation, proposal, actor=actor)

    async def _close_proposal(
        self, tx: Tx, consultation: Consultation, proposal: Proposal, *, actor: Actor | None
    ) -> ProposalView:
        now = self.clock.now()
        speakers = await speakers_of(tx, consultation)
        if await tx.consult.close_proposal(proposal.id, now):
            await tx.deadlines.cancel_for((PROPOSAL_CLOSE,), proposal.id)
            fresh = await tx.consult.proposal(proposal.id)
            assert fresh is not None
            view = await self._proposal_view(tx, fresh, speakers, None)
            await tx.audit.record(
                actor_id=actor.id if actor else None,
                actor_label=actor.label if actor else "system",
                action="proposal.close",
                subject=f"proposal:{proposal.id}",
                unit_id=consultation.compound_id,
                after={
                    "voted": view.voted,
                    "voters": view.voters,
                    "carried": [c.carried for c in view.counts],
                },
                now=now,
            )
            await self._broadcast(
                tx,
                consultation,
                lambda _v: lambda t, lang: views.proposal_result(t, lang, consultation, view),
            )
            return view
        fresh = await tx.consult.proposal(proposal.id)
        assert fresh is not None
        return await self._proposal_view(tx, fresh, speakers, None)

    async def _proposal_view(
        self, tx: Tx, proposal: Proposal, speakers: list[Speaker], viewer_id: int | None
    ) -> ProposalView:
        votes = await tx.consult.seat_votes(proposal.id)
        counts = []
        for n, option in enumerate(proposal.choices):
            mine = [c for o, _p, c in votes if o == n]
            counts.append(
                SeatVoteCount(
                    option,
                    agree=mine.count(Choice.AGREE),
                    disagree=mine.count(Choice.DISAGREE),
                    abstain=mine.count(Choice.ABSTAIN),
                )
            )
        return ProposalView(
            proposal=proposal,
            counts=counts,
            voters=sum(1 for s in speakers if s.votes),
            voted=len({p for _o, p, _c in votes if p is not None}),
            mine={o: c for o, p, c in votes if p is not None and p == viewer_id},
        )

    # -- decision and publication ----------------------------------------------------------
    async def decide(
        self, actor: Actor, consultation_id: int, text: str, end: FlowEnd | None = None
    ) -> Consultation:
        """The chair records the decision; open proposals close; the seat votes and owners'
        votes are attached to it."""
        text = DECISION.accept(text)
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            consultation = await self._get(tx, consultation_id)
            await chair_check(tx, actor, consultation, "consultation.decide")
            if consultation.state is not ConsultationState.OPEN:
                raise InvalidTransition(
                    N_("The decision of this consultation is recorded already.")
                )
            for proposal in await tx.consult.proposals(consultation.id):
                if proposal.state == "open":
                    await self._close_proposal(tx, consultation, proposal, actor=actor)
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
            await tx.deadlines.cancel_for((CONSULT_REMIND, CONSULT_CLOSE), consultation.id)
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action="consultation.decide",
                subject=f"consultation:{consultation.id}",
                unit_id=consultation.compound_id,
                after={"decision": text},
                now=now,
            )
            if end is not None:
                await tx.flows.finish(
                    end, person_id=actor.id, subject=f"consultation:{consultation.id}", now=now
                )
            return await self._get(tx, consultation.id)

    async def publish(self, actor: Actor, consultation_id: int) -> tuple[Consultation, int]:
        """公示: the decision goes to the compound's residents and owners, who may object until
        the window ends; return it and how many were told."""
        now = self.clock.now()
        until = now + timedelta(days=self.config.consultation.objection_days)
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            consultation = await self._get(tx, consultation_id)
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
            consultation = await self._get(tx, consultation.id)
            await tx.deadlines.add_for(OBJECTION_END, consultation.id, until, now)
            view = await self._view(tx, consultation, None)
            audience = await self._residents(tx, consultation)
            for person in audience:
                await self._send(
                    tx,
                    person,
                    lambda t, lang: views.publication(t, lang, view, self.tz),
                    batch=f"publication:{consultation.id}",
                )
            await self._broadcast(
                tx,
                consultation,
                lambda v: lambda t, lang: views.published_note(t, lang, v, self.tz),
            )
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action="consultation.publish",
                subject=f"consultation:{consultation.id}",
                unit_id=consultation.compound_id,
                after={"told": len(audience), "objection_until": until},
                now=now,
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

    async def object(self, actor: Actor, consultation_id: int, reason: str) -> Consultation:
        """A resident or owner of the compound objects to the published decision, with a
        reason; the branch, the community and the chair are told."""
        reason = REASON.accept(reason)
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            consultation = await self._get(tx, consultation_id)
            await self._require_objector(tx, actor, consultation)
            await tx.consult.add_objection(consultation.id, actor.id, reason, now)
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action="consultation.object",
                subject=f"consultation:{consultation.id}",
                unit_id=consultation.compound_id,
                after={"reason": reason},
                now=now,
            )
            for person in await self._branch_and_community(tx, consultation):
                await self._send(
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

    # -- action items --------------------------------------------------------------------
    async def assignees(self, actor: Actor, consultation_id: int) -> CompoundParties:
        """Who an action item may go to: the compound's parties (and their seat holders)."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            consultation = await self._get(tx, consultation_id)
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
            consultation = await self._get(tx, consultation_id)
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
                await tx.deadlines.add_for(
                    ACTION_REMIND, item.id, now + span * share, now, step=step
                )
            await tx.deadlines.add_for(ACTION_DUE, item.id, due_at, now)
            who = await self._assignee(tx, item)
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action="action.add",
                subject=f"consultation:{consultation.id}",
                unit_id=consultation.compound_id,
                after={"item": item.id, "to": who, "due_at": due_at},
                now=now,
            )
            for person in await self._item_people(tx, item):
                await self._send(
                    tx,
                    person,
                    lambda t, lang: views.item_card(t, lang, consultation, item, who, self.tz),
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
        raise Refused(
            NotAllowed(
                N_("An action item goes to a party of this compound or one of its people.")
            ),
            action="action.add",
            subject=f"consultation:{consultation.id}",
            unit_id=consultation.compound_id,
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
                    out.append((item, consultation, await self._assignee(tx, item)))
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
            consultation = await self._get(tx, item.consultation_id)
            if not await self._may_finish(tx, actor, consultation, item):
                raise Refused(
                    NotAllowed(
                        N_("Only whoever it was given to, or the chair, can mark it done.")
                    ),
                    action="action.done",
                    subject=f"action:{item.id}",
                    unit_id=consultation.compound_id,
                    reason="not the item's assignee",
                )
            if not await tx.consult.finish_item(item.id, ActionState.DONE, actor.id, note, now):
                raise InvalidTransition(N_("This action item is finished already."))
            await tx.deadlines.cancel_for(ACTION_KINDS, item.id)
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action="action.done",
                subject=f"consultation:{consultation.id}",
                unit_id=consultation.compound_id,
                after={"item": item.id, "on_time": now <= item.due_at, "note": note},
                now=now,
            )
            done = await tx.consult.item(item.id)
            assert done is not None
            who = await self._assignee(tx, done)
            chair = await tx.people.get(consultation.chair_id) if consultation.chair_id else None
            if chair is not None and chair.id != actor.id:
                await self._send(
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
            consultation = await self._get(tx, consultation_id)
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
            return await self._get(tx, consultation.id)

    async def _complete_if_done(
        self, tx: Tx, consultation: Consultation, actor: Actor | None
    ) -> None:
        """Done when the objection window has ended and every action item is finished."""
        consultation = await self._get(tx, consultation.id)
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
        await tx.audit.record(
            actor_id=actor.id if actor else None,
            actor_label=actor.label if actor else "system",
            action="consultation.done",
            subject=f"consultation:{consultation.id}",
            unit_id=consultation.compound_id,
            now=now,
        )
        done = await self._get(tx, consultation.id)
        await self._broadcast(tx, done, lambda v: lambda t, lang: views.done_note(t, lang, v))
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

    # -- cancelling ----------------------------------------------------------------------
    async def cancel(self, actor: Actor, consultation_id: int, reason: str) -> Consultation:
        reason = REASON.accept(reason)
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            consultation = await self._get(tx, consultation_id)
            await chair_check(tx, actor, consultation, "consultation.cancel")
            if consultation.state not in LIVE_STATES:
                raise InvalidTransition(N_("This consultation is finished already."))
            await tx.consult.update(
                consultation.id, now, state=ConsultationState.CANCELLED, done_at=now
            )
            await tx.deadlines.cancel_for(CONSULT_KINDS, consultation.id)
            for item in await tx.consult.items(consultation.id):
                if await tx.consult.finish_item(
                    item.id, ActionState.CANCELLED, actor.id, reason, now
                ):
                    await tx.deadlines.cancel_for(ACTION_KINDS, item.id)
            for proposal in await tx.consult.proposals(consultation.id):
                await tx.consult.close_proposal(proposal.id, now)
            if consultation.request_id is not None:
                request = await tx.requests.get(consultation.request_id)
                if request is not None and request.status in OPEN:
                    paused = now - consultation.created_at
                    await tx.deadlines.release(request.id, paused)
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action="consultation.cancel",
                subject=f"consultation:{consultation.id}",
                unit_id=consultation.compound_id,
                after={"reason": reason},
                now=now,
            )
            cancelled = await self._get(tx, consultation.id)
            await self._broadcast(
                tx, cancelled, lambda v: lambda t, lang: views.cancelled_note(t, lang, v, reason)
            )
            return cancelled

    # -- the sweep -----------------------------------------------------------------------
    async def _remind_due(self, tx: Tx, item: DeadlineItem, _cache: RungCache) -> None:
        """Remind the participants who have neither spoken nor voted."""
        consultation = await tx.consult.get(item.subject_id or 0)
        if consultation is None or consultation.state is not ConsultationState.OPEN:
            return
        active = await tx.consult.speakers(consultation.id) | await tx.consult.voters(
            consultation.id
        )
        if consultation.chair_id is not None:
            active.add(consultation.chair_id)
        quiet = [s for s in await speakers_of(tx, consultation) if s.person_id not in active]
        for speaker in quiet:
            person = await tx.people.get(speaker.person_id)
            if person is not None:
                await self._send(
                    tx, person, lambda t, lang: views.reminder(t, lang, consultation, self.tz)
                )
        LOG.info("consultation %d: reminded %d participants", consultation.id, len(quiet))

    async def _close_due(self, tx: Tx, item: DeadlineItem, _cache: RungCache) -> None:
        """The closing time: proposals still open close; the chair is asked for the decision."""
        consultation = await tx.consult.get(item.subject_id or 0)
        if consultation is None or consultation.state is not ConsultationState.OPEN:
            return
        now = self.clock.now()
        for proposal in await tx.consult.proposals(consultation.id):
            if proposal.state == "open":
                await self._close_proposal(tx, consultation, proposal, actor=None)
        await tx.consult.update(consultation.id, now, closed_at=now)
        chair = await tx.people.get(consultation.chair_id) if consultation.chair_id else None
        if chair is not None:
            await self._send(
                tx, chair, lambda t, lang: views.closed_for_chair(t, lang, consultation)
            )

    async def _proposal_due(self, tx: Tx, item: DeadlineItem, _cache: RungCache) -> None:
        proposal = await tx.consult.proposal(item.subject_id or 0)
        if proposal is None or proposal.state != "open":
            return
        consultation = await tx.consult.get(proposal.consultation_id)
        if consultation is not None:
            await self._close_proposal(tx, consultation, proposal, actor=None)

    async def _objection_due(self, tx: Tx, item: DeadlineItem, _cache: RungCache) -> None:
        """The window has ended: the decision is carried out (done already if every item is)."""
        consultation = await tx.consult.get(item.subject_id or 0)
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
            await self._send(
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
        item = await tx.consult.item(due.subject_id or 0)
        if item is None or item.state is not ActionState.OPEN:
            return
        consultation = await tx.consult.get(item.consultation_id)
        if consultation is None:
            return
        who = await self._assignee(tx, item)
        people = await self._item_people(tx, item)
        overdue = due.kind == ACTION_DUE
        if overdue:
            compound = await tx.org.get(consultation.compound_id)
            assert compound is not None
            _level, admins = await nearest_admins(tx, compound)
            chair = await tx.people.get(consultation.chair_id) if consultation.chair_id else None
            people += [p for p in [*admins, chair] if p is not None]
        for person in {p.id: p for p in people}.values():
            await self._send(
                tx,
                person,
                lambda t, lang: views.item_reminder(
                    t, lang, consultation, item, who, self.tz, overdue=overdue
                ),
            )

    # -- helpers -------------------------------------------------------------------------
    async def _get(self, tx: Tx, consultation_id: int) -> Consultation:
        consultation = await tx.consult.get(consultation_id)
        if consultation is None:
            raise NotFound(N_("That consultation does not exist."))
        return consultation

    async def _finish(
        self, tx: Tx, actor: Actor, end: FlowEnd | None, consultation: Consultation
    ) -> None:
        if end is not None:
            await tx.flows.finish(
                end,
                person_id=actor.id,
                subject=f"consultation:{consultation.id}",
                now=self.clock.now(),
            )

    async def _leads_branch(self, tx: Tx, actor: Actor, compound: OrgUnit) -> bool:
        return any(
            party.kind is PartyKind.BRANCH and seat.role is SeatRole.SECRETARY
            for seat, party in await tx.parties.held_in(actor.id, compound.id)
        )

    async def _convening(self, tx: Tx, actor: Actor, compound_id: int) -> OrgUnit:
        """The compound, if the actor may convene there (refusals audited)."""
        compound = await tx.org.get(compound_id)
        if compound is None or compound.level is not Level.COMPOUND:
            raise NotFound(N_("That compound does not exist (any more)."))
        if await administers(tx, actor, compound) or await self._leads_branch(tx, actor, compound):
            return compound
        raise Refused(
            NotAllowed(N_("Consultations are convened by the community or the branch secretary.")),
            action="consultation.convene",
            subject=f"unit:{compound.code}",
            unit_id=compound.id,
            reason="neither an admin of its area nor its branch secretary",
        )

    async def _require_insider(
        self, tx: Tx, actor: Actor, consultation: Consultation, action: str
    ) -> None:
        """Participants, the chair and the administrators of its area see a consultation."""
        if consultation.chair_id == actor.id:
            return
        if any(p.person_id == actor.id for p in await tx.consult.participants(consultation.id)):
            return
        compound = await tx.org.get(consultation.compound_id)
        if compound is not None and await administers(tx, actor, compound):
            return
        raise Refused(
            NotAllowed(N_("Only the participants of this consultation can see it.")),
            action=action,
            subject=f"consultation:{consultation.id}",
            unit_id=consultation.compound_id,
            reason="not a participant",
        )

    async def _assignee(self, tx: Tx, item: ActionItem) -> str:
        if item.party_id is not None:
            party = await tx.parties.party(item.party_id)
            return party.name if party else "?"
        if item.person_id is not None:
            return await _name(tx, item.person_id, [])
        return "?"

    async def _item_people(self, tx: Tx, item: ActionItem) -> list[Person]:
        ids = [item.person_id] if item.person_id is not None else []
        if item.party_id is not None:
            ids += await tx.parties.holders(item.party_id)
        out = []
        for person_id in dict.fromkeys(ids):
            person = await tx.people.get(person_id)
            if person is not None and not person.unreachable:
                out.append(person)
        return out

    async def _broadcast(
        self,
        tx: Tx,
        consultation: Consultation,
        render_for: Callable[[ConsultationView], Render],
    ) -> None:
        """Tell every participant (each once), each seeing the consultation as they may."""
        for speaker in await speakers_of(tx, consultation):
            person = await tx.people.get(speaker.person_id)
            if person is None or person.unreachable:
                continue
            view = await self._view(tx, consultation, person.id)
            await self._send(tx, person, render_for(view))

    async def _send_files(self, tx: Tx, consultation: Consultation) -> None:
        documents = [f for f in await tx.consult.files(consultation.id) if f[1] == "document"]
        if not documents:
            return
        for speaker in await speakers_of(tx, consultation):
            person = await tx.people.get(speaker.person_id)
            if person is None or person.unreachable:
                continue
            for file_id, _kind, _name in documents:
                await self.notifier.send_document(tx, person.telegram_id, file_id)

    async def _send(
        self, tx: Tx, person: Person, render: Render, *, batch: str | None = None
    ) -> None:
        if person.unreachable:
            return
        language = person.language or self.i18n.default
        await self.notifier.send(
            tx, person.telegram_id, render(self.i18n.get(language), language), batch=batch
        )
