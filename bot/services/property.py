"""Property matters (物业): who does them, who supervises them, and how residents rate the
service.

* **The route** (:class:`PropertyRoute`, the route of ``handled_by = "property_company"``). A
  property matter goes to the compound's property company staff (the seat holders of its
  ``property_company`` party), who accept, work and complete it from the same cards, with the
  same deadlines and ratings as members. Without a company (or nobody of it in the bot yet)
  the self-management group gets it; a compound without a property company and with no
  parties at all (an unmanaged compound) goes to the community's administrators; any
  other compound falls back to the members' pool. Which of these took it is kept on the
  request (``requests.route``): it says who may accept its cards.
* **Supervision.** The owners' committee (and the branch and the community) see the
  compound's property requests, where they stand and how residents rated them.
* **Property-service rating.** Every month (``[consultation] rating_day``) the residents of
  each compound with a property company are asked satisfied / basically satisfied /
  unsatisfied and may add a comment; when the round closes (a sweep clock) the result goes to
  the branch, the owners' committee and the community's administrators. Nobody's answer is
  named.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import TYPE_CHECKING

from bot.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from bot.freetext import COMMENT
from bot.i18n import N_, I18n
from bot.models import HandledBy, Level, OrgUnit, Person, Rating, Request, RequestView, Role
from bot.models.consult import RatingResult, RatingRound
from bot.models.parties import PartyKind
from bot.services.routes import Route
from bot.services.scope import Refused, administers, audited_refusals, nearest_admins
from bot.views import property as views
from bot.views import tasks as task_views

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.outbox import Notifier
    from bot.services.dispatch import DispatchService
    from bot.services.escalation import RungCache
    from bot.services.flow import RequestFlow
    from bot.services.people import Actor
    from bot.services.sweep import DeadlineSweep
    from storage.db import Database, Tx
    from storage.repos.deadlines import DeadlineItem

__all__ = ["RATING_CLOSE", "PropertyRoute", "PropertyService"]

LOG = logging.getLogger(__name__)

RATING_CLOSE = "rating_close"
# Which way a property matter went (requests.route).
COMMUNITY = "community"
POOL = "pool"
STAFF = (PartyKind.PROPERTY_COMPANY, PartyKind.SELF_MANAGEMENT_GROUP)
PAGE = 8
# Who sees a compound's property matters and its ratings, besides the community's admins.
SUPERVISORS = (PartyKind.OWNERS_COMMITTEE, PartyKind.BRANCH)


class PropertyService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        dispatch: DispatchService,
        flow: RequestFlow,
        notifier: Notifier,
        sweep: DeadlineSweep,
        i18n: I18n,
        config: Config,
    ) -> None:
        self.db = db
        self.clock = clock
        self.dispatch = dispatch
        self.flow = flow
        self.notifier = notifier
        self.i18n = i18n
        self.config = config
        sweep.register((RATING_CLOSE,), self._close_due)

    # -- supervision (监督) ----------------------------------------------------------------
    async def supervised(
        self, actor: Actor, compound_id: int, page: int = 0
    ) -> tuple[OrgUnit, list[RequestView], int, list[RatingResult]]:
        """The compound's property requests (newest first, ``page`` of them) with where they
        stand and their ratings, and the latest property-service ratings; for the owners'
        committee, the branch and the community's administrators of that compound only."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            compound = await self._supervised_compound(tx, actor, compound_id)
            total, rows = await tx.requests.handled_by_in(
                compound.id, HandledBy.PROPERTY_COMPANY, offset=page * PAGE, limit=PAGE
            )
            views_ = [await self.flow.view(tx, r, is_owner=False, supporters=0) for r in rows]
            results = [await self._result(tx, r) for r in await tx.ratings.latest(compound.id, 3)]
        return compound, views_, total, results

    async def supervised_compounds(self, actor: Actor) -> list[OrgUnit]:
        """The compounds whose property matters the actor supervises."""
        async with self.db.read() as tx:
            found: dict[int, OrgUnit] = {}
            for unit_id in actor.units_with(Role.SEAT):
                for _seat, party in await tx.parties.held_in(actor.id, unit_id):
                    if party.kind in SUPERVISORS:
                        unit = await tx.org.get(unit_id)
                        if unit is not None:
                            found[unit.id] = unit
            for unit_id in actor.units_with(Role.ADMIN):
                scope = await tx.org.get(unit_id)
                if scope is not None:
                    for unit in await tx.org.subtree(scope, Level.COMPOUND):
                        if await tx.parties.of_kind(unit.id, PartyKind.PROPERTY_COMPANY):
                            found[unit.id] = unit
        if not found:
            raise NotAllowed(
                N_(
                    "Property matters are for the owners' committee, the party branch and the"
                    " community."
                )
            )
        return sorted(found.values(), key=lambda u: (u.path, u.sort))

    async def _supervised_compound(self, tx: Tx, actor: Actor, compound_id: int) -> OrgUnit:
        compound = await tx.org.get(compound_id)
        if compound is None or compound.level is not Level.COMPOUND:
            raise NotFound(N_("That compound does not exist (any more)."))
        if await administers(tx, actor, compound):
            return compound
        if any(p.kind in SUPERVISORS for _s, p in await tx.parties.held_in(actor.id, compound.id)):
            return compound
        raise Refused(
            NotAllowed(
                N_(
                    "Only the owners' committee, the party branch and the community of this"
                    " compound can see its property matters."
                )
            ),
            action="property.view",
            subject=f"unit:{compound.code}",
            unit_id=compound.id,
            reason="not a supervisor of this compound",
        )

    # -- the monthly rating (物业服务评议) ---------------------------------------------------
    def _month(self) -> date:
        return self.clock.now().astimezone(self.config.tz).date().replace(day=1)

    async def run_due(self) -> int:
        """The job: once this month's day and hour have come, open the round of every compound
        with a property company that has none this month; return how many opened."""
        settings = self.config.consultation
        local = self.clock.now().astimezone(self.config.tz)
        if not settings.rating or (local.day, local.hour) < (
            settings.rating_day,
            settings.rating_hour,
        ):
            return 0
        month = f"{self._month():%Y-%m}"
        async with self.db.read() as tx:
            compounds = [u for u in await tx.org.all_units() if u.level is Level.COMPOUND]
            due = [
                u for u in compounds if await tx.parties.of_kind(u.id, PartyKind.PROPERTY_COMPANY)
            ]
        opened = 0
        for compound in due:
            async with self.db.transaction() as tx:
                opened += await self.open_round(tx, compound, month) is not None
        if opened:
            LOG.info("property-service ratings of %s opened in %d compounds", month, opened)
        return opened

    async def open_round(self, tx: Tx, compound: OrgUnit, month: str) -> RatingRound | None:
        """Open the compound's round of ``month`` and ask its residents (once a month)."""
        now = self.clock.now()
        party = await tx.parties.of_kind(compound.id, PartyKind.PROPERTY_COMPANY)
        closes = now + timedelta(days=self.config.consultation.rating_days)
        round_ = await tx.ratings.open(
            compound.id, party.id if party else None, month, now, closes
        )
        if round_ is None:
            return None
        residents = await tx.people.holders(Role.RESIDENT, [compound])
        asked = 0
        for person in residents:
            if person.unreachable:
                continue
            await self._send(
                tx,
                person,
                lambda t, lang: views.rating_question(
                    t, lang, round_, compound, party.name if party else None
                ),
                batch=f"rating:{round_.id}",
            )
            asked += 1
        await tx.ratings.set_asked(round_.id, asked)
        await tx.deadlines.add_of("rating_id", round_.id, RATING_CLOSE, closes, now)
        await tx.audit.record(
            actor_id=None,
            actor_label="system",
            action="rating.open",
            subject=f"rating:{round_.id}",
            unit_id=compound.id,
            after={"month": month, "asked": asked},
            now=now,
        )
        return round_

    async def answer(self, actor: Actor, round_id: int, answer: Rating) -> RatingRound:
        """A resident's answer (changeable until the round closes)."""
        if answer is Rating.NOT_RATED:
            raise InvalidInput(N_("Please choose one of the answers."))
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            round_ = await self._open_round_of(tx, actor, round_id)
            await tx.ratings.answer(round_.id, actor.id, answer, now)
        return round_

    async def comment(self, actor: Actor, round_id: int, text: str) -> None:
        text = COMMENT.accept(text)
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            round_ = await self._open_round_of(tx, actor, round_id)
            if not await tx.ratings.comment(round_.id, actor.id, text):
                raise InvalidTransition(N_("Please choose one of the answers first."))

    async def _open_round_of(self, tx: Tx, actor: Actor, round_id: int) -> RatingRound:
        round_ = await tx.ratings.get(round_id)
        if round_ is None:
            raise NotFound(N_("That rating does not exist."))
        if actor.person.home_unit_id != round_.compound_id:
            raise Refused(
                NotAllowed(N_("Only the residents of this compound rate its property company.")),
                action="rating.answer",
                subject=f"rating:{round_.id}",
                unit_id=round_.compound_id,
                reason="not a resident of the compound",
            )
        if round_.state != "open":
            raise InvalidTransition(N_("This rating has closed. Thank you all the same."))
        return round_

    async def _close_due(self, tx: Tx, item: DeadlineItem, _cache: RungCache) -> None:
        """The sweep: the round closes; the result goes to the branch, the committee and the
        community."""
        if item.rating_id is None:
            return
        now = self.clock.now()
        if not await tx.ratings.close(item.rating_id, now):
            return
        round_ = await tx.ratings.get(item.rating_id)
        assert round_ is not None
        result = await self._result(tx, round_)
        await tx.audit.record(
            actor_id=None,
            actor_label="system",
            action="rating.close",
            subject=f"rating:{round_.id}",
            unit_id=round_.compound_id,
            after={
                "satisfied": result.satisfied,
                "basic": result.basic,
                "unsatisfied": result.unsatisfied,
            },
            now=now,
        )
        for person in await self._report_to(tx, result.compound):
            await self._send(tx, person, lambda t, lang: views.rating_report(t, lang, result))

    async def _report_to(self, tx: Tx, compound: OrgUnit) -> list[Person]:
        people: dict[int, Person] = {}
        for kind in SUPERVISORS:
            party = await tx.parties.of_kind(compound.id, kind)
            for person_id in await tx.parties.holders(party.id) if party else []:
                person = await tx.people.get(person_id)
                if person is not None:
                    people[person.id] = person
        _level, admins = await nearest_admins(tx, compound)
        people |= {a.id: a for a in admins}
        return list(people.values())

    async def _result(self, tx: Tx, round_: RatingRound) -> RatingResult:
        compound = await tx.org.get(round_.compound_id)
        assert compound is not None
        party = await tx.parties.party(round_.party_id) if round_.party_id else None
        answers = await tx.ratings.answers(round_.id)
        return RatingResult(
            round=round_,
            compound=compound,
            party=party,
            satisfied=sum(a is Rating.SATISFIED for a, _c in answers),
            basic=sum(a is Rating.BASIC for a, _c in answers),
            unsatisfied=sum(a is Rating.UNSATISFIED for a, _c in answers),
            comments=[c for _a, c in answers if c],
        )

    async def _send(
        self, tx: Tx, person: Person, render: views.Render, *, batch: str | None = None
    ) -> None:
        if person.unreachable:
            return
        language = person.language or self.i18n.default
        await self.notifier.send(
            tx, person.telegram_id, render(self.i18n.get(language), language), batch=batch
        )


class PropertyRoute(Route):
    """物业: the company's staff, else the self-management group, else (三无) the community's
    administrators, else the members' pool (see the module's docstring)."""

    async def send(self, tx: Tx, request: Request, *, actor: Actor | None) -> None:
        for kind in STAFF:
            party = await tx.parties.of_kind(request.compound_id, kind)
            if party is None:
                continue
            holders = await tx.parties.holders(party.id)
            sent = await self.dispatcher.offer_cards(tx, request, holders, actor=actor)
            if sent:
                LOG.info("request %s sent to %d of the %s", request.number, sent, kind.value)
                await self._took(tx, request, kind.value)
                return
        if await self._unmanaged(tx, request):
            await self.dispatcher.cards.flag_admins(tx, request, task_views.unmanaged_flag)
            await self._took(tx, request, COMMUNITY)
            return
        await self._took(tx, request, POOL)
        await self.dispatcher.dispatch(tx, request, actor=actor)

    async def worker(self, tx: Tx, actor: Actor, request: Request) -> str | None:
        """On the staff's way, a seat holder of that party (by the seat's name); else a
        member."""
        kind = next((k for k in STAFF if k.value == request.route), None)
        if kind is None:
            return await super().worker(tx, actor, request)
        for seat, party in await tx.parties.held_in(actor.id, request.compound_id):
            if party.kind is kind:
                return seat.holder_name or actor.person.display_name or "?"
        return None

    async def affiliation(self, tx: Tx, actor: Actor, request: Request) -> str | None:
        """On the staff's way, their party (the company, the self-management group), not
        "volunteer"."""
        for _seat, party in await tx.parties.held_in(actor.id, request.compound_id):
            if party.kind.value == request.route:
                return party.name
        return None

    async def _took(self, tx: Tx, request: Request, way: str) -> None:
        await tx.requests.set_fields(request.id, self.dispatcher.clock.now(), route=way)

    @staticmethod
    async def _unmanaged(tx: Tx, request: Request) -> bool:
        """三无小区 — no property company (the org file says so) and no branch, owners'
        committee or self-management group recorded: the community's administrators act for
        it."""
        compound = await tx.org.get(request.compound_id)
        if compound is None or compound.has_property_company:
            return False
        return not await tx.parties.of_compound(request.compound_id)
