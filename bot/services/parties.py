"""四位一体: the parties of each compound and their seats — who holds which, filling a seat by
an invitation link, vacating it, what /org and /me show, and who may act for a party.

Seats are created by the org file (``[[parties]]``); the community's administrators fill them
in the bot with a single-use invitation link per seat (the one invitation mechanism,
:mod:`bot.services.invitations`: kind ``seat``, a link per seat at a time). Holding a seat is
the role ``seat`` at the compound (read with the person's grants from ``seats`` itself, so
their menus follow); one person may hold seats in several parties (cross-holding), and every
screen shows it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.i18n import N_, I18n
from bot.models import Level, OrgUnit, Role
from bot.models.parties import (
    ROLES_OF,
    CompoundParties,
    Party,
    PartyKind,
    Seat,
    SeatHolding,
    SeatRole,
)
from bot.services.invitations import Granted
from bot.services.scope import Refused, admin_units, administers, audited_refusals
from bot.views import parties as views

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.models import Invitation
    from bot.outbox import Notifier
    from bot.services.invitations import InvitationService
    from bot.services.people import Actor, PeopleService
    from storage.db import Database, Tx

__all__ = ["SEAT_INVITATION", "PartyService", "compound_parties", "holding"]

LOG = logging.getLogger(__name__)

SEAT_INVITATION = "seat"  # the kind of a seat's invitation links

# The seat that convenes consultations of its compound, besides the community's admins.
CONVENER = (PartyKind.BRANCH, SeatRole.SECRETARY)


async def _person_name(tx: Tx, person_id: int) -> str | None:
    member = await tx.members.get(person_id)
    if member is not None:
        return member.real_name
    person = await tx.people.get(person_id)
    return (person.display_name or None) if person is not None else None


async def compound_parties(tx: Tx, compound: OrgUnit) -> CompoundParties:
    """The compound's parties with their seats, each seat with its cross-holdings."""
    parties = await tx.parties.of_compound(compound.id)
    seated: list[tuple[Party, Seat]] = []
    for party in sorted(parties, key=lambda p: list(PartyKind).index(p.kind)):
        seated += [(party, seat) for seat in await tx.parties.seats(party.id)]

    def same_holder(a: Seat, b: Seat) -> bool:
        if a.person_id is not None or b.person_id is not None:
            return a.person_id == b.person_id
        return a.holder_name is not None and a.holder_name == b.holder_name

    names: dict[int, str | None] = {}
    blocks: list[tuple[Party, list[SeatHolding]]] = []
    for party in sorted(parties, key=lambda p: list(PartyKind).index(p.kind)):
        holdings = []
        for owner, seat in seated:
            if owner.id != party.id:
                continue
            others = [
                (p, s)
                for p, s in seated
                if s.id != seat.id and not seat.vacant and same_holder(s, seat)
            ]
            if seat.person_id is not None and seat.person_id not in names:
                names[seat.person_id] = await _person_name(tx, seat.person_id)
            holdings.append(
                SeatHolding(
                    seat=seat,
                    party=party,
                    compound=compound,
                    person_name=names.get(seat.person_id) if seat.person_id else None,
                    cross=tuple(s.role for _p, s in others),
                    cross_parties=tuple(p.kind for p, _s in others),
                )
            )
        blocks.append((party, holdings))
    return CompoundParties(compound, blocks)


async def holding(tx: Tx, seat: Seat) -> SeatHolding:
    """One seat as screens name it (its party, compound and the holder's other seats)."""
    party = await tx.parties.party(seat.party_id)
    assert party is not None
    compound = await tx.org.get(party.compound_id)
    assert compound is not None
    block = await compound_parties(tx, compound)
    for _party, holdings in block.parties:
        for found in holdings:
            if found.seat.id == seat.id:
                return found
    return SeatHolding(seat, party, compound)


class PartyService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        notifier: Notifier,
        people: PeopleService,
        invitations: InvitationService,
        i18n: I18n,
        config: Config,
    ) -> None:
        self.db = db
        self.clock = clock
        self.notifier = notifier
        self.people = people
        self.invitations = invitations
        self.i18n = i18n
        self.config = config
        invitations.register(SEAT_INVITATION, self._fill)

    # -- reading -------------------------------------------------------------------------
    async def overview(self, actor: Actor) -> list[CompoundParties]:
        """The parties of the compounds the actor administers, or holds a seat in (/org)."""
        async with self.db.read() as tx:
            compounds: dict[int, OrgUnit] = {}
            for scope in await admin_units(tx, actor):
                for unit in await tx.org.subtree(scope, Level.COMPOUND):
                    compounds[unit.id] = unit
            for unit_id in actor.units_with(Role.SEAT):
                seat_unit = await tx.org.get(unit_id)
                if seat_unit is not None:
                    compounds[seat_unit.id] = seat_unit
            ordered = sorted(compounds.values(), key=lambda u: (u.path, u.sort))
            return [await compound_parties(tx, unit) for unit in ordered]

    async def my_seats(self, person_id: int) -> list[SeatHolding]:
        """The person's seats, each with its party, compound and cross-holdings (/me)."""
        async with self.db.read() as tx:
            return [
                await holding(tx, seat) for seat in await tx.parties.seats_of_person(person_id)
            ]

    async def compound(self, actor: Actor, compound_id: int) -> CompoundParties:
        """One compound's parties, for an admin of its area or a seat holder there."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            unit = await self._compound(tx, compound_id)
            await self._require_insider(tx, actor, unit, "parties.view")
            return await compound_parties(tx, unit)

    async def admin_compounds(self, actor: Actor) -> list[OrgUnit]:
        """The compounds whose seats the actor may fill (an admin's area)."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            scopes = await admin_units(tx, actor)
            if not scopes:
                raise Refused(
                    NotAllowed(N_("Only administrators can see this.")),
                    action="seat.invite",
                    subject="seats",
                    unit_id=None,
                    reason="not an admin",
                )
            found: dict[int, OrgUnit] = {}
            for scope in scopes:
                for unit in await tx.org.subtree(scope, Level.COMPOUND):
                    found[unit.id] = unit
        return sorted(found.values(), key=lambda u: (u.path, u.sort))

    # -- filling seats -------------------------------------------------------------------
    async def invite(self, actor: Actor, seat_id: int) -> tuple[SeatHolding, str]:
        """A single-use deep-link payload that makes whoever opens it the holder of the seat;
        earlier links of the seat stop working."""
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            seat, compound = await self._admin_seat(tx, actor, seat_id, "seat.invite")
            payload = await self.invitations.issue(
                tx,
                actor,
                SEAT_INVITATION,
                seat.id,
                action="seat.invite",
                subject=f"seat:{seat.code}",
                unit_id=compound.id,
                only=True,
            )
            found = await holding(tx, seat)
        return found, payload

    async def _fill(self, tx: Tx, actor: Actor, invitation: Invitation, now: datetime) -> Granted:
        """Opening a seat's link: the actor holds the seat now; a previous holder is told they
        no longer hold it."""
        seat = await tx.parties.seat(invitation.target_id)
        if seat is None:
            raise NotFound(N_("That seat does not exist (any more)."))
        party = await tx.parties.party(seat.party_id)
        assert party is not None
        previous = seat.person_id
        name = actor.person.display_name or None
        if previous is not None and previous != actor.id:
            await tx.parties.vacate(seat.id, now)  # a new holder: the old name goes too
            name = actor.person.display_name or seat.holder_name
        await tx.parties.link(seat.id, actor.id, name, now)
        await tx.audit.record(
            actor_id=actor.id,
            actor_label=actor.label,
            action="seat.fill",
            subject=f"seat:{seat.code}",
            unit_id=party.compound_id,
            before={"person_id": previous},
            after={"person_id": actor.id, "invited_by": invitation.created_by},
            now=now,
        )
        filled = await holding(tx, await self._seat(tx, seat.id))
        if previous is not None and previous != actor.id:
            await self._tell(tx, previous, filled, views.seat_handed_over)
            await self.people.queue_menu(tx, previous)
        return Granted(party.compound_id, {"seat": seat.code}, shown=filled)

    async def vacate(self, actor: Actor, seat_id: int) -> SeatHolding:
        """An admin empties a seat (the holder left): its person and name go; they are told."""
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            seat, compound = await self._admin_seat(tx, actor, seat_id, "seat.vacate")
            if seat.vacant:
                raise InvalidInput(N_("This seat is vacant already."))
            before = await holding(tx, seat)
            await tx.parties.vacate(seat.id, now)
            await self.invitations.expire(tx, SEAT_INVITATION, seat.id, now)
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action="seat.vacate",
                subject=f"seat:{seat.code}",
                unit_id=compound.id,
                before={"person_id": seat.person_id, "holder": seat.holder_name},
                after=None,
                now=now,
            )
            if seat.person_id is not None:
                await self._tell(tx, seat.person_id, before, views.seat_vacated)
            emptied = await holding(tx, await self._seat(tx, seat.id))
        if seat.person_id is not None:
            await self.people.refresh_menu(await self.people.actor(seat.person_id))
        return emptied

    # -- who may act ---------------------------------------------------------------------
    async def _require_insider(self, tx: Tx, actor: Actor, unit: OrgUnit, action: str) -> None:
        if await administers(tx, actor, unit) or await tx.parties.held_in(actor.id, unit.id):
            return
        raise Refused(
            NotAllowed(N_("Only the parties of this compound and its community can see this.")),
            action=action,
            subject=f"unit:{unit.code}",
            unit_id=unit.id,
            reason="neither a seat holder there nor an admin of its area",
        )

    async def _admin_seat(
        self, tx: Tx, actor: Actor, seat_id: int, action: str
    ) -> tuple[Seat, OrgUnit]:
        seat = await self._seat(tx, seat_id)
        party = await tx.parties.party(seat.party_id)
        assert party is not None
        compound = await self._compound(tx, party.compound_id)
        if Role.ADMIN not in actor.roles or not await administers(tx, actor, compound):
            raise Refused(
                NotAllowed(N_("Only an administrator of this area can do this.")),
                action=action,
                subject=f"seat:{seat.code}",
                unit_id=compound.id,
                reason="outside the admin's scope",
            )
        return seat, compound

    async def _seat(self, tx: Tx, seat_id: int) -> Seat:
        seat = await tx.parties.seat(seat_id)
        if seat is None:
            raise NotFound(N_("That seat does not exist (any more)."))
        return seat

    async def _compound(self, tx: Tx, compound_id: int) -> OrgUnit:
        unit = await tx.org.get(compound_id)
        if unit is None or unit.level is not Level.COMPOUND:
            raise NotFound(N_("That compound does not exist (any more)."))
        return unit

    async def _tell(
        self, tx: Tx, person_id: int, seat: SeatHolding, render: views.SeatRender
    ) -> None:
        person = await tx.people.get(person_id)
        if person is None or person.unreachable:
            return
        language = person.language or self.i18n.default
        await self.notifier.send(
            tx, person.telegram_id, render(self.i18n.get(language), language, seat)
        )


def leading_role(kind: PartyKind) -> SeatRole:
    return ROLES_OF[kind][0]
