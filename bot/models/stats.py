"""The figures of a unit for a period (三率), as the statistics message, the chart and the
export show them; and the counts the store returns for them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from fractions import Fraction
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from bot.lifecycle import Status
from bot.models.consult import ConsultFigures
from bot.models.core import Category, OrgUnit, Rating, ServiceTeam, Tier

if TYPE_CHECKING:
    from bot.models.whistle_stats import DepartmentStats

__all__ = [
    "Counts",
    "Durations",
    "Export",
    "ExportRow",
    "HeatBlock",
    "HeatCell",
    "HeatMap",
    "Period",
    "PeriodKind",
    "Rate",
    "Stats",
    "TeamFigures",
    "UnitFigures",
    "median",
]


class Counts(BaseModel):
    """One unit's counts for a period (the parts of the three rates and the work figures)."""

    model_config = ConfigDict(frozen=True)

    received: int = 0  # created in the period
    cancelled: int = 0  # of those, cancelled
    resolved: int = 0  # of those, reached `resolved` (resolved, or closed with resolved_at)
    dispatched: int = 0  # dispatched in the period, and accepted or past its time to accept
    accepted_in_time: int = 0  # of those, accepted by their accept deadline
    rated: int = 0  # rated in the period: satisfied, basic or unsatisfied
    satisfied: int = 0  # of those, satisfied or basically satisfied
    opinions: int = 0  # received in the period, of an opinion category
    solved: int = 0  # resolved in the period (民生微实事)


class Durations(BaseModel):
    """Times to accept and to resolve, from filing, of the requests received in a period."""

    model_config = ConfigDict(frozen=True)

    accept: list[timedelta]
    resolve: list[timedelta]


class ExportRow(BaseModel):
    """One request as the export lists it."""

    model_config = ConfigDict(frozen=True)

    id: int
    number: str
    status: Status
    tier: Tier
    rating: Rating | None = None
    category_name: str
    category_name_en: str
    compound_name: str
    compound_name_en: str | None = None
    community_name: str | None = None
    community_name_en: str | None = None
    assignee_name: str | None = None
    description: str = ""
    address: str | None = None
    rating_comment: str | None = None
    created_at: datetime
    triaged_at: datetime | None = None
    dispatched_at: datetime | None = None
    accepted_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None

    def category(self, language: str) -> str:
        return self.category_name_en if language == "en" else self.category_name

    def compound(self, language: str) -> str:
        return (
            self.compound_name_en
            if language == "en" and self.compound_name_en
            else self.compound_name
        )

    def community(self, language: str) -> str:
        if language == "en" and self.community_name_en:
            return self.community_name_en
        return self.community_name or ""


# -- periods ---------------------------------------------------------------------------------
class PeriodKind(StrEnum):
    WEEK = "w"  # this week, Monday to today
    MONTH = "m"  # this month, the 1st to today
    LAST_MONTH = "lm"  # the whole of last month
    RANGE = "r"  # dates typed by the admin
    ALL = "all"  # since the start: the first day anything was recorded, to today


@dataclass(frozen=True)
class Period:
    """Whole local days, ``first`` to ``last`` inclusive."""

    kind: PeriodKind
    first: date
    last: date

    @property
    def code(self) -> str:
        """Short and stable, for callback data: ``m``, ``w``, ``lm``, ``20261101-20261130``."""
        if self.kind is PeriodKind.RANGE:
            return f"{self.first:%Y%m%d}-{self.last:%Y%m%d}"
        return self.kind.value

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """[start, end) in UTC: local midnight of ``first`` to local midnight after ``last``."""
        return _midnight(self.first, tz), _midnight(self.last + timedelta(days=1), tz)

    @property
    def long(self) -> bool:
        """Longer than half a year: its trend goes by month, not by week."""
        return (self.last - self.first).days > 182

    def buckets(self, tz: tzinfo) -> list[tuple[date, datetime, datetime]]:
        """The trend's buckets: weeks, or months for a long period."""
        return self.months(tz) if self.long else self.weeks(tz)

    def months(self, tz: tzinfo) -> list[tuple[date, datetime, datetime]]:
        """The period cut at each first of the month: (first day, start, end) per month."""
        out = []
        day = self.first
        while day <= self.last:
            following = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
            stop = min(following, self.last + timedelta(days=1))
            out.append((day, _midnight(day, tz), _midnight(stop, tz)))
            day = stop
        return out

    def weeks(self, tz: tzinfo) -> list[tuple[date, datetime, datetime]]:
        """The period cut at each Monday: (first day, start, end) per week."""
        out = []
        day = self.first
        while day <= self.last:
            monday = day - timedelta(days=day.weekday())
            stop = min(monday + timedelta(days=7), self.last + timedelta(days=1))
            out.append((day, _midnight(day, tz), _midnight(stop, tz)))
            day = stop
        return out


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(), tz).astimezone(UTC)


# -- figures ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rate:
    """A share: ``numerator`` of ``denominator``; no value when there was nothing to count."""

    numerator: int
    denominator: int

    @property
    def value(self) -> Fraction | None:
        return None if self.denominator == 0 else Fraction(self.numerator, self.denominator)

    @property
    def percent(self) -> float | None:
        value = self.value
        return None if value is None else float(value * 100)


def median(values: list[timedelta]) -> timedelta | None:
    """The median of some durations; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


@dataclass(frozen=True)
class UnitFigures:
    """One unit's counts and its three rates."""

    unit: OrgUnit
    counts: Counts

    @property
    def response(self) -> Rate:
        return Rate(self.counts.accepted_in_time, self.counts.dispatched)

    @property
    def resolution(self) -> Rate:
        return Rate(self.counts.resolved, self.counts.received - self.counts.cancelled)

    @property
    def satisfaction(self) -> Rate:
        return Rate(self.counts.satisfied, self.counts.rated)

    @property
    def rates(self) -> tuple[Rate, Rate, Rate]:
        return self.response, self.resolution, self.satisfaction

    @property
    def score(self) -> Fraction | None:
        """The mean of the rates that have a value (the ranking's order)."""
        values = [r.value for r in self.rates if r.value is not None]
        return sum(values, Fraction(0)) / len(values) if values else None


@dataclass(frozen=True)
class TeamFigures:
    """One service team's orders (点单) received in a period: how many, done, and how the
    residents rated them."""

    team: ServiceTeam
    orders: int = 0
    done: int = 0  # reached resolved (resolved or closed after it)
    rated: int = 0  # satisfied, basically satisfied or unsatisfied
    satisfied: int = 0  # satisfied or basically satisfied

    @property
    def satisfaction(self) -> Rate:
        return Rate(self.satisfied, self.rated)


@dataclass(frozen=True)
class Stats:
    """Everything the statistics message, the chart and the export show."""

    unit: OrgUnit
    path: list[OrgUnit]  # from the top down to the unit
    period: Period
    at: datetime  # when it was computed ("open now" is as of then)
    totals: UnitFigures
    by_tier: dict[Tier, int]  # every tier, zeros included
    by_category: list[tuple[Category, int]]  # the categories received, most first
    open_now: int
    overdue_now: int
    median_accept: timedelta | None
    median_resolve: timedelta | None
    residents_visited: int
    volunteer_activities: int
    ranking: list[UnitFigures]  # the units one level down, best first
    weekly: list[tuple[date, int]]  # (first day of each week or month in the period, received)
    up: OrgUnit | None = None  # the unit above, when the viewer may see it too
    consult: ConsultFigures | None = None  # 要事商议办: consultations, owners' votes, ratings
    teams: list[TeamFigures] = field(default_factory=list)  # 菜单式服务, per team

    @property
    def monthly(self) -> bool:
        """The trend goes by month (a period longer than half a year)."""
        return self.period.long

    @property
    def received(self) -> int:
        return self.totals.counts.received

    @property
    def opinions(self) -> int:
        return self.totals.counts.opinions

    @property
    def micro_matters(self) -> int:
        return self.totals.counts.solved


@dataclass(frozen=True)
class Export:
    """The requests received in the period, and the statistics of the same unit and period
    (with the departments' figures for a street or the district)."""

    stats: Stats
    rows: list[ExportRow]
    departments: DepartmentStats | None = None


@dataclass(frozen=True)
class HeatCell:
    """One compound on the heat map."""

    unit: OrgUnit
    received: int
    topic: bool  # a topic of this month is about this compound

    @property
    def per_hundred(self) -> float | None:
        """Requests per 100 households (None without a household count)."""
        households = self.unit.households
        return None if not households else self.received * 100 / households


@dataclass(frozen=True)
class HeatBlock:
    """One community and its compounds."""

    unit: OrgUnit
    cells: list[HeatCell]
    topic: bool  # a community-wide topic of this month


@dataclass(frozen=True)
class HeatMap:
    """A street's or the district's compounds, by community, with requests and topics."""

    unit: OrgUnit
    period: Period
    month: str  # whose topics are marked
    blocks: list[HeatBlock]
