"""Seat votes of a consultation (议事协商): the chair puts proposals — one question, or 2 to 4
options voted on each — to the seat holders and the community: agree / disagree / abstain, one
voice per person (a person holding two seats votes once), changeable until the proposal
closes; quorum is more than half of those who may vote, and an option carries with more than
half of the votes cast. Proposals close at their own time, at the consultation's closing time
(both sweep clocks), or when the chair closes them; everyone sees the result."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from bot.art278 import Choice
from bot.errors import InvalidInput, InvalidTransition, NotFound
from bot.freetext import OPTION, PROPOSAL
from bot.i18n import N_, I18n
from bot.models import FlowEnd
from bot.models.consult import MAX_OPTIONS, Consultation, ConsultationState, Proposal, ProposalView
from bot.services.consult import CONSULT_CLOSE, PROPOSAL_CLOSE
from bot.services.consult_base import (
    Render,
    chair_check,
    journal,
    proposal_view,
    refusal,
    speakers_of,
)
from bot.services.scope import audited_refusals
from bot.views import consult as views

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.services.consult import ConsultationService
    from bot.services.escalation import RungCache
    from bot.services.people import Actor
    from bot.services.sweep import DeadlineSweep
    from storage.db import Database, Tx
    from storage.repos.deadlines import DeadlineItem

__all__ = ["SeatVoteService"]

LOG = logging.getLogger(__name__)


class SeatVoteService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        consult: ConsultationService,
        sweep: DeadlineSweep,
        i18n: I18n,
    ) -> None:
        self.db = db
        self.clock = clock
        self.consult = consult
        self.i18n = i18n
        sweep.register((CONSULT_CLOSE,), self._close_due)
        sweep.register((PROPOSAL_CLOSE,), self._proposal_due)

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
            consultation = await self.consult.get(tx, consultation_id)
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
                await tx.deadlines.add_of("proposal_id", proposal.id, PROPOSAL_CLOSE, closes, now)
            await journal(
                tx,
                now,
                actor,
                "proposal.add",
                consultation,
                after={"proposal": proposal.id, "options": len(options)},
            )
            speakers = await speakers_of(tx, consultation)
            for speaker in speakers:
                person = await tx.people.get(speaker.person_id)
                if person is None or person.unreachable:
                    continue
                view = await proposal_view(tx, proposal, speakers, speaker.person_id)
                render = self._ballot_render(consultation, view, speaker.votes)
                await self.consult.send(tx, person, render)
            if end is not None:
                await tx.flows.finish(
                    end, person_id=actor.id, subject=f"proposal:{proposal.id}", now=now
                )
        return proposal

    def _ballot_render(
        self, consultation: Consultation, view: ProposalView, can_vote: bool
    ) -> Render:
        return lambda t, lang: views.proposal_card(
            t, lang, consultation, view, can_vote, self.consult.tz
        )

    async def seat_vote(
        self, actor: Actor, proposal_id: int, option_no: int, choice: Choice
    ) -> tuple[Consultation, ProposalView]:
        """A seat holder's (or the community's) vote; a second one replaces the first."""
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            proposal = await tx.consult.proposal(proposal_id)
            if proposal is None:
                raise NotFound(N_("That proposal does not exist."))
            consultation = await self.consult.get(tx, proposal.consultation_id)
            speakers = await speakers_of(tx, consultation)
            me = next((s for s in speakers if s.person_id == actor.id), None)
            if me is None or not me.votes:
                raise refusal(
                    consultation,
                    N_("Only the seat holders of the parties vote on proposals."),
                    action="proposal.vote",
                    reason="not a voting participant",
                    subject=f"proposal:{proposal.id}",
                )
            if proposal.state != "open" or proposal.closes_at <= now:
                raise InvalidTransition(N_("Voting on this proposal has closed."))
            if not 0 <= option_no < len(proposal.choices):
                raise InvalidInput(N_("This menu has expired. Please use the latest message."))
            before = await tx.consult.seat_vote(proposal.id, option_no, actor.id, choice, now)
            await journal(
                tx,
                now,
                actor,
                "proposal.vote",
                consultation,
                before=None if before is None else {"choice": before.value},
                after={"option": option_no, "choice": choice.value},
                subject=f"proposal:{proposal.id}",
            )
            return consultation, await proposal_view(tx, proposal, speakers, actor.id)

    async def close_proposal(self, actor: Actor, proposal_id: int) -> ProposalView:
        """The chair closes a proposal early; everyone sees the result."""
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            proposal = await tx.consult.proposal(proposal_id)
            if proposal is None:
                raise NotFound(N_("That proposal does not exist."))
            consultation = await self.consult.get(tx, proposal.consultation_id)
            await chair_check(tx, actor, consultation, "proposal.close")
            return await self.close_in(tx, consultation, proposal, actor=actor)

    async def close_in(
        self, tx: Tx, consultation: Consultation, proposal: Proposal, *, actor: Actor | None
    ) -> ProposalView:
        now = self.clock.now()
        speakers = await speakers_of(tx, consultation)
        if await tx.consult.close_proposal(proposal.id, now):
            await tx.deadlines.cancel_of("proposal_id", proposal.id, (PROPOSAL_CLOSE,))
            fresh = await tx.consult.proposal(proposal.id)
            assert fresh is not None
            view = await proposal_view(tx, fresh, speakers, None)
            after = {
                "voted": view.voted,
                "voters": view.voters,
                "carried": [c.carried for c in view.counts],
            }
            await journal(
                tx,
                now,
                actor,
                "proposal.close",
                consultation,
                after=after,
                subject=f"proposal:{proposal.id}",
            )
            await self.consult.broadcast(
                tx,
                consultation,
                lambda _v: lambda t, lang: views.proposal_result(t, lang, consultation, view),
            )
            return view
        fresh = await tx.consult.proposal(proposal.id)
        assert fresh is not None
        return await proposal_view(tx, fresh, speakers, None)

    async def proposal_for(
        self, actor: Actor, proposal_id: int
    ) -> tuple[Consultation, ProposalView, bool]:
        """A proposal as a participant sees it, and whether they vote on it."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            proposal = await tx.consult.proposal(proposal_id)
            if proposal is None:
                raise NotFound(N_("That proposal does not exist."))
            consultation = await self.consult.get(tx, proposal.consultation_id)
            await self.consult.require_insider(tx, actor, consultation, "proposal.view")
            speakers = await speakers_of(tx, consultation)
            me = next((s for s in speakers if s.person_id == actor.id), None)
            view = await proposal_view(tx, proposal, speakers, actor.id)
        return consultation, view, me is not None and me.votes

    async def _close_due(self, tx: Tx, item: DeadlineItem, _cache: RungCache) -> None:
        """The closing time: proposals still open close; the chair is asked for the decision."""
        consultation = await tx.consult.get(item.consultation_id or 0)
        if consultation is None or consultation.state is not ConsultationState.OPEN:
            return
        now = self.clock.now()
        for proposal in await tx.consult.proposals(consultation.id):
            if proposal.state == "open":
                await self.close_in(tx, consultation, proposal, actor=None)
        await tx.consult.update(consultation.id, now, closed_at=now)
        chair = await tx.people.get(consultation.chair_id) if consultation.chair_id else None
        if chair is not None:
            await self.consult.send(
                tx, chair, lambda t, lang: views.closed_for_chair(t, lang, consultation)
            )

    async def _proposal_due(self, tx: Tx, item: DeadlineItem, _cache: RungCache) -> None:
        proposal = await tx.consult.proposal(item.proposal_id or 0)
        if proposal is None or proposal.state != "open":
            return
        consultation = await tx.consult.get(proposal.consultation_id)
        if consultation is not None:
            await self.close_in(tx, consultation, proposal, actor=None)
