"""Service stations as residents find them: nearby, open now, and a station's own page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.models.activities import ActivityView
from bot.models.core import OrgUnit, ServiceTeam, Station

__all__ = ["NearbyStation", "StationPage", "StationStatus"]


@dataclass(frozen=True)
class StationStatus:
    """Whether a station is open at a moment, and when that changes (local time)."""

    open: bool
    change: datetime | None  # closes at (open) or opens at (closed); None: no hours known
    known: bool  # it has structured hours at all
    holiday: bool = False  # closed today for a public holiday ([calendar])


@dataclass(frozen=True)
class NearbyStation:
    station: Station
    distance_m: float
    status: StationStatus


@dataclass(frozen=True)
class StationPage:
    """A station's page: hours, functions, upcoming activities there and the service menu."""

    station: Station
    path: list[OrgUnit]  # from the district down to the unit it serves
    status: StationStatus
    activities: list[ActivityView]
    teams: list[ServiceTeam]
