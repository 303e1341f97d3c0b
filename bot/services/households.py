"""The household registry of a compound and how owners bind their Telegram account to it.

The registry (building, unit, room, floor area) comes from CSV (``[[registries]]`` in the org
file, or ``gridbot households import``). Each household gets a one-time code
(``gridbot households codes`` prints a sheet of slips, one per household, with the code and a
QR code of ``t.me/<bot>?start=h_<CODE>``; the committee hands them out or posts them in the
letterboxes). The owner scans it (or sends ``/bind CODE``): their account owns the household
from then on, and the code is used up. Only a code's SHA-256 is stored, until it is used;
printing again gives new codes and the old ones stop working. Wrong codes are limited per
person (``MAX_FAILURES`` an hour) and audited.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.i18n import N_
from bot.models import Level, OrgUnit
from bot.models.consult import Household
from bot.registry import read_registry

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.services.people import Actor, PeopleService
    from storage.db import Database, Tx

__all__ = [
    "BIND_PREFIX",
    "CODE_ALPHABET",
    "HouseholdService",
    "IssuedCode",
    "code_hash",
    "normalise_code",
]

LOG = logging.getLogger(__name__)

BIND_PREFIX = "h_"
BAD_CODE = N_("This code is not valid: check it, or ask the owners' committee for a new one.")
# No 0/O, 1/I/L: read off paper by older eyes, typed on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10  # 31^10: about 49 bits
MAX_FAILURES = 5  # wrong codes per person per hour
_CODE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")


def normalise_code(text: str) -> str:
    """A code as typed (spaces, dashes, lower case) in its canonical form."""
    return re.sub(r"[\s\-_]", "", text).upper()


def code_hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def grouped(code: str) -> str:
    """K7Q9M-2XPAB: easier to read out and type."""
    return f"{code[:5]}-{code[5:]}"


@dataclass(frozen=True)
class IssuedCode:
    household: Household
    code: str  # shown once, on the sheet

    @property
    def printed(self) -> str:
        return grouped(self.code)


class HouseholdService:
    def __init__(self, db: Database, clock: Clock, people: PeopleService) -> None:
        self.db = db
        self.clock = clock
        self.people = people

    # -- the registry (command line) -----------------------------------------------------
    async def import_registry(self, compound_code: str, path: Path) -> tuple[int, int, int]:
        """Import a registry CSV as the compound's whole registry; return (created, updated,
        retired)."""
        rows = read_registry(path)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            compound = await self._compound(tx, compound_code)
            created = updated = 0
            kept = []
            for row in rows:
                household_id, new = await tx.households.upsert(
                    compound.id, row.building, row.unit, row.room, row.area_centi, now
                )
                kept.append(household_id)
                created += new
                updated += not new
            before = len(await tx.households.of_compound(compound.id))
            await tx.households.retire_others(compound.id, kept, now)
            retired = before - len(kept)
            await tx.audit.record(
                actor_id=None,
                actor_label="cli",
                action="households.import",
                subject=f"unit:{compound.code}",
                unit_id=compound.id,
                after={"created": created, "updated": updated, "retired": retired},
                now=now,
            )
        return created, updated, retired

    async def issue_codes(
        self,
        compound_code: str,
        write: Callable[[OrgUnit, list[IssuedCode]], object],
        *,
        everyone: bool = False,
        only: list[str] | None = None,
    ) -> tuple[OrgUnit, list[IssuedCode]]:
        """New one-time codes for the compound's households not bound yet (``everyone``: all,
        e.g. after owners changed; ``only``: those households, "3-1-502"), handed to
        ``write`` (the sheet) before they are committed: if the sheet cannot be written, the
        earlier codes keep working. The codes themselves are never stored."""
        now = self.clock.now()
        issued: list[IssuedCode] = []
        async with self.db.transaction() as tx:
            compound = await self._compound(tx, compound_code)
            households = await tx.households.of_compound(compound.id)
            if only:
                wanted = set(only)
                households = [h for h in households if h.label in wanted]
                missing = wanted - {h.label for h in households}
                if missing:
                    raise NotFound(
                        N_("There is no household {label} in the registry."),
                        label=sorted(missing)[0],
                    )
            elif not everyone:
                households = [h for h in households if h.owner_id is None]
            for household in households:
                code = new_code()
                await tx.households.set_code(household.id, code_hash(code), now)
                issued.append(IssuedCode(household, code))
            if issued:
                write(compound, issued)
            await tx.audit.record(
                actor_id=None,
                actor_label="cli",
                action="households.codes",
                subject=f"unit:{compound.code}",
                unit_id=compound.id,
                after={"codes": len(issued)},
                now=now,
            )
        return compound, issued

    # -- binding (in the bot) ----------------------------------------------------------------
    async def bind(self, actor: Actor, text: str) -> tuple[Household, OrgUnit]:
        """The owner's code: their account owns the household now (the code is used up)."""
        code = normalise_code(text.removeprefix(BIND_PREFIX))
        now = self.clock.now()
        async with self.db.read() as tx:
            failures = await tx.audit.count_since(
                actor.id, "household.bind.refused", now - timedelta(hours=1)
            )
        if failures >= MAX_FAILURES:
            raise NotAllowed(N_("Too many wrong codes. Please try again in an hour."))
        household = None
        if _CODE.match(code):
            async with self.db.read() as tx:
                household = await tx.households.by_code(code_hash(code))
        if household is None:
            async with self.db.transaction() as tx:
                await tx.audit.record(
                    actor_id=actor.id,
                    actor_label=actor.label,
                    action="household.bind.refused",
                    subject=f"person:{actor.id}",
                    after={"reason": "unknown or used code"},
                    now=now,
                )
            raise InvalidInput(BAD_CODE)
        async with self.db.transaction() as tx:
            if not await tx.households.bind(household.id, actor.id, now):
                raise InvalidInput(BAD_CODE)
            previous = household.owner_id
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action="household.bind",
                subject=f"household:{household.id}",
                unit_id=household.compound_id,
                before={"owner_id": previous},
                after={"owner_id": actor.id},
                now=now,
            )
            bound = await tx.households.get(household.id)
            compound = await tx.org.get(household.compound_id)
            assert bound is not None and compound is not None
        await self.people.refresh_menu(await self.people.actor(actor.id))
        return bound, compound

    async def mine(self, person_id: int) -> list[tuple[Household, OrgUnit]]:
        async with self.db.read() as tx:
            out = []
            for household in await tx.households.owned_by(person_id):
                compound = await tx.org.get(household.compound_id)
                if compound is not None:
                    out.append((household, compound))
        return out

    async def _compound(self, tx: Tx, code: str) -> OrgUnit:
        unit = await tx.org.get_by_code(code)
        if unit is None or unit.level is not Level.COMPOUND:
            raise NotFound(N_("There is no compound with the code {code}."), code=code)
        return unit
