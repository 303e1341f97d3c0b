"""People and their role grants."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.models import OrgUnit, Person, Role, RoleGrant
from storage.timestamps import ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["PeopleRepo"]

_PERSON_COLS = (
    "id, telegram_id, display_name, username, language, home_unit_id, phone, unreachable,"
    " created_at, updated_at"
)
_P_PERSON_COLS = ", ".join("p." + col.strip() for col in _PERSON_COLS.split(","))
# A person's live grants: the role grants, and the team leaderships (a role with its team).
_LIVE_GRANTS = (
    "SELECT id, person_id, role, unit_id, granted_by, granted_at, revoked_at,"
    " CAST(NULL AS BIGINT) AS team_id, 0 AS src FROM role_grants"
    " WHERE person_id = ? AND revoked_at IS NULL"
    " UNION ALL SELECT id, person_id, 'team_leader', unit_id, granted_by, granted_at,"
    " revoked_at, team_id, 1 FROM team_leaders WHERE person_id = ? AND revoked_at IS NULL"
)
_UPDATABLE = {"display_name", "username", "language", "home_unit_id", "phone", "unreachable"}


class PeopleRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def get(self, person_id: int) -> Person | None:
        row = await self.tx.fetchone(
            f"SELECT {_PERSON_COLS} FROM people WHERE id = ?", (person_id,)
        )
        return None if row is None else Person.model_validate(dict(row))

    async def by_telegram(self, telegram_id: int) -> Person | None:
        row = await self.tx.fetchone(
            f"SELECT {_PERSON_COLS} FROM people WHERE telegram_id = ?", (telegram_id,)
        )
        return None if row is None else Person.model_validate(dict(row))

    async def with_grants(self, telegram_id: int) -> tuple[Person, list[RoleGrant]] | None:
        """The person and their live grants (team leadership included), in one statement:
        each half is a lookup by index (the person by Telegram id, their grants by person)."""
        rows = await self.tx.fetchall(
            f"SELECT {_P_PERSON_COLS}, g.id AS g_id, g.role AS g_role, g.unit_id AS g_unit,"
            " g.granted_by AS g_by, g.granted_at AS g_at, CAST(NULL AS BIGINT) AS g_team,"
            " 0 AS g_src FROM people p LEFT JOIN role_grants g"
            " ON g.person_id = p.id AND g.revoked_at IS NULL WHERE p.telegram_id = ?"
            f" UNION ALL SELECT {_P_PERSON_COLS}, l.id, 'team_leader', l.unit_id,"
            " l.granted_by, l.granted_at, l.team_id, 1 FROM people p JOIN team_leaders l"
            " ON l.person_id = p.id AND l.revoked_at IS NULL WHERE p.telegram_id = ?"
            " ORDER BY g_src, g_id",
            (telegram_id, telegram_id),
        )
        if not rows:
            return None
        first = dict(rows[0])
        person = Person.model_validate({k: v for k, v in first.items() if not k.startswith("g_")})
        grants = [
            RoleGrant(
                id=r["g_id"],
                person_id=person.id,
                role=r["g_role"],
                unit_id=r["g_unit"],
                granted_by=r["g_by"],
                granted_at=r["g_at"],
                team_id=r["g_team"],
            )
            for r in rows
            if r["g_id"] is not None
        ]
        return person, grants

    async def create(
        self,
        *,
        telegram_id: int,
        display_name: str,
        username: str | None,
        language: str | None,
        now: datetime,
    ) -> Person:
        """Create the person, or return the existing one with that Telegram id."""
        await self.tx.execute(
            "INSERT INTO people (telegram_id, display_name, username, language, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (telegram_id) DO NOTHING",
            (telegram_id, display_name, username, language, ts(now), ts(now)),
        )
        person = await self.by_telegram(telegram_id)
        assert person is not None
        return person

    async def update(self, person_id: int, now: datetime, **fields: Any) -> Person:
        unknown = set(fields) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot update {sorted(unknown)}")
        if fields:
            sets = ", ".join(f"{name} = ?" for name in fields)
            await self.tx.execute(
                f"UPDATE people SET {sets}, updated_at = ? WHERE id = ?",
                [*fields.values(), ts(now), person_id],
            )
        person = await self.get(person_id)
        assert person is not None
        return person

    async def mark_unreachable(self, telegram_id: int, now: datetime) -> None:
        await self.tx.execute(
            "UPDATE people SET unreachable = TRUE, updated_at = ? WHERE telegram_id = ?",
            (ts(now), telegram_id),
        )

    async def delete(self, person_id: int) -> None:
        await self.tx.execute("DELETE FROM people WHERE id = ?", (person_id,))

    async def count(self) -> int:
        return int(await self.tx.fetchval("SELECT count(*) FROM people"))

    # -- role grants ---------------------------------------------------------------------
    async def grant(
        self, person_id: int, role: Role, unit_id: int, *, by: int | None, now: datetime
    ) -> bool:
        """Grant ``role`` at ``unit_id``; return False when it was already held."""
        changed = await self.tx.execute(
            "INSERT INTO role_grants (person_id, role, unit_id, granted_by, granted_at)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (person_id, role, unit_id) WHERE revoked_at IS NULL DO NOTHING",
            (person_id, role.value, unit_id, by, ts(now)),
        )
        return changed > 0

    async def revoke(
        self, person_id: int, role: Role, unit_id: int | None, *, by: int | None, now: datetime
    ) -> int:
        """Revoke ``role`` at ``unit_id`` (or everywhere when None); return how many ended."""
        sql = (
            "UPDATE role_grants SET revoked_at = ?, revoked_by = ?"
            " WHERE person_id = ? AND role = ? AND revoked_at IS NULL"
        )
        params: list[object] = [ts(now), by, person_id, role.value]
        if unit_id is not None:
            sql += " AND unit_id = ?"
            params.append(unit_id)
        return await self.tx.execute(sql, params)

    async def grants(self, person_id: int) -> list[RoleGrant]:
        """The person's live grants, team leadership included."""
        rows = await self.tx.fetchall(f"{_LIVE_GRANTS} ORDER BY src, id", (person_id, person_id))
        return [RoleGrant.model_validate(dict(r)) for r in rows]

    async def holders(self, role: Role, units: list[OrgUnit]) -> list[Person]:
        """People holding ``role`` exactly at one of ``units``."""
        if not units:
            return []
        marks = ",".join("?" * len(units))
        rows = await self.tx.fetchall(
            f"SELECT DISTINCT {_P_PERSON_COLS} FROM people p"
            " JOIN role_grants g ON g.person_id = p.id"
            f" WHERE g.role = ? AND g.revoked_at IS NULL AND g.unit_id IN ({marks})"
            " ORDER BY p.id",
            [role.value, *(u.id for u in units)],
        )
        return [Person.model_validate(dict(r)) for r in rows]

    async def search(self, units: list[OrgUnit], text: str, limit: int = 10) -> list[Person]:
        """People living in ``units`` whose Telegram name contains ``text`` (any case)."""
        if not units or not text:
            return []
        where = " OR ".join("substr(u.path, 1, ?) = ?" for _ in units)
        params: list[Any] = [p for unit in units for p in (len(unit.path), unit.path)]
        escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = await self.tx.fetchall(
            f"SELECT {_P_PERSON_COLS} FROM people p JOIN org_units u ON u.id = p.home_unit_id"
            f" WHERE ({where}) AND lower(p.display_name) LIKE ? ESCAPE '\\'"
            " ORDER BY p.display_name, p.id LIMIT ?",
            [*params, f"%{escaped}%", limit],
        )
        return [Person.model_validate(dict(r)) for r in rows]
