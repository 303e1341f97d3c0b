"""What the services of 议事协商 share: who takes part and how they are named, the chair's
check, how a proposal's seat vote stands, who carries out an action item."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.art278 import Choice
from bot.errors import NotAllowed
from bot.i18n import N_, Translator
from bot.messages import OutMessage
from bot.models import Person
from bot.models.consult import (
    ActionItem,
    Consultation,
    Participant,
    ParticipantKind,
    Proposal,
    ProposalView,
    SeatVoteCount,
    Speaker,
)
from bot.services.parties import holding
from bot.services.scope import Refused, administers

if TYPE_CHECKING:
    from bot.services.people import Actor
    from storage.db import Tx

__all__ = [
    "Render",
    "assignee_name",
    "chair_check",
    "item_people",
    "journal",
    "person_name",
    "proposal_view",
    "speakers_of",
]

Render = Callable[[Translator, str], OutMessage]


async def journal(
    tx: Tx,
    now: datetime,
    actor: Actor | None,
    action: str,
    consultation: Consultation,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    subject: str | None = None,
) -> None:
    """The audit row of a decision about a consultation (or one of its parts, ``subject``:
    who, when, what), in the caller's transaction; without an actor it was the bot."""
    await tx.audit.record(
        actor_id=actor.id if actor else None,
        actor_label=actor.label if actor else "system",
        action=action,
        subject=subject or f"consultation:{consultation.id}",
        unit_id=consultation.compound_id,
        before=before,
        after=after,
        now=now,
    )


def refusal(
    consultation: Consultation, message: str, *, action: str, reason: str, subject: str = ""
) -> Refused:
    """A refusal about a consultation (or one of its parts, ``subject``), filed under its
    compound: raised, it is told and audited (``audited_refusals``)."""
    return Refused(
        NotAllowed(message),
        action=action,
        subject=subject or f"consultation:{consultation.id}",
        unit_id=consultation.compound_id,
        reason=reason,
    )


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
        name = await person_name(tx, person_id, [s.seat.holder_name for s in seats])
        kinds = tuple(dict.fromkeys(row.kind for row in rows))
        out.append(Speaker(person_id, name, kinds, tuple(seats), community))
    order = {kind: n for n, kind in enumerate(ParticipantKind)}
    out.sort(key=lambda s: (min(order[k] for k in s.kinds), s.person_id))
    return out


async def person_name(tx: Tx, person_id: int, seat_names: list[str | None]) -> str:
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
    raise refusal(
        consultation,
        N_("Only the chair of this consultation can do this."),
        action=action,
        reason="not the chair",
    )


async def proposal_view(
    tx: Tx, proposal: Proposal, speakers: list[Speaker], viewer_id: int | None
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


async def assignee_name(tx: Tx, item: ActionItem) -> str:
    if item.party_id is not None:
        party = await tx.parties.party(item.party_id)
        return party.name if party else "?"
    if item.person_id is not None:
        return await person_name(tx, item.person_id, [])
    return "?"


async def item_people(tx: Tx, item: ActionItem) -> list[Person]:
    ids = [item.person_id] if item.person_id is not None else []
    if item.party_id is not None:
        ids += await tx.parties.holders(item.party_id)
    out = []
    for person_id in dict.fromkeys(ids):
        person = await tx.people.get(person_id)
        if person is not None and not person.unreachable:
            out.append(person)
    return out
