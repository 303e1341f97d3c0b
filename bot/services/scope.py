"""Who may act on what: admins' scope, members' own tasks, and the administrators responsible
for a unit. Refusals are raised as :class:`Refused` and audited by :func:`audited_refusals`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from bot.errors import DomainError, InvalidInput, NotAllowed, NotFound
from bot.i18n import N_
from bot.lifecycle import WORKING
from bot.models import Level, OrgUnit, Person, Request, Role

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.services.people import Actor
    from storage.db import Database, Tx


class Refused(Exception):
    """A permission refusal raised inside a transaction; see :func:`audited_refusals`."""

    def __init__(
        self, error: DomainError, *, action: str, subject: str, unit_id: int | None, reason: str
    ) -> None:
        super().__init__(reason)
        self.error = error
        self.action = action
        self.subject = subject
        self.unit_id = unit_id
        self.reason = reason


@asynccontextmanager
async def audited_refusals(db: Database, clock: Clock, actor: Actor) -> AsyncIterator[None]:
    """Turn a :class:`Refused` from the block into an audit row (written after the block's
    transaction rolled back) and the user-facing error."""
    try:
        yield
    except Refused as refused:
        async with db.transaction() as tx:
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action=f"{refused.action}.refused",
                subject=refused.subject,
                unit_id=refused.unit_id,
                before=None,
                after={"reason": refused.reason},
                now=clock.now(),
            )
        raise refused.error from None


__all__ = [
    "admin_units",
    "administered_request",
    "administers",
    "assigned_task",
    "departments_of",
    "nearest_admins",
    "require_admin",
    "require_department",
    "secretary_of",
]


async def admin_units(tx: Tx, actor: Actor) -> list[OrgUnit]:
    """The units the actor administers (each with everything below it)."""
    units = [await tx.org.get(unit_id) for unit_id in actor.units_with(Role.ADMIN)]
    return [u for u in units if u is not None]


async def administers(tx: Tx, actor: Actor, unit: OrgUnit) -> bool:
    """True when the actor is an admin of ``unit`` or of a unit above it."""
    return any(scope.contains(unit) for scope in await admin_units(tx, actor))


async def administered_request(
    tx: Tx, actor: Actor, request_id: int, action: str
) -> tuple[Request, OrgUnit]:
    """The request and its compound, if the actor is an admin of its area (the compound or a
    unit above it); anyone else's try is a refusal audited as ``action``."""
    request = await tx.requests.get(request_id)
    if request is None:
        raise NotFound(N_("That request does not exist."))
    compound = await tx.org.get(request.compound_id)
    assert compound is not None
    await require_admin(tx, actor, compound, action=action, subject=f"request:{request.id}")
    return request, compound


async def require_admin(tx: Tx, actor: Actor, unit: OrgUnit, *, action: str, subject: str) -> None:
    """Refuse (audited as ``action`` on ``subject``) unless the actor administers ``unit``."""
    if Role.ADMIN not in actor.roles or not await administers(tx, actor, unit):
        raise Refused(
            NotAllowed(N_("Only an administrator of this area can do this.")),
            action=action,
            subject=subject,
            unit_id=unit.id,
            reason="outside the admin's scope",
        )


async def assigned_task(tx: Tx, actor: Actor, request_id: int, action: str) -> Request:
    """The request, if the actor is the member working on it; someone else's task is a
    refusal audited as ``action``."""
    request = await tx.requests.get(request_id)
    if request is None:
        raise NotFound(N_("That request does not exist."))
    if request.assignee_id != actor.id:
        raise Refused(
            NotAllowed(N_("This is not your task.")),
            action=action,
            subject=f"request:{request.id}",
            unit_id=request.compound_id,
            reason="not the assignee",
        )
    if request.status not in WORKING:
        raise InvalidInput(N_("This task is already finished."))
    return request


async def nearest_admins(tx: Tx, unit: OrgUnit) -> tuple[OrgUnit | None, list[Person]]:
    """The admins of the community above ``unit``; the street's or the district's when it has
    none (社区主导, 街道指挥, 区级统筹). Returns the level that answered and its admins."""
    path = [*await tx.org.ancestors(unit), unit]
    for level_unit in reversed(path):
        if level_unit.level is Level.COMPOUND:
            continue
        admins = await tx.people.holders(Role.ADMIN, [level_unit])
        if admins:
            return level_unit, admins
    return None, []


def departments_of(actor: Actor) -> set[int]:
    """The departments the actor works for (as a liaison or as its head)."""
    return {
        g.department_id
        for g in actor.grants
        if g.role in (Role.DEPARTMENT, Role.DEPARTMENT_HEAD) and g.department_id is not None
    }


def require_department(
    actor: Actor, department_id: int, *, action: str, subject: str, unit_id: int | None
) -> None:
    """Refuse (audited as ``action`` on ``subject``) unless the actor works for the
    department: a department acts only on its own sub-orders."""
    if department_id not in departments_of(actor):
        raise Refused(
            NotAllowed(N_("This is not your department's sub-order.")),
            action=action,
            subject=subject,
            unit_id=unit_id,
            reason="not the department's staff",
        )


def secretary_of(actor: Actor, community_id: int) -> bool:
    """Is the actor a first secretary (第一书记) of the community?"""
    return any(g.role is Role.FIRST_SECRETARY and g.unit_id == community_id for g in actor.grants)
