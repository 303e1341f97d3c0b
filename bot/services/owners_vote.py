"""业主表决: an owners' vote of a compound, opened by a consultation's chair where the matter
needs the owners (Civil Code art. 278, computed by :mod:`bot.art278`).

* The roll is fixed when the vote opens: the compound's registered households and their floor
  areas.
* One ballot per household, cast by its bound owner in the bot (or recorded from a paper
  ballot by the chair or the owners' committee); a second ballot replaces the first until the
  close, so a household never counts twice. Nobody sees another household's choice: the chair
  sees the tally and which households have not voted (to remind them), never how anyone
  voted.
* Reminders go to the owners who have not voted, halfway and a day before the close; at the
  close (a sweep clock) the result — each of the four ratios against its threshold — goes to
  the owners, the participants and the chair.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache, partial
from importlib import resources
from typing import TYPE_CHECKING

from bot.art278 import Choice, Tally, tally
from bot.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from bot.freetext import QUESTION
from bot.i18n import N_, I18n, Translator
from bot.messages import OutMessage
from bot.models import FlowEnd, Person
from bot.models.consult import (
    Consultation,
    ConsultationState,
    Household,
    OwnersVote,
    OwnersVoteView,
    Speaker,
    VoteMatter,
    VoteState,
)
from bot.models.parties import PartyKind
from bot.services.consult import ConsultationService
from bot.services.consult_base import chair_check, speakers_of
from bot.services.scope import Refused, administers, audited_refusals
from bot.views import votes as views

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.outbox import Notifier
    from bot.services.escalation import RungCache
    from bot.services.people import Actor
    from bot.services.sweep import DeadlineSweep
    from storage.db import Database, Tx
    from storage.repos.deadlines import DeadlineItem

__all__ = ["VOTE_KINDS", "OwnersVoteService", "parse_household"]

LOG = logging.getLogger(__name__)

VOTE_REMIND = "vote_remind"
VOTE_CLOSE = "vote_close"
VOTE_KINDS = (VOTE_REMIND, VOTE_CLOSE)


@lru_cache(maxsize=1)
def choice_words() -> dict[str, Choice]:
    """A paper ballot's choice as typed (English or Chinese, from bot/words.toml)."""
    with (resources.files("bot") / "words.toml").open("rb") as fh:
        words = tomllib.load(fh)["ballot_choices"]
    return {word.lower(): Choice(choice) for choice, names in words.items() for word in names}


Render = Callable[[Translator, str], OutMessage]


def _natural(text: str) -> tuple[int, str]:
    """Buildings in the order people count them: 2 before 10."""
    return (int(text), "") if text.isdigit() else (1 << 30, text)


def parse_household(text: str) -> tuple[str, str, str] | None:
    """ "3-1-502" (building, unit, room) or "3-502" (no unit); None for anything else."""
    parts = [p.strip() for p in text.replace("－", "-").replace("—", "-").split("-")]
    if any(not p for p in parts):
        return None
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    if len(parts) == 2:
        return parts[0], "", parts[1]
    return None


class OwnersVoteService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        consult: ConsultationService,
        notifier: Notifier,
        sweep: DeadlineSweep,
        i18n: I18n,
        config: Config,
    ) -> None:
        self.db = db
        self.clock = clock
        self.consult = consult
        self.notifier = notifier
        self.i18n = i18n
        self.config = config
        self.tz = config.tz
        consult.votes_of = self._views_of
        consult.cancel_votes = self._cancel_all
        sweep.register((VOTE_REMIND,), self._remind_due)
        sweep.register((VOTE_CLOSE,), self._close_due)

    # -- opening -------------------------------------------------------------------------
    async def electorate(
        self, actor: Actor, consultation_id: int, building: str | None = None
    ) -> tuple[list[str], int, int]:
        """The compound's buildings, and the households and total area (0.01 m²) an owners'
        vote would have now (of ``building`` only, when given)."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            consultation = await self._consultation(tx, consultation_id)
            await chair_check(tx, actor, consultation, "vote.open")
            households = await tx.households.of_compound(consultation.compound_id)
        buildings = sorted({h.building for h in households}, key=_natural)
        roll = [h for h in households if building is None or h.building == building]
        return buildings, len(roll), sum(h.area_centi for h in roll)

    async def open(
        self,
        actor: Actor,
        consultation_id: int,
        question: str,
        matter: VoteMatter,
        closes_at: datetime,
        end: FlowEnd | None = None,
        *,
        building: str | None = None,
    ) -> OwnersVote:
        """The chair opens an owners' vote of the consultation's compound (or of one of its
        buildings); every bound owner on the roll gets a ballot."""
        question = QUESTION.accept(question)
        now = self.clock.now()
        if closes_at <= now:
            raise InvalidInput(N_("The closing time must be in the future."))
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            consultation = await self._consultation(tx, consultation_id)
            await chair_check(tx, actor, consultation, "vote.open")
            if consultation.state is not ConsultationState.OPEN:
                raise InvalidTransition(
                    N_("Owners' votes are opened while the consultation is discussing.")
                )
            households = await tx.households.of_compound(consultation.compound_id)
            if not households:
                raise InvalidTransition(
                    N_("This compound has no household registry yet: import it first.")
                )
            if building is not None and building not in {h.building for h in households}:
                raise InvalidInput(
                    N_("There is no building {building} in the registry."), building=building
                )
            vote = await tx.households.open_vote(
                consultation_id=consultation.id,
                compound_id=consultation.compound_id,
                question=question,
                matter=matter,
                opened_by=actor.id,
                now=now,
                closes_at=closes_at,
                building=building,
            )
            span = closes_at - now
            for step, when in enumerate((now + span / 2, closes_at - timedelta(days=1)), 1):
                if now + timedelta(hours=1) < when < closes_at:
                    await tx.deadlines.add_of(
                        "owners_vote_id", vote.id, VOTE_REMIND, when, now, step=step
                    )
            await tx.deadlines.add_of("owners_vote_id", vote.id, VOTE_CLOSE, closes_at, now)
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action="vote.open",
                subject=f"vote:{vote.id}",
                unit_id=consultation.compound_id,
                after={
                    "consultation": consultation.id,
                    "rule": vote.rule.value,
                    "matter": matter.value,
                    "building": building,
                    "households": vote.households,
                    "area_centi": vote.area_centi,
                    "closes_at": closes_at,
                },
                now=now,
            )
            for owner in await self._owners(tx, vote):
                view = await self._view(tx, vote, owner.id)
                await self._send(tx, owner, partial(views.ballot, view=view, tz=self.tz))
            await self._tell_participants(
                tx,
                consultation,
                vote,
                lambda v, s: lambda t, lang: views.opened(t, lang, v, self.tz, s.sees_tally),
                skip={actor.id},  # the chair sees the tally instead
            )
            if end is not None:
                await tx.flows.finish(end, person_id=actor.id, subject=f"vote:{vote.id}", now=now)
        return vote

    async def open_for(self, actor: Actor) -> list[OwnersVoteView]:
        """The open votes of the compounds where the actor owns a household (with their own
        households), or of consultations they take part in."""
        async with self.db.read() as tx:
            compounds = {h.compound_id for h in await tx.households.owned_by(actor.id)}
            votes = {v.id: v for v in await tx.households.open_votes(sorted(compounds))}
            for consultation in await tx.consult.of_person(actor.id):
                for vote in await tx.households.votes_of(consultation.id):
                    if vote.state is VoteState.OPEN:
                        votes[vote.id] = vote
            return [await self._view(tx, v, actor.id) for v in votes.values()]

    # -- voting --------------------------------------------------------------------------
    async def ballot(self, actor: Actor, vote_id: int) -> OwnersVoteView:
        """The vote as an owner of the compound sees it: their households and choices."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            vote = await self._vote(tx, vote_id)
            await self._require_owner_or_insider(tx, actor, vote)
            return await self._view(tx, vote, actor.id)

    async def cast(
        self, actor: Actor, vote_id: int, household_id: int, choice: Choice
    ) -> tuple[OwnersVoteView, Choice | None]:
        """The owner's ballot for one household; a second replaces the first until the close.
        Return the vote as they see it and the choice replaced (None for a first ballot)."""
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            vote = await self._vote(tx, vote_id)
            household = await tx.households.get(household_id)
            roll = await tx.households.roll(vote.id)
            if (
                household is None
                or household.owner_id != actor.id
                or household.compound_id != vote.compound_id
                or household.id not in roll
            ):
                raise Refused(
                    NotAllowed(N_("Only the owner of a household on this vote's roll can vote.")),
                    action="vote.cast",
                    subject=f"vote:{vote.id}",
                    unit_id=vote.compound_id,
                    reason="not the owner of a household on the roll",
                )
            self._require_open(vote, now)
            before = await tx.households.cast(vote.id, household.id, actor.id, choice, "bot", now)
            # The audit keeps that a household voted and when, never what it chose.
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action="vote.cast" if before is None else "vote.change",
                subject=f"vote:{vote.id}",
                unit_id=vote.compound_id,
                after={"household": household.id},
                now=now,
            )
            return await self._view(tx, vote, actor.id), before

    async def record_paper(
        self, actor: Actor, vote_id: int, household_text: str, choice_text: str
    ) -> tuple[Household, Choice, Choice | None]:
        """A paper ballot (书面表决票) collected by the committee: recorded by the chair or an
        owners' committee seat holder, for one household on the roll; it replaces any earlier
        ballot of that household (one per household)."""
        key = parse_household(household_text)
        choice = choice_words().get(choice_text.strip().lower())
        if key is None or choice is None:
            raise InvalidInput(
                N_(
                    "Please write the household and the choice, e.g. “3-1-502 agree”"
                    " (agree, disagree or abstain)."
                )
            )
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            vote = await self._vote(tx, vote_id)
            await self._require_recorder(tx, actor, vote)
            self._require_open(vote, now)
            household = await tx.households.find(vote.compound_id, *key)
            if household is None or household.id not in await tx.households.roll(vote.id):
                raise NotFound(
                    N_("There is no household {label} on this vote's roll."), label=household_text
                )
            before = await tx.households.cast(vote.id, household.id, None, choice, "paper", now)
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action="vote.paper",
                subject=f"vote:{vote.id}",
                unit_id=vote.compound_id,
                after={"household": household.id, "replaced": before is not None},
                now=now,
            )
        return household, choice, before

    # -- the tally -----------------------------------------------------------------------
    async def tally(self, actor: Actor, vote_id: int) -> OwnersVoteView:
        """The live tally (and the households yet to vote) for the chair, the owners'
        committee and the community; nobody's choice."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            vote = await self._vote(tx, vote_id)
            await self._require_recorder(tx, actor, vote, action="vote.tally")
            view = await self._view(tx, vote, None)
            roll = await tx.households.roll(vote.id)
            voted = {b.household_id for b in await tx.households.ballots(vote.id)}
            waiting = [
                h
                for h in await tx.households.of_compound(vote.compound_id, active_only=False)
                if h.id in roll and h.id not in voted
            ]
        return OwnersVoteView(view.vote, view.compound, view.tally, view.title, [], waiting)

    async def _tally(self, tx: Tx, vote: OwnersVote) -> Tally:
        if vote.state is VoteState.CLOSED and vote.result is not None:
            return Tally.from_dict(vote.result)
        roll = await tx.households.roll(vote.id)
        ballots = [(b.household_id, b.choice) for b in await tx.households.ballots(vote.id)]
        return tally(vote.rule, roll, ballots)

    async def _view(self, tx: Tx, vote: OwnersVote, viewer_id: int | None) -> OwnersVoteView:
        compound = await tx.org.get(vote.compound_id)
        consultation = await tx.consult.get(vote.consultation_id)
        assert compound is not None and consultation is not None
        mine: list[tuple[Household, Choice | None]] = []
        if viewer_id is not None:
            roll = await tx.households.roll(vote.id)
            choices = {
                b.household_id: b.choice
                for b in await tx.households.ballots(vote.id)
                if b.household_id in roll
            }
            for household in await tx.households.owned_by(viewer_id, vote.compound_id):
                if household.id in roll:
                    mine.append((household, choices.get(household.id)))
        return OwnersVoteView(
            vote, compound, await self._tally(tx, vote), consultation.title, mine
        )

    async def _views_of(
        self, tx: Tx, consultation: Consultation, viewer_id: int | None
    ) -> list[OwnersVoteView]:
        return [
            await self._view(tx, v, viewer_id)
            for v in await tx.households.votes_of(consultation.id)
        ]

    # -- the sweep -----------------------------------------------------------------------
    async def _remind_due(self, tx: Tx, item: DeadlineItem, _cache: RungCache) -> None:
        """Remind the owners whose households have not all voted."""
        vote = await tx.households.vote(item.owners_vote_id or 0)
        if vote is None or vote.state is not VoteState.OPEN:
            return
        reminded = 0
        for owner in await self._owners(tx, vote):
            view = await self._view(tx, vote, owner.id)
            if any(choice is None for _h, choice in view.mine):
                render = partial(views.ballot, view=view, tz=self.tz, reminder=True)
                await self._send(tx, owner, render)
                reminded += 1
        LOG.info("owners' vote %d: reminded %d owners", vote.id, reminded)

    async def _close_due(self, tx: Tx, item: DeadlineItem, _cache: RungCache) -> None:
        """The close: the tally is fixed and the result told."""
        vote = await tx.households.vote(item.owners_vote_id or 0)
        if vote is None or vote.state is not VoteState.OPEN:
            return
        await self.close_in(tx, vote)

    async def close_in(self, tx: Tx, vote: OwnersVote) -> OwnersVote:
        now = self.clock.now()
        result = await self._tally(tx, vote)
        if not await tx.households.close_vote(
            vote.id, now, passed=result.passed, result=result.as_dict()
        ):
            return vote
        await tx.deadlines.cancel_of("owners_vote_id", vote.id, VOTE_KINDS)
        closed = await tx.households.vote(vote.id)
        assert closed is not None
        await tx.audit.record(
            actor_id=None,
            actor_label="system",
            action="vote.close",
            subject=f"vote:{vote.id}",
            unit_id=vote.compound_id,
            after=result.as_dict(),
            now=now,
        )
        consultation = await tx.consult.get(vote.consultation_id)
        assert consultation is not None
        told: set[int] = set()
        for owner in await self._owners(tx, closed):
            view = await self._view(tx, closed, owner.id)
            await self._send(tx, owner, partial(views.result, view=view, tz=self.tz))
            told.add(owner.id)
        await self._tell_participants(
            tx,
            consultation,
            closed,
            lambda v, _s: lambda t, lang: views.result(t, lang, v, self.tz),
            skip=told,
        )
        return closed

    async def _cancel_all(self, tx: Tx, consultation: Consultation, reason: str) -> None:
        """The consultation is cancelled: so are its open owners' votes (owners told)."""
        now = self.clock.now()
        for vote in await tx.households.votes_of(consultation.id):
            if vote.state is not VoteState.OPEN or not await tx.households.cancel_vote(
                vote.id, now
            ):
                continue
            await tx.deadlines.cancel_of("owners_vote_id", vote.id, VOTE_KINDS)
            await tx.audit.record(
                actor_id=None,
                actor_label="system",
                action="vote.cancel",
                subject=f"vote:{vote.id}",
                unit_id=vote.compound_id,
                after={"consultation": consultation.id},
                now=now,
            )
            render = partial(views.vote_cancelled, vote=vote, reason=reason)
            for owner in await self._owners(tx, vote):
                await self._send(tx, owner, render)

    # -- helpers -------------------------------------------------------------------------
    def _require_open(self, vote: OwnersVote, now: datetime) -> None:
        if vote.state is not VoteState.OPEN or vote.closes_at <= now:
            raise InvalidTransition(N_("This owners' vote has closed."))

    async def _vote(self, tx: Tx, vote_id: int) -> OwnersVote:
        vote = await tx.households.vote(vote_id)
        if vote is None:
            raise NotFound(N_("That owners' vote does not exist."))
        return vote

    async def _consultation(self, tx: Tx, consultation_id: int) -> Consultation:
        consultation = await tx.consult.get(consultation_id)
        if consultation is None:
            raise NotFound(N_("That consultation does not exist."))
        return consultation

    async def _require_owner_or_insider(self, tx: Tx, actor: Actor, vote: OwnersVote) -> None:
        """Who may see the vote: the compound's residents and owners, its participants and
        the community; nobody of another compound."""
        if actor.person.home_unit_id == vote.compound_id:
            return
        if await tx.households.owned_by(actor.id, vote.compound_id):
            return
        consultation = await self._consultation(tx, vote.consultation_id)
        if consultation.chair_id == actor.id or any(
            p.person_id == actor.id for p in await tx.consult.participants(consultation.id)
        ):
            return
        compound = await tx.org.get(vote.compound_id)
        if compound is not None and await administers(tx, actor, compound):
            return
        raise Refused(
            NotAllowed(N_("This owners' vote is for the owners of another compound.")),
            action="vote.view",
            subject=f"vote:{vote.id}",
            unit_id=vote.compound_id,
            reason="not of the compound",
        )

    async def _require_recorder(
        self, tx: Tx, actor: Actor, vote: OwnersVote, *, action: str = "vote.paper"
    ) -> None:
        """The chair, an owners' committee seat holder, or an admin of the area."""
        consultation = await self._consultation(tx, vote.consultation_id)
        if consultation.chair_id == actor.id:
            return
        held = await tx.parties.held_in(actor.id, vote.compound_id)
        if any(party.kind is PartyKind.OWNERS_COMMITTEE for _seat, party in held):
            return
        compound = await tx.org.get(vote.compound_id)
        if compound is not None and await administers(tx, actor, compound):
            return
        raise Refused(
            NotAllowed(N_("Only the chair and the owners' committee can do this.")),
            action=action,
            subject=f"vote:{vote.id}",
            unit_id=vote.compound_id,
            reason="neither the chair nor the owners' committee",
        )

    async def _owners(self, tx: Tx, vote: OwnersVote) -> list[Person]:
        """The bound owners of households on the roll, each once."""
        roll = await tx.households.roll(vote.id)
        owners: dict[int, Person] = {}
        for household in await tx.households.of_compound(vote.compound_id):
            if household.id in roll and household.owner_id is not None:
                person = await tx.people.get(household.owner_id)
                if person is not None and not person.unreachable:
                    owners[person.id] = person
        return list(owners.values())

    async def _tell_participants(
        self,
        tx: Tx,
        consultation: Consultation,
        vote: OwnersVote,
        render_for: Callable[[OwnersVoteView, Speaker], Render],
        *,
        skip: set[int] | None = None,
    ) -> None:
        for speaker in await speakers_of(tx, consultation):
            if skip and speaker.person_id in skip:
                continue
            person = await tx.people.get(speaker.person_id)
            if person is None:
                continue
            view = await self._view(tx, vote, person.id)
            await self._send(tx, person, render_for(view, speaker))

    async def _send(self, tx: Tx, person: Person, render: Render) -> None:
        if person.unreachable:
            return
        language = person.language or self.i18n.default
        await self.notifier.send(tx, person.telegram_id, render(self.i18n.get(language), language))
