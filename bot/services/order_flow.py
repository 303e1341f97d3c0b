"""The one way a sub-order's state changes: checked by its state machine
(:mod:`bot.suborders`), one conditional update (of two concurrent presses exactly one wins),
and its event (who, when, the note), in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from bot.errors import InvalidTransition
from bot.i18n import N_
from bot.models.whistle import SubOrder
from bot.suborders import SubOrderState, check

if TYPE_CHECKING:
    from bot.services.people import Actor
    from storage.db import Tx

__all__ = ["transition"]


async def transition(
    tx: Tx,
    now: datetime,
    order: SubOrder,
    target: SubOrderState,
    *,
    actor: Actor,
    note: str | None = None,
    **fields: object,
) -> SubOrder:
    """Move ``order`` to ``target``; a repeated press that finds it there already returns it
    as it is. Raises :class:`InvalidTransition` when the state machine forbids the move."""
    check(order.state, target)
    if not await tx.whistles.change_state(order.id, order.state, target, now, **fields):
        fresh = await tx.whistles.order(order.id)
        if fresh is not None and fresh.state is target:
            return fresh
        check(fresh.state if fresh else order.state, target)
        raise InvalidTransition(N_("Someone else has just changed this; please look again."))
    await tx.whistles.add_event(
        order.id,
        kind=target.value,
        actor_id=actor.id,
        actor_label=actor.label,
        now=now,
        note=note,
    )
    fresh = await tx.whistles.order(order.id)
    assert fresh is not None
    return fresh
