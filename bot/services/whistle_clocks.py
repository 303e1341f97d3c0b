"""The clocks of departments' sub-orders, in working time (工作日历).

A sub-order must be signed for within ``[whistle] sign_hours`` working hours of being sent and
completed within ``complete_days`` working days of being signed. Each window gets timer rows
in the sweep's table (restart-safe, claimed through its index): reminders to the department's
staff at 50% and 80% of the window, escalation to the department's head at the deadline, and
to the district's administrators once ``district_after`` of the window has passed again. The
sweep hands the rows of these kinds to :meth:`WhistleClocks.due`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.models.whistle import Post, SubOrder
from bot.services.whistle_cards import escalation_kind, reminder_kind
from bot.suborders import SubOrderState
from bot.views import suborders as views

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.services.escalation import RungCache
    from bot.services.whistle_cards import WhistleCards
    from bot.workcal import WorkingCalendar
    from storage.db import Tx
    from storage.repos.deadlines import DeadlineItem

__all__ = ["KINDS", "SIGN_KINDS", "WhistleClocks"]

LOG = logging.getLogger(__name__)

REMINDER_AT = (0.5, 0.8)
SIGN_KINDS = ("so_remind_sign", "so_escalate_sign")
COMPLETE_KINDS = ("so_remind_complete", "so_escalate_complete")
KINDS = SIGN_KINDS + COMPLETE_KINDS
# Escalation steps: 1 the department's head (at the deadline), 2 the district.
LEVELS = {1: "head", 2: "district"}
# The state a sub-order is still in while each clock runs.
WAITING = {"sign": SubOrderState.SENT, "complete": SubOrderState.SIGNED}


class WhistleClocks:
    def __init__(
        self, clock: Clock, calendar: WorkingCalendar, cards: WhistleCards, config: Config
    ) -> None:
        self.clock = clock
        self.calendar = calendar
        self.cards = cards
        self.config = config

    # -- windows ---------------------------------------------------------------------------
    def sign_window(self) -> timedelta:
        return timedelta(hours=self.config.whistle.sign_hours)

    def complete_window(self) -> timedelta:
        return self.calendar.day_length * self.config.whistle.complete_days

    def sign_due(self, start: datetime) -> datetime:
        return self.calendar.add(start, self.sign_window())

    def complete_due(self, start: datetime) -> datetime:
        return self.calendar.add(start, self.complete_window())

    async def schedule(self, tx: Tx, order: SubOrder, what: str, start: datetime) -> datetime:
        """Timer rows of the ``what`` clock ("sign" or "complete") counted from ``start``;
        return its deadline. Reminders already past are skipped."""
        now = self.clock.now()
        window = self.sign_window() if what == "sign" else self.complete_window()
        for step, share in enumerate(REMINDER_AT, 1):
            due = self.calendar.add(start, window * share)
            if due > now:
                await tx.deadlines.add(
                    order.request_id,
                    f"so_remind_{what}",
                    due,
                    now,
                    step=step,
                    sub_order_id=order.id,
                )
        deadline = self.calendar.add(start, window)
        district = self.calendar.add(start, window * (1 + self.config.whistle.district_after))
        for step, due in ((1, deadline), (2, district)):
            await tx.deadlines.add(
                order.request_id,
                f"so_escalate_{what}",
                due,
                now,
                step=step,
                sub_order_id=order.id,
            )
        return deadline

    async def stop(self, tx: Tx, order: SubOrder, what: str | None = None) -> None:
        """Stop a clock of the sub-order (both when ``what`` is None)."""
        kinds = KINDS if what is None else (f"so_remind_{what}", f"so_escalate_{what}")
        await tx.deadlines.cancel_for_order(order.id, kinds)

    # -- the sweep's part ------------------------------------------------------------------
    async def due(self, tx: Tx, item: DeadlineItem, cache: RungCache) -> None:
        """A timer of a sub-order fell due: remind, or escalate, if it is still waiting."""
        if item.sub_order_id is None:
            return
        order = await tx.whistles.order(item.sub_order_id)
        if order is None:
            return
        action, _, what = item.kind.removeprefix("so_").partition("_")
        if order.state is not WAITING.get(what):
            return  # signed or completed meanwhile (or moved on otherwise)
        if action == "remind":
            await self._remind(tx, order, what, item.step)
        else:
            await self._escalate(tx, order, what, item.step)

    async def _remind(self, tx: Tx, order: SubOrder, what: str, step: int) -> None:
        """Remind the department's liaisons (its heads when it has none)."""
        department = await tx.departments.get(order.department_id)
        assert department is not None
        people = await self.cards.staff(tx, department.id, (Post.LIAISON,))
        people = people or await self.cards.staff(tx, department.id, (Post.HEAD,))
        view = await self.cards.order_view(tx, order)
        for person in people:
            await self.cards.send_order_card(
                tx, order, person, reminder_kind(what), views.reminder_card(what), view=view
            )
        await tx.whistles.add_event(
            order.id,
            kind="reminder",
            actor_id=None,
            actor_label="system",
            now=self.clock.now(),
            note=f"{what}:{step}:{len(people)}",
        )
        if not people:
            LOG.warning("sub-order %d: %s has no staff in the bot", order.id, department.code)

    async def _escalate(self, tx: Tx, order: SubOrder, what: str, step: int) -> None:
        """督办: the department's head (step 1), then the district (step 2), get a card."""
        level = LEVELS.get(step, "district")
        department = await tx.departments.get(order.department_id)
        assert department is not None
        now = self.clock.now()
        if level == "head":
            people = await self.cards.heads(tx, department)
        else:
            request = await tx.requests.get(order.request_id)
            assert request is not None
            people = await self.cards.district_admins(tx, request.compound_id)
        await tx.whistles.set_order(order.id, now, escalation_level=level)
        await self.cards.refresh(tx, order.whistle_id, order.id)  # the cards show it is late
        order = order.model_copy(update={"escalation_level": level})
        view = await self.cards.order_view(tx, order)
        render = views.escalation_card(what, level)  # a head may act on it; the district watches
        for person in people:
            await self.cards.send_order_card(
                tx, order, person, escalation_kind(what, level), render, view=view
            )
        await tx.whistles.add_event(
            order.id,
            kind="escalation",
            actor_id=None,
            actor_label="system",
            now=now,
            note=f"{what}:{level}:{len(people)}",
        )
        if not people:
            LOG.warning("sub-order %d: escalation to %s found nobody", order.id, level)
