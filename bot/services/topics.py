"""每月一题、未诉先办: the hot spots of each community proposed to its admins, and what they
decide. The analysis is :mod:`bot.hotspots`; this service reads its data, runs it once a month
for every community (the hourly job checks whether this month's run is due), stores the
proposals as topics, sends one card per topic to the community's admins, and carries out the
admins' decisions: dismiss with a reason, or convert.

A conversion is one small handler (:class:`Conversion`): the kind, its button and what it
makes. "task" is here (a request of the community itself, dispatched to the members like any
other); a consultation and a whistle register theirs when those flows exist.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from bot.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from bot.freetext import REASON
from bot.hotspots import (
    Cluster,
    Finding,
    MonthWindows,
    category_clusters,
    find_monthly,
    find_seasonal,
    month_start,
    next_month,
    term_clusters,
)
from bot.i18n import N_, I18n
from bot.messages import OutMessage
from bot.models import (
    Category,
    HandledBy,
    Level,
    OrgUnit,
    Request,
    Tier,
    Topic,
    TopicKind,
    TopicState,
)
from bot.models.intake import Draft
from bot.services.scope import Refused, administers, audited_refusals, nearest_admins
from bot.views import topics as views

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.services.flow import RequestFlow
    from bot.services.people import Actor
    from bot.services.requests import RequestService
    from storage.db import Database, Tx
    from storage.repos.topics import Filed

__all__ = ["Conversion", "Proposals", "TopicService", "parse_month"]

LOG = logging.getLogger(__name__)

MAX_REASON = 200
DISMISSED_MONTHS = 2  # a dismissed problem is not proposed again this soon ...
COME_BACK = 1.5  # ... unless its recent voices grew this much
HISTORY = timedelta(days=550)  # read back this far: last year's month, and the year around it


def parse_month(text: str) -> date:
    """``YYYY-MM`` as the first day of that month."""
    try:
        year, month = (int(p) for p in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise InvalidInput(N_("Please give the month as YYYY-MM.")) from None


@dataclass(frozen=True)
class Proposals:
    """What the analysis proposes to one community for one month."""

    community: OrgUnit
    month: date
    monthly: list[Finding]
    preemptive: list[Finding]
    month_start: datetime

    def drafts(self) -> list[Topic]:
        """The proposals as topics not stored yet (id 0), month's topics first, by rank."""
        out = []
        for kind, findings in (
            (TopicKind.MONTHLY, self.monthly),
            (TopicKind.PREEMPTIVE, self.preemptive),
        ):
            for rank, finding in enumerate(findings, 1):
                out.append(
                    Topic(
                        id=0,
                        unit_id=self.community.id,
                        scope_id=finding.scope_id,
                        kind=kind,
                        month=f"{self.month:%Y-%m}",
                        signature=finding.cluster.signature,
                        label=" · ".join(finding.cluster.terms),
                        category_id=finding.cluster.category_id,
                        evidence={**finding.evidence, "of": len(findings)},
                        score=finding.score,
                        rank=rank,
                        created_at=self.month_start,
                    )
                )
        return out


@dataclass(frozen=True)
class Conversion:
    """Turning a topic into something that acts on it: one handler per kind."""

    kind: str
    button: str  # msgid of the card's button
    run: Callable[[Tx, Actor, Topic], Awaitable[str]]  # returns what it made: 'request:12'
    # The callback feature of a guided flow that the button starts instead (its action
    # "topic" with the topic's id): the flow converts the topic, then goes on with its steps.
    flow: str | None = None


@dataclass
class TopicService:
    db: Database
    clock: Clock
    flow: RequestFlow
    requests: RequestService
    i18n: I18n
    config: Config
    conversions: dict[str, Conversion] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.register(Conversion("task", N_("📋 Make it a task"), self._to_task))

    def register(self, conversion: Conversion) -> None:
        """Add a way to act on a topic (its button appears on every open card)."""
        self.conversions[conversion.kind] = conversion

    # -- the analysis ------------------------------------------------------------------------
    async def analyse(self, community: OrgUnit, month: date) -> Proposals:
        """The month's topics and next month's pre-emptive tasks of a community (reads only)."""
        tz = self.config.tz
        windows = MonthWindows(month_start(month, tz), tz)
        settings = self.config.hotspots
        async with self.db.read() as tx:
            filed = await tx.topics.filed(community, windows.start - HISTORY, windows.start)
            categories = await tx.requests.categories(active_only=False)
            names = [u.name for u in await tx.org.subtree(community)]
            names += [u.name for u in await tx.org.ancestors(community)]
            dismissed = await tx.topics.dismissed_since(
                community.id, f"{next_month(month, -DISMISSED_MONTHS):%Y-%m}"
            )
        terms = await asyncio.to_thread(_terms_of, filed, names)
        codes = {c.id: c.code for c in categories}
        skip = {c.id for c in categories if c.is_opinion}

        def clusters(items: list[Filed]) -> list[Cluster]:
            return term_clusters(items, terms) + category_clusters(items, codes, skip)

        recent = [f for f in filed if f.created_at >= windows.before[0]]
        monthly = find_monthly(
            recent,
            clusters(recent),
            windows,
            community_id=community.id,
            min_recent=settings.min_recent,
            limit=settings.topics + len(dismissed),
        )
        monthly = [f for f in monthly if _not_dismissed(f, dismissed)][: settings.topics]
        first, last = windows.last_year()
        around = [f for f in filed if first - timedelta(days=183) <= f.created_at]
        around = [f for f in around if f.created_at < last + timedelta(days=183)]
        proposed = {f.cluster.signature for f in monthly}
        preemptive = find_seasonal(
            around,
            clusters(around),
            windows,
            community_id=community.id,
            min_seasonal=settings.min_seasonal,
            limit=settings.topics,
            known=lambda s: s in proposed or s in dismissed,
        )
        return Proposals(community, month, monthly, preemptive, windows.start)

    async def communities(self, code: str) -> list[OrgUnit]:
        """The communities at or below the unit ``code`` (a compound: its community)."""
        async with self.db.read() as tx:
            unit = await tx.org.get_by_code(code)
            if unit is None:
                raise NotFound(N_("There is no unit with the code {code}."), code=code)
            if unit.level is Level.COMPOUND and unit.parent_id is not None:
                parent = await tx.org.get(unit.parent_id)
                return [parent] if parent is not None else []
            return await tx.org.subtree(unit, Level.COMMUNITY)

    # -- the monthly run ----------------------------------------------------------------------
    def this_month(self) -> date:
        return self.clock.now().astimezone(self.config.tz).date().replace(day=1)

    async def run_due(self) -> int:
        """The job: once this month's day and hour have come, propose to every community that
        has not had this month's proposals; return how many topics went out."""
        settings = self.config.hotspots
        local = self.clock.now().astimezone(self.config.tz)
        if not settings.enabled or (local.day, local.hour) < (settings.day, settings.hour):
            return 0
        return await self.run_month(local.date().replace(day=1))

    async def run_month(self, month: date) -> int:
        async with self.db.read() as tx:
            communities = [u for u in await tx.org.all_units() if u.level is Level.COMMUNITY]
            pending = [u for u in communities if not await tx.topics.ran(u.id, f"{month:%Y-%m}")]
        sent = 0
        for community in pending:
            proposals = await self.analyse(community, month)
            sent += await self._propose(proposals)
        if pending:
            LOG.info("hot spots of %s: %d topics for %d communities", month, sent, len(pending))
        return sent

    async def _propose(self, proposals: Proposals) -> int:
        """Store the proposals and send their cards, once per community and month."""
        now = self.clock.now()
        month = f"{proposals.month:%Y-%m}"
        community = proposals.community
        count = 0
        async with self.db.transaction() as tx:
            total = len(proposals.monthly) + len(proposals.preemptive)
            if not await tx.topics.mark_run(community.id, month, total, now):
                return 0  # another run did it
            _level, admins = await nearest_admins(tx, community)
            for draft in proposals.drafts():
                topic_id = await tx.topics.add(
                    unit_id=draft.unit_id,
                    scope_id=draft.scope_id,
                    kind=draft.kind.value,
                    month=draft.month,
                    signature=draft.signature,
                    label=draft.label,
                    category_id=draft.category_id,
                    evidence=draft.evidence,
                    score=draft.score,
                    rank=draft.rank,
                    now=now,
                )
                if topic_id is None:
                    continue
                count += 1
                for admin in admins:
                    card = await self._card(tx, topic_id, admin.language)
                    outbox_id = await self.flow.notifier.send(tx, admin.telegram_id, card)
                    await tx.topics.add_card(topic_id, admin.id, outbox_id)
            await tx.audit.record(
                actor_id=None,
                actor_label="system",
                action="topics.propose",
                subject=f"unit:{community.code}",
                unit_id=community.id,
                after={"month": month, "topics": count},
                now=now,
            )
        return count

    # -- what admins see and do ---------------------------------------------------------------
    async def topics(self, actor: Actor) -> list[views.TopicCard]:
        """This month's topics of the communities the actor administers (and last month's)."""
        month = self.this_month()
        months = [f"{next_month(month, -1):%Y-%m}", f"{month:%Y-%m}"]
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            communities = await self._communities(tx, actor)
            found = await tx.topics.of_units([c.id for c in communities], months)
            language = actor.person.language
            return [await self._view(tx, t, language) for t in reversed(found)]

    async def topic(self, actor: Actor, topic_id: int) -> views.TopicCard:
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            topic = await self._admin_topic(tx, actor, topic_id, "topic.view")
            return await self._view(tx, topic, actor.person.language)

    async def dismiss(self, actor: Actor, topic_id: int, reason: str) -> views.TopicCard:
        """Not this month's topic, with a reason every admin of the community sees."""
        reason = REASON.with_limit(MAX_REASON).accept(reason)
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            topic = await self._admin_topic(tx, actor, topic_id, "topic.dismiss")
            await self._decide(tx, actor, topic, TopicState.DISMISSED, reason=reason)
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action="topic.dismiss",
                subject=f"topic:{topic.id}",
                unit_id=topic.unit_id,
                before={"state": topic.state.value},
                after={"state": TopicState.DISMISSED.value, "reason": reason},
                now=now,
            )
            await self._edit_cards(tx, topic.id)
            return await self._view(tx, topic.id, actor.person.language)

    async def convert(self, actor: Actor, topic_id: int, kind: str) -> views.TopicCard:
        """Act on the topic: its conversion of ``kind`` makes what acts on it."""
        conversion = self.conversions.get(kind)
        if conversion is None:
            raise InvalidInput(N_("This menu has expired. Please use the latest message."))
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            topic = await self._admin_topic(tx, actor, topic_id, "topic.convert")
            if topic.state is not TopicState.PROPOSED:
                raise self._decided(topic)
            ref = await conversion.run(tx, actor, topic)
            await self._decide(
                tx, actor, topic, TopicState.CONVERTED, converted_kind=kind, converted_ref=ref
            )
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action="topic.convert",
                subject=f"topic:{topic.id}",
                unit_id=topic.unit_id,
                before={"state": topic.state.value},
                after={"state": TopicState.CONVERTED.value, "kind": kind, "into": ref},
                now=now,
            )
            await self._edit_cards(tx, topic.id)
            return await self._view(tx, topic.id, actor.person.language)

    # -- the task conversion ------------------------------------------------------------------
    async def _to_task(self, tx: Tx, actor: Actor, topic: Topic) -> str:
        """A request of the community itself, for the members of the place (未诉先办)."""
        request = await self.file_for(tx, actor, topic)
        return f"request:{request.id}"

    async def file_for(
        self,
        tx: Tx,
        actor: Actor,
        topic: Topic,
        *,
        tier: Tier | None = None,
        handled_by: HandledBy | None = None,
    ) -> Request:
        """A request of the community itself about the topic, filed where most of its voices
        came from (a conversion's part; ``tier`` and ``handled_by`` as for
        :meth:`RequestService.file`)."""
        scope = await tx.org.get(topic.scope_id)
        assert scope is not None
        compound = scope
        if scope.level is not Level.COMPOUND:
            where = topic.evidence.get("where") or []
            top = await tx.org.get(int(where[0][0])) if where else None
            children = await tx.org.subtree(scope, Level.COMPOUND)
            compound = top if top is not None else (children[0] if children else scope)
        categories = await tx.requests.categories(active_only=False)
        category = next((c for c in categories if c.id == topic.category_id), None)
        if category is None or category.is_opinion or not category.active:
            category = next(c for c in categories if c.code == "other")
        language = self.i18n.default
        t = self.i18n.get(language)
        label = views.topic_label(t, language, topic, category)
        description = views.task_description(t, topic, label, scope.label(language))
        request = await self.requests.file(
            tx,
            None,
            compound_id=compound.id,
            category=category,
            draft=Draft(category_id=category.id, description=description, urgent=False),
            source_key=f"topic:{topic.id}",
            contact_name=None,
            channel="community",
            label=actor.label,
            tier=tier,
            handled_by=handled_by,
        )
        return request

    # -- helpers ---------------------------------------------------------------------------
    async def _communities(self, tx: Tx, actor: Actor) -> list[OrgUnit]:
        from bot.services.scope import admin_units

        scopes = await admin_units(tx, actor)
        if not scopes:
            raise Refused(
                NotAllowed(N_("Only administrators can see this.")),
                action="topic.view",
                subject="topics",
                unit_id=None,
                reason="not an admin",
            )
        out: dict[int, OrgUnit] = {}
        for scope in scopes:
            if scope.level is Level.COMPOUND:
                continue
            for unit in await tx.org.subtree(scope, Level.COMMUNITY):
                out[unit.id] = unit
        return sorted(out.values(), key=lambda u: u.path)

    async def _admin_topic(self, tx: Tx, actor: Actor, topic_id: int, action: str) -> Topic:
        topic = await tx.topics.get(topic_id)
        if topic is None:
            raise NotFound(N_("That topic does not exist."))
        community = await tx.org.get(topic.unit_id)
        assert community is not None
        if not await administers(tx, actor, community):
            raise Refused(
                NotAllowed(N_("Only the administrators of this community can do this.")),
                action=action,
                subject=f"topic:{topic.id}",
                unit_id=topic.unit_id,
                reason="outside the admin's scope",
            )
        return topic

    def _decided(self, topic: Topic) -> InvalidTransition:
        if topic.state is TopicState.DISMISSED:
            return InvalidTransition(N_("This topic has already been set aside."))
        return InvalidTransition(N_("This topic has already been acted on."))

    async def _decide(
        self, tx: Tx, actor: Actor, topic: Topic, state: TopicState, **fields: str | None
    ) -> None:
        if not await tx.topics.decide(
            topic.id, state, person_id=actor.id, now=self.clock.now(), **fields
        ):
            fresh = await tx.topics.get(topic.id)
            raise self._decided(fresh or topic)

    async def _edit_cards(self, tx: Tx, topic_id: int) -> None:
        """Every admin's copy of the card shows what became of the topic."""
        for person_id, outbox_id in await tx.topics.cards(topic_id):
            person = await tx.people.get(person_id)
            if person is None or outbox_id is None:
                continue
            card = await self._card(tx, topic_id, person.language)
            await self.flow.notifier.edit(tx, outbox_id, card)

    async def _card(self, tx: Tx, topic_id: int, language: str | None) -> OutMessage:
        view = await self._view(tx, topic_id, language)
        lang = language or self.i18n.default
        return views.topic_card(self.i18n.get(lang), lang, view, self.config.tz)

    async def _view(self, tx: Tx, topic: Topic | int, language: str | None) -> views.TopicCard:
        if isinstance(topic, int):
            found = await tx.topics.get(topic)
            assert found is not None
            topic = found
        units: dict[int, OrgUnit] = {}
        for unit_id in {topic.unit_id, topic.scope_id} | {
            int(w[0]) for w in topic.evidence.get("where", [])
        }:
            unit = await tx.org.get(unit_id)
            if unit is not None:
                units[unit.id] = unit
        category: Category | None = None
        if topic.category_id is not None:
            category = await tx.requests.category(topic.category_id)
        decider = None
        if topic.decided_by is not None:
            person = await tx.people.get(topic.decided_by)
            decider = person.display_name if person else None
        result = None
        if topic.converted_ref and topic.converted_ref.startswith("request:"):
            made = await tx.requests.get(int(topic.converted_ref.split(":", 1)[1]))
            result = made.number if made else None
        actions = (
            [(c.kind, c.button, c.flow) for c in self.conversions.values()]
            if topic.state is TopicState.PROPOSED
            else []
        )
        return views.TopicCard(topic, units, category, decider, result, actions)


def _not_dismissed(finding: Finding, dismissed: dict[str, Topic]) -> bool:
    """A problem dismissed lately comes back only when it grew clearly since."""
    earlier = dismissed.get(finding.cluster.signature)
    if earlier is None:
        return True
    return _recent(finding.evidence) >= COME_BACK * max(_recent(earlier.evidence), 1)


def _recent(evidence: dict[str, object]) -> int:
    return int(str(evidence.get("recent", 0))) + int(str(evidence.get("recent_support", 0)))


def _terms_of(filed: list[Filed], names: list[str]) -> dict[int, set[str]]:
    """Key terms of every description (CPU-bound: run in a worker thread)."""
    from bot.terms import KeyTerms

    terms = KeyTerms(names)
    return {item.id: terms(item.description) for item in filed}
