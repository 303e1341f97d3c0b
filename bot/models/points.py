"""积分 and 积分超市: the ledger, the items of a station's shop and redemptions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bot.models.core import Station

__all__ = [
    "LedgerEntry",
    "PointsKind",
    "PointsSummary",
    "RankRow",
    "Redemption",
    "RedemptionState",
    "ShopItem",
    "Staffed",
]


class PointsKind(StrEnum):
    HOURS = "hours"  # volunteer hours of an activity attended
    TASK = "task"  # a request done (closed) as its member
    REDEEM = "redeem"  # spent at a station's shop
    CORRECT = "correct"  # an administrator's correction, with a reason


class RedemptionState(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class LedgerEntry(_Row):
    id: int
    person_id: int
    delta: int
    balance: int  # after this entry
    kind: PointsKind
    ref: str | None = None
    note: str | None = None
    actor_label: str
    created_at: datetime


class ShopItem(_Row):
    id: int
    code: str
    station_id: int
    name: str
    name_en: str | None = None
    price: int
    stock: int | None = None
    sort: int = 0
    active: bool = True

    def label(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name


class Redemption(_Row):
    id: int
    person_id: int
    item_id: int
    station_id: int
    price: int
    code: str
    state: RedemptionState
    expires_at: datetime
    decided_by: int | None = None
    decided_at: datetime | None = None
    created_at: datetime


@dataclass(frozen=True)
class PointsSummary:
    """What /points shows: the balance, hours this year and the latest entries."""

    balance: int
    hours: float
    entries: list[LedgerEntry]
    pending: list[tuple[Redemption, ShopItem, Station]]


@dataclass(frozen=True)
class RankRow:
    """One volunteer in a ranking by hours."""

    rank: int
    person_id: int
    name: str
    hours: float
    activities: int


@dataclass(frozen=True)
class Staffed:
    """A redemption as the station's staff see it: the item, the station, who it is for and
    their balance."""

    redemption: Redemption
    item: ShopItem
    station: Station
    name: str
    balance: int
