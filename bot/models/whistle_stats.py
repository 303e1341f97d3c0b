"""The figures of departments (部门考评) and of whistles by unit, as /stats, its chart and the
export show them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction

from bot.models.core import Department, OrgUnit
from bot.models.stats import Period, Rate

__all__ = ["DepartmentFigures", "DepartmentStats", "OrderFacts", "WhistleFigures"]


@dataclass(frozen=True)
class OrderFacts:
    """One sub-order, as much of it as the figures need."""

    department_id: int
    state: str
    sent_at: datetime
    sign_due_at: datetime
    signed_at: datetime | None
    complete_due_at: datetime | None
    completed_at: datetime | None
    returned_at: datetime | None
    rating: str | None


@dataclass(frozen=True)
class DepartmentFigures:
    """One department's sub-orders sent in the period, and its rates.

    - signed in time: of the sub-orders signed, or still unsigned past their window, the share
      signed within the window (a returned one counts in the return rate instead);
    - completed on time: of those completed, or signed and past their completion deadline,
      the share completed by it;
    - satisfaction: of those the resident's rating was credited to, satisfied or basically
      satisfied;
    - returned: the share returned;
    - median working time to sign for one, and from signing to completing it.
    """

    department: Department
    sent: int = 0
    signed_in_time: int = 0
    sign_counted: int = 0
    completed_on_time: int = 0
    complete_counted: int = 0
    satisfied: int = 0
    rated: int = 0
    returned: int = 0
    median_sign: timedelta | None = None
    median_complete: timedelta | None = None

    @property
    def sign_rate(self) -> Rate:
        return Rate(self.signed_in_time, self.sign_counted)

    @property
    def on_time_rate(self) -> Rate:
        return Rate(self.completed_on_time, self.complete_counted)

    @property
    def satisfaction(self) -> Rate:
        return Rate(self.satisfied, self.rated)

    @property
    def return_rate(self) -> Rate:
        return Rate(self.returned, self.sent)

    @property
    def score(self) -> Fraction | None:
        """The ranking's order: the mean of 签收率, 按时办结率, 满意率 and 1 − 退单率 (those
        that have a value)."""
        values = [r.value for r in (self.sign_rate, self.on_time_rate, self.satisfaction)]
        kept = [v for v in values if v is not None]
        if self.return_rate.value is not None:
            kept.append(1 - self.return_rate.value)
        return sum(kept, Fraction(0)) / len(kept) if kept else None


@dataclass(frozen=True)
class WhistleFigures:
    """Whistles of one unit's area in the period: how many were blown, how many departments
    they reached, how many difficult matters were resolved (难事, whistled or not)."""

    unit: OrgUnit
    whistles: int = 0
    departments: int = 0
    resolved: int = 0


@dataclass(frozen=True)
class DepartmentStats:
    """The departments' ranking and the whistles by unit, for a street or the district."""

    unit: OrgUnit
    period: Period
    at: datetime
    ranking: list[DepartmentFigures]  # departments that got sub-orders, best first
    totals: WhistleFigures
    by_unit: list[WhistleFigures] = field(default_factory=list)  # the units one level down
