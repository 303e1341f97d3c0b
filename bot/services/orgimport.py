"""Import the org tree into the database from a file (:mod:`bot.services.orgfile` reads and
checks it): units, service stations, service teams, categories, departments, pairings and the
feature sections.

The whole file is checked and written in one transaction: a file with any error imports
nothing. Re-importing a file updates the rows it names (matched by ``code``) and never
duplicates them. Rows the file does not mention are left alone, so a second file may add
compounds below units that an earlier import created. The categories of a file are the menu
of the intake: a file with ``[[categories]]`` takes the active categories it does not list
off the menu (their requests keep them).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.hours import spans_text
from bot.models import (
    Category,
    Department,
    Level,
    OrgUnit,
    ServiceTeam,
    Station,
)
from bot.models.whistle import Pairing
from bot.services.orgfields import OrgImportError
from bot.services.orgfile import (
    SECTIONS,
    DepartmentSpec,
    OrgFile,
    check_parent_level,
    load_org_file,
)

if TYPE_CHECKING:
    from bot.clock import Clock
    from storage.db import Database, Tx

__all__ = ["ImportReport", "OrgImportError", "OrgImporter", "load_org_file", "render_tree"]

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportReport:
    """How many rows an import created and updated (an unchanged row counts as updated)."""

    units_created: int = 0
    units_updated: int = 0
    stations_created: int = 0
    stations_updated: int = 0
    teams_created: int = 0
    teams_updated: int = 0
    categories_created: int = 0
    categories_updated: int = 0
    categories_retired: int = 0  # active before, not in the file: off the menu now
    # The sections' rows, by table: (created, updated).
    sections: dict[str, tuple[int, int]] = field(default_factory=dict)
    departments_created: int = 0
    departments_updated: int = 0
    pairings_created: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The counts as JSON keeps them (a section's pair as a list)."""
        data = asdict(self)
        data["sections"] = {table: list(pair) for table, pair in self.sections.items()}
        return data

    def summary(self) -> str:
        """One line for the command line."""
        return (
            f"units: {self.units_created} created, {self.units_updated} updated; "
            f"stations: {self.stations_created} created, {self.stations_updated} updated; "
            f"teams: {self.teams_created} created, {self.teams_updated} updated; "
            f"categories: {self.categories_created} created, {self.categories_updated} updated"
            + (f", {self.categories_retired} retired" if self.categories_retired else "")
            + (
                f"; departments: {self.departments_created} created,"
                f" {self.departments_updated} updated"
                if self.departments_created or self.departments_updated
                else ""
            )
            + (f"; pairings: {self.pairings_created} created" if self.pairings_created else "")
            + "".join(
                f"; {table.replace('_', ' ')}: {created} created, {updated} updated"
                for table, (created, updated) in self.sections.items()
            )
        )


# -- importing -----------------------------------------------------------------------------


class OrgImporter:
    """Writes an org file into the database, all or nothing."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def import_file(
        self, path: str | Path, *, actor_id: int | None = None, actor_label: str = "cli"
    ) -> ImportReport:
        """Import ``path`` (``.toml`` or ``.csv``) in one transaction; raise OrgImportError."""
        org = load_org_file(path)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            await self._check_references(tx, org)
            units_created, units_updated = await self._write_units(tx, org, now)
            stations_created = stations_updated = 0
            for station in org.stations:
                unit = await tx.org.get_by_code(station.unit)
                assert unit is not None  # checked above
                created = await tx.org.upsert_station(
                    code=station.code,
                    name=station.name,
                    unit_id=unit.id,
                    address=station.address,
                    latitude=station.latitude,
                    longitude=station.longitude,
                    function_areas=station.function_areas,
                    opening_hours=station.opening_hours,
                    hours=station.hours,
                    open_on_holidays=station.open_on_holidays,
                    now=now,
                )
                stations_created += created
                stations_updated += not created
            teams_created = teams_updated = 0
            for team in org.teams:
                created = await tx.org.upsert_team(
                    code=team.code,
                    name=team.name,
                    name_en=team.name_en,
                    project=team.project,
                    project_en=team.project_en,
                    sort=team.sort,
                    now=now,
                )
                teams_created += created
                teams_updated += not created
            categories_created, categories_updated, retired = await self._write_categories(tx, org)
            written = await self._write_sections(tx, org, now)
            departments_created = await self._write_departments(tx, org, now)
            pairings_created = 0
            for pairing in org.pairings:
                community = await tx.org.get_by_code(pairing.community)
                assert community is not None  # checked above
                pairings_created += await tx.departments.upsert_pairing(
                    community.id, pairing.partner, now
                )
            report = ImportReport(
                units_created=units_created,
                units_updated=units_updated,
                stations_created=stations_created,
                stations_updated=stations_updated,
                teams_created=teams_created,
                teams_updated=teams_updated,
                categories_created=categories_created,
                categories_updated=categories_updated,
                categories_retired=retired,
                sections=written,
                departments_created=departments_created,
                departments_updated=len(org.departments) - departments_created,
                pairings_created=pairings_created,
            )
            await tx.audit.record(
                actor_id=actor_id,
                actor_label=actor_label,
                action="org.import",
                subject=Path(path).name,
                now=now,
                after=report.as_dict(),
            )
        LOG.info("imported %s: %s", org.source, report.summary())
        return report

    async def _check_references(self, tx: Tx, org: OrgFile) -> None:
        """Parents and station units not defined in the file must already exist."""
        in_file = {u.code for u in org.units}
        for unit in org.units:
            if unit.parent is None or unit.parent in in_file:
                continue
            parent = await tx.org.get_by_code(unit.parent)
            if parent is None:
                raise OrgImportError(f'{unit.where}: unknown parent code "{unit.parent}"')
            check_parent_level(unit, parent.code, parent.level)
        for station in org.stations:
            if station.unit not in in_file and await tx.org.get_by_code(station.unit) is None:
                raise OrgImportError(f'{station.where}: unknown unit code "{station.unit}"')
        teams = {t.code for t in org.teams} | {t.code for t in await tx.org.teams()}
        for category in org.categories:
            if category.team is not None and category.team not in teams:
                raise OrgImportError(f'{category.where}: unknown team code "{category.team}"')
        await self._check_departments(tx, org)

    async def _level_of(self, tx: Tx, org: OrgFile, code: str) -> Level | None:
        """The level of the unit ``code``, from the file or else the database."""
        spec = next((u for u in org.units if u.code == code), None)
        if spec is not None:
            return spec.level
        unit = await tx.org.get_by_code(code)
        return unit.level if unit is not None else None

    async def _check_departments(self, tx: Tx, org: OrgFile) -> None:
        """A department serves the district or a street; its parent is a department; a
        pairing's community is a community."""
        in_file = {d.code: d for d in org.departments}
        for spec in org.departments:
            level = await self._level_of(tx, org, spec.unit)
            if level is None:
                raise OrgImportError(f'{spec.where}: unknown unit code "{spec.unit}"')
            if level not in (Level.DISTRICT, Level.STREET):
                raise OrgImportError(
                    f"{spec.where}: a department serves the district or a street,"
                    f' but "{spec.unit}" is a {level.value}'
                )
            if spec.parent is None:
                continue
            parent = in_file.get(spec.parent) or await tx.departments.by_code(spec.parent)
            if parent is None:
                raise OrgImportError(f'{spec.where}: unknown parent department "{spec.parent}"')
            if (
                parent.parent is not None
                if isinstance(parent, DepartmentSpec)
                else parent.parent_id
            ):
                raise OrgImportError(
                    f'{spec.where}: "{spec.parent}" is itself a local branch; a branch belongs'
                    " to a district department"
                )
        for pairing in org.pairings:
            level = await self._level_of(tx, org, pairing.community)
            if level is not Level.COMMUNITY:
                what = f"a {level.value}" if level is not None else "unknown"
                raise OrgImportError(
                    f'{pairing.where}: community "{pairing.community}" is {what};'
                    " a pairing is with a community"
                )

    async def _write_departments(self, tx: Tx, org: OrgFile, now: datetime) -> int:
        """Upsert the departments, district departments before their branches; return how
        many were created."""
        created_count = 0
        for spec in sorted(org.departments, key=lambda d: d.parent is not None):
            unit = await tx.org.get_by_code(spec.unit)
            parent = await tx.departments.by_code(spec.parent) if spec.parent else None
            assert unit is not None and (spec.parent is None or parent is not None)
            _id, created = await tx.departments.upsert(
                code=spec.code,
                name=spec.name,
                short_name=spec.short_name,
                name_en=spec.name_en,
                unit_id=unit.id,
                parent_id=parent.id if parent else None,
                sort=spec.sort,
                active=spec.active,
                now=now,
            )
            created_count += created
        return created_count

    async def _write_sections(
        self, tx: Tx, org: OrgFile, now: datetime
    ) -> dict[str, tuple[int, int]]:
        """The features' sections, after the core tables they refer to."""
        written: dict[str, tuple[int, int]] = {}
        for section in SECTIONS:
            specs = org.sections.get(section.table)
            if specs:
                written[section.table] = await section.write(tx, specs, now)
        return written

    async def _write_categories(self, tx: Tx, org: OrgFile) -> tuple[int, int, int]:
        """Upsert the categories; a file that lists categories retires the others.
        Return (created, updated, retired)."""
        created_count = 0
        for category in org.categories:
            created_count += await tx.requests.upsert_category(
                code=category.code,
                name=category.name,
                name_en=category.name_en,
                default_tier=category.tier,
                team_code=category.team,
                is_opinion=category.opinion,
                handled_by=category.handled_by,
                sort=category.sort,
                active=category.active,
            )
        retired = 0
        if org.categories:
            retired = await tx.requests.retire_categories([c.code for c in org.categories])
        return created_count, len(org.categories) - created_count, retired

    async def _write_units(self, tx: Tx, org: OrgFile, now: datetime) -> tuple[int, int]:
        """Upsert the units parents first; return (created, updated)."""
        created_count = updated_count = 0
        # A parent is exactly one level up, so sorting by level puts every parent first.
        ordered = sorted(org.units, key=lambda u: u.level.depth)
        ids: dict[str, int] = {}
        for unit in ordered:
            if unit.parent is None:
                parent_id, path = None, f"/{unit.code}/"
            else:
                # Read the parent now: an earlier upsert may have moved it (and its path).
                parent = await tx.org.get_by_code(unit.parent)
                assert parent is not None  # checked above
                parent_id, path = parent.id, f"{parent.path}{unit.code}/"
            unit_id, created = await tx.org.upsert_unit(
                code=unit.code,
                name=unit.name,
                name_en=unit.name_en,
                level=unit.level,
                parent_id=parent_id,
                path=path,
                has_property_company=unit.has_property_company,
                sort=unit.sort,
                now=now,
            )
            ids[unit.code] = unit_id
            if unit.level is Level.COMPOUND:
                await tx.org.set_unit_facts(
                    unit_id,
                    households=unit.households,
                    latitude=unit.latitude,
                    longitude=unit.longitude,
                    now=now,
                )
            created_count += created
            updated_count += not created
        # A changed level must still fit the units already below it in the database.
        for unit in org.units:
            expected = unit.level.child()
            for child in await tx.org.children(ids[unit.code]):
                if child.level is not expected:
                    raise OrgImportError(
                        f"{unit.where}: a {unit.level.value} cannot hold the existing"
                        f' {child.level.value} "{child.code}" below it'
                    )
        return created_count, updated_count


# -- showing -------------------------------------------------------------------------------


def render_tree(
    units: list[OrgUnit],
    stations: list[Station],
    teams: list[ServiceTeam],
    categories: Sequence[Category] = (),
    departments: Sequence[Department] = (),
    pairings: Sequence[Pairing] = (),
    notes: Mapping[int, list[str]] | None = None,
) -> str:
    """The org tree as indented plain text, for ``gridbot org show`` (operator-facing).

    Two spaces per level; a unit's stations are listed just below it, then its ``notes``
    (what features add: a compound's parties and registry), the service teams and their
    projects, then the categories of requests, at the end.
    """
    notes = notes or {}
    known = {u.id for u in units}
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        parent = unit.parent_id if unit.parent_id in known else None
        children.setdefault(parent, []).append(unit)
    for group in children.values():
        group.sort(key=lambda u: (u.sort, u.code))
    stations_of: dict[int, list[Station]] = {}
    for station in sorted(stations, key=lambda s: s.code):
        stations_of.setdefault(station.unit_id, []).append(station)

    lines: list[str] = []

    def walk(unit: OrgUnit, depth: int) -> None:
        indent = "  " * depth
        extra = "" if unit.has_property_company else ", no property company"
        if unit.households:
            extra += f", {unit.households} households"
        lines.append(f"{indent}{unit.name} ({unit.code}, {unit.level.value}{extra})")
        for station in stations_of.get(unit.id, []):
            when = [spans_text(station.hours)] if station.hours else []
            when += ["open on holidays"] if station.hours and station.open_on_holidays else []
            when += [station.opening_hours] if station.opening_hours else []
            hours = f" — {'; '.join(when)}" if when else ""
            lines.append(f"{indent}  [station] {station.name} ({station.code}){hours}")
        lines.extend(f"{indent}  {note}" for note in notes.get(unit.id, []))
        for child in children.get(unit.id, []):
            walk(child, depth + 1)

    for root in children.get(None, []):
        walk(root, 0)
    if not units:
        lines.append("(no org units)")
    orphans = [s for s in sorted(stations, key=lambda s: s.code) if s.unit_id not in known]
    if orphans:
        lines.append("")
        lines.append("Stations outside the units shown:")
        lines.extend(f"  [station] {s.name} ({s.code}, unit id {s.unit_id})" for s in orphans)
    if teams:
        lines.append("")
        lines.append("Service teams:")
        for team in sorted(teams, key=lambda t: (t.sort, t.code)):
            orders = f", orders filed as {team.order_category}" if team.order_category else ""
            lines.append(f"  {team.name} ({team.code}) — {team.project}{orders}")
    if categories:
        lines.append("")
        lines.append("Categories of requests (tier, handled by, team):")
        for category in sorted(categories, key=lambda c: (c.sort, c.code)):
            details = [category.default_tier.value, category.handled_by.value.replace("_", " ")]
            details.append(category.team_code or "no team")
            if category.is_opinion:
                details.append("opinion")
            if not category.active:
                details.append("retired")
            lines.append(f"  {category.name} ({category.code}) — {', '.join(details)}")
    lines += _render_departments(units, departments, pairings)
    return "\n".join(lines)


def _render_departments(
    units: list[OrgUnit], departments: Sequence[Department], pairings: Sequence[Pairing]
) -> list[str]:
    """Departments (branches under their department) and pairings, for ``gridbot org show``."""
    names = {u.id: u.name for u in units}
    lines: list[str] = []
    if departments:
        lines += ["", "Departments (serving):"]
        top = [d for d in departments if d.parent_id is None]
        for department in sorted(top, key=lambda d: (d.sort, d.code)):
            lines.append(_department_line(department, names, "  "))
            branches = [d for d in departments if d.parent_id == department.id]
            for branch in sorted(branches, key=lambda d: (d.sort, d.code)):
                lines.append(_department_line(branch, names, "    "))
    if pairings:
        lines += ["", "Pairings (first secretaries seconded by city units):"]
        for pairing in pairings:
            lines.append(f"  {names.get(pairing.community_id, '?')} — {pairing.partner}")
    return lines


def _department_line(department: Department, names: dict[int, str], indent: str) -> str:
    retired = "" if department.active else ", retired"
    return (
        f"{indent}{department.name} ({department.code}, {department.short_name}) —"
        f" {names.get(department.unit_id, '?')}{retired}"
    )
