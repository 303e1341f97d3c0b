"""部门考评: the departments' figures and the whistles by unit, for the administrators of a
street or the district (/stats, its chart, the export).

The figures are those of the sub-orders *sent* in the period, on requests of the unit's area
(see :class:`bot.models.whistle_stats.DepartmentFigures` for each rate); times are counted in
working time (the working calendar). The ranking orders the departments by the mean of their
rates, then by how many sub-orders they got.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING

from bot.models import Department, Level, OrgUnit
from bot.models.stats import Period, median
from bot.models.whistle_stats import DepartmentFigures, DepartmentStats, OrderFacts, WhistleFigures
from bot.services.scope import audited_refusals
from bot.suborders import SubOrderState

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.services.people import Actor
    from bot.services.stats import StatsService
    from bot.workcal import WorkingCalendar
    from storage.db import Database, Tx

__all__ = ["WhistleStatsService", "department_stats"]

_GOOD = ("satisfied", "basic")
WIDE = (Level.STREET, Level.DISTRICT)


def _figures(
    department: Department, facts: list[OrderFacts], now: datetime, calendar: WorkingCalendar
) -> DepartmentFigures:
    """One department's figures from its sub-orders sent in the period."""
    sign_counted = signed_in_time = complete_counted = on_time = 0
    to_sign: list[timedelta] = []
    to_complete: list[timedelta] = []
    for f in facts:
        if f.signed_at is not None:
            sign_counted += 1
            signed_in_time += f.signed_at <= f.sign_due_at
            to_sign.append(calendar.between(f.sent_at, f.signed_at))
            if f.completed_at is not None:
                complete_counted += 1
                on_time += f.complete_due_at is None or f.completed_at <= f.complete_due_at
                to_complete.append(calendar.between(f.signed_at, f.completed_at))
            elif f.state == SubOrderState.SIGNED and f.complete_due_at is not None:
                complete_counted += f.complete_due_at <= now  # late and still open
        elif f.state == SubOrderState.SENT and f.sign_due_at <= now:
            sign_counted += 1  # unsigned past its window
    rated = [f.rating for f in facts if f.rating is not None]
    return DepartmentFigures(
        department=department,
        sent=len(facts),
        signed_in_time=signed_in_time,
        sign_counted=sign_counted,
        completed_on_time=on_time,
        complete_counted=complete_counted,
        satisfied=sum(1 for r in rated if r in _GOOD),
        rated=len(rated),
        returned=sum(1 for f in facts if f.returned_at is not None),
        median_sign=median(to_sign),
        median_complete=median(to_complete),
    )


def _rank_key(figures: DepartmentFigures) -> tuple[bool, Fraction, int, int, str]:
    score = figures.score
    return (
        score is None,
        -(score or Fraction(0)),
        -figures.sent,
        figures.department.sort,
        figures.department.code,
    )


async def department_stats(
    tx: Tx, unit: OrgUnit, period: Period, now: datetime, calendar: WorkingCalendar, config: Config
) -> DepartmentStats:
    """The departments' figures and the whistles by unit, for the area of ``unit``."""
    start, end = period.bounds(config.tz)
    facts = await tx.whistle_stats.orders(unit, start, end)
    by_department: dict[int, list[OrderFacts]] = {}
    for fact in facts:
        by_department.setdefault(fact.department_id, []).append(fact)
    departments = await tx.departments.many(list(by_department))
    ranking = sorted(
        (_figures(departments[d], items, now, calendar) for d, items in by_department.items()),
        key=_rank_key,
    )
    whistles = await tx.whistle_stats.whistles(unit, start, end)
    resolved = await tx.whistle_stats.difficult_resolved(unit, start, end)

    def within(target: OrgUnit) -> WhistleFigures:
        mine = [w for w in whistles if w[0].startswith(target.path)]
        reached = set().union(*(w[1] for w in mine)) if mine else set()
        return WhistleFigures(
            unit=target,
            whistles=len(mine),
            departments=len(reached),
            resolved=sum(1 for path in resolved if path.startswith(target.path)),
        )

    children = [u for u in await tx.org.children(unit.id) if u.level is not Level.COMPOUND]
    return DepartmentStats(
        unit=unit,
        period=period,
        at=now,
        ranking=ranking,
        totals=within(unit),
        by_unit=[within(child) for child in children],
    )


class WhistleStatsService:
    """The departments' figures for the statistics of a street or the district."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        calendar: WorkingCalendar,
        stats: StatsService,
        config: Config,
    ) -> None:
        self.db = db
        self.clock = clock
        self.calendar = calendar
        self.stats = stats
        self.config = config

    async def figures(self, actor: Actor, unit_id: int, period: Period) -> DepartmentStats | None:
        """For a street or the district in the actor's scope (None for a community or a
        compound: departments answer to streets and the district). Read from the statistics'
        store (``[storage] read_url``, a replica, when configured)."""
        async with audited_refusals(self.db, self.clock, actor), self.stats.reports.read() as tx:
            await self.stats.check_unit(tx, actor, unit_id)
            unit = await tx.org.get(unit_id)
            assert unit is not None
            if unit.level not in WIDE:
                return None
            return await department_stats(
                tx, unit, period, self.clock.now(), self.calendar, self.config
            )
