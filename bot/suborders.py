"""The one state machine of a department's sub-order (派单) of a whistle.

::

    sent -> signed -> completed
      |        \\
      |         +-> withdrawn          (the whistler calls the department off)
      +-> returned -> rerouted         (returned: the whistler sends it elsewhere)
      |           \\-> disputed -> ruled (a dispute of responsibility: the district decides)
      |            \\-> withdrawn
      +-> withdrawn

A sub-order the district assigned by its ruling cannot be returned again. Every transition is
checked here and written as an event (actor, time, note) by the services.
"""

from __future__ import annotations

from enum import StrEnum

from bot.errors import InvalidTransition
from bot.i18n import N_

__all__ = ["ACTIVE", "ALLOWED", "SETTLED", "SubOrderRole", "SubOrderState", "check"]


class SubOrderRole(StrEnum):
    LEAD = "lead"  # 主办: resolves the whole matter once every part is done
    ASSIST = "assist"  # 协办


class SubOrderState(StrEnum):
    SENT = "sent"  # 待签收
    SIGNED = "signed"  # 已签收, being worked on
    COMPLETED = "completed"  # 已办结 (its part)
    RETURNED = "returned"  # 已退单, waiting for the whistler
    REROUTED = "rerouted"  # 已改派
    DISPUTED = "disputed"  # 待区级裁定
    RULED = "ruled"  # 已裁定
    WITHDRAWN = "withdrawn"  # 已撤回


S = SubOrderState

ALLOWED: dict[SubOrderState, frozenset[SubOrderState]] = {
    S.SENT: frozenset({S.SIGNED, S.RETURNED, S.WITHDRAWN}),
    S.SIGNED: frozenset({S.COMPLETED, S.WITHDRAWN}),
    # 重办: the resident was not satisfied, the lead's part opens again.
    S.COMPLETED: frozenset({S.SIGNED}),
    S.RETURNED: frozenset({S.REROUTED, S.DISPUTED, S.WITHDRAWN}),
    S.DISPUTED: frozenset({S.RULED}),
    S.REROUTED: frozenset(),
    S.RULED: frozenset(),
    S.WITHDRAWN: frozenset(),
}

# A department still owes something on it.
ACTIVE = frozenset({S.SENT, S.SIGNED})
# Nothing more will happen to it (a returned one waits for the whistler or the district).
SETTLED = frozenset({S.COMPLETED, S.REROUTED, S.RULED, S.WITHDRAWN})

STATE_NAMES: dict[SubOrderState, str] = {
    S.SENT: N_("waiting to be signed for"),
    S.SIGNED: N_("signed for, in hand"),
    S.COMPLETED: N_("its part done"),
    S.RETURNED: N_("returned"),
    S.REROUTED: N_("re-routed"),
    S.DISPUTED: N_("with the district for a ruling"),
    S.RULED: N_("ruled on by the district"),
    S.WITHDRAWN: N_("called off"),
}


def check(current: SubOrderState, target: SubOrderState) -> None:
    """Raise :class:`InvalidTransition` unless ``current -> target`` is allowed."""
    if target not in ALLOWED[current]:
        raise InvalidTransition(
            N_("This sub-order is {state} and cannot be changed like that."),
            state=STATE_NAMES[current],
        )
