"""Stations residents can find (先锋服务驿站): the nearest to a shared location, whether each is
open now (its structured hours, by the injected clock in the configured time zone), and a
station's own page (what a QR poster on its door opens)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.errors import NotFound
from bot.geo import haversine_m
from bot.hours import Week, is_open, next_change
from bot.i18n import N_
from bot.models import Station
from bot.models.stations import NearbyStation, StationPage, StationStatus

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.services.activities import ActivityService
    from bot.workcal import WorkingCalendar
    from storage.db import Database

__all__ = ["NEAREST", "StationService"]

NEAREST = 3


class StationService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        activities: ActivityService,
        calendar: WorkingCalendar,
        config: Config,
    ) -> None:
        self.db = db
        self.clock = clock
        self.activities = activities
        self.calendar = calendar
        self.config = config

    def status(self, station: Station, now: datetime | None = None) -> StationStatus:
        """Open or closed at ``now`` (default: the clock's now), and when that changes: by its
        hours, and the working calendar's holidays unless it stays open on them."""
        local = (now or self.clock.now()).astimezone(self.config.tz)
        if not station.hours:
            return StationStatus(open=False, change=None, known=False)
        week = Week(station.hours, None if station.open_on_holidays else self.calendar)
        return StationStatus(
            open=is_open(week, local),
            change=next_change(week, local),
            known=True,
            holiday=week.closed_for_holiday(local.date()),
        )

    async def nearest(
        self, latitude: float, longitude: float, count: int = NEAREST
    ) -> list[NearbyStation]:
        """The ``count`` stations nearest to a point (great-circle distance), nearest first."""
        async with self.db.statement() as tx:
            stations = [s for s in await tx.org.stations() if s.latitude is not None]
        now = self.clock.now()
        found = [
            NearbyStation(
                station,
                haversine_m(latitude, longitude, station.latitude, station.longitude),  # type: ignore[arg-type]
                self.status(station, now),
            )
            for station in stations
        ]
        found.sort(key=lambda n: (n.distance_m, n.station.code))
        return found[:count]

    async def page(self, code: str, person_id: int | None = None) -> StationPage:
        """The station's page: hours, functions, upcoming activities there, the menu."""
        async with self.db.read() as tx:
            station = await tx.org.station_by_code(code)
            if station is None:
                raise NotFound(N_("That station does not exist (any more)."))
            unit = await tx.org.get(station.unit_id)
            assert unit is not None
            path = [*await tx.org.ancestors(unit), unit]
            teams = [t for t in await tx.org.teams() if t.offers]
        activities = await self.activities.at_station(station.id, person_id)
        return StationPage(station, path, self.status(station), activities, teams)
