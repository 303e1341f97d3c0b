"""要事商议办 in the statistics: the figures of the consultations, owners' votes, action items
and property-service ratings of a unit's compounds for a period (``/stats``, the chart and the
Excel export show them as a section of their own)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.art278 import Tally
from bot.models import Level, OrgUnit, Rating
from bot.models.consult import ActionState, ConsultFigures, ConsultRow

if TYPE_CHECKING:
    from storage.db import Tx

__all__ = ["consult_figures"]


async def consult_figures(
    tx: Tx, unit: OrgUnit, start: datetime, end: datetime, *, rows: bool = False
) -> ConsultFigures:
    """The figures of the compounds at or below ``unit`` for [start, end) (with ``rows``: one
    row per consultation convened in the period, for the export)."""
    compounds = {c.id: c for c in await tx.org.subtree(unit, Level.COMPOUND)}
    ids = sorted(compounds)
    held = await tx.consult.between(ids, start, end)
    decided = await tx.consult.between(ids, start, end, by="decided")
    votes = await tx.households.closed_between(ids, start, end)
    tallies = [Tally.from_dict(v.result) for v in votes if v.result]
    items = await tx.consult.items_due_between(ids, start, end)
    rounds = await tx.ratings.closed_between(ids, start, end)
    answers = [a for r in rounds for a, _comment in await tx.ratings.answers(r.id)]
    out_rows: list[ConsultRow] = []
    if rows:
        for consultation in held:
            own_items = await tx.consult.items(consultation.id)
            out_rows.append(
                ConsultRow(
                    consultation=consultation,
                    compound=compounds[consultation.compound_id],
                    proposals=len(await tx.consult.proposals(consultation.id)),
                    votes=await tx.households.votes_of(consultation.id),
                    items=len([i for i in own_items if i.state is not ActionState.CANCELLED]),
                    items_done=len([i for i in own_items if i.state is ActionState.DONE]),
                    objections=len(await tx.consult.objections(consultation.id)),
                )
            )
    return ConsultFigures(
        held=len(held),
        decided=len(decided),
        votes=len(votes),
        votes_passed=sum(bool(v.passed) for v in votes),
        voted=sum(t.voted for t in tallies),
        on_roll=sum(t.households for t in tallies),
        voted_area=sum(t.voted_area for t in tallies),
        roll_area=sum(t.area for t in tallies),
        items_due=len(items),
        items_on_time=sum(bool(i.on_time()) for i in items),
        rating_answers=len(answers),
        rating_satisfied=sum(a in (Rating.SATISFIED, Rating.BASIC) for a in answers),
        rows=out_rows,
    )
