"""Statistics for administrators (三率): the figures of a unit for a period, the ranking of the
units below it, and the export. Every check and every audit row is here.

Definitions, for the requests of the unit's subtree (periods are whole local days):

- *received*: filed in the period; broken down by tier and category.
- *open now* / *overdue now*: still open at the time of asking; overdue when unaccepted past its
  accept deadline or past its resolve deadline (the admin queue's "overdue").
- *response rate*: of the requests dispatched in the period that were accepted or whose time
  to accept has passed (one still inside it is not counted yet), the share accepted by their
  accept deadline. A request the community took without offering it to anyone (convened a
  consultation on it, blew the whistle) counts in the period it was taken.
- *resolution rate*: of the requests received in the period and not cancelled, the share
  that reached ``resolved`` (resolved, or closed with ``resolved_at`` set).
- *satisfaction rate*: of the requests rated in the period (satisfied, basically
  satisfied or unsatisfied; "not rated" counts in neither part), the share satisfied or
  basically satisfied.
- *median time to accept / to resolve*: from filing, over the requests received in the period
  (not cancelled) that were accepted / resolved.
- The article's work figures: residents visited and contacted (household visits in the
  period), opinions collected (received requests of an opinion category), micro-matters solved
  (requests resolved in the period), volunteer activities (activities of the unit's area that
  finished in the period with at least one person checked in).
- *ranking*: the units one level down, by the mean of their defined rates.
- Important matters (:mod:`bot.services.consult_stats`): consultations held and decisions
  made in the period, owners' votes closed (turnout by owners and by area), action items due
  in the period done on time, and the property-service ratings closed in the period.
- *service teams* (the service menu): per team, its orders received in the period, of them
  done, and of those rated, the share satisfied or basically satisfied.
- *since the start*: the period from the first day anything was recorded in the unit's area
  to today, with no limit on its length (the figures the article reports are cumulative);
  its trend goes by month.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING

from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.i18n import N_
from bot.lifecycle import OPEN
from bot.models import Level, OrgUnit, Tier, TopicState
from bot.models.stats import (
    Export,
    HeatBlock,
    HeatCell,
    HeatMap,
    Period,
    PeriodKind,
    Stats,
    TeamFigures,
    UnitFigures,
    median,
)
from bot.services.consult_stats import consult_figures
from bot.services.scope import Refused, admin_units, audited_refusals
from bot.services.whistle_stats import department_stats

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.services.people import Actor
    from storage.db import Database, Tx

__all__ = [
    "EXPORT",
    "MAX_DAYS",
    "VIEW",
    "StatsService",
    "custom_period",
    "decode_period",
    "parse_period",
    "period_of",
]

LOG = logging.getLogger(__name__)

VIEW = "stats.view"
EXPORT = "export"
MAX_DAYS = 366
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
_RANGE_CODE = re.compile(r"^(\d{8})-(\d{8})$")
_EXAMPLE = "2026-11-01 2026-11-30"


def custom_period(first: date, last: date) -> Period:
    """A typed range; at most :data:`MAX_DAYS` days, ``first`` not after ``last``."""
    if first > last:
        raise InvalidInput(N_("The first date must not be after the last one."))
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput(N_("The period can be at most {days} days."), days=MAX_DAYS)
    return Period(PeriodKind.RANGE, first, last)


def period_of(kind: PeriodKind, today: date) -> Period:
    """This week, this month (both up to today), last month, or since the start (to today:
    its first day is the area's, see :meth:`StatsService.since_start`)."""
    if kind is PeriodKind.ALL:
        return Period(kind, today, today)
    if kind is PeriodKind.WEEK:
        return Period(kind, today - timedelta(days=today.weekday()), today)
    if kind is PeriodKind.MONTH:
        return Period(kind, today.replace(day=1), today)
    if kind is PeriodKind.LAST_MONTH:
        last = today.replace(day=1) - timedelta(days=1)
        return Period(kind, last.replace(day=1), last)
    raise ValueError("a range needs its dates")


def parse_period(text: str) -> Period:
    """Dates typed after the command: ``2026-11-01 2026-11-30`` (or one date: that day)."""
    found = _DATE.findall(text)
    if not 1 <= len(found) <= 2 or _DATE.sub("", text).strip(" \t~-–—,") != "":
        raise InvalidInput(
            N_("Please give the period as two dates, for example: {example}"), example=_EXAMPLE
        )
    try:
        days = [date.fromisoformat("-".join(p.zfill(2) for p in d.split("-"))) for d in found]
    except ValueError:
        raise InvalidInput(
            N_("Please give the period as two dates, for example: {example}"), example=_EXAMPLE
        ) from None
    return custom_period(days[0], days[-1])


def decode_period(code: str, today: date) -> Period:
    """The period of a :attr:`Period.code` (relative ones as of ``today``)."""
    if code in (PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.LAST_MONTH, PeriodKind.ALL):
        return period_of(PeriodKind(code), today)
    match = _RANGE_CODE.match(code)
    if match is None:
        raise InvalidInput(N_("This menu has expired. Please use the latest message."))
    try:
        first, last = (datetime.strptime(g, "%Y%m%d").date() for g in match.groups())
    except ValueError:
        raise InvalidInput(N_("This menu has expired. Please use the latest message.")) from None
    return custom_period(first, last)


def _rank_key(figures: UnitFigures) -> tuple[int, Fraction, int, int, str]:
    score = figures.score
    return (
        score is None,
        -(score or Fraction(0)),
        -figures.counts.received,
        figures.unit.sort,
        figures.unit.code,
    )


# -- the service -----------------------------------------------------------------------------
class StatsService:
    """Statistics and exports. Their queries go to ``reports`` (``[storage] read_url``, a read
    replica) when given, else to the main store; audit rows always go to the main store."""

    def __init__(
        self, db: Database, clock: Clock, config: Config, reports: Database | None = None
    ) -> None:
        self.db = db
        self.reports = reports or db
        self.clock = clock
        self.config = config

    # periods, as of the local today
    def today(self) -> date:
        return self.clock.now().astimezone(self.config.tz).date()

    def period(self, kind: PeriodKind = PeriodKind.MONTH) -> Period:
        return period_of(kind, self.today())

    def parse_period(self, text: str) -> Period:
        return parse_period(text)

    def decode_period(self, code: str) -> Period:
        return decode_period(code, self.today())

    # what an admin may see
    async def scopes(self, actor: Actor, action: str = VIEW) -> list[OrgUnit]:
        """The units the actor administers (refused, and audited, for anyone else)."""
        async with audited_refusals(self.db, self.clock, actor), self.reports.read() as tx:
            return await self._scopes(tx, actor, action)

    async def _scopes(self, tx: Tx, actor: Actor, action: str) -> list[OrgUnit]:
        scopes = sorted(await admin_units(tx, actor), key=lambda u: u.path)
        if not scopes:
            raise Refused(
                NotAllowed(N_("Only administrators can see statistics.")),
                action=action,
                subject="stats",
                unit_id=None,
                reason="not an admin",
            )
        return scopes

    async def check_unit(self, tx: Tx, actor: Actor, unit_id: int, action: str = VIEW) -> None:
        """Refuse (audited as ``action``) unless the unit is in the actor's scope."""
        await self._unit(tx, actor, unit_id, action)

    async def _unit(self, tx: Tx, actor: Actor, unit_id: int, action: str) -> OrgUnit | None:
        """The unit, checked against the actor's scopes; returns the unit above it when the
        actor may see that one too."""
        scopes = await self._scopes(tx, actor, action)
        unit = await tx.org.get(unit_id)
        if unit is None:
            raise NotFound(N_("That place does not exist (any more)."))
        if not any(scope.contains(unit) for scope in scopes):
            raise Refused(
                NotAllowed(N_("You can only see the statistics of your own area.")),
                action=action,
                subject=f"unit:{unit.code}",
                unit_id=unit.id,
                reason="outside the admin's scope",
            )
        parent = await tx.org.get(unit.parent_id) if unit.parent_id else None
        if parent is not None and any(scope.contains(parent) for scope in scopes):
            return parent
        return None

    # the figures
    async def stats(self, actor: Actor, unit_id: int, period: Period) -> Stats:
        """The statistics of a unit in the actor's scope (audited as ``stats.view``)."""
        async with audited_refusals(self.db, self.clock, actor), self.reports.read() as tx:
            up = await self._unit(tx, actor, unit_id, VIEW)
            stats = await self._compute(tx, unit_id, period, up)
        await self._audit(actor, VIEW, stats.unit, stats.period, {})
        return stats

    async def heat_map(self, actor: Actor, unit_id: int, period: Period) -> HeatMap | None:
        """Compounds inside communities, with their requests of the period and this month's
        topics; for a street or the district only (None for a community or compound)."""
        month = f"{self.today():%Y-%m}"
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            await self._unit(tx, actor, unit_id, VIEW)
            unit = await tx.org.get(unit_id)
            assert unit is not None
            if unit.level not in (Level.STREET, Level.DISTRICT):
                return None
            period = await self._since_start(tx, unit, period)
            start, end = period.bounds(self.config.tz)
            communities = await tx.org.subtree(unit, Level.COMMUNITY)
            compounds = await tx.org.subtree(unit, Level.COMPOUND)
            received = await tx.stats.received_by_compound(unit, start, end)
            topics = await tx.topics.of_units([c.id for c in communities], [month])
        marked = {t.scope_id for t in topics if t.state is not TopicState.DISMISSED}
        blocks = [
            HeatBlock(
                unit=community,
                cells=[
                    HeatCell(c, received.get(c.id, 0), c.id in marked)
                    for c in sorted(compounds, key=lambda u: (u.sort, u.code))
                    if c.parent_id == community.id
                ],
                topic=community.id in marked,
            )
            for community in communities
        ]
        return HeatMap(unit, period, month, blocks)

    async def export(self, actor: Actor, unit_id: int, period: Period) -> Export:
        """The requests and statistics of a unit in the actor's scope (audited as
        ``export``)."""
        async with audited_refusals(self.db, self.clock, actor), self.reports.read() as tx:
            up = await self._unit(tx, actor, unit_id, EXPORT)
            export = await self._export(tx, unit_id, period, up)
        await self._audit(
            actor, EXPORT, export.stats.unit, export.stats.period, {"rows": len(export.rows)}
        )
        return export

    async def export_unit(self, code: str, period: Period) -> Export:
        """The export for the command line (whoever runs it holds the database)."""
        async with self.reports.read() as tx:
            unit = await tx.org.get_by_code(code)
            if unit is None:
                raise NotFound(N_("That place does not exist (any more)."))
            export = await self._export(tx, unit.id, period, None)
        await self._audit(None, EXPORT, unit, export.stats.period, {"rows": len(export.rows)})
        return export

    async def _export(self, tx: Tx, unit_id: int, period: Period, up: OrgUnit | None) -> Export:
        stats = await self._compute(tx, unit_id, period, up, rows=True)
        start, end = stats.period.bounds(self.config.tz)
        departments = None
        if stats.unit.level in (Level.STREET, Level.DISTRICT):  # 部门考评: their own sheet
            calendar = self.config.working_calendar()
            departments = await department_stats(
                tx, stats.unit, stats.period, self.clock.now(), calendar, self.config
            )
        return Export(stats, await tx.stats.export_rows(stats.unit, start, end), departments)

    async def _since_start(self, tx: Tx, unit: OrgUnit, period: Period) -> Period:
        """ "Since the start" from the first day anything was recorded in the unit's area."""
        if period.kind is not PeriodKind.ALL:
            return period
        first = await tx.stats.first_day(unit)
        day = first.astimezone(self.config.tz).date() if first is not None else period.last
        return Period(PeriodKind.ALL, min(day, period.last), period.last)

    async def _compute(
        self, tx: Tx, unit_id: int, period: Period, up: OrgUnit | None, *, rows: bool = False
    ) -> Stats:
        now = self.clock.now()
        tz = self.config.tz
        unit = await tx.org.get(unit_id)
        assert unit is not None
        period = await self._since_start(tx, unit, period)
        start, end = period.bounds(tz)
        children = await tx.org.children(unit.id)
        counts = await tx.stats.counts([unit, *children], start, end, now)
        categories = {c.id: c for c in await tx.requests.categories(active_only=False)}
        by_tier = dict.fromkeys(Tier, 0)
        by_category: dict[int, int] = {}
        for tier, category_id, n in await tx.stats.received_by_kind(unit, start, end):
            by_tier[tier] += n
            by_category[category_id] = by_category.get(category_id, 0) + n
        open_now, overdue_now = await tx.stats.open_now(unit, now, OPEN)
        durations = await tx.stats.durations(unit, start, end)
        weeks = period.buckets(tz)
        per_week = await tx.stats.received_per_bucket(unit, [(s, e) for _d, s, e in weeks])
        per_team = await tx.stats.teams(unit, start, end)
        ranking = sorted(
            (UnitFigures(child, counts[child.id]) for child in children), key=_rank_key
        )
        return Stats(
            unit=unit,
            path=[*await tx.org.ancestors(unit), unit],
            period=period,
            at=now,
            totals=UnitFigures(unit, counts[unit.id]),
            by_tier=by_tier,
            by_category=sorted(
                ((categories[cid], n) for cid, n in by_category.items() if cid in categories),
                key=lambda item: (-item[1], item[0].sort, item[0].id),
            ),
            open_now=open_now,
            overdue_now=overdue_now,
            median_accept=median(durations.accept),
            median_resolve=median(durations.resolve),
            residents_visited=await tx.stats.residents_visited(unit, start, end),
            volunteer_activities=await tx.activities.finished_with_attendees(unit, start, end),
            ranking=ranking,
            weekly=[(day, n) for (day, _s, _e), n in zip(weeks, per_week, strict=True)],
            up=up,
            consult=await consult_figures(tx, unit, start, end, rows=rows),
            teams=[
                TeamFigures(team, *per_team.get(team.id, (0, 0, 0, 0)))
                for team in await tx.org.teams()
                if team.offers
            ],
        )

    async def _audit(
        self,
        actor: Actor | None,
        action: str,
        unit: OrgUnit,
        period: Period,
        extra: dict[str, object],
    ) -> None:
        async with self.db.transaction() as tx:
            await tx.audit.record(
                actor_id=actor.id if actor else None,
                actor_label=actor.label if actor else "cli",
                action=action,
                subject=f"unit:{unit.code}",
                unit_id=unit.id,
                after={
                    "period": period.code,
                    "from": period.first.isoformat(),
                    "to": period.last.isoformat(),
                    **extra,
                },
                now=self.clock.now(),
            )
