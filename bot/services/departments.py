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
from typing import TYPE_CHECKING

from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.i18n import N_
from bot.models import Department
from bot.models.whistle import Joined, PairingLine, Post, StaffLine
from bot.services.invitations import Granted
from bot.services.scope import Refused, admin_units, audited_refusals

if TYPE_CHECKING:
    from datetime import datetime

    from bot.clock import Clock
    from bot.models import Invitation
    from bot.services.invitations import InvitationService
    from bot.services.people import Actor, PeopleService
    from storage.db import Database, Tx

__all__ = ["DepartmentService"]

LOG = logging.getLogger(__name__)


class DepartmentService:
    def __init__(
        self, db: Database, clock: Clock, people: PeopleService, invitations: InvitationService
    ) -> None:
        self.db = db
        self.clock = clock
        self.people = people
        self.invitations = invitations
        # The kinds of their links are the posts' names; the target: a department, a pairing.
        invitations.register(Post.LIAISON.value, self._join_department)
        invitations.register(Post.HEAD.value, self._join_department)
        invitations.register(Post.FIRST_SECRETARY.value, self._join_pairing)

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
            return await self.invitations.issue(
                tx,
                actor,
                post.value,
                department.id,
                action="department.invite",
                subject=f"department:{department.code}",
                unit_id=department.unit_id,
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
            return await self.invitations.issue(
                tx,
                actor,
                Post.FIRST_SECRETARY.value,
                pairing.id,
                action="pairing.invite",
                subject=f"unit:{community.code}",
                unit_id=community.id,
                after={"partner": pairing.partner},
            )

    # -- opening a link ----------------------------------------------------------------------
    async def _join_department(
        self, tx: Tx, actor: Actor, invitation: Invitation, now: datetime
    ) -> Granted:
        """A liaison's or a head's link: hold that post in its department."""
        post = Post(invitation.kind)
        department = await tx.departments.get(invitation.target_id)
        if department is None or not department.active:
            raise NotFound(N_("That department does not exist."))
        await tx.departments.add_staff(
            department.id, actor.id, post, by=invitation.created_by, now=now
        )
        return Granted(
            department.unit_id,
            {"department": department.code},
            shown=Joined(post, department, None, None),
        )

    async def _join_pairing(
        self, tx: Tx, actor: Actor, invitation: Invitation, now: datetime
    ) -> Granted:
        """A first secretary's link: become the first secretary of its pairing's community."""
        pairing = await tx.departments.pairing(invitation.target_id)
        community = await tx.org.get(pairing.community_id) if pairing else None
        if pairing is None or community is None:
            raise NotFound(N_("That pairing does not exist."))
        await tx.departments.add_secretary(pairing.id, actor.id, by=invitation.created_by, now=now)
        return Granted(
            community.id,
            {"unit": community.code, "partner": pairing.partner},
            shown=Joined(Post.FIRST_SECRETARY, None, community, pairing.partner),
        )
