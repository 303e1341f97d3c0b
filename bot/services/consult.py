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
3. **Seat votes** (:mod:`bot.services.seat_votes`): proposals put to the seat holders.
4. **Owners' vote** (:mod:`bot.services.owners_vote`) where the matter needs the owners.
5. **Decision, publication, objections, action items** (:mod:`bot.services.decisions`), until
   the request it came from is resolved and rated.

This service convenes, shows, carries the discussion, brings in representatives by a link, and
cancels. Reminders go to the participants who have neither spoken nor voted, halfway and a day
before the close. Every clock is a row of the deadline sweep, its kind registered by the
service that acts on it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from bot.freetext import BACKGROUND, NOTE, REASON, TOPIC
from bot.i18n import N_, I18n
from bot.lifecycle import OPEN, UNACCEPTED, Status
from bot.models import FlowEnd, Level, OrgUnit, Person, Request, Role, Topic
from bot.models.consult import (
    LIVE_STATES,
    MAX_FILES,
    ActionState,
    Consultation,
    ConsultationState,
    ConsultationView,
    Joined,
    OwnersVoteView,
    ParticipantKind,
)
from bot.models.parties import CompoundParties, PartyKind, SeatRole
from bot.services.clocks import RESOLVE_KINDS
from bot.services.consult_base import (
    Render,
    assignee_name,
    chair_check,
    journal,
    person_name,
    proposal_view,
    refusal,
    speakers_of,
)
from bot.services.invitations import Granted
from bot.services.journal import Change, record
from bot.services.parties import compound_parties, holding
from bot.services.scope import Refused, admin_units, administers, audited_refusals, nearest_admins
from bot.services.topics import Conversion
from bot.views import consult as views
from bot.views import topics as topic_views

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.models import Invitation
    from bot.outbox import Notifier
    from bot.services.cards import Cards
    from bot.services.escalation import RungCache
    from bot.services.flow import RequestFlow
    from bot.services.invitations import InvitationService
    from bot.services.people import Actor
    from bot.services.sweep import DeadlineSweep
    from storage.db import Database, Tx
    from storage.repos.deadlines import DeadlineItem

__all__ = [
    "ACTION_KINDS",
    "CONSULT_KINDS",
    "MEMBER_INVITATION",
    "REPRESENTATIVE_INVITATION",
    "ConsultationService",
    "Convening",
]

LOG = logging.getLogger(__name__)


# The kinds of a consultation's invitation links (bot/services/invitations.py).
REPRESENTATIVE_INVITATION = "consult_representative"
MEMBER_INVITATION = "consult_member"
INVITATION_KINDS = {
    ParticipantKind.REPRESENTATIVE: REPRESENTATIVE_INVITATION,
    ParticipantKind.MEMBER: MEMBER_INVITATION,
}
CONSULT_REMIND = "consult_remind"
CONSULT_CLOSE = "consult_close"
PROPOSAL_CLOSE = "proposal_close"
OBJECTION_END = "objection_end"
ACTION_REMIND = "action_remind"
ACTION_DUE = "action_due"
CONSULT_KINDS = (CONSULT_REMIND, CONSULT_CLOSE, OBJECTION_END)
ACTION_KINDS = (ACTION_REMIND, ACTION_DUE)

Place = Callable[["Tx", Topic], Awaitable[tuple[OrgUnit, OrgUnit]]]
VotesOf = Callable[["Tx", Consultation, "int | None"], Awaitable[list[OwnersVoteView]]]
VotesCancel = Callable[["Tx", Consultation, str], Awaitable[None]]


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


class ConsultationService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        flow: RequestFlow,
        cards: Cards,
        notifier: Notifier,
        sweep: DeadlineSweep,
        invitations: InvitationService,
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
        self.cancel_votes: VotesCancel | None = None  # and cancels them with it
        sweep.register((CONSULT_REMIND,), self._remind_due)  # the others: seat_votes, decisions
        self.invitations = invitations
        for kind in INVITATION_KINDS.values():
            invitations.register(kind, self._join)

    async def convening_compounds(self, actor: Actor) -> list[OrgUnit]:
        """Where the actor may convene: the compounds of their area, or whose branch they
        lead."""
        async with self.db.read() as tx:
            found: dict[int, OrgUnit] = {}
            for scope in await admin_units(tx, actor):
                for unit in await tx.org.subtree(scope, Level.COMPOUND):
                    found[unit.id] = unit
            for unit_id in actor.units_with(Role.SEAT):
                seat_unit = await tx.org.get(unit_id)
                if seat_unit is not None and await self._leads_branch(tx, actor, seat_unit):
                    found[seat_unit.id] = seat_unit
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
        title = TOPIC.accept(convening.title)
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
        after = {
            "title": title,
            "seats": list(convening.seat_ids),
            "request_id": convening.request_id,
            "topic_id": convening.topic_id,
            "closes_at": convening.closes_at,
        }
        await journal(tx, now, actor, "consultation.convene", consultation, after=after)
        await self.broadcast(
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
                await tx.deadlines.add_of(
                    "consultation_id", consultation.id, CONSULT_REMIND, when, now, step=step
                )
        await tx.deadlines.add_of(
            "consultation_id", consultation.id, CONSULT_CLOSE, consultation.closes_at, now
        )

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
                    title=views.topic_title(t, label)[: TOPIC.limit],
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
            consultation = await self.get(tx, consultation_id)
            await self.require_insider(tx, actor, consultation, "consultation.view")
            return await self.view_in(tx, consultation, actor.id)

    async def view_in(
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
            await proposal_view(tx, p, speakers, viewer_id)
            for p in await tx.consult.proposals(consultation.id)
        ]
        votes: list[OwnersVoteView] = []
        if self.votes_of is not None:
            votes = await self.votes_of(tx, consultation, viewer_id)
        items = [(i, await assignee_name(tx, i)) for i in await tx.consult.items(consultation.id)]
        chair = await person_name(tx, consultation.chair_id, []) if consultation.chair_id else None
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
            consultation = await self.get(tx, consultation_id)
            await self.require_insider(tx, actor, consultation, "consultation.view")
            return await tx.consult.messages(consultation.id)

    async def stands_in(self, actor: Actor, consultation_id: int) -> bool:
        """May the actor act as the chair (the chair, or an admin of its area)?"""
        async with self.db.read() as tx:
            consultation = await self.get(tx, consultation_id)
            try:
                await chair_check(tx, actor, consultation, "consultation.chair")
            except Refused:
                return False
        return True

    async def require_chair(self, actor: Actor, consultation_id: int, action: str) -> Consultation:
        """The consultation, if the actor chairs it (refusals audited as ``action``)."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            consultation = await self.get(tx, consultation_id)
            await chair_check(tx, actor, consultation, action)
            return consultation

    async def invite(
        self, actor: Actor, consultation_id: int, kind: ParticipantKind
    ) -> tuple[Consultation, str]:
        """A one-time deep-link payload that brings a resident representative or a party member
        into the discussion (they speak; they do not vote), until the discussion closes."""
        invitation = INVITATION_KINDS.get(kind)
        if invitation is None:
            raise InvalidInput(N_("This menu has expired. Please use the latest message."))
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            consultation = await self.get(tx, consultation_id)
            await chair_check(tx, actor, consultation, "consultation.invite")
            if consultation.state is not ConsultationState.OPEN:
                raise InvalidTransition(N_("The discussion of this consultation has closed."))
            payload = await self.invitations.issue(
                tx,
                actor,
                invitation,
                consultation.id,
                action="consultation.invite",
                subject=f"consultation:{consultation.id}",
                unit_id=consultation.compound_id,
                after={"kind": kind.value},
                until=consultation.closes_at,
            )
        return consultation, payload

    async def _join(self, tx: Tx, actor: Actor, invitation: Invitation, now: datetime) -> Granted:
        """Opening a consultation's link: the person takes part (and is sent the invitation)."""
        kind = next(k for k, v in INVITATION_KINDS.items() if v == invitation.kind)
        consultation = await self.get(tx, invitation.target_id)
        if consultation.state is not ConsultationState.OPEN:
            raise InvalidTransition(N_("The discussion of this consultation has closed."))
        await tx.consult.add_participant(consultation.id, actor.id, kind, now)
        view = await self.view_in(tx, consultation, actor.id)
        return Granted(
            consultation.compound_id,
            {"kind": kind.value},
            shown=Joined(view, self.tz),
            action="consultation.join",
            subject=f"consultation:{consultation.id}",
        )

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
            consultation = await self.get(tx, consultation_id)
            speakers = await speakers_of(tx, consultation)
            me = next((s for s in speakers if s.person_id == actor.id), None)
            if me is None:
                raise refusal(
                    consultation,
                    N_("Only the participants of this consultation can speak in it."),
                    action="consultation.say",
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
                await self.send(
                    tx,
                    person,
                    lambda t, lang: views.said(t, lang, consultation, me, text, photo),
                )
                reached += 1
        return reached

    async def cancel(self, actor: Actor, consultation_id: int, reason: str) -> Consultation:
        reason = REASON.accept(reason)
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            consultation = await self.get(tx, consultation_id)
            await chair_check(tx, actor, consultation, "consultation.cancel")
            if consultation.state not in LIVE_STATES:
                raise InvalidTransition(N_("This consultation is finished already."))
            await tx.consult.update(
                consultation.id, now, state=ConsultationState.CANCELLED, done_at=now
            )
            await tx.deadlines.cancel_of("consultation_id", consultation.id, CONSULT_KINDS)
            for item in await tx.consult.items(consultation.id):
                if await tx.consult.finish_item(
                    item.id, ActionState.CANCELLED, actor.id, reason, now
                ):
                    await tx.deadlines.cancel_of("action_item_id", item.id, ACTION_KINDS)
            for proposal in await tx.consult.proposals(consultation.id):
                await tx.consult.close_proposal(proposal.id, now)
            if self.cancel_votes is not None:
                await self.cancel_votes(tx, consultation, reason)
            if consultation.request_id is not None:
                request = await tx.requests.get(consultation.request_id)
                if request is not None and request.status in OPEN:
                    paused = now - consultation.created_at
                    await tx.deadlines.release(request.id, paused)
            await journal(
                tx,
                now,
                actor,
                "consultation.cancel",
                consultation,
                after={"reason": reason},
            )
            cancelled = await self.get(tx, consultation.id)
            await self.broadcast(
                tx,
                cancelled,
                lambda v: lambda t, lang: views.cancelled_note(t, lang, v, reason),
                skip=actor.id,  # told by the answer
            )
            return cancelled

    async def _remind_due(self, tx: Tx, item: DeadlineItem, _cache: RungCache) -> None:
        """Remind the participants who have neither spoken nor voted."""
        consultation = await tx.consult.get(item.consultation_id or 0)
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
                await self.send(
                    tx, person, lambda t, lang: views.reminder(t, lang, consultation, self.tz)
                )
        LOG.info("consultation %d: reminded %d participants", consultation.id, len(quiet))

    async def get(self, tx: Tx, consultation_id: int) -> Consultation:
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

    async def require_insider(
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
        raise refusal(
            consultation,
            N_("Only the participants of this consultation can see it."),
            action=action,
            reason="not a participant",
        )

    async def broadcast(
        self,
        tx: Tx,
        consultation: Consultation,
        render_for: Callable[[ConsultationView], Render],
        *,
        skip: int | None = None,
    ) -> None:
        """Tell every participant (each once, but ``skip``), each seeing the consultation as
        they may."""
        for speaker in await speakers_of(tx, consultation):
            person = await tx.people.get(speaker.person_id)
            if person is None or person.unreachable or person.id == skip:
                continue
            view = await self.view_in(tx, consultation, person.id)
            await self.send(tx, person, render_for(view))

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

    async def send(
        self, tx: Tx, person: Person, render: Render, *, batch: str | None = None
    ) -> None:
        if person.unreachable:
            return
        language = person.language or self.i18n.default
        await self.notifier.send(
            tx, person.telegram_id, render(self.i18n.get(language), language), batch=batch
        )
