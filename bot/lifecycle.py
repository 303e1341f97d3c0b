"""The one state machine of a request's status.

::

    submitted -> triaged -> dispatched -> accepted -> in_progress -> resolved -> closed
                                                                        |
                                              reopened <- (unsatisfied) +

plus ``returned`` (a member hands it back to the admins, with a reason) and ``cancelled`` (by
the resident, only before anyone accepted it). Every transition is checked here and written as
an event (actor, time, from, to, note) by the services; the events are the request's timeline.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from bot.errors import InvalidTransition
from bot.i18n import N_

__all__ = [
    "ALLOWED",
    "CANCELLABLE",
    "OPEN",
    "WORKING",
    "Status",
    "check",
    "is_allowed",
    "replay",
]


class Status(StrEnum):
    SUBMITTED = "submitted"
    TRIAGED = "triaged"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    RETURNED = "returned"
    CANCELLED = "cancelled"
    REOPENED = "reopened"


S = Status

ALLOWED: dict[Status, frozenset[Status]] = {
    S.SUBMITTED: frozenset({S.TRIAGED, S.CANCELLED}),
    # An admin may settle a triaged matter (an opinion, or one the community handles itself).
    S.TRIAGED: frozenset({S.DISPATCHED, S.ACCEPTED, S.RESOLVED, S.CANCELLED}),
    S.DISPATCHED: frozenset({S.ACCEPTED, S.TRIAGED, S.RESOLVED, S.CANCELLED}),
    S.ACCEPTED: frozenset({S.IN_PROGRESS, S.RESOLVED, S.RETURNED}),
    S.IN_PROGRESS: frozenset({S.RESOLVED, S.RETURNED}),
    S.RESOLVED: frozenset({S.CLOSED, S.REOPENED}),
    S.REOPENED: frozenset({S.IN_PROGRESS, S.RESOLVED, S.RETURNED}),
    S.RETURNED: frozenset({S.DISPATCHED, S.ACCEPTED, S.RESOLVED, S.CANCELLED}),
    S.CANCELLED: frozenset(),
    S.CLOSED: frozenset(),
}

# The resident may cancel only while nobody has accepted the request.
CANCELLABLE = frozenset({S.SUBMITTED, S.TRIAGED, S.DISPATCHED, S.RETURNED})
# Statuses in which a request is still waiting for something to happen.
OPEN = frozenset(s for s in Status if s not in (S.CLOSED, S.CANCELLED, S.RESOLVED))
# Statuses in which a member is working on it (its assignee may act on it).
WORKING = frozenset({S.ACCEPTED, S.IN_PROGRESS, S.REOPENED})
# Triaged and nobody has it: it waits for a member to accept it (and may be dispatched).
UNACCEPTED = frozenset({S.TRIAGED, S.DISPATCHED, S.RETURNED})

STATUS_NAMES: dict[Status, str] = {
    S.SUBMITTED: N_("submitted"),
    S.TRIAGED: N_("waiting for a helper"),
    S.DISPATCHED: N_("sent to helpers"),
    S.ACCEPTED: N_("accepted"),
    S.IN_PROGRESS: N_("in progress"),
    S.RESOLVED: N_("resolved, waiting for your rating"),
    S.CLOSED: N_("closed"),
    S.RETURNED: N_("back with the community"),
    S.CANCELLED: N_("cancelled"),
    S.REOPENED: N_("reopened"),
}


def is_allowed(current: Status, target: Status) -> bool:
    return target in ALLOWED[current]


def check(current: Status, target: Status) -> None:
    """Raise :class:`InvalidTransition` unless ``current -> target`` is allowed."""
    if not is_allowed(current, target):
        raise InvalidTransition(
            N_("This request is {status} and cannot be changed like that."),
            status=STATUS_NAMES[current],
        )


def replay(transitions: Iterable[tuple[str | None, str]]) -> Status:
    """Fold a timeline's (from, to) pairs into the final status, checking every step.

    The first pair must start from nothing (``None``) into ``submitted``.
    """
    current: Status | None = None
    for from_status, to_status in transitions:
        target = Status(to_status)
        if current is None:
            if from_status is not None or target is not S.SUBMITTED:
                raise ValueError("a timeline starts with None -> submitted")
        else:
            if from_status != current.value:
                raise ValueError(f"timeline broken: {from_status} after {current}")
            check(current, target)
        current = target
    if current is None:
        raise ValueError("empty timeline")
    return current
