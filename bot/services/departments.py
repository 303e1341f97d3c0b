"""Departments' people and first secretaries: who may bring them into the bot, and how.

A department's liaisons and its head join through a single-use invitation link,
like administrators: an administrator whose area the department serves (the district's for a
district department, the street's or the district's for a local branch), or the department's
own head for its liaisons, makes the link; whoever opens it holds the post, scoped to that
department. A community's first secretary (seconded by its paired city unit) joins
the same way, by a link from an administrator of the community or above.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.i18n import N_
from bot.models import Department
from bot.models.whistle import Joined, PairingLine, Post, StaffLine
from bot.services.scope import Refused, admin_units, audited_refusals

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.services.people import Actor, PeopleService
    from storage.db import Database, Tx

__all__ = ["INVITE_PREFIX", "DepartmentService"]

LOG = logging.getLogger(__name__)

INVITE_PREFIX = "inv_"
INVITE_TTL = timedelta(days=7)


class DepartmentService:
    def __init__(self, db: Database, clock: Clock, people: PeopleService) -> None:
        self.db = db
        self.clock = clock
        self.people = people

    # -- what an administrator manages ---------------------------------------------------------
    async def manageable(self, actor: Actor) -> list[Department]:
        """The departments whose people the actor may invite and revoke: those serving an area
        the actor administers, and a head's own department."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            found = await self._manageable(tx, actor)
            if not found:
                raise Refused(
                    NotAllowed(N_("No department is in your care.")),
                    action="department.staff",
                    subject="departments",
                    unit_id=None,
                    reason="neither an administrator of a department's area nor a head",
                )
            return found

    async def _manageable(self, tx: Tx, actor: Actor) -> list[Department]:
        scopes = await admin_units(tx, actor)
        out: list[Department] = []
        for department in await tx.departments.all():
            unit = await tx.org.get(department.unit_id)
            if unit is not None and any(s.contains(unit) for s in scopes):
                out.append(department)
        heads = await self._headed(tx, actor)
        out += [d for d in await tx.departments.all() if d.id in heads and d not in out]
        return out

    async def _headed(self, tx: Tx, actor: Actor) -> set[int]:
        """The departments the actor heads."""
        posts = await tx.departments.posts_of(actor.id)
        return {p.department_id for p in posts if p.post is Post.HEAD}

    async def _department(
        self, tx: Tx, actor: Actor, department_id: int, post: Post, action: str
    ) -> Department:
        """The department, if the actor may manage its ``post`` (a head: liaisons only)."""
        department = await tx.departments.get(department_id)
        if department is None:
            raise NotFound(N_("That department does not exist."))
        scopes = await admin_units(tx, actor)
        unit = await tx.org.get(department.unit_id)
        if unit is not None and any(s.contains(unit) for s in scopes):
            return department
        if post is Post.LIAISON and department.id in await self._headed(tx, actor):
            return department
        raise Refused(
            NotAllowed(N_("You cannot manage the people of that department.")),
            action=action,
            subject=f"department:{department.code}",
            unit_id=department.unit_id,
            reason="not in the actor's care",
        )

    async def staff(self, actor: Actor) -> list[StaffLine]:
        """The people of the departments in the actor's care."""
        departments = await self.manageable(actor)
        async with self.db.read() as tx:
            out = []
            for department in departments:
                for person, post in await tx.departments.staff(department.id):
                    out.append(StaffLine(person, department, post))
        return out

    async def invite(self, actor: Actor, department_id: int, post: Post) -> str:
        """A single-use link that makes whoever opens it the department's liaison or head."""
        if post is Post.FIRST_SECRETARY:
            raise InvalidInput(N_("This menu has expired. Please use the latest message."))
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            department = await self._department(
                tx, actor, department_id, post, "department.invite"
            )
            return await self._link(
                tx,
                actor,
                post,
                department_id=department.id,
                audit=("department.invite", f"department:{department.code}", department.unit_id),
                after={"post": post.value},
            )

    async def revoke(self, actor: Actor, department_id: int, person_id: int) -> None:
        """Take someone's post in a department back."""
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            posts = {p.department_id: p.post for p in await tx.departments.posts_of(person_id)}
            post = posts.get(department_id)
            department = await self._department(
                tx, actor, department_id, post or Post.LIAISON, "department.revoke"
            )
            if post is None or not await tx.departments.revoke_staff(
                department.id, person_id, by=actor.id, now=now
            ):
                raise InvalidInput(N_("That person has no post in this department."))
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action="role.revoke",
                subject=f"person:{person_id}",
                unit_id=department.unit_id,
                before={"role": post.value, "department": department.code},
                after=None,
                now=now,
            )
        await self.people.refresh_menu(await self.people.actor(person_id))

    # -- first secretaries ---------------------------------------------------------------------
    async def pairings(self, actor: Actor) -> list[PairingLine]:
        """The pairings of the communities the actor administers, with their secretaries."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            scopes = await admin_units(tx, actor)
            if not scopes:
                raise Refused(
                    NotAllowed(N_("Only administrators can see this.")),
                    action="pairing.view",
                    subject="pairings",
                    unit_id=None,
                    reason="not an admin",
                )
            out = []
            for pairing in await tx.departments.pairings():
                community = await tx.org.get(pairing.community_id)
                if community is None or not any(s.contains(community) for s in scopes):
                    continue
                names = [
                    p.display_name
                    for p, pr in await tx.departments.secretaries(community.id)
                    if pr.id == pairing.id
                ]
                out.append(PairingLine(pairing, community, names))
            return out

    async def invite_secretary(self, actor: Actor, pairing_id: int) -> str:
        """A single-use link that makes whoever opens it the community's first secretary."""
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            pairing = await tx.departments.pairing(pairing_id)
            community = await tx.org.get(pairing.community_id) if pairing else None
            if pairing is None or community is None:
                raise NotFound(N_("That pairing does not exist."))
            if not any(s.contains(community) for s in await admin_units(tx, actor)):
                raise Refused(
                    NotAllowed(N_("Only an administrator of this area can do this.")),
                    action="pairing.invite",
                    subject=f"unit:{community.code}",
                    unit_id=community.id,
                    reason="outside the admin's scope",
                )
            return await self._link(
                tx,
                actor,
                Post.FIRST_SECRETARY,
                pairing_id=pairing.id,
                audit=("pairing.invite", f"unit:{community.code}", community.id),
                after={"partner": pairing.partner},
            )

    async def _link(
        self,
        tx: Tx,
        actor: Actor,
        post: Post,
        *,
        audit: tuple[str, str, int],
        after: dict[str, object],
        department_id: int | None = None,
        pairing_id: int | None = None,
    ) -> str:
        """A stored single-use invitation for ``post`` and its audit row (action, subject,
        unit); return the deep-link payload."""
        now = self.clock.now()
        token = secrets.token_urlsafe(12)
        await tx.departments.add_invite(
            token,
            post,
            department_id=department_id,
            pairing_id=pairing_id,
            created_by=actor.id,
            now=now,
            expires_at=now + INVITE_TTL,
        )
        action, subject, unit_id = audit
        await tx.audit.record(
            actor_id=actor.id,
            actor_label=actor.label,
            action=action,
            subject=subject,
            unit_id=unit_id,
            before=None,
            after={**after, "expires_at": now + INVITE_TTL},
            now=now,
        )
        return f"{INVITE_PREFIX}{token}"

    # -- opening a link ----------------------------------------------------------------------
    async def accept_invite(self, actor: Actor, payload: str) -> Joined:
        """Opening an invitation link: hold its post (once, before it expires)."""
        token = payload.removeprefix(INVITE_PREFIX)
        now = self.clock.now()
        async with self.db.transaction() as tx:
            invite = await tx.departments.invite(token)
            if invite is None or invite.used_at is not None or invite.expires_at <= now:
                raise InvalidInput(N_("This invitation is not valid any more. Ask for a new one."))
            await tx.departments.use_invite(token, actor.id, now)
            if invite.department_id is not None:
                department = await tx.departments.get(invite.department_id)
                if department is None or not department.active:
                    raise NotFound(N_("That department does not exist."))
                await tx.departments.add_staff(
                    department.id, actor.id, invite.post, by=invite.created_by, now=now
                )
                joined = Joined(invite.post, department, None, None)
                unit_id, what = department.unit_id, {"department": department.code}
            else:
                assert invite.pairing_id is not None
                pairing = await tx.departments.pairing(invite.pairing_id)
                community = await tx.org.get(pairing.community_id) if pairing else None
                if pairing is None or community is None:
                    raise NotFound(N_("That pairing does not exist."))
                await tx.departments.add_secretary(
                    pairing.id, actor.id, by=invite.created_by, now=now
                )
                joined = Joined(invite.post, None, community, pairing.partner)
                unit_id, what = community.id, {"unit": community.code, "partner": pairing.partner}
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action="role.grant",
                subject=f"person:{actor.id}",
                unit_id=unit_id,
                before=None,
                after={"role": invite.post.value, **what, "invited_by": invite.created_by},
                now=now,
            )
        await self.people.refresh_menu(await self.people.actor(actor.id))
        return joined
