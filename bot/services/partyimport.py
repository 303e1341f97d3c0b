"""The org file's sections of the four parties: ``[[parties]]`` with their seats, and
``[[registries]]``, the household registries of compounds (CSV files next to the org file).

::

    [[parties]]   compound (code), kind ("branch", "owners_committee", "property_company" or
                  "self_management_group"), name, seats = [ { code, role, name, telegram_id,
                  sort }, ... ]
    [[registries]] compound (code), file (a CSV beside the org file: building,unit,room,area)

A party is matched by its compound and kind, a seat by its code: importing again renames and
updates, never duplicates. A seat whose holder's name changes loses the person linked to it.
A registry file is the compound's whole registry: households it does not list leave it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.models import Level
from bot.models.parties import ROLES_OF, PartyKind, SeatRole
from bot.registry import HouseholdRow, RegistryError, read_registry
from bot.services.orgimport import (
    ImportStep,
    OrgFile,
    OrgImportError,
    RecordFields,
    Where,
)

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["PARTIES_STEP", "PartiesSection", "PartySpec", "RegistrySpec", "SeatSpec"]

LOG = logging.getLogger(__name__)

_KINDS = ", ".join(f'"{kind.value}"' for kind in PartyKind)
_PARTY_KEYS = frozenset({"compound", "kind", "name", "seats"})
_SEAT_KEYS = frozenset({"code", "role", "name", "telegram_id", "sort"})
_REGISTRY_KEYS = frozenset({"compound", "file"})
_SEAT_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")


@dataclass(frozen=True)
class SeatSpec:
    where: str
    code: str
    role: SeatRole
    name: str | None
    telegram_id: int | None
    sort: int


@dataclass(frozen=True)
class PartySpec:
    where: str
    compound: str
    kind: PartyKind
    name: str
    seats: list[SeatSpec]


@dataclass(frozen=True)
class RegistrySpec:
    where: str
    compound: str
    file: Path
    households: list[HouseholdRow]


@dataclass(frozen=True)
class PartiesSection:
    parties: list[PartySpec]
    registries: list[RegistrySpec]


def _read(base: Path, tables: Mapping[str, list[Any]], where: Where) -> PartiesSection:
    parties = [
        _party(record, where("parties", i)) for i, record in enumerate(tables.get("parties", []))
    ]
    registries = [
        _registry(base, record, where("registries", i))
        for i, record in enumerate(tables.get("registries", []))
    ]
    seen: dict[tuple[str, PartyKind], str] = {}
    codes: dict[str, str] = {}
    for party in parties:
        key = (party.compound, party.kind)
        if key in seen:
            raise OrgImportError(
                f"{party.where}: {party.compound} has a {party.kind.value} already"
                f" (at {seen[key]})"
            )
        seen[key] = party.where
        for seat in party.seats:
            if seat.code in codes:
                raise OrgImportError(
                    f'{seat.where}: duplicate seat code "{seat.code}"'
                    f" (first at {codes[seat.code]})"
                )
            codes[seat.code] = seat.where
    kinds = {(p.compound, p.kind) for p in parties}
    for compound, kind in kinds:
        other = (
            PartyKind.SELF_MANAGEMENT_GROUP
            if kind is PartyKind.PROPERTY_COMPANY
            else PartyKind.PROPERTY_COMPANY
            if kind is PartyKind.SELF_MANAGEMENT_GROUP
            else None
        )
        if other is not None and (compound, other) in kinds:
            raise OrgImportError(
                f"{seen[compound, kind]}: a compound has a property company or a"
                " self-management group, not both"
            )
    compounds: dict[str, str] = {}
    for registry in registries:
        if registry.compound in compounds:
            raise OrgImportError(
                f"{registry.where}: {registry.compound} has a registry already"
                f" (at {compounds[registry.compound]})"
            )
        compounds[registry.compound] = registry.where
    return PartiesSection(parties, registries)


def _party(record: Any, where: str) -> PartySpec:
    if not isinstance(record, dict):
        raise OrgImportError(f"{where}: must be a table")
    f = RecordFields(record, where, _PARTY_KEYS)
    compound = f.code("compound")
    assert compound is not None
    kind = f.choice("kind", PartyKind, PartyKind.BRANCH, _KINDS)
    if record.get("kind") is None:
        raise f.error(f'missing required key "kind" (use {_KINDS})')
    name = f.required_text("name")
    where = f"{where} ({compound} {kind.value})"
    raw_seats = record.get("seats", [])
    if not isinstance(raw_seats, list):
        raise OrgImportError(f'{where}: "seats" must be a list of tables')
    seats = [_seat(kind, seat, f"{where}.seats[{i}]") for i, seat in enumerate(raw_seats)]
    return PartySpec(where, compound, kind, name, seats)


def _seat(kind: PartyKind, record: Any, where: str) -> SeatSpec:
    if not isinstance(record, dict):
        raise OrgImportError(f"{where}: must be a table")
    f = RecordFields(record, where, _SEAT_KEYS)
    code = f.required_text("code")
    if not _SEAT_CODE.match(code):
        raise f.error(f'code "{code}" must be 1-32 upper-case letters, digits, "-" or "_"')
    where = f'{where} (code "{code}")'
    f = RecordFields(record, where, _SEAT_KEYS)
    allowed = ROLES_OF[kind]
    names = ", ".join(f'"{role.value}"' for role in allowed)
    role_text = f.required_text("role")
    try:
        role = SeatRole(role_text)
    except ValueError:
        raise f.error(f'unknown role "{role_text}" (a {kind.value} has {names})') from None
    if role not in allowed:
        raise f.error(f'a {kind.value} has no "{role.value}" (use {names})')
    name = f.text("name")
    telegram_id = record.get("telegram_id")
    if telegram_id is not None:
        if isinstance(telegram_id, bool) or not isinstance(telegram_id, int) or telegram_id <= 0:
            raise f.error('"telegram_id" must be a positive integer')
        if name is None:
            raise f.error('a seat with a "telegram_id" needs the holder\'s "name"')
    return SeatSpec(where, code, role, name, telegram_id, f.integer("sort", 0))


def _registry(base: Path, record: Any, where: str) -> RegistrySpec:
    if not isinstance(record, dict):
        raise OrgImportError(f"{where}: must be a table")
    f = RecordFields(record, where, _REGISTRY_KEYS)
    compound = f.code("compound")
    assert compound is not None
    path = base / f.required_text("file")
    try:
        households = read_registry(path)
    except RegistryError as exc:
        raise OrgImportError(f"{where}: {exc}") from None
    return RegistrySpec(where, compound, path, households)


def _empty(section: PartiesSection) -> bool:
    return not section.parties and not section.registries


async def _check(tx: Tx, org: OrgFile, section: PartiesSection) -> None:
    """The compounds named exist (in the file or already) and fit their parties."""
    in_file = {u.code: u for u in org.units}
    specs: list[PartySpec | RegistrySpec] = [*section.parties, *section.registries]
    for spec in specs:
        unit = in_file.get(spec.compound)
        if unit is not None:
            level, has_company = unit.level, unit.has_property_company
        else:
            found = await tx.org.get_by_code(spec.compound)
            if found is None:
                raise OrgImportError(f'{spec.where}: unknown compound "{spec.compound}"')
            level, has_company = found.level, found.has_property_company
        if level is not Level.COMPOUND:
            raise OrgImportError(
                f'{spec.where}: "{spec.compound}" is a {level.value}, not a compound'
            )
        if isinstance(spec, PartySpec):
            if spec.kind is PartyKind.PROPERTY_COMPANY and not has_company:
                raise OrgImportError(
                    f"{spec.where}: {spec.compound} has has_property_company = false"
                )
            if spec.kind is PartyKind.SELF_MANAGEMENT_GROUP and has_company:
                raise OrgImportError(
                    f"{spec.where}: a self-management group runs a compound with no property"
                    f" company, but {spec.compound} has one (has_property_company)"
                )
    for party in section.parties:
        for seat in party.seats:
            existing = await tx.parties.by_code(seat.code)
            if existing is None:
                continue
            owner = await tx.parties.party(existing.party_id)
            held_in = await tx.org.get(owner.compound_id) if owner else None
            if (
                owner is not None
                and held_in is not None
                and (held_in.code != party.compound or owner.kind is not party.kind)
            ):
                raise OrgImportError(
                    f'{seat.where}: seat "{seat.code}" belongs to the {owner.kind.value} of'
                    f" {held_in.code}; seat codes are stable: give a new seat a new code"
                )


async def _write(tx: Tx, org: OrgFile, section: PartiesSection, now: datetime) -> dict[str, int]:
    counts = {
        "parties created": 0,
        "parties updated": 0,
        "seats created": 0,
        "seats updated": 0,
        "households": 0,
    }
    for party in section.parties:
        compound = await tx.org.get_by_code(party.compound)
        assert compound is not None
        party_id, created = await tx.parties.upsert_party(compound.id, party.kind, party.name, now)
        counts["parties created" if created else "parties updated"] += 1
        for spec in party.seats:
            seat, new = await tx.parties.upsert_seat(
                code=spec.code,
                party_id=party_id,
                role=spec.role,
                holder_name=spec.name,
                sort=spec.sort,
                now=now,
            )
            counts["seats created" if new else "seats updated"] += 1
            if spec.telegram_id is not None:
                person = await tx.people.by_telegram(spec.telegram_id)
                if person is None:
                    person = await tx.people.create(
                        telegram_id=spec.telegram_id,
                        display_name="",
                        username=None,
                        language=None,
                        now=now,
                    )
                if seat.person_id != person.id:
                    await tx.parties.link(seat.id, person.id, spec.name, now)
                    await tx.audit.record(
                        actor_id=None,
                        actor_label="cli",
                        action="seat.fill",
                        subject=f"seat:{seat.code}",
                        unit_id=compound.id,
                        before=None,
                        after={"person_id": person.id, "from": "org file"},
                        now=now,
                    )
    for registry in section.registries:
        compound = await tx.org.get_by_code(registry.compound)
        assert compound is not None
        kept = []
        for row in registry.households:
            household_id, _new = await tx.households.upsert(
                compound.id, row.building, row.unit, row.room, row.area_centi, now
            )
            kept.append(household_id)
        await tx.households.retire_others(compound.id, kept, now)
        counts["households"] += len(kept)
    if not section.registries:
        del counts["households"]
    if not section.parties:
        counts = {k: v for k, v in counts.items() if k == "households"}
    return counts


PARTIES_STEP = ImportStep(
    name="parties",
    tables=("parties", "registries"),
    read=_read,
    check=_check,
    write=_write,
    empty=_empty,
)


async def party_notes(tx: Tx) -> dict[int, list[str]]:
    """Each compound's parties, seats (cross-holdings marked) and registry, as plain text lines
    for ``gridbot org show``."""
    from bot.art278 import area_text
    from bot.services.parties import compound_parties

    notes: dict[int, list[str]] = {}
    for unit in await tx.org.all_units():
        if unit.level is not Level.COMPOUND:
            continue
        block = await compound_parties(tx, unit)
        lines = []
        if block.unmanaged:
            lines.append("[no property company, branch or committee: the community acts for it]")
        for party, holdings in block.parties:
            lines.append(f"[{party.kind.value}] {party.name}" + ("" if holdings else ": no seats"))
            for h in holdings:
                who = h.name or "(vacant)"
                if h.seat.person_id is None and not h.seat.vacant:
                    who += " (not in the bot)"
                if h.cross:
                    also = ", ".join(
                        f"{kind.value} {role.value}"
                        for kind, role in zip(h.cross_parties, h.cross, strict=True)
                    )
                    who += f" [also {also}]"
                lines.append(f"  {h.seat.role.value}: {who} ({h.seat.code})")
        households = await tx.households.of_compound(unit.id)
        if households:
            bound = sum(h.owner_id is not None for h in households)
            area = area_text(sum(h.area_centi for h in households))
            lines.append(
                f"[registry] {len(households)} households, {area} m², {bound} bound in the bot"
            )
        if lines:
            notes[unit.id] = lines
    return notes
