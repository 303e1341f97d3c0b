"""Read an org file (units, service stations, service teams, categories, departments,
pairings and the feature sections) from TOML or CSV into checked specs: :func:`load_org_file`.
Writing them into the database is :mod:`bot.services.orgimport`.

TOML holds any of these arrays of tables (``examples/duanzhou.toml`` documents every key)::

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
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import Any

from bot.hours import parse_spans
from bot.models import HandledBy, Level, OpeningSpan, Tier
from bot.services.orgfields import Fields, OrgImportError, Section, Spec
from bot.services.orgmenu import SECTIONS as MENU_SECTIONS
from bot.services.partyimport import PARTY_SECTIONS

__all__ = [
    "CSV_COLUMNS",
    "SECTIONS",
    "CategorySpec",
    "DepartmentSpec",
    "OrgFile",
    "OrgImportError",
    "PairingSpec",
    "StationSpec",
    "TeamSpec",
    "UnitSpec",
    "check_parent_level",
    "load_org_file",
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
            check_parent_level(unit, parent.code, parent.level)
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


def check_parent_level(unit: UnitSpec, parent_code: str, parent_level: Level) -> None:
    if parent_level.child() is not unit.level:
        raise OrgImportError(
            f"{unit.where}: a {unit.level.value} must sit under a {_above(unit.level)},"
            f' but parent "{parent_code}" is a {parent_level.value}'
        )
