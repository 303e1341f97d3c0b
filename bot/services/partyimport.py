"""The org file's sections of the four parties: ``[[parties]]`` with their seats, and
``[[registries]]``, the household registries of compounds (CSV files next to the org file).
Both are :class:`~bot.services.orgfields.Section` objects the org import runs after its core
tables (so the compounds they name are in the store), in the same transaction.

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.models import Level, OrgUnit
from bot.models.parties import ROLES_OF, PartyKind, SeatRole
from bot.registry import HouseholdRow, RegistryError, read_registry
from bot.services.orgfields import Fields, OrgImportError, Section

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = [
    "PARTIES",
    "PARTY_SECTIONS",
    "REGISTRIES",
    "PartySpec",
    "RegistrySpec",
    "SeatSpec",
    "party_notes",
]

LOG = logging.getLogger(__name__)

_KINDS = ", ".join(f'"{kind.value}"' for kind in PartyKind)
_PARTY_KEYS = frozenset({"compound", "kind", "name", "seats"})
_SEAT_KEYS = frozenset({"code", "role", "name", "telegram_id", "sort"})
_REGISTRY_KEYS = frozenset({"compound", "file"})
_SEAT_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")
# A compound has a property company or a self-management group (自管小组), never both.
_EITHER = {
    PartyKind.PROPERTY_COMPANY: PartyKind.SELF_MANAGEMENT_GROUP,
    PartyKind.SELF_MANAGEMENT_GROUP: PartyKind.PROPERTY_COMPANY,
}


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

    @property
    def code(self) -> str:
        """One party of a kind per compound: "XHHY:branch" (the import's duplicate check)."""
        return f"{self.compound}:{self.kind.value}"


@dataclass(frozen=True)
class RegistrySpec:
    where: str
    compound: str
    file: Path
    households: list[HouseholdRow]

    @property
    def code(self) -> str:
        """One registry per compound (the import's duplicate check)."""
        return self.compound


def _party(record: Any, where: str) -> PartySpec:
    if not isinstance(record, dict):
        raise OrgImportError(f"{where}: must be a table")
    f = Fields(record, where, _PARTY_KEYS)
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
    f = Fields(record, where, _SEAT_KEYS)
    code = f.required_text("code")
    if not _SEAT_CODE.match(code):
        raise f.error(f'code "{code}" must be 1-32 upper-case letters, digits, "-" or "_"')
    where = f'{where} (code "{code}")'
    f = Fields(record, where, _SEAT_KEYS)
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
    f = Fields(record, where, _REGISTRY_KEYS)
    compound = f.code("compound")
    assert compound is not None
    path = base / f.required_text("file")
    try:
        households = read_registry(path)
    except RegistryError as exc:
        raise OrgImportError(f"{where}: {exc}") from None
    return RegistrySpec(where, compound, path, households)


async def _compound(tx: Tx, spec: PartySpec | RegistrySpec) -> OrgUnit:
    """The compound a record names (in the file, written already, or from before)."""
    unit = await tx.org.get_by_code(spec.compound)
    if unit is None:
        raise OrgImportError(f'{spec.where}: unknown compound "{spec.compound}"')
    if unit.level is not Level.COMPOUND:
        raise OrgImportError(
            f'{spec.where}: "{spec.compound}" is a {unit.level.value}, not a compound'
        )
    return unit


class _Parties(Section):
    table = "parties"
    noun = "party"

    def parse(self, data: Mapping[str, Any], where: str) -> PartySpec:
        return _party(data, where)

    async def write(self, tx: Tx, specs: Sequence[PartySpec], now: datetime) -> tuple[int, int]:
        await self._check(tx, specs)
        created = 0
        for party in specs:
            compound = await _compound(tx, party)
            party_id, new = await tx.parties.upsert_party(compound.id, party.kind, party.name, now)
            created += new
            for spec in party.seats:
                await _write_seat(tx, compound, party_id, spec, now)
        return created, len(specs) - created

    @staticmethod
    async def _check(tx: Tx, specs: Sequence[PartySpec]) -> None:
        """Every compound fits its parties; a seat code is one seat's, for good."""
        kinds = {(p.compound, p.kind): p for p in specs}
        codes: dict[str, str] = {}
        for party in specs:
            compound = await _compound(tx, party)
            if party.kind is PartyKind.PROPERTY_COMPANY and not compound.has_property_company:
                raise OrgImportError(
                    f"{party.where}: {party.compound} has has_property_company = false"
                )
            if party.kind is PartyKind.SELF_MANAGEMENT_GROUP and compound.has_property_company:
                raise OrgImportError(
                    f"{party.where}: a self-management group runs a compound with no property"
                    f" company, but {party.compound} has one (has_property_company)"
                )
            other = _EITHER.get(party.kind)
            if other is not None and (party.compound, other) in kinds:
                raise OrgImportError(
                    f"{party.where}: a compound has a property company or a"
                    " self-management group, not both"
                )
            for seat in party.seats:
                if seat.code in codes:
                    raise OrgImportError(
                        f'{seat.where}: duplicate seat code "{seat.code}"'
                        f" (first at {codes[seat.code]})"
                    )
                codes[seat.code] = seat.where
                await _stable_code(tx, party, seat)


async def _stable_code(tx: Tx, party: PartySpec, seat: SeatSpec) -> None:
    existing = await tx.parties.by_code(seat.code)
    owner = await tx.parties.party(existing.party_id) if existing else None
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


async def _write_seat(
    tx: Tx, compound: OrgUnit, party_id: int, spec: SeatSpec, now: datetime
) -> None:
    """One seat, and its holder from the file's Telegram id (the seat is filled at once)."""
    seat, _new = await tx.parties.upsert_seat(
        code=spec.code,
        party_id=party_id,
        role=spec.role,
        holder_name=spec.name,
        sort=spec.sort,
        now=now,
    )
    if spec.telegram_id is None:
        return
    person = await tx.people.by_telegram(spec.telegram_id)
    if person is None:
        person = await tx.people.create(
            telegram_id=spec.telegram_id, display_name="", username=None, language=None, now=now
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


class _Registries(Section):
    table = "registries"
    noun = "registry"

    def parse(self, data: Mapping[str, Any], where: str) -> RegistrySpec:
        return self.parse_in(Path(), data, where)

    def parse_in(self, folder: Path, data: Mapping[str, Any], where: str) -> RegistrySpec:
        return _registry(folder, data, where)

    async def write(self, tx: Tx, specs: Sequence[RegistrySpec], now: datetime) -> tuple[int, int]:
        """The households of each registry (created, updated); those not listed leave it."""
        created = updated = 0
        for registry in specs:
            compound = await _compound(tx, registry)
            kept = []
            for row in registry.households:
                household_id, new = await tx.households.upsert(
                    compound.id, row.building, row.unit, row.room, row.area_centi, now
                )
                kept.append(household_id)
                created += new
                updated += not new
            await tx.households.retire_others(compound.id, kept, now)
        return created, updated


PARTIES = _Parties()
REGISTRIES = _Registries()
PARTY_SECTIONS: tuple[Section, ...] = (PARTIES, REGISTRIES)


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
