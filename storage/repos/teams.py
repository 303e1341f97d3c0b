"""Service teams at work: their leaders (队长) and the orders of their projects (点单)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.lifecycle import Status
from bot.models import OrgUnit, Person, Request
from bot.models.service import HeldLeadership
from storage.repos.org import UNIT_COLUMNS
from storage.repos.requests import REQUEST_COLUMNS, request_from_row
from storage.timestamps import ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["TeamsRepo"]

_R_COLS = ", ".join("r." + col.strip() for col in REQUEST_COLUMNS.split(","))
_PERSON_COLS = (
    "p.id, p.telegram_id, p.display_name, p.username, p.language, p.home_unit_id, p.phone,"
    " p.unreachable, p.created_at, p.updated_at"
)

# An org unit beside a person: its columns as u_<name>.
_U_COLS = ", ".join(f"u.{c.strip()} AS u_{c.strip()}" for c in UNIT_COLUMNS.split(","))


class TeamsRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    # -- leaders -------------------------------------------------------------------------
    async def lead(
        self, person_id: int, team_id: int, unit_id: int, *, by: int | None, now: datetime
    ) -> bool:
        """Make the person the team's leader in the unit; False when they already are."""
        changed = await self.tx.execute(
            "INSERT INTO team_leaders (person_id, team_id, unit_id, granted_by, granted_at)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (person_id, team_id, unit_id) WHERE revoked_at IS NULL DO NOTHING",
            (person_id, team_id, unit_id, by, ts(now)),
        )
        return changed > 0

    async def unlead(
        self, person_id: int, team_id: int, unit_id: int, *, by: int | None, now: datetime
    ) -> bool:
        changed = await self.tx.execute(
            "UPDATE team_leaders SET revoked_at = ?, revoked_by = ? WHERE person_id = ?"
            " AND team_id = ? AND unit_id = ? AND revoked_at IS NULL",
            (ts(now), by, person_id, team_id, unit_id),
        )
        return changed > 0

    async def leaders(self, team_id: int, unit: OrgUnit) -> list[Person]:
        """The team's leaders whose unit holds ``unit`` (a leader of the district leads the
        team in every compound of it)."""
        rows = await self.tx.fetchall(
            f"SELECT DISTINCT {_PERSON_COLS} FROM team_leaders l"
            " JOIN people p ON p.id = l.person_id JOIN org_units u ON u.id = l.unit_id"
            " WHERE l.team_id = ? AND l.revoked_at IS NULL"
            " AND substr(?, 1, length(u.path)) = u.path ORDER BY p.id",
            (team_id, unit.path),
        )
        return [Person.model_validate(dict(r)) for r in rows]

    async def leaderships(self, scopes: list[OrgUnit]) -> list[HeldLeadership]:
        """Who leads which team in a unit within ``scopes``, by team, area and person."""
        if not scopes:
            return []
        where = " OR ".join("substr(u.path, 1, ?) = ?" for _ in scopes)
        rows = await self.tx.fetchall(
            f"SELECT {_PERSON_COLS}, l.team_id AS l_team, {_U_COLS}"
            " FROM team_leaders l JOIN people p ON p.id = l.person_id"
            f" JOIN org_units u ON u.id = l.unit_id WHERE l.revoked_at IS NULL AND ({where})"
            " ORDER BY l.team_id, u.path, p.id",
            [p for unit in scopes for p in (len(unit.path), unit.path)],
        )
        out = []
        for row in rows:
            data = dict(row)
            unit = {k.removeprefix("u_"): v for k, v in data.items() if k.startswith("u_")}
            person = {k: v for k, v in data.items() if not k.startswith(("u_", "l_"))}
            out.append(
                HeldLeadership(
                    person=Person.model_validate(person),
                    team_id=int(data["l_team"]),
                    unit=OrgUnit.model_validate(unit),
                )
            )
        return out

    # -- orders --------------------------------------------------------------------------
    async def orders(
        self,
        team_id: int,
        scopes: list[OrgUnit],
        statuses: frozenset[Status] | None,
        *,
        limit: int,
    ) -> list[Request]:
        """The team's service orders in ``scopes``, newest first (only ``statuses`` if
        given)."""
        if not scopes:
            return []
        where = " OR ".join("substr(u.path, 1, ?) = ?" for _ in scopes)
        params: list[object] = [team_id]
        params += [p for unit in scopes for p in (len(unit.path), unit.path)]
        sql = (
            f"SELECT {_R_COLS} FROM requests r JOIN org_units u ON u.id = r.compound_id"
            f" WHERE r.service_team_id = ? AND ({where})"
        )
        if statuses is not None:
            sql += f" AND r.status IN ({','.join('?' * len(statuses))})"
            params += [s.value for s in sorted(statuses)]
        rows = await self.tx.fetchall(sql + " ORDER BY r.id DESC LIMIT ?", [*params, limit])
        return [request_from_row(r) for r in rows]
