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
_UPDATABLE = {"display_name", "username", "language", "home_unit_id", "phone", "unreachable"}

# Every live role of a person, as one compound query: the grants of role_grants, and the
# department-scoped, community-attached and team-scoped roles kept with their own records (a
# department's staff, a pairing's first secretary, a team's leader in a unit, a seat in one of
# a compound's parties, a household's owner). ``{person}`` picks the person in each arm: by
# their id, or (``p`` joined) by their Telegram id; every arm is index-backed.
_GRANT_ARMS = (
    "SELECT {cols} r.id AS g_id, r.person_id AS g_person, r.role AS g_role, r.unit_id AS g_unit,"
    " r.granted_by AS g_by, r.granted_at AS g_at, CAST(NULL AS BIGINT) AS g_department,"
    " CAST(NULL AS BIGINT) AS g_team"
    " FROM {people} {outer} role_grants r ON r.person_id = {pid} AND r.revoked_at IS NULL"
    " WHERE {person}"
    " UNION ALL"
    " SELECT {cols} s.id, s.person_id,"
    " CASE s.post WHEN 'head' THEN 'department_head' ELSE 'department' END,"
    " d.unit_id, s.granted_by, s.granted_at, s.department_id, CAST(NULL AS BIGINT)"
    " FROM {people} JOIN department_staff s ON s.person_id = {pid} AND s.revoked_at IS NULL"
    " JOIN departments d ON d.id = s.department_id WHERE {person}"
    " UNION ALL"
    " SELECT {cols} f.id, f.person_id, 'first_secretary', pr.community_id, f.granted_by,"
    " f.granted_at, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT)"
    " FROM {people} JOIN first_secretaries f ON f.person_id = {pid} AND f.revoked_at IS NULL"
    " JOIN pairings pr ON pr.id = f.pairing_id WHERE {person}"
    " UNION ALL"
    " SELECT {cols} l.id, l.person_id, 'team_leader', l.unit_id, l.granted_by, l.granted_at,"
    " CAST(NULL AS BIGINT), l.team_id"
    " FROM {people} JOIN team_leaders l ON l.person_id = {pid} AND l.revoked_at IS NULL"
    " WHERE {person}"
    " UNION ALL"
    " SELECT {cols} s.id, s.person_id, 'seat', pa.compound_id, CAST(NULL AS BIGINT),"
    " COALESCE(s.linked_at, s.updated_at), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT)"
    " FROM {people} JOIN seats s ON s.person_id = {pid}"
    " JOIN parties pa ON pa.id = s.party_id WHERE {person}"
    " UNION ALL"
    " SELECT {cols} h.id, h.owner_id, 'owner', h.compound_id, CAST(NULL AS BIGINT),"
    " COALESCE(h.bound_at, h.updated_at), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT)"
    " FROM {people} JOIN households h ON h.owner_id = {pid} AND h.active WHERE {person}"
)
# The person (by Telegram id) with each grant; a person without any comes once, grant NULL.
_WITH_GRANTS = _GRANT_ARMS.format(
    cols=f"{_P_PERSON_COLS},",
    people="people p",
    outer="LEFT JOIN",
    pid="p.id",
    person="p.telegram_id = :tg",
)
# The grants of a person by id.
_GRANTS_OF = _GRANT_ARMS.format(
    cols="", people="people p", outer="JOIN", pid="p.id", person="p.id = :pid"
)


def _grant(row: Any) -> RoleGrant:
    return RoleGrant(
        id=row["g_id"],
        person_id=row["g_person"],
        role=row["g_role"],
        unit_id=row["g_unit"],
        granted_by=row["g_by"],
        granted_at=row["g_at"],
        department_id=row["g_department"],
        team_id=row["g_team"],
    )


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
        """The person and their live grants (department posts and first secretaries'
        pairings included, see :data:`_GRANT_ARMS`), in one statement."""
        rows = await self.tx.fetchall(_WITH_GRANTS, {"tg": telegram_id})
        if not rows:
            return None
        first = dict(rows[0])
        person = Person.model_validate({k: v for k, v in first.items() if not k.startswith("g_")})
        grants = [_grant(r) for r in rows if r["g_id"] is not None]
        return person, sorted(grants, key=lambda g: (g.role != Role.RESIDENT, g.id))

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
        """The person's live grants, department posts and first secretaries included."""
        rows = await self.tx.fetchall(_GRANTS_OF, {"pid": person_id})
        grants = [_grant(r) for r in rows]
        return sorted(grants, key=lambda g: (g.role != Role.RESIDENT, g.id))

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
