"""What happened to a request, written once: the timeline event (who, when, what) and, for a
decision, its audit row (before and after) in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.lifecycle import Status
from bot.models import Request

if TYPE_CHECKING:
    from bot.services.people import Actor
    from storage.db import Tx

__all__ = ["SYSTEM", "Change", "audit", "record"]

SYSTEM = "system"  # the actor label of what the bot did by itself (the sweep, triage)


@dataclass(frozen=True)
class Change:
    """A decision for the audit log: its action and the values before and after it."""

    action: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


async def record(
    tx: Tx,
    now: datetime,
    request: Request,
    kind: str,
    *,
    actor: Actor | None,
    label: str = SYSTEM,
    note: str | None = None,
    from_status: Status | None = None,
    to_status: Status | None = None,
    change: Change | None = None,
) -> None:
    """Write the event ``kind`` on the request's timeline; with ``change``, its audit row too
    (subject ``request:<id>``, in the request's compound). Without an actor (the bot itself,
    a city system) the rows carry ``label``."""
    await tx.requests.add_event(
        request.id,
        kind=kind,
        actor_id=actor.id if actor else None,
        actor_label=actor.label if actor else label,
        now=now,
        from_status=from_status,
        to_status=to_status,
        note=note,
    )
    if change is not None:
        await audit(tx, now, request, change, actor=actor, label=label)


async def audit(
    tx: Tx,
    now: datetime,
    request: Request,
    change: Change,
    *,
    actor: Actor | None,
    label: str = SYSTEM,
) -> None:
    """A decision's audit row alone (subject ``request:<id>``, in the request's compound), for
    one that is no step of the timeline (who sent a dispute up, who shared the resident's
    contact); :func:`record` writes it beside its event."""
    await tx.audit.record(
        actor_id=actor.id if actor else None,
        actor_label=actor.label if actor else label,
        action=change.action,
        subject=f"request:{request.id}",
        unit_id=request.compound_id,
        before=change.before,
        after=change.after,
        now=now,
    )
