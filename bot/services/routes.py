"""Where a triaged request goes: one route per way of handling it.

A request is handled by the members nearby (the pool), by the community's
administrators, as an opinion the community collects, or — a service order of a team's
project — by that team's members. Each way is a :class:`Route` registered under its kind in
:class:`Routes`; :func:`route_kind` says which kind a request is. A new way of handling (the
property company's own route, say) is one more registered route, not another branch in the
dispatch.

A route does three things: :meth:`Route.send` routes a request just filed,
:meth:`Route.pool` names the members who may be offered it (when it is dispatched, when a
member declines it, when an administrator sends it out again, when the sweep retries), and
:meth:`Route.worker` says who may accept a card of it (an active member, by default; the
property company's staff on its route) and by which name the others are told, and
:meth:`Route.affiliation` what the resident is told they are (their company, say).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from bot.models import Category, Member, Request
from bot.views import requests as request_views
from bot.views import tasks as task_views

if TYPE_CHECKING:
    from bot.services.dispatch import DispatchService
    from bot.services.people import Actor
    from storage.db import Tx

__all__ = [
    "OPINION",
    "TEAM",
    "AdminsRoute",
    "MembersRoute",
    "OpinionRoute",
    "Route",
    "Routes",
    "route_kind",
]

OPINION = "opinion"
TEAM = "team"


def route_kind(request: Request, category: Category) -> str:
    """The kind of handling of a request: an opinion, a team's service order, or who handles
    it (members, property_company, admins): its own ``handled_by`` when it was filed for
    others than its category's (the community's own difficult matter), else its category's."""
    if category.is_opinion:
        return OPINION
    if request.service_team_id is not None:
        return TEAM
    return (request.handled_by or category.handled_by).value


class Route(ABC):
    """One way of handling requests."""

    def __init__(self, dispatcher: DispatchService) -> None:
        self.dispatcher = dispatcher

    @abstractmethod
    async def send(self, tx: Tx, request: Request, *, actor: Actor | None) -> None:
        """Route a request just triaged to whoever handles it."""

    async def pool(self, tx: Tx, request: Request) -> list[Member]:
        """The members who may be offered it now (by default: the members nearby)."""
        return await self.dispatcher.members_pool(tx, request)

    async def worker(self, tx: Tx, actor: Actor, request: Request) -> str | None:
        """May ``actor`` accept a card of this request? The name the others are told ("taken
        by ..."), or None (by default: an approved, active member, by their real name)."""
        member = await tx.members.get(actor.id)
        if member is None or not member.active_at(self.dispatcher.clock.now()):
            return None
        return member.real_name

    async def affiliation(self, tx: Tx, actor: Actor, request: Request) -> str | None:
        """What the resident is told the worker who accepted is, besides their name (by
        default None: a member, by their service teams)."""
        return None


class Routes:
    """The routes by kind."""

    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}

    def register(self, kind: str, route: Route) -> None:
        if kind in self._routes:
            raise ValueError(f"a route for {kind!r} is registered already")
        self._routes[kind] = route

    def of(self, request: Request, category: Category) -> Route:
        kind = route_kind(request, category)
        try:
            return self._routes[kind]
        except KeyError:
            raise LookupError(f"no route for requests handled by {kind!r}") from None


class MembersRoute(Route):
    """党员接单: task cards to the members nearby who can help (the category's team first)."""

    async def send(self, tx: Tx, request: Request, *, actor: Actor | None) -> None:
        await self.dispatcher.dispatch(tx, request, actor=actor)


class AdminsRoute(Route):
    """The community handles it (assigns it, or convenes the parties): a card to its
    administrators, never the pool."""

    async def send(self, tx: Tx, request: Request, *, actor: Actor | None) -> None:
        await self.dispatcher.cards.flag_admins(tx, request, task_views.community_flag)


class OpinionRoute(Route):
    """An opinion or suggestion (意见建议): the community's administrators collect it."""

    async def send(self, tx: Tx, request: Request, *, actor: Actor | None) -> None:
        await self.dispatcher.flow.tell_admins(tx, request, request_views.opinion_card)
