"""Team leaders (队长): who leads a service team where, and how they come to lead it.

A team's leader leads it in a unit (usually the district, or a community) and everything below
it: they see the team's orders there and assign them within the team (:class:`MenuService`),
and publish the team's activities. An administrator brings a leader in by an invitation link
for one of their teams in their area (the one invitation mechanism,
:mod:`bot.services.invitations`: kind ``team_leader``, its target the team, its unit the area),
or dismisses one, from /admin › 🎖 Team leaders; the command line appoints and dismisses by
Telegram id (``gridbot team lead``). Every change is audited.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.errors import NotAllowed, NotFound
from bot.i18n import N_
from bot.models import OrgUnit, Person, ServiceTeam
from bot.models.service import Leadership, TeamLeaders
from bot.services.invitations import Granted
from bot.services.scope import Refused, admin_units, audited_refusals

if TYPE_CHECKING:
    from datetime import datetime

    from bot.clock import Clock
    from bot.models import Invitation
    from bot.services.invitations import InvitationService
    from bot.services.people import Actor, PeopleService
    from storage.db import Database, Tx

__all__ = ["INVITATION", "LeaderService"]

LOG = logging.getLogger(__name__)

INVITATION = "team_leader"  # the kind of a team leader's invitation link (its target: the team)


class LeaderService:
    def __init__(
        self, db: Database, clock: Clock, people: PeopleService, invitations: InvitationService
    ) -> None:
        self.db = db
        self.clock = clock
        self.people = people
        self.invitations = invitations
        invitations.register(INVITATION, self._join)

    # -- an administrator's view ---------------------------------------------------------
    async def teams(self, actor: Actor) -> list[TeamLeaders]:
        """Every team, with its leaders in the actor's areas and those areas (where the actor
        may invite one)."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            scopes = await self._scopes(tx, actor, "team.leaders", "teams")
            held = await tx.teams.leaderships(scopes)
            return [
                TeamLeaders(
                    team=team,
                    leaders=[h for h in held if h.team_id == team.id],
                    areas=scopes,
                )
                for team in await tx.org.teams()
            ]

    async def invite(self, actor: Actor, team_id: int, unit_id: int) -> str:
        """A single-use link that makes whoever opens it the team's leader in the unit."""
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            team, unit = await self._placed(tx, actor, team_id, unit_id, "team.invite")
            return await self.invitations.issue(
                tx,
                actor,
                INVITATION,
                team.id,
                action="team.invite",
                subject=f"team:{team.code}",
                unit_id=unit.id,
                after={"team": team.code, "unit": unit.code},
            )

    async def dismiss_in_bot(
        self, actor: Actor, team_id: int, unit_id: int, person_id: int
    ) -> None:
        """An administrator takes a team's leadership in their area back."""
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            team, unit = await self._placed(tx, actor, team_id, unit_id, "team.unlead")
            if not await self._change(
                tx, person_id, team, unit, actor=actor, label=actor.label, lead=False
            ):
                raise NotFound(N_("That person does not lead this team there any more."))
        await self.people.refresh_menu(await self.people.actor(person_id))

    async def _scopes(self, tx: Tx, actor: Actor, action: str, subject: str) -> list[OrgUnit]:
        scopes = await admin_units(tx, actor)
        if not scopes:
            raise Refused(
                NotAllowed(N_("Only administrators can see this.")),
                action=action,
                subject=subject,
                unit_id=None,
                reason="not an admin",
            )
        return scopes

    async def _placed(
        self, tx: Tx, actor: Actor, team_id: int, unit_id: int, action: str
    ) -> tuple[ServiceTeam, OrgUnit]:
        """The team and the unit, if the actor administers the unit (else a refusal)."""
        team, unit = await tx.org.team(team_id), await tx.org.get(unit_id)
        if team is None or unit is None:
            raise NotFound(N_("That team does not exist."))
        if not any(scope.contains(unit) for scope in await admin_units(tx, actor)):
            raise Refused(
                NotAllowed(N_("Only an administrator of this area can do this.")),
                action=action,
                subject=f"team:{team.code}",
                unit_id=unit.id,
                reason="outside the admin's scope",
            )
        return team, unit

    # -- opening a link ------------------------------------------------------------------
    async def _join(self, tx: Tx, actor: Actor, invitation: Invitation, now: datetime) -> Granted:
        """A team leader's link: lead its team in its unit."""
        team = await tx.org.team(invitation.target_id)
        unit = await tx.org.get(invitation.unit_id) if invitation.unit_id is not None else None
        if team is None or unit is None:
            raise NotFound(N_("That team does not exist."))
        await tx.teams.lead(actor.id, team.id, unit.id, by=invitation.created_by, now=now)
        return Granted(
            unit.id, {"team": team.code, "unit": unit.code}, shown=Leadership(team=team, unit=unit)
        )

    # -- the command line ----------------------------------------------------------------
    async def appoint(
        self, telegram_id: int, team_code: str, unit_code: str, *, actor_label: str = "cli"
    ) -> bool:
        """Make a person (who has started the bot) the leader of a team in a unit; False when
        they already are."""
        return await self._by_codes(telegram_id, team_code, unit_code, actor_label, lead=True)

    async def dismiss(
        self, telegram_id: int, team_code: str, unit_code: str, *, actor_label: str = "cli"
    ) -> bool:
        """Take a team's leadership in a unit back; False when they did not hold it."""
        return await self._by_codes(telegram_id, team_code, unit_code, actor_label, lead=False)

    async def _by_codes(
        self, telegram_id: int, team_code: str, unit_code: str, actor_label: str, *, lead: bool
    ) -> bool:
        async with self.db.transaction() as tx:
            person, team, unit = await self._appointment(tx, telegram_id, team_code, unit_code)
            return await self._change(
                tx, person.id, team, unit, actor=None, label=actor_label, lead=lead
            )

    async def _change(
        self,
        tx: Tx,
        person_id: int,
        team: ServiceTeam,
        unit: OrgUnit,
        *,
        actor: Actor | None,
        label: str,
        lead: bool,
    ) -> bool:
        """Lead or stop leading, audited; False when nothing changed."""
        now = self.clock.now()
        by = actor.id if actor is not None else None
        change = tx.teams.lead if lead else tx.teams.unlead
        done = await change(person_id, team.id, unit.id, by=by, now=now)
        if done:
            held = {"team": team.code, "unit": unit.code}
            await tx.audit.record(
                actor_id=by,
                actor_label=label,
                action="team.lead" if lead else "team.unlead",
                subject=f"person:{person_id}",
                unit_id=unit.id,
                before=None if lead else held,
                after=held if lead else None,
                now=now,
            )
        return done

    async def _appointment(
        self, tx: Tx, telegram_id: int, team_code: str, unit_code: str
    ) -> tuple[Person, ServiceTeam, OrgUnit]:
        person = await tx.people.by_telegram(telegram_id)
        team = next((t for t in await tx.org.teams() if t.code == team_code), None)
        unit = await tx.org.get_by_code(unit_code)
        if person is None:
            raise NotFound(N_("Nobody with that Telegram id has started the bot."))
        if team is None:
            raise NotFound(N_("Unknown team code {code}."), code=team_code)
        if unit is None:
            raise NotFound(N_("Unknown unit code {code}."), code=unit_code)
        return person, team, unit
