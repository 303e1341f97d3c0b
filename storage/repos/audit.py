"""The audit log: who did what to what, when, with the before and after."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.models import AuditEntry, OrgUnit
from storage.timestamps import ts

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["AuditRepo"]


def _dump(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


class AuditRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def record(
        self,
        *,
        actor_id: int | None,
        actor_label: str,
        action: str,
        subject: str,
        now: datetime,
        unit_id: int | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> int:
        return await self.tx.insert(
            "INSERT INTO audit_log (actor_id, actor_label, action, subject, unit_id, before,"
            " after, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                actor_id,
                actor_label,
                action,
                subject,
                unit_id,
                _dump(before),
                _dump(after),
                ts(now),
            ),
        )

    async def forget_actor(self, person_id: int, old_label: str, new_label: str) -> int:
        """Unlink a forgotten person from the rows they caused: ``new_label`` and no actor id.

        ``audit_log.actor_id`` has no foreign key, and a deleted person's id can be given to
        the next new person, so it is cleared here rather than left to point at them."""
        return await self.tx.execute(
            "UPDATE audit_log SET actor_id = NULL, actor_label = ?"
            " WHERE actor_id = ? OR actor_label = ?",
            (new_label, person_id, old_label),
        )

    async def latest(
        self, *, limit: int = 20, scope: OrgUnit | None = None, action: str | None = None
    ) -> list[AuditEntry]:
        sql = (
            "SELECT a.id, a.actor_id, a.actor_label, a.action, a.subject, a.unit_id, a.before,"
            " a.after, a.at FROM audit_log a"
        )
        where: list[str] = []
        params: list[object] = []
        if scope is not None:
            sql += " LEFT JOIN org_units u ON u.id = a.unit_id"
            where.append("substr(u.path, 1, ?) = ?")
            params += [len(scope.path), scope.path]
        if action is not None:
            where.append("a.action = ?")
            params.append(action)
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = await self.tx.fetchall(sql + " ORDER BY a.id DESC LIMIT ?", [*params, limit])
        out = []
        for r in rows:
            data = dict(r)
            for key in ("before", "after"):
                data[key] = None if data[key] is None else json.loads(data[key])
            out.append(AuditEntry.model_validate(data))
        return out
