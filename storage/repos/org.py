"""Org units, service stations and service teams."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.models import Level, OpeningSpan, OrgUnit, ServiceTeam, Station
from storage.timestamps import ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["UNIT_COLUMNS", "OrgRepo"]

_STATION_COLS = (
    "s.id, s.code, s.name, s.unit_id, s.address, s.latitude, s.longitude, s.function_areas,"
    " s.opening_hours, s.hours, s.open_on_holidays"
)
_TEAM_COLS = (
    "id, code, name, name_en, project, project_en, sort, offers, offers_en, schedule,"
    " schedule_en, venue, venue_en, order_category"
)
_UNIT_COLS = (
    "id, code, name, name_en, level, parent_id, path, has_property_company, sort, households,"
    " latitude, longitude"
)
UNIT_COLUMNS = _UNIT_COLS  # for other repositories that read units


class OrgRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    # -- units ---------------------------------------------------------------------------
    async def upsert_unit(
        self,
        *,
        code: str,
        name: str,
        name_en: str | None,
        level: Level,
        parent_id: int | None,
        path: str,
        has_property_company: bool,
        sort: int,
        now: datetime,
    ) -> tuple[int, bool]:
        """Insert or update the unit with ``code``; return its id and whether it is new."""
        existing = await self.get_by_code(code)
        if existing is None:
            new_id = await self.tx.insert(
                "INSERT INTO org_units (code, name, name_en, level, parent_id, path,"
                " has_property_company, sort, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    code,
                    name,
                    name_en,
                    level.value,
                    parent_id,
                    path,
                    has_property_company,
                    sort,
                    ts(now),
                    ts(now),
                ),
            )
            return new_id, True
        await self.tx.execute(
            "UPDATE org_units SET name = ?, name_en = ?, level = ?, parent_id = ?,"
            " has_property_company = ?, sort = ?, updated_at = ? WHERE id = ?",
            (
                name,
                name_en,
                level.value,
                parent_id,
                has_property_company,
                sort,
                ts(now),
                existing.id,
            ),
        )
        if existing.path != path:
            # Moving a unit moves its whole subtree.
            await self.tx.execute(
                "UPDATE org_units SET path = ? || substr(path, ?) WHERE substr(path, 1, ?) = ?",
                (path, len(existing.path) + 1, len(existing.path), existing.path),
            )
        return existing.id, False

    async def set_unit_facts(
        self,
        unit_id: int,
        *,
        households: int | None,
        latitude: float | None,
        longitude: float | None,
        now: datetime,
    ) -> None:
        """A compound's households and centre point (None: not known)."""
        await self.tx.execute(
            "UPDATE org_units SET households = ?, latitude = ?, longitude = ?, updated_at = ?"
            " WHERE id = ?",
            (households, latitude, longitude, ts(now), unit_id),
        )

    async def get(self, unit_id: int) -> OrgUnit | None:
        row = await self.tx.fetchone(
            f"SELECT {_UNIT_COLS} FROM org_units WHERE id = ?", (unit_id,)
        )
        return None if row is None else OrgUnit.model_validate(dict(row))

    async def get_by_code(self, code: str) -> OrgUnit | None:
        row = await self.tx.fetchone(f"SELECT {_UNIT_COLS} FROM org_units WHERE code = ?", (code,))
        return None if row is None else OrgUnit.model_validate(dict(row))

    async def children(self, parent_id: int | None) -> list[OrgUnit]:
        if parent_id is None:
            rows = await self.tx.fetchall(
                f"SELECT {_UNIT_COLS} FROM org_units WHERE parent_id IS NULL ORDER BY sort, code"
            )
        else:
            rows = await self.tx.fetchall(
                f"SELECT {_UNIT_COLS} FROM org_units WHERE parent_id = ? ORDER BY sort, code",
                (parent_id,),
            )
        return [OrgUnit.model_validate(dict(r)) for r in rows]

    async def all_units(self) -> list[OrgUnit]:
        rows = await self.tx.fetchall(f"SELECT {_UNIT_COLS} FROM org_units ORDER BY path")
        return [OrgUnit.model_validate(dict(r)) for r in rows]

    async def subtree(self, unit: OrgUnit, level: Level | None = None) -> list[OrgUnit]:
        """The unit and everything below it (optionally only one level), ordered by path."""
        sql = f"SELECT {_UNIT_COLS} FROM org_units WHERE substr(path, 1, ?) = ?"
        params: list[object] = [len(unit.path), unit.path]
        if level is not None:
            sql += " AND level = ?"
            params.append(level.value)
        rows = await self.tx.fetchall(sql + " ORDER BY path", params)
        return [OrgUnit.model_validate(dict(r)) for r in rows]

    async def ancestors(self, unit: OrgUnit) -> list[OrgUnit]:
        """The units above ``unit``, top first."""
        codes = [c for c in unit.path.strip("/").split("/")[:-1] if c]
        if not codes:
            return []
        marks = ",".join("?" * len(codes))
        rows = await self.tx.fetchall(
            f"SELECT {_UNIT_COLS} FROM org_units WHERE code IN ({marks})", codes
        )
        by_code = {r["code"]: OrgUnit.model_validate(dict(r)) for r in rows}
        return [by_code[c] for c in codes if c in by_code]

    async def count_units(self) -> int:
        return int(await self.tx.fetchval("SELECT count(*) FROM org_units"))

    # -- stations ------------------------------------------------------------------------
    async def upsert_station(
        self,
        *,
        code: str,
        name: str,
        unit_id: int,
        address: str,
        latitude: float | None,
        longitude: float | None,
        function_areas: list[str],
        opening_hours: str,
        now: datetime,
        hours: list[OpeningSpan] | None = None,
        open_on_holidays: bool = False,
    ) -> bool:
        """Insert or update a station; return whether it is new. ``hours`` None keeps the
        structured hours it has (an import that does not give them)."""
        existed = await self.tx.fetchval("SELECT 1 FROM stations WHERE code = ?", (code,))
        spans = json.dumps([s.model_dump(mode="json") for s in hours or []])
        await self.tx.execute(
            "INSERT INTO stations (code, name, unit_id, address, latitude, longitude,"
            " function_areas, opening_hours, hours, open_on_holidays, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (code) DO UPDATE SET name = excluded.name, unit_id = excluded.unit_id,"
            " address = excluded.address, latitude = excluded.latitude,"
            " longitude = excluded.longitude, function_areas = excluded.function_areas,"
            " opening_hours = excluded.opening_hours,"
            " open_on_holidays = excluded.open_on_holidays, updated_at = excluded.updated_at"
            + ("" if hours is None else ", hours = excluded.hours"),
            (
                code,
                name,
                unit_id,
                address,
                latitude,
                longitude,
                json.dumps(function_areas, ensure_ascii=False),
                opening_hours,
                spans,
                open_on_holidays,
                ts(now),
                ts(now),
            ),
        )
        return existed is None

    async def stations(self, unit: OrgUnit | None = None) -> list[Station]:
        sql = f"SELECT {_STATION_COLS} FROM stations s"
        params: list[object] = []
        if unit is not None:
            sql += " JOIN org_units u ON u.id = s.unit_id WHERE substr(u.path, 1, ?) = ?"
            params = [len(unit.path), unit.path]
        rows = await self.tx.fetchall(sql + " ORDER BY s.code", params)
        return [_station(r) for r in rows]

    async def station(self, station_id: int) -> Station | None:
        row = await self.tx.fetchone(
            f"SELECT {_STATION_COLS} FROM stations s WHERE s.id = ?", (station_id,)
        )
        return None if row is None else _station(row)

    async def station_by_code(self, code: str) -> Station | None:
        row = await self.tx.fetchone(
            f"SELECT {_STATION_COLS} FROM stations s WHERE s.code = ?", (code,)
        )
        return None if row is None else _station(row)

    async def count_stations(self) -> int:
        return int(await self.tx.fetchval("SELECT count(*) FROM stations"))

    # -- service teams -------------------------------------------------------------------
    async def upsert_team(
        self,
        *,
        code: str,
        name: str,
        name_en: str | None,
        project: str,
        project_en: str | None,
        sort: int,
        now: datetime,
    ) -> bool:
        existed = await self.tx.fetchval("SELECT 1 FROM service_teams WHERE code = ?", (code,))
        await self.tx.execute(
            "INSERT INTO service_teams (code, name, name_en, project, project_en, sort,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en,"
            " project = excluded.project, project_en = excluded.project_en,"
            " sort = excluded.sort, updated_at = excluded.updated_at",
            (code, name, name_en, project, project_en, sort, ts(now), ts(now)),
        )
        return existed is None

    async def set_team_menu(
        self,
        code: str,
        *,
        offers: str,
        offers_en: str | None,
        schedule: str,
        schedule_en: str | None,
        venue: str,
        venue_en: str | None,
        order_category: str | None,
        now: datetime,
    ) -> None:
        """What the team's project offers on the service menu, when, where, and the category
        of its orders."""
        await self.tx.execute(
            "UPDATE service_teams SET offers = ?, offers_en = ?, schedule = ?, schedule_en = ?,"
            " venue = ?, venue_en = ?, order_category = ?, updated_at = ? WHERE code = ?",
            (
                offers,
                offers_en,
                schedule,
                schedule_en,
                venue,
                venue_en,
                order_category,
                ts(now),
                code,
            ),
        )

    async def teams(self) -> list[ServiceTeam]:
        rows = await self.tx.fetchall(
            f"SELECT {_TEAM_COLS} FROM service_teams ORDER BY sort, code"
        )
        return [ServiceTeam.model_validate(dict(r)) for r in rows]

    async def team(self, team_id: int) -> ServiceTeam | None:
        row = await self.tx.fetchone(
            f"SELECT {_TEAM_COLS} FROM service_teams WHERE id = ?", (team_id,)
        )
        return None if row is None else ServiceTeam.model_validate(dict(row))

    async def count_teams(self) -> int:
        return int(await self.tx.fetchval("SELECT count(*) FROM service_teams"))


def _station(row: Any) -> Station:
    data = dict(row)
    data["function_areas"] = json.loads(data["function_areas"])
    data["hours"] = json.loads(data["hours"] or "[]")
    return Station.model_validate(data)
