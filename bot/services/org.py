"""The org tree as people see it: browsing down to a compound, an admin's area."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.errors import NotAllowed, NotFound
from bot.i18n import N_
from bot.models import Department, Level, OrgUnit, Role, ServiceTeam, Station
from bot.models.org import AreaView, Choice

if TYPE_CHECKING:
    from bot.services.people import Actor
    from storage.db import Database

__all__ = ["OrgService"]


class OrgService:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def browse(self, unit_id: int | None) -> Choice:
        """The options below ``unit_id`` (the top when None).

        The top skips a lone district, so people start by picking their street.
        """
        async with self.db.read() as tx:
            if unit_id is None:
                roots = await tx.org.children(None)
                if len(roots) == 1 and roots[0].level is Level.DISTRICT:
                    return Choice(None, await tx.org.children(roots[0].id), None)
                return Choice(None, roots, None)
            unit = await tx.org.get(unit_id)
            if unit is None:
                raise NotFound(N_("That place does not exist (any more)."))
            options = await tx.org.children(unit.id)
            parent_id = unit.parent_id
            if parent_id is not None:
                parent = await tx.org.get(parent_id)
                if (
                    parent is not None
                    and parent.parent_id is None
                    and len(await tx.org.children(None)) == 1
                ):
                    parent_id = None  # the lone district is the top
            return Choice(unit, options, parent_id)

    async def department(self, department_id: int) -> Department | None:
        async with self.db.statement() as tx:
            return await tx.departments.get(department_id)

    async def compound_by_code(self, code: str) -> OrgUnit | None:
        async with self.db.read() as tx:
            unit = await tx.org.get_by_code(code)
        return unit if unit is not None and unit.level is Level.COMPOUND else None

    async def unit(self, unit_id: int) -> OrgUnit | None:
        async with self.db.read() as tx:
            return await tx.org.get(unit_id)

    async def path(self, unit: OrgUnit) -> list[OrgUnit]:
        async with self.db.read() as tx:
            return [*await tx.org.ancestors(unit), unit]

    async def station(self, station_id: int) -> Station | None:
        async with self.db.statement() as tx:
            return await tx.org.station(station_id)

    async def teams(self) -> list[ServiceTeam]:
        async with self.db.read() as tx:
            return await tx.org.teams()

    async def areas(self, actor: Actor) -> list[AreaView]:
        """The areas the actor administers, with their units and stations."""
        unit_ids = actor.units_with(Role.ADMIN)
        if not unit_ids:
            raise NotAllowed(N_("Only administrators can see this."))
        views: list[AreaView] = []
        async with self.db.read() as tx:
            roots = [u for u in [await tx.org.get(i) for i in unit_ids] if u is not None]
            # An area inside another area of the same admin is shown once, inside the bigger.
            roots = [r for r in roots if not any(o is not r and o.contains(r) for o in roots)]
            for root in sorted(roots, key=lambda u: u.path):
                views.append(
                    AreaView(root, await tx.org.subtree(root), await tx.org.stations(root))
                )
        return views
