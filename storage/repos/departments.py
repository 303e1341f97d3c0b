"""Departments and their staff, the pairings of communities with city units and their first
secretaries (the links that bring them in are ``invitations``)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.models import Department, OrgUnit, Person
from bot.models.whistle import DepartmentPost, Pairing, Post
from storage.timestamps import ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["DepartmentsRepo"]

_DEPT_COLS = "id, code, name, short_name, name_en, unit_id, parent_id, sort, active"
_PERSON_COLS = (
    "p.id, p.telegram_id, p.display_name, p.username, p.language, p.home_unit_id, p.phone,"
    " p.unreachable, p.created_at, p.updated_at"
)


def _department(row: Any) -> Department:
    return Department.model_validate(dict(row))


class DepartmentsRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    # -- departments -----------------------------------------------------------------------
    async def upsert(
        self,
        *,
        code: str,
        name: str,
        short_name: str,
        name_en: str | None,
        unit_id: int,
        parent_id: int | None,
        sort: int,
        active: bool,
        now: datetime,
    ) -> tuple[int, bool]:
        """Insert or update the department ``code``; return (id, created)."""
        existing = await self.tx.fetchval("SELECT id FROM departments WHERE code = ?", (code,))
        if existing is None:
            new_id = await self.tx.insert(
                "INSERT INTO departments (code, name, short_name, name_en, unit_id, parent_id,"
                " sort, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    code,
                    name,
                    short_name,
                    name_en,
                    unit_id,
                    parent_id,
                    sort,
                    active,
                    ts(now),
                    ts(now),
                ),
            )
            return new_id, True
        await self.tx.execute(
            "UPDATE departments SET name = ?, short_name = ?, name_en = ?, unit_id = ?,"
            " parent_id = ?, sort = ?, active = ?, updated_at = ? WHERE id = ?",
            (name, short_name, name_en, unit_id, parent_id, sort, active, ts(now), existing),
        )
        return int(existing), False

    async def get(self, department_id: int) -> Department | None:
        row = await self.tx.fetchone(
            f"SELECT {_DEPT_COLS} FROM departments WHERE id = ?", (department_id,)
        )
        return None if row is None else _department(row)

    async def by_code(self, code: str) -> Department | None:
        row = await self.tx.fetchone(
            f"SELECT {_DEPT_COLS} FROM departments WHERE code = ?", (code,)
        )
        return None if row is None else _department(row)

    async def all(self, *, active_only: bool = True) -> list[Department]:
        sql = f"SELECT {_DEPT_COLS} FROM departments"
        if active_only:
            sql += " WHERE active"
        rows = await self.tx.fetchall(sql + " ORDER BY sort, code")
        return [_department(r) for r in rows]

    async def serving(self, units: list[OrgUnit]) -> list[Department]:
        """The active departments serving any of ``units`` (the district's, a street's)."""
        if not units:
            return []
        marks = ",".join("?" * len(units))
        rows = await self.tx.fetchall(
            f"SELECT {_DEPT_COLS} FROM departments WHERE active AND unit_id IN ({marks})"
            " ORDER BY sort, code",
            [u.id for u in units],
        )
        return [_department(r) for r in rows]

    async def many(self, ids: list[int]) -> dict[int, Department]:
        if not ids:
            return {}
        marks = ",".join("?" * len(set(ids)))
        rows = await self.tx.fetchall(
            f"SELECT {_DEPT_COLS} FROM departments WHERE id IN ({marks})", sorted(set(ids))
        )
        return {int(r["id"]): _department(r) for r in rows}

    # -- staff -----------------------------------------------------------------------------
    async def add_staff(
        self, department_id: int, person_id: int, post: Post, *, by: int | None, now: datetime
    ) -> bool:
        """Give the person ``post`` in the department (a live post of another kind there is
        replaced); False when they already held exactly that."""
        current = await self.tx.fetchval(
            "SELECT post FROM department_staff WHERE department_id = ? AND person_id = ?"
            " AND revoked_at IS NULL",
            (department_id, person_id),
        )
        if current == post.value:
            return False
        if current is not None:
            await self.revoke_staff(department_id, person_id, by=by, now=now)
        await self.tx.execute(
            "INSERT INTO department_staff (department_id, person_id, post, granted_by,"
            " granted_at) VALUES (?, ?, ?, ?, ?)",
            (department_id, person_id, post.value, by, ts(now)),
        )
        return True

    async def revoke_staff(
        self, department_id: int, person_id: int, *, by: int | None, now: datetime
    ) -> bool:
        changed = await self.tx.execute(
            "UPDATE department_staff SET revoked_at = ?, revoked_by = ?"
            " WHERE department_id = ? AND person_id = ? AND revoked_at IS NULL",
            (ts(now), by, department_id, person_id),
        )
        return changed > 0

    async def posts_of(self, person_id: int) -> list[DepartmentPost]:
        rows = await self.tx.fetchall(
            "SELECT id, department_id, person_id, post, granted_at FROM department_staff"
            " WHERE person_id = ? AND revoked_at IS NULL ORDER BY id",
            (person_id,),
        )
        return [DepartmentPost.model_validate(dict(r)) for r in rows]

    async def staff(
        self, department_id: int, posts: tuple[Post, ...] = (Post.LIAISON, Post.HEAD)
    ) -> list[tuple[Person, Post]]:
        """The department's people holding one of ``posts``."""
        marks = ",".join("?" * len(posts))
        rows = await self.tx.fetchall(
            f"SELECT {_PERSON_COLS}, s.post FROM department_staff s"
            " JOIN people p ON p.id = s.person_id"
            f" WHERE s.department_id = ? AND s.revoked_at IS NULL AND s.post IN ({marks})"
            " ORDER BY s.id",
            (department_id, *(p.value for p in posts)),
        )
        out = []
        for row in rows:
            data = dict(row)
            post = Post(data.pop("post"))
            out.append((Person.model_validate(data), post))
        return out

    # -- pairings and first secretaries ---------------------------------------------------
    async def upsert_pairing(self, community_id: int, partner: str, now: datetime) -> bool:
        """Record the pairing; True when it is new."""
        changed = await self.tx.execute(
            "INSERT INTO pairings (community_id, partner, created_at, updated_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (community_id, partner) DO NOTHING",
            (community_id, partner, ts(now), ts(now)),
        )
        return changed > 0

    async def pairing(self, pairing_id: int) -> Pairing | None:
        row = await self.tx.fetchone(
            "SELECT id, community_id, partner FROM pairings WHERE id = ?", (pairing_id,)
        )
        return None if row is None else Pairing.model_validate(dict(row))

    async def pairings(self, community_ids: list[int] | None = None) -> list[Pairing]:
        sql = "SELECT id, community_id, partner FROM pairings"
        params: list[int] = []
        if community_ids is not None:
            if not community_ids:
                return []
            sql += f" WHERE community_id IN ({','.join('?' * len(community_ids))})"
            params = community_ids
        rows = await self.tx.fetchall(sql + " ORDER BY community_id, id", params)
        return [Pairing.model_validate(dict(r)) for r in rows]

    async def add_secretary(
        self, pairing_id: int, person_id: int, *, by: int | None, now: datetime
    ) -> bool:
        changed = await self.tx.execute(
            "INSERT INTO first_secretaries (pairing_id, person_id, granted_by, granted_at)"
            " VALUES (?, ?, ?, ?)"
            " ON CONFLICT (pairing_id, person_id) WHERE revoked_at IS NULL DO NOTHING",
            (pairing_id, person_id, by, ts(now)),
        )
        return changed > 0

    async def revoke_secretary(
        self, pairing_id: int, person_id: int, *, by: int | None, now: datetime
    ) -> bool:
        changed = await self.tx.execute(
            "UPDATE first_secretaries SET revoked_at = ?, revoked_by = ?"
            " WHERE pairing_id = ? AND person_id = ? AND revoked_at IS NULL",
            (ts(now), by, pairing_id, person_id),
        )
        return changed > 0

    async def secretaries(self, community_id: int) -> list[tuple[Person, Pairing]]:
        """The first secretaries of a community, with their pairing."""
        rows = await self.tx.fetchall(
            f"SELECT {_PERSON_COLS}, pr.id AS pr_id, pr.partner FROM first_secretaries f"
            " JOIN pairings pr ON pr.id = f.pairing_id JOIN people p ON p.id = f.person_id"
            " WHERE pr.community_id = ? AND f.revoked_at IS NULL ORDER BY f.id",
            (community_id,),
        )
        out = []
        for row in rows:
            data = dict(row)
            pairing = Pairing(
                id=data.pop("pr_id"), community_id=community_id, partner=data.pop("partner")
            )
            out.append((Person.model_validate(data), pairing))
        return out
