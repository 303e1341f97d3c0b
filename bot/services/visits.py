"""走访: members log household visits; an opinion collected becomes an opinion request."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.errors import InvalidInput, NotAllowed, NotFound
from bot.i18n import N_
from bot.models import FlowEnd, Level, OrgUnit, Visit
from bot.models.intake import Draft
from bot.models.visits import VisitForm

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.services.people import Actor
    from bot.services.requests import RequestService
    from storage.db import Database

__all__ = ["VisitService"]

LOG = logging.getLogger(__name__)


class VisitService:
    def __init__(self, db: Database, clock: Clock, requests: RequestService) -> None:
        self.db = db
        self.clock = clock
        self.requests = requests

    async def compounds(self, actor: Actor) -> list[OrgUnit]:
        """Where the member may log visits: the compounds of their community, theirs first."""
        async with self.db.read() as tx:
            member = await tx.members.get(actor.id)
            if member is None or not member.active_at(self.clock.now()):
                raise NotAllowed(N_("Only registered, approved members can log visits."))
            home = await tx.org.get(member.compound_id)
            assert home is not None
            community = await tx.org.get(home.parent_id) if home.parent_id else None
            units = await tx.org.subtree(community, Level.COMPOUND) if community else [home]
        return sorted(units, key=lambda u: (u.id != home.id, u.sort, u.code))

    async def log(self, actor: Actor, form: VisitForm, end: FlowEnd | None = None) -> Visit:
        """Record the visit; an opinion collected is filed as an opinion request. ``end``
        ends the /visit conversation in the same transaction."""
        if form.compound_id is None or form.households is None or form.people is None:
            raise InvalidInput(N_("The visit is not complete yet."))
        allowed = {u.id for u in await self.compounds(actor)}
        if form.compound_id not in allowed:
            raise NotAllowed(N_("You can only log visits in your own community."))
        now = self.clock.now()
        async with self.db.transaction() as tx:
            opinion_id: int | None = None
            if form.opinion:
                category = next((c for c in await tx.requests.categories() if c.is_opinion), None)
                if category is None:
                    raise NotFound(N_("That category is not available any more."))
                request = await self.requests.file(
                    tx,
                    actor,
                    compound_id=form.compound_id,
                    category=category,
                    draft=Draft(category_id=category.id, description=form.opinion, urgent=False),
                    source_key=None,
                    contact_name=None,
                )
                opinion_id = request.id
            visit = await tx.visits.add(
                person_id=actor.id,
                compound_id=form.compound_id,
                households=form.households,
                people=form.people,
                note=form.note,
                opinion_request_id=opinion_id,
                visited_at=now,
                now=now,
            )
            await tx.audit.record(
                actor_id=actor.id,
                actor_label=actor.label,
                action="visit.log",
                subject=f"visit:{visit.id}",
                unit_id=form.compound_id,
                before=None,
                after={
                    "households": form.households,
                    "people": form.people,
                    "opinion_request_id": opinion_id,
                },
                now=now,
            )
            if end is not None:
                await tx.flows.finish(
                    end, person_id=actor.id, subject=f"visit:{visit.id}", now=now
                )
        LOG.info("visit %d logged by person %d", visit.id, actor.id)
        return visit

    async def totals(self, actor: Actor) -> tuple[int, int, int]:
        async with self.db.read() as tx:
            return await tx.visits.totals(actor.id)
