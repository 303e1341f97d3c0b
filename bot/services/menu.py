"""菜单式服务: the service menu of the teams' projects, ordering one (点单), and the team
leaders who see their team's orders across their area and assign them within the team.

A service order is a request (:meth:`RequestService.file` with ``service_team_id``): it has a
number, the state machine, the cards, deadlines, reminders, escalation and the rating of every
request. Only its route differs (:class:`TeamRoute`): the team's members in the compound, then
in the community; never members of other teams.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.i18n import N_
from bot.lifecycle import OPEN
from bot.models import FlowEnd, Member, OrgUnit, Request, Role, ServiceTeam
from bot.models.intake import Draft
from bot.models.service import MenuEntry, OrderForm, TeamOrder
from bot.services.requests import source_key
from bot.services.routes import Route
from bot.services.scope import Refused, audited_refusals

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.services.dispatch import DispatchService
    from bot.services.flow import RequestFlow
    from bot.services.people import Actor
    from bot.services.requests import RequestService
    from storage.db import Database, Tx

__all__ = ["MenuService", "TeamRoute"]

LOG = logging.getLogger(__name__)

TEAM_ORDERS_SHOWN = 20
ORDER = "order"  # the flow that files a service order


class TeamRoute(Route):
    """A service order goes to its team's members: of the compound, widened to the community
    when fewer than ``[dispatch] min_pool``; never to members of other teams."""

    async def send(self, tx: Tx, request: Request, *, actor: Actor | None) -> None:
        await self.dispatcher.dispatch(tx, request, actor=actor)

    async def pool(self, tx: Tx, request: Request) -> list[Member]:
        return await self.dispatcher.members_pool(
            tx, request, team_id=request.service_team_id, strict=True
        )


class MenuService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        flow: RequestFlow,
        dispatch: DispatchService,
        requests: RequestService,
    ) -> None:
        self.db = db
        self.clock = clock
        self.flow = flow
        self.dispatch = dispatch
        self.requests = requests

    # -- the menu ------------------------------------------------------------------------
    async def menu(self, actor: Actor | None = None) -> list[MenuEntry]:
        """The teams' projects that offer something, with how many of each team's members
        serve the person's community."""
        async with self.db.read() as tx:
            teams = [t for t in await tx.org.teams() if t.offers]
            community = await self._community(tx, actor)
            entries = []
            for team in teams:
                nearby = (
                    len(await tx.members.in_units([community], team_id=team.id))
                    if community is not None
                    else 0
                )
                entries.append(MenuEntry(team, nearby))
        return entries

    async def team(self, team_id: int) -> ServiceTeam:
        async with self.db.statement() as tx:
            team = await tx.org.team(team_id)
        if team is None or not team.offers:
            raise NotFound(N_("That service is not on the menu any more."))
        return team

    async def _community(self, tx: Tx, actor: Actor | None) -> OrgUnit | None:
        if actor is None or actor.person.home_unit_id is None:
            return None
        home = await tx.org.get(actor.person.home_unit_id)
        if home is None or home.parent_id is None:
            return home
        return await tx.org.get(home.parent_id)

    # -- ordering (点单) -------------------------------------------------------------------
    async def order(
        self, actor: Actor, form: OrderForm, end: FlowEnd | None = None
    ) -> tuple[Request, bool]:
        """File the order as a request of the team's project; return it and whether it is
        new (the form's nonce makes a repeated Confirm return the same one). ``end`` ends the
        ordering conversation in the same transaction."""
        if actor.person.home_unit_id is None:
            raise NotAllowed(N_("Please choose your compound first: send /start."))
        if form.need is None:
            raise InvalidInput(N_("The order is not complete yet."))
        form.check_slots()
        key = source_key(actor, form.nonce, ORDER)
        home = actor.person.home_unit_id
        assert home is not None

        async def build(tx: Tx) -> Request:
            team = await tx.org.team(form.team_id)
            category = None
            if team is not None and team.offers and team.order_category:
                category = next(
                    (c for c in await tx.requests.categories() if c.code == team.order_category),
                    None,
                )
            if team is None or category is None:
                raise NotFound(N_("That service is not on the menu any more."))
            draft = Draft(
                category_id=category.id, description=form.need, urgent=False, phone=form.phone
            )
            return await self.requests.file(
                tx,
                actor,
                compound_id=home,
                category=category,
                draft=draft,
                source_key=key,
                contact_name=actor.person.display_name or None,
                service_team_id=team.id,
                preferred_slots=[slot.value for slot in form.slots],
            )

        return await self.requests.file_once(actor, key, form.phone, end, build)

    async def ordered(self, actor: Actor, nonce: str) -> Request | None:
        """The order a form's ``nonce`` filed, if it was (Confirm pressed again)."""
        return await self.requests.filed(actor, nonce, ORDER)

    # -- team leaders (队长) ----------------------------------------------------------------
    async def led_teams(self, actor: Actor) -> list[tuple[ServiceTeam, OrgUnit]]:
        """The teams the actor leads, and where."""
        async with self.db.read() as tx:
            return await self._led(tx, actor)

    async def _led(self, tx: Tx, actor: Actor) -> list[tuple[ServiceTeam, OrgUnit]]:
        out = []
        for grant in actor.grants:
            if grant.role is not Role.TEAM_LEADER or grant.team_id is None:
                continue
            team, unit = await tx.org.team(grant.team_id), await tx.org.get(grant.unit_id)
            if team is not None and unit is not None:
                out.append((team, unit))
        return out

    async def _leads(
        self, tx: Tx, actor: Actor, team_id: int, action: str, subject: str
    ) -> list[OrgUnit]:
        """Where the actor leads ``team_id``; a refusal audited as ``action`` otherwise."""
        scopes = [unit for team, unit in await self._led(tx, actor) if team.id == team_id]
        if not scopes:
            raise Refused(
                NotAllowed(N_("Only the leader of this team can do this.")),
                action=action,
                subject=subject,
                unit_id=None,
                reason="not a leader of the team",
            )
        return scopes

    async def team_orders(
        self, actor: Actor, team_id: int, *, open_only: bool = True
    ) -> list[TeamOrder]:
        """The team's orders across the leader's area, newest first (open ones, or all)."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            scopes = await self._leads(tx, actor, team_id, "team.orders", f"team:{team_id}")
            team = await tx.org.team(team_id)
            assert team is not None
            statuses = OPEN if open_only else None
            requests = await tx.teams.orders(team_id, scopes, statuses, limit=TEAM_ORDERS_SHOWN)
            out = []
            for request in requests:
                category = await tx.requests.category(request.category_id)
                compound = await tx.org.get(request.compound_id)
                assert category is not None and compound is not None
                out.append(
                    TeamOrder(
                        request=request,
                        team=team,
                        category=category,
                        compound_path=[*await tx.org.ancestors(compound), compound],
                        assignee_name=await self.flow.assignee_name(tx, request),
                    )
                )
        return out

    async def _led_order(
        self, tx: Tx, actor: Actor, request_id: int
    ) -> tuple[Request, list[OrgUnit]]:
        """A service order of a team the actor leads, in their area (else a refusal)."""
        request = await tx.requests.get(request_id)
        if request is None:
            raise NotFound(N_("That request does not exist."))
        if request.service_team_id is None:
            raise Refused(
                NotAllowed(N_("Only the leader of this team can do this.")),
                action="team.assign",
                subject=f"request:{request.id}",
                unit_id=request.compound_id,
                reason="not a service order",
            )
        scopes = await self._leads(
            tx, actor, request.service_team_id, "team.assign", f"request:{request.id}"
        )
        compound = await tx.org.get(request.compound_id)
        assert compound is not None
        if not any(scope.contains(compound) for scope in scopes):
            raise Refused(
                NotAllowed(N_("Only the leader of this team can do this.")),
                action="team.assign",
                subject=f"request:{request.id}",
                unit_id=request.compound_id,
                reason="outside the leader's area",
            )
        return request, scopes

    async def team_candidates(self, actor: Actor, request_id: int) -> tuple[Request, list[Member]]:
        """The team's members a leader may give the order to: active, of the team, in the
        leader's area, not the resident; the order's compound first."""
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            request, scopes = await self._led_order(tx, actor, request_id)
            assert request.service_team_id is not None
            members = await tx.members.in_units(scopes, team_id=request.service_team_id)
        members = [m for m in members if m.active_at(now) and m.person_id != request.resident_id]
        members.sort(key=lambda m: (m.compound_id != request.compound_id, m.real_name))
        return request, members[:20]

    async def team_assign(
        self, actor: Actor, request_id: int, person_id: int
    ) -> tuple[Request, Member]:
        """A team leader gives the order to one member of the team (Accept / Decline)."""
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            request, scopes = await self._led_order(tx, actor, request_id)
            member = await tx.members.get(person_id)
            home = await tx.org.get(member.compound_id) if member is not None else None
            if (
                member is None
                or home is None
                or request.service_team_id not in member.team_ids
                or not any(scope.contains(home) for scope in scopes)
                or not member.active_at(now)
                or member.person_id == request.resident_id
            ):
                raise Refused(
                    NotAllowed(N_("That member is not available.")),
                    action="team.assign",
                    subject=f"request:{request.id}",
                    unit_id=request.compound_id,
                    reason="not an active member of the team in the leader's area",
                )
            request = await self.dispatch.offer_to(tx, actor, request, member)
        return request, member
