"""Administrators' own business: their request queue, granting and revoking admins below them
(by a single-use invitation link), and the audit log of their area. Every check is here."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.i18n import N_
from bot.lifecycle import OPEN, Status
from bot.models import (
    AuditEntry,
    Level,
    Member,
    MemberStatus,
    OrgUnit,
    Person,
    Role,
    Tier,
)
from bot.models.admin import AuditLine, Queue, QueueFilter
from bot.services.invitations import Granted
from bot.services.scope import Refused, admin_units, audited_refusals

if TYPE_CHECKING:
    from datetime import datetime

    from bot.clock import Clock
    from bot.models import Invitation
    from bot.services.flow import RequestFlow
    from bot.services.invitations import InvitationService
    from bot.services.people import Actor, PeopleService
    from storage.db import Database, Tx

__all__ = ["INVITATION", "AdminService"]

LOG = logging.getLogger(__name__)

INVITATION = "admin"  # the kind of an administrator's invitation link (its target: the unit)
PAGE = 5


class AdminService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        flow: RequestFlow,
        people: PeopleService,
        invitations: InvitationService,
    ) -> None:
        self.db = db
        self.clock = clock
        self.flow = flow
        self.people = people
        self.invitations = invitations
        invitations.register(INVITATION, self._grant)

    async def _scopes(self, tx: Tx, actor: Actor, action: str) -> list[OrgUnit]:
        scopes = await admin_units(tx, actor)
        if not scopes:
            raise Refused(
                NotAllowed(N_("Only administrators can see this.")),
                action=action,
                subject="admin",
                unit_id=None,
                reason="not an admin",
            )
        return scopes

    # -- the queue -----------------------------------------------------------------------
    async def queue(
        self,
        actor: Actor,
        which: QueueFilter,
        *,
        tier: Tier | None = None,
        category_id: int | None = None,
        page: int = 0,
    ) -> Queue:
        """Requests in the actor's area, newest first, filtered."""
        now = self.clock.now()
        statuses: frozenset[Status] | None = {
            QueueFilter.OPEN: OPEN,
            QueueFilter.OVERDUE: OPEN,
            QueueFilter.UNASSIGNED: frozenset({Status.TRIAGED, Status.DISPATCHED}),
            QueueFilter.RETURNED: frozenset({Status.RETURNED}),
            QueueFilter.RATING: frozenset({Status.RESOLVED}),
            QueueFilter.ALL: None,
        }[which]
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            scopes = await self._scopes(tx, actor, "admin.queue")
            total, rows = await tx.requests.in_scope(
                scopes,
                statuses=statuses,
                tier=tier,
                category_id=category_id,
                overdue_at=now if which is QueueFilter.OVERDUE else None,
                offset=page * PAGE,
                limit=PAGE,
            )
            items = [await self.flow.view(tx, r, is_owner=False, supporters=0) for r in rows]
        pages = max(1, -(-total // PAGE))
        return Queue(items, total, page, pages)

    # -- admins below ----------------------------------------------------------------------
    async def units_below(self, actor: Actor) -> list[OrgUnit]:
        """Units strictly below the actor's own, where they may grant admins."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            scopes = await self._scopes(tx, actor, "admin.grant")
            out: dict[int, OrgUnit] = {}
            for scope in scopes:
                for unit in await tx.org.subtree(scope):
                    if unit.id != scope.id and unit.level is not Level.COMPOUND:
                        out[unit.id] = unit
        return sorted(out.values(), key=lambda u: u.path)

    async def invite(self, actor: Actor, unit_id: int) -> str:
        """A single-use deep-link payload that makes whoever opens it an admin of ``unit_id``."""
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            unit = await self._below(tx, actor, unit_id, "admin.invite")
            return await self.invitations.issue(
                tx,
                actor,
                INVITATION,
                unit.id,
                action="admin.invite",
                subject=f"unit:{unit.code}",
                unit_id=unit.id,
            )

    async def _grant(self, tx: Tx, actor: Actor, invitation: Invitation, now: datetime) -> Granted:
        """Opening an administrator's link: become an admin of its unit."""
        unit = await tx.org.get(invitation.target_id)
        if unit is None:
            raise NotFound(N_("That place does not exist (any more)."))
        await tx.people.grant(actor.id, Role.ADMIN, unit.id, by=invitation.created_by, now=now)
        return Granted(unit.id, {"unit": unit.code}, shown=unit)

    async def admins_below(self, actor: Actor) -> list[tuple[Person, OrgUnit]]:
        units = await self.units_below(actor)
        async with self.db.read() as tx:
            out = []
            for unit in units:
                for person in await tx.people.holders(Role.ADMIN, [unit]):
                    out.append((person, unit))
        return out

    async def revoke(self, actor: Actor, person_id: int, unit_id: int) -> None:
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            unit = await self._below(tx, actor, unit_id, "admin.revoke")
            if not await tx.people.revoke(person_id, Role.ADMIN, unit.id, by=actor.id, now=now):
                raise InvalidInput(N_("That person is not an administrator there."))
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action="role.revoke",
                subject=f"person:{person_id}",
                unit_id=unit.id,
                before={"role": "admin", "unit": unit.code},
                after=None,
                now=now,
            )
        revoked = await self.people.actor(person_id)
        await self.people.refresh_menu(revoked)

    async def _below(self, tx: Tx, actor: Actor, unit_id: int, action: str) -> OrgUnit:
        scopes = await self._scopes(tx, actor, action)
        unit = await tx.org.get(unit_id)
        if unit is None:
            raise NotFound(N_("That place does not exist (any more)."))
        if not any(s.contains(unit) and s.id != unit.id for s in scopes):
            raise Refused(
                NotAllowed(N_("You can only manage administrators of units below your own.")),
                action=action,
                subject=f"unit:{unit.code}",
                unit_id=unit.id,
                reason="not below the admin's unit",
            )
        return unit

    # -- members waiting for approval ----------------------------------------------------
    async def pending_members(self, actor: Actor) -> list[tuple[Member, OrgUnit]]:
        """Registrations waiting for an admin of this area."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            scopes = await self._scopes(tx, actor, "member.pending")
            members = await tx.members.in_units(scopes, status=MemberStatus.PENDING)
            out = []
            for member in members:
                unit = await tx.org.get(member.compound_id)
                if unit is not None:
                    out.append((member, unit))
        return out

    # -- audit ---------------------------------------------------------------------------
    async def audit(self, actor: Actor, limit: int = 20) -> list[AuditLine]:
        """The latest audit entries of the area (admins of a street or the district), with
        the names of who did it and what it was done to."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            scopes = await self._scopes(tx, actor, "audit.view")
            wide = [s for s in scopes if s.level in (Level.STREET, Level.DISTRICT)]
            if not wide:
                raise Refused(
                    NotAllowed(
                        N_("The audit log is for administrators of a street or the district.")
                    ),
                    action="audit.view",
                    subject="audit",
                    unit_id=scopes[0].id,
                    reason="community admin",
                )
            entries: list[AuditEntry] = []
            for scope in wide:
                entries += await tx.audit.latest(limit=limit, scope=scope)
            entries.sort(key=lambda e: e.id, reverse=True)
            return [await _line(tx, entry) for entry in entries[:limit]]


async def _line(tx: Tx, entry: AuditEntry) -> AuditLine:
    """An audit entry with names in place of ids, where they are still kept."""
    actor = await _person_name(tx, entry.actor_id) if entry.actor_id is not None else None
    kind, _, key = entry.subject.partition(":")
    subject: str | None = None
    if kind == "request" and key.isdigit():
        request = await tx.requests.get(int(key))
        subject = request.number if request else None
    elif kind in ("person", "member") and key.isdigit():
        subject = await _person_name(tx, int(key))
    elif kind == "unit":
        unit = await tx.org.get_by_code(key)
        subject = unit.name if unit else None
    elif kind == "department":
        department = await tx.departments.by_code(key)
        subject = department.short_name if department else None
    return AuditLine(
        at=entry.at,
        actor=actor or entry.actor_label,
        action=entry.action,
        subject=subject or entry.subject,
        unit_id=entry.unit_id,
        actor_named=actor is not None,
        subject_named=subject is not None,
    )


async def _person_name(tx: Tx, person_id: int) -> str | None:
    """A member's real name, else the person's Telegram name (None once deleted)."""
    member = await tx.members.get(person_id)
    if member is not None:
        return member.real_name
    person = await tx.people.get(person_id)
    return (person.display_name or None) if person is not None else None
