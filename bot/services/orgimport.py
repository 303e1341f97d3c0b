"""Import the org tree (units, service stations, service teams) from a TOML or CSV file.

The whole file is checked and written in one transaction: a file with any error imports
nothing. Re-importing a file updates the rows it names (matched by ``code``) and never
duplicates them. Rows the file does not mention are left alone, so a second file may add
compounds below units that an earlier import created.

TOML holds any of four arrays of tables (``examples/duanzhou.toml`` documents every key)::

    [[units]]       code, name, level, parent (not for a district),
                    name_en, has_property_company (default true), sort (default 0),
                    households, latitude, longitude (compounds only, optional)
    [[stations]]    code, name, unit, address, latitude, longitude,
                    function_areas (list of strings), opening_hours
    [[teams]]       code, name, project, name_en, project_en, sort
    [[categories]]  code, name, name_en, tier (default "important"), team, handled_by
                    (default "members"), opinion (default false), sort, active (default true)
    [[departments]] code, name, short_name, name_en, unit (the district, or a street for a
                    local branch), parent (a branch's district department), sort, active
    [[pairings]]    community, partner (the city unit pairing with it: its first secretary)

The categories of a file are the menu of the intake: a file with ``[[categories]]`` takes the
active categories it does not list off the menu (their requests keep them).

CSV (UTF-8, an Excel byte-order mark is fine) holds units only, one per line, under the
header ``code,name,name_en,level,parent,has_property_company,sort``. The columns ``code``,
``name``, ``level`` and ``parent`` are required, the others may be left out; an empty cell
means "not given" (``parent`` is empty for the district). ``has_property_company`` takes
``true/false``, ``yes/no`` or ``1/0``.

Codes are 1-32 upper-case letters, digits, ``-`` or ``_``: they end up in unit paths
(``/DZ/CX/BY/XHHY/``) and in the compound deep links (``?start=c_XHHY``). Category codes are
lower case (``property``, ``outage``).
"""

from __future__ import annotations

import csv
import io
import logging
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.hours import parse_spans, spans_text
from bot.models import (
    Category,
    Department,
    HandledBy,
    Level,
    OpeningSpan,
    OrgUnit,
    ServiceTeam,
    Station,
    Tier,
)
from bot.models.whistle import Pairing
from bot.services.orgfields import Fields, OrgImportError, Section, Spec
from bot.services.orgmenu import SECTIONS as MENU_SECTIONS
from bot.services.partyimport import PARTY_SECTIONS

if TYPE_CHECKING:
    from bot.clock import Clock
    from storage.db import Database, Tx

__all__ = [
    "CSV_COLUMNS",
    "CategorySpec",
    "DepartmentSpec",
    "ImportReport",
    "OrgFile",
    "OrgImportError",
    "OrgImporter",
    "PairingSpec",
    "StationSpec",
    "TeamSpec",
    "UnitSpec",
    "load_org_file",
    "render_tree",
]

LOG = logging.getLogger(__name__)

CSV_COLUMNS = ("code", "name", "name_en", "level", "parent", "has_property_company", "sort")
_CSV_REQUIRED = frozenset({"code", "name", "level", "parent"})

_TIERS = ", ".join(f'"{tier.value}"' for tier in Tier)
_HANDLERS = ", ".join(f'"{who.value}"' for who in HandledBy)
_LEVELS = ", ".join(level.value for level in Level)
_TRUE = frozenset({"true", "yes", "y", "1"})
_FALSE = frozenset({"false", "no", "n", "0"})

_UNIT_KEYS = frozenset(
    {
        "code",
        "name",
        "name_en",
        "level",
        "parent",
        "has_property_company",
        "sort",
        "households",
        "latitude",
        "longitude",
    }
)
_COMPOUND_ONLY = ("households", "latitude", "longitude")
_STATION_KEYS = frozenset(
    {
        "code",
        "name",
        "unit",
        "address",
        "latitude",
        "longitude",
        "function_areas",
        "opening_hours",
        "hours",
        "holidays",
    }
)
_TEAM_KEYS = frozenset({"code", "name", "name_en", "project", "project_en", "sort"})
_CATEGORY_KEYS = frozenset(
    {"code", "name", "name_en", "tier", "team", "handled_by", "opinion", "sort", "active"}
)
_DEPARTMENT_KEYS = frozenset(
    {"code", "name", "short_name", "name_en", "unit", "parent", "sort", "active"}
)
_PAIRING_KEYS = frozenset({"community", "partner"})
_TABLES = ("units", "stations", "teams", "categories", "departments", "pairings")
# The tables features add, imported after the core ones in this order: the service menu's
# projects and shop items, the four parties and the household registries.
SECTIONS: tuple[Section, ...] = (*MENU_SECTIONS, *PARTY_SECTIONS)


# -- what a file holds ---------------------------------------------------------------------


@dataclass(frozen=True)
class UnitSpec:
    """One org unit as the file gives it; ``where`` locates it for error messages."""

    where: str
    code: str
    name: str
    name_en: str | None
    level: Level
    parent: str | None
    has_property_company: bool
    sort: int
    households: int | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class StationSpec:
    """One service station as the file gives it."""

    where: str
    code: str
    name: str
    unit: str
    address: str
    latitude: float | None
    longitude: float | None
    function_areas: list[str]
    opening_hours: str
    hours: list[OpeningSpan] = field(default_factory=list)
    open_on_holidays: bool = False


@dataclass(frozen=True)
class TeamSpec:
    """One service team as the file gives it."""

    where: str
    code: str
    name: str
    name_en: str | None
    project: str
    project_en: str | None
    sort: int


@dataclass(frozen=True)
class CategorySpec:
    """One category of requests as the file gives it."""

    where: str
    code: str
    name: str
    name_en: str
    tier: Tier
    team: str | None
    handled_by: HandledBy
    opinion: bool
    sort: int
    active: bool


@dataclass(frozen=True)
class DepartmentSpec:
    """One department (or a department's local branch) as the file gives it."""

    where: str
    code: str
    name: str
    short_name: str
    name_en: str | None
    unit: str
    parent: str | None
    sort: int
    active: bool


@dataclass(frozen=True)
class PairingSpec:
    """One pairing of a community with a city unit (结对共建) as the file gives it."""

    where: str
    community: str
    partner: str


@dataclass(frozen=True)
class OrgFile:
    """A parsed org file whose rows are each well formed and whose codes are unique.

    References to units that are not in the file (a parent, a station's unit) are checked
    against the database at import time.
    """

    source: str
    units: list[UnitSpec]
    stations: list[StationSpec]
    teams: list[TeamSpec]
    categories: list[CategorySpec]
    departments: list[DepartmentSpec] = field(default_factory=list)
    pairings: list[PairingSpec] = field(default_factory=list)
    sections: dict[str, list[Any]] = field(default_factory=dict)  # by table, e.g. "projects"


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


# -- reading fields ------------------------------------------------------------------------


def _unit_spec(data: Mapping[str, Any], where: str) -> UnitSpec:
    f = Fields(data, where, _UNIT_KEYS)
    code = f.code()
    assert code is not None
    name = f.required_text("name")
    level_text = f.required_text("level")
    try:
        level = Level(level_text)
    except ValueError:
        raise f.error(f'unknown level "{level_text}" (use {_LEVELS})') from None
    parent = f.code("parent", required=False)
    if level is Level.DISTRICT and parent is not None:
        raise f.error(f'a district has no parent, but parent "{parent}" is given')
    if level is not Level.DISTRICT and parent is None:
        raise f.error(f"a {level.value} needs a parent (the code of its {_above(level)})")
    given = [key for key in _COMPOUND_ONLY if data.get(key) is not None]
    if given and level is not Level.COMPOUND:
        raise f.error(f'"{given[0]}" is given for compounds only, not for a {level.value}')
    latitude = f.number("latitude", -90.0, 90.0)
    longitude = f.number("longitude", -180.0, 180.0)
    if (latitude is None) != (longitude is None):
        raise f.error("give both latitude and longitude, or neither")
    households = None if data.get("households") is None else f.integer("households", 0)
    if households is not None and households < 1:
        raise f.error(f"households {households} must be at least 1")
    return UnitSpec(
        where=where,
        code=code,
        name=name,
        name_en=f.text("name_en"),
        level=level,
        parent=parent,
        has_property_company=f.boolean("has_property_company", True),
        sort=f.integer("sort", 0),
        households=households,
        latitude=latitude,
        longitude=longitude,
    )


class _Holidays(StrEnum):
    """A station on public holidays: closed (it keeps the working calendar), or open."""

    CLOSED = "closed"
    OPEN = "open"


def _station_spec(data: Mapping[str, Any], where: str) -> StationSpec:
    f = Fields(data, where, _STATION_KEYS)
    code = f.code()
    unit = f.code("unit")
    assert code is not None and unit is not None
    latitude = f.number("latitude", -90.0, 90.0)
    longitude = f.number("longitude", -180.0, 180.0)
    if (latitude is None) != (longitude is None):
        raise f.error("give both latitude and longitude, or neither")
    return StationSpec(
        where=where,
        code=code,
        name=f.required_text("name"),
        unit=unit,
        address=f.text("address") or "",
        latitude=latitude,
        longitude=longitude,
        function_areas=f.text_list("function_areas"),
        opening_hours=f.text("opening_hours") or "",
        hours=_hours(data.get("hours"), f),
        open_on_holidays=f.choice("holidays", _Holidays, _Holidays.CLOSED, '"closed" or "open"')
        is _Holidays.OPEN,
    )


def _hours(value: object, f: Fields) -> list[OpeningSpan]:
    """A station's ``hours``: a list of ``{ days = "mon-fri", times = ["09:00-12:00"] }``."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise f.error('"hours" must be a list of tables like { days = "mon-fri", times = [...] }')
    spans: list[OpeningSpan] = []
    for group in value:
        unknown = sorted(set(group) - {"days", "times"})
        if unknown:
            raise f.error(f'unknown key "{unknown[0]}" in hours (use days and times)')
        days, times = group.get("days"), group.get("times")
        if not isinstance(days, str) or not isinstance(times, list):
            raise f.error('each entry of "hours" needs days (a string) and times (a list)')
        if not all(isinstance(t, str) for t in times):
            raise f.error('"times" must be a list of strings like "09:00-12:00"')
        try:
            spans += parse_spans(days, times)
        except ValueError as exc:
            raise f.error(str(exc)) from None
    return spans


def _team_spec(data: Mapping[str, Any], where: str) -> TeamSpec:
    f = Fields(data, where, _TEAM_KEYS)
    code = f.code()
    assert code is not None
    return TeamSpec(
        where=where,
        code=code,
        name=f.required_text("name"),
        name_en=f.text("name_en"),
        project=f.required_text("project"),
        project_en=f.text("project_en"),
        sort=f.integer("sort", 0),
    )


def _category_spec(data: Mapping[str, Any], where: str) -> CategorySpec:
    f = Fields(data, where, _CATEGORY_KEYS)
    code = f.code(lower=True)
    assert code is not None
    name = f.required_text("name")
    return CategorySpec(
        where=where,
        code=code,
        name=name,
        name_en=f.text("name_en") or name,
        tier=f.choice("tier", Tier, Tier.IMPORTANT, _TIERS),
        team=f.code("team", required=False),
        handled_by=f.choice("handled_by", HandledBy, HandledBy.MEMBERS, _HANDLERS),
        opinion=f.boolean("opinion", False),
        sort=f.integer("sort", 0),
        active=f.boolean("active", True),
    )


def _department_spec(data: Mapping[str, Any], where: str) -> DepartmentSpec:
    f = Fields(data, where, _DEPARTMENT_KEYS)
    code, unit = f.code(), f.code("unit")
    assert code is not None and unit is not None
    parent = f.code("parent", required=False)
    if parent == code:
        raise f.error("a department cannot be its own parent")
    name = f.required_text("name")
    return DepartmentSpec(
        where=where,
        code=code,
        name=name,
        short_name=f.text("short_name") or name,
        name_en=f.text("name_en"),
        unit=unit,
        parent=parent,
        sort=f.integer("sort", 0),
        active=f.boolean("active", True),
    )


def _pairing_spec(data: Mapping[str, Any], where: str) -> PairingSpec:
    f = Fields(data, where, _PAIRING_KEYS)
    community = f.code("community")
    assert community is not None
    return PairingSpec(where=where, community=community, partner=f.required_text("partner"))


def _above(level: Level) -> str:
    return list(Level)[level.depth - 1].value


# -- file formats --------------------------------------------------------------------------


def load_org_file(path: str | Path) -> OrgFile:
    """Read and check a ``.toml`` or ``.csv`` org file (no database needed)."""
    path = Path(path)
    source = str(path)
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".csv"):
        raise OrgImportError(
            f'{source}: unsupported file type "{path.suffix}" (use .toml or .csv)'
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise OrgImportError(f"{source}: cannot read the file: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OrgImportError(
            f"{source}: the file is not UTF-8 (byte {exc.start}); save it as UTF-8"
        ) from None
    org = _parse_toml(path, text) if suffix == ".toml" else _parse_csv(source, text)
    _check_file(org)
    return org


def _parse_toml(path: Path, text: str) -> OrgFile:
    source = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OrgImportError(f"{source}: not valid TOML: {exc}") from None
    tables = (*_TABLES, *(section.table for section in SECTIONS))
    unknown = sorted(set(data) - set(tables))
    if unknown:
        raise OrgImportError(
            f'{source}: unknown table "{unknown[0]}"'
            f" (use {', '.join(f'[[{table}]]' for table in tables)})"
        )
    builders: dict[str, Callable[[Mapping[str, Any], str], Any]] = {
        "units": _unit_spec,
        "stations": _station_spec,
        "teams": _team_spec,
        "categories": _category_spec,
        "departments": _department_spec,
        "pairings": _pairing_spec,
        **{section.table: partial(section.parse_in, path.parent) for section in SECTIONS},
    }
    parsed: dict[str, list[Any]] = {}
    for table, build in builders.items():
        records = data.get(table, [])
        if not isinstance(records, list):
            raise OrgImportError(f'{source}: "{table}" must be an array of tables [[{table}]]')
        lines = _header_lines(text, table, len(records))
        specs = []
        for i, record in enumerate(records):
            where = f"{source} line {lines[i]}" if lines else source
            where += f": {table}[{i}]"
            if not isinstance(record, dict):
                raise OrgImportError(f"{where}: must be a table")
            code = record.get("code", record.get("team"))
            if isinstance(code, str) and code.strip():
                where += f' (code "{code.strip()}")'
            specs.append(build(record, where))
        parsed[table] = specs
    return OrgFile(
        source,
        parsed["units"],
        parsed["stations"],
        parsed["teams"],
        parsed["categories"],
        parsed["departments"],
        parsed["pairings"],
        {section.table: parsed[section.table] for section in SECTIONS if parsed[section.table]},
    )


def _header_lines(text: str, table: str, count: int) -> list[int] | None:
    """The line numbers of the ``[[table]]`` headers, when they match the records one to one."""
    header = re.compile(rf"^\s*\[\[\s*{table}\s*\]\]")
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if header.match(line)]
    return lines if len(lines) == count and count else None


def _parse_csv(source: str, text: str) -> OrgFile:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise OrgImportError(f"{source}: the file is empty") from None
    except csv.Error as exc:
        raise OrgImportError(f"{source} line 1: {exc}") from None
    columns = [c.strip().lower() for c in header]
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    missing = sorted(_CSV_REQUIRED - set(columns))
    if unknown or missing or len(set(columns)) != len(columns):
        raise OrgImportError(
            f"{source} line 1: the header must be {','.join(CSV_COLUMNS)}"
            " (name_en, has_property_company and sort may be left out)"
        )
    units: list[UnitSpec] = []
    try:
        for row in reader:
            where = f"{source} line {reader.line_num}"
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                raise OrgImportError(f"{where}: expected {len(columns)} columns, found {len(row)}")
            units.append(
                _unit_spec(_csv_record(dict(zip(columns, row, strict=True)), where), where)
            )
    except csv.Error as exc:
        raise OrgImportError(f"{source} line {reader.line_num}: {exc}") from None
    return OrgFile(source, units, [], [], [])


def _csv_record(row: dict[str, str], where: str) -> dict[str, Any]:
    """Turn a CSV row's cells into the typed values a TOML table would hold."""
    record: dict[str, Any] = {}
    for key, cell in row.items():
        cell = cell.strip()
        if not cell:
            continue
        if key == "sort":
            try:
                record[key] = int(cell)
            except ValueError:
                raise OrgImportError(f'{where}: sort "{cell}" is not an integer') from None
        elif key == "has_property_company":
            if cell.lower() in _TRUE:
                record[key] = True
            elif cell.lower() in _FALSE:
                record[key] = False
            else:
                raise OrgImportError(
                    f'{where}: has_property_company "{cell}" must be true or false'
                )
        else:
            record[key] = cell
    return record


def _check_file(org: OrgFile) -> None:
    """Checks that need only the file: something to import, unique codes, parent levels."""
    if not (
        org.units
        or org.stations
        or org.teams
        or org.categories
        or org.departments
        or org.pairings
        or org.sections
    ):
        raise OrgImportError(
            f"{org.source}: nothing to import (no units, stations, teams, categories,"
            " departments or pairings)"
        )
    sections: list[tuple[str, Sequence[Spec]]] = [
        (f"{section.noun} code", org.sections.get(section.table, [])) for section in SECTIONS
    ]
    core: list[tuple[str, Sequence[Spec]]] = [
        ("code", org.units),
        ("station code", org.stations),
        ("team code", org.teams),
        ("category code", org.categories),
        ("department code", org.departments),
    ]
    for kind, specs in [*core, *sections]:
        seen: dict[str, str] = {}
        for spec in specs:
            if spec.code in seen:
                raise OrgImportError(
                    f'{spec.where}: duplicate {kind} "{spec.code}" (first at {seen[spec.code]})'
                )
            seen[spec.code] = _short_where(spec.where, org.source)
    by_code = {u.code: u for u in org.units}
    for unit in org.units:
        parent = by_code.get(unit.parent) if unit.parent else None
        if parent is not None:
            _check_parent_level(unit, parent.code, parent.level)
    pairs: dict[tuple[str, str], str] = {}
    for pairing in org.pairings:
        key = (pairing.community, pairing.partner)
        if key in pairs:
            raise OrgImportError(
                f"{pairing.where}: duplicate pairing of {pairing.community} with"
                f' "{pairing.partner}" (first at {pairs[key]})'
            )
        pairs[key] = _short_where(pairing.where, org.source)


def _short_where(where: str, source: str) -> str:
    """``units[2], line 12`` or ``line 7`` out of a full location."""
    rest = where.removeprefix(source)
    parts = re.findall(r"\b[a-z]+\[\d+\]", rest)[:1] + re.findall(r"\bline \d+", rest)[:1]
    return ", ".join(parts) or where


def _check_parent_level(unit: UnitSpec, parent_code: str, parent_level: Level) -> None:
    if parent_level.child() is not unit.level:
        raise OrgImportError(
            f"{unit.where}: a {unit.level.value} must sit under a {_above(unit.level)},"
            f' but parent "{parent_code}" is a {parent_level.value}'
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
            _check_parent_level(unit, parent.code, parent.level)
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
