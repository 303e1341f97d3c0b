"""积分 and 积分超市: points earned by volunteer hours and tasks done, spent at a station's shop.

The ledger can never go negative: every change is one conditional update of the balance
(``balance + delta >= 0``), and the store's CHECK refuses anything else, however concurrent.
Every entry is written with an audit row in the same transaction. Earnings are entered once per
thing earned (an activity's hours, a request done): a repeat finds the entry and adds nothing.

A person redeems at a station: they pick an item and get a short code, valid for
``[points] code_minutes``; the station's staff (its administrators) type the code, see the item
and the person, and confirm: only then are the points taken.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from bot.errors import InvalidInput, InvalidTransition, NotAllowed, NotFound
from bot.freetext import REASON
from bot.i18n import N_
from bot.lifecycle import Status
from bot.models import OrgUnit, Request, Station
from bot.models.points import (
    LedgerEntry,
    PointsKind,
    PointsSummary,
    RankRow,
    Redemption,
    RedemptionState,
    ShopItem,
    Staffed,
)
from bot.services.scope import Refused, admin_units, administers, audited_refusals
from bot.views import points as views

if TYPE_CHECKING:
    from bot.clock import Clock
    from bot.config import Config
    from bot.services.flow import RequestFlow
    from bot.services.people import Actor
    from storage.db import Database, Tx

__all__ = ["PointsService"]

LOG = logging.getLogger(__name__)

CODE_DIGITS = 6
HISTORY = 10


class PointsService:
    def __init__(self, db: Database, clock: Clock, flow: RequestFlow, config: Config) -> None:
        self.db = db
        self.clock = clock
        self.flow = flow
        self.config = config

    # -- the ledger ------------------------------------------------------------------------
    async def enter(
        self,
        tx: Tx,
        person_id: int,
        delta: int,
        kind: PointsKind,
        *,
        ref: str | None,
        note: str | None = None,
        actor: Actor | None = None,
        label: str = "system",
    ) -> LedgerEntry | None:
        """Change a balance by ``delta`` with its ledger entry and audit row; None when it
        would go negative (nothing is written)."""
        now = self.clock.now()
        balance = await tx.points.move(person_id, delta, now)
        if balance is None:
            return None
        entry = await tx.points.enter(
            person_id=person_id,
            delta=delta,
            balance=balance,
            kind=kind,
            ref=ref,
            note=note,
            actor_id=actor.id if actor else None,
            actor_label=actor.label if actor else label,
            now=now,
        )
        member = await tx.members.get(person_id)
        person = await tx.people.get(person_id)
        home = member.compound_id if member else (person.home_unit_id if person else None)
        await tx.audit.record(
            actor_id=actor.id if actor else None,
            actor_label=actor.label if actor else label,
            action=f"points.{kind.value}",
            subject=f"person:{person_id}",
            unit_id=home,
            before={"balance": balance - delta},
            after={"balance": balance, "delta": delta, "ref": ref, "note": note},
            now=now,
        )
        return entry

    async def earn(self, tx: Tx, person_id: int, points: int, kind: PointsKind, ref: str) -> bool:
        """Points earned once for ``ref`` (an activity's hours, a request done)."""
        if points <= 0 or await tx.points.already(person_id, kind, ref):
            return False
        entry = await self.enter(tx, person_id, points, kind, ref=ref)
        return entry is not None

    def points_for_hours(self, hours: float) -> int:
        return round(hours * self.config.points.per_hour)

    async def on_transition(self, tx: Tx, request: Request, old: Status, new: Status) -> None:
        """A request done (closed) earns its member the task points (an observer of
        RequestFlow)."""
        if new is Status.CLOSED and request.assignee_id is not None:
            earned = await self.earn(
                tx,
                request.assignee_id,
                self.config.points.per_task,
                PointsKind.TASK,
                f"request:{request.id}",
            )
            if earned:
                person = await tx.people.get(request.assignee_id)
                if person is not None:
                    points = self.config.points.per_task
                    await self.flow.send(
                        tx, person, lambda t, lang: views.task_points(t, request, points)
                    )

    # -- what a person sees ------------------------------------------------------------------
    async def summary(self, actor: Actor) -> PointsSummary:
        """/points: the balance, this year's hours, the latest entries, codes not yet used."""
        now = self.clock.now()
        year = now.astimezone(self.config.tz).replace(
            month=1, day=1, hour=0, minute=0, second=0, microsecond=0
        )
        async with self.db.read() as tx:
            pending = []
            for redemption in await tx.points.pending_of(actor.id):
                if redemption.expires_at <= now:
                    continue
                item = await tx.points.item(redemption.item_id)
                station = await tx.org.station(redemption.station_id)
                if item is not None and station is not None:
                    pending.append((redemption, item, station))
            return PointsSummary(
                balance=await tx.points.balance(actor.id),
                hours=await tx.activities.hours_of(actor.id, year),
                entries=await tx.points.entries(actor.id, HISTORY),
                pending=pending,
            )

    async def shops(self) -> list[tuple[Station, list[ShopItem]]]:
        """The stations with a shop, and their items."""
        async with self.db.read() as tx:
            items = await tx.points.items()
            out = []
            for station in await tx.org.stations():
                mine = [i for i in items if i.station_id == station.id]
                if mine:
                    out.append((station, mine))
        return out

    def this_month(self) -> str:
        return f"{self.clock.now().astimezone(self.config.tz):%Y-%m}"

    async def ranking(
        self, actor: Actor, month: str | None = None
    ) -> tuple[OrgUnit, str, list[RankRow]]:
        """Volunteers of the actor's community by hours this month (or ``month``, YYYY-MM, not
        after this one)."""
        month = month or self.this_month()
        try:
            first = datetime.strptime(month, "%Y-%m").date()
        except ValueError:
            raise InvalidInput(
                N_("This menu has expired. Please use the latest message.")
            ) from None
        if month > self.this_month():
            raise InvalidInput(N_("This menu has expired. Please use the latest message."))
        start = datetime.combine(first, time(), self.config.tz)
        end = datetime.combine((first + timedelta(days=32)).replace(day=1), time(), self.config.tz)
        async with self.db.read() as tx:
            community = await self._community(tx, actor)
            rows = await tx.activities.ranking(community, start, end)
        return community, month, rows

    async def _community(self, tx: Tx, actor: Actor) -> OrgUnit:
        member = await tx.members.get(actor.id)
        home_id = member.compound_id if member is not None else actor.person.home_unit_id
        home = await tx.org.get(home_id) if home_id is not None else None
        if home is None:
            raise NotAllowed(N_("Please choose your compound first: send /start."))
        community = await tx.org.get(home.parent_id) if home.parent_id else home
        assert community is not None
        return community

    # -- redeeming ---------------------------------------------------------------------------
    async def ask(self, actor: Actor, item_id: int) -> tuple[Redemption, ShopItem, Station]:
        """The person picks an item: a code to show at the station (the points are taken
        only when the staff confirm it). Refused when the balance is short."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            item = await tx.points.item(item_id)
            station = await tx.org.station(item.station_id) if item is not None else None
            if item is None or station is None or not item.active:
                raise NotFound(N_("That item is not in the shop any more."))
            if item.stock == 0:
                raise InvalidTransition(N_("That item is out of stock."))
            balance = await tx.points.balance(actor.id)
            if balance < item.price:
                raise InvalidInput(
                    N_("You have {balance} points; {item} needs {price}."),
                    balance=balance,
                    item=item.label(actor.person.language or "zh_CN"),
                    price=item.price,
                )
            await tx.points.expire(now)
            expires = now + timedelta(minutes=self.config.points.code_minutes)
            redemption = None
            while redemption is None:  # a code already pending is drawn again
                code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
                redemption = await tx.points.add_redemption(
                    person_id=actor.id, item=item, code=code, expires_at=expires, now=now
                )
        return redemption, item, station

    async def cancel(self, actor: Actor, redemption_id: int) -> Redemption:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            redemption = await tx.points.redemption(redemption_id)
            if redemption is None or redemption.person_id != actor.id:
                raise NotFound(N_("That code does not exist."))
            if not await tx.points.decide(redemption.id, RedemptionState.CANCELLED, actor.id, now):
                raise InvalidTransition(N_("That code was already used or has expired."))
            found = await tx.points.redemption(redemption.id)
        assert found is not None
        return found

    async def lookup(self, actor: Actor, code: str) -> Staffed:
        """The staff type a code: the redemption, if it is pending at a station they run."""
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            return await self._staffed(tx, actor, code.strip())

    async def _staffed(self, tx: Tx, actor: Actor, code: str) -> Staffed:
        now = self.clock.now()
        redemption = await tx.points.pending_by_code(code)
        if redemption is None or redemption.expires_at <= now:
            raise NotFound(
                N_("No valid code {code}: it may be mistyped, used or expired."), code=code
            )
        item = await tx.points.item(redemption.item_id)
        station = await tx.org.station(redemption.station_id)
        unit = await tx.org.get(station.unit_id) if station is not None else None
        assert item is not None and station is not None and unit is not None
        if not await administers(tx, actor, unit):
            raise Refused(
                NotAllowed(
                    N_("Only the staff of {station} can confirm this."), station=station.name
                ),
                action="points.redeem",
                subject=f"redemption:{redemption.id}",
                unit_id=unit.id,
                reason="not staff of the station",
            )
        person = await tx.people.get(redemption.person_id)
        member = await tx.members.get(redemption.person_id)
        name = member.real_name if member else (person.display_name if person else "")
        balance = await tx.points.balance(redemption.person_id)
        return Staffed(redemption, item, station, name, balance)

    async def confirm(self, actor: Actor, code: str) -> Staffed:
        """The staff hand the item over: the points are taken (never below zero), the stock
        goes down, the person is told."""
        now = self.clock.now()
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            staffed = await self._staffed(tx, actor, code)
            redemption, item = staffed.redemption, staffed.item
            ref = f"redemption:{redemption.id}"
            entry = await self.enter(
                tx,
                redemption.person_id,
                -redemption.price,
                PointsKind.REDEEM,
                ref=ref,
                actor=actor,
            )
            if entry is None:
                raise InvalidInput(
                    N_("Not enough points: {balance}, and {item} needs {price}."),
                    balance=staffed.balance,
                    item=item.name,
                    price=redemption.price,
                )
            if not await tx.points.take_stock(item.id):
                raise InvalidTransition(N_("That item is out of stock."))
            if not await tx.points.decide(redemption.id, RedemptionState.CONFIRMED, actor.id, now):
                raise InvalidTransition(N_("That code was already used or has expired."))
            person = await tx.people.get(redemption.person_id)
            if person is not None:
                balance = entry.balance
                await self.flow.send(
                    tx,
                    person,
                    lambda t, lang: views.redeemed(t, lang, item, staffed.station, balance),
                )
            confirmed = await tx.points.redemption(redemption.id)
        assert confirmed is not None
        return Staffed(confirmed, item, staffed.station, staffed.name, entry.balance)

    # -- corrections -------------------------------------------------------------------------
    async def correct_by_name(
        self, actor: Actor, name: str, delta: int, reason: str
    ) -> tuple[str, LedgerEntry]:
        """A correction for the one person in the admin's area whose name holds ``name``
        (a member's real name, or a resident's Telegram name); refused when none or several
        match."""
        REASON.accept(reason)
        async with audited_refusals(self.db, self.clock, actor), self.db.read() as tx:
            units = await admin_units(tx, actor)
            if not units:
                raise Refused(
                    NotAllowed(N_("Only an administrator of this area can do this.")),
                    action="points.correct",
                    subject="points",
                    unit_id=None,
                    reason="not an admin",
                )
            found: dict[int, str] = {
                m.person_id: m.real_name for m in await tx.members.search(units, name.strip())
            }
            for person in await tx.people.search(units, name.strip()):
                found.setdefault(person.id, person.display_name)
        if not found:
            raise NotFound(N_("Nobody called {name} lives in your area."), name=name)
        if len(found) > 1:
            raise InvalidInput(
                N_("Several people match: {names}. Please type more of the name."),
                names=", ".join(sorted(found.values())),
            )
        [(person_id, full_name)] = found.items()
        return full_name, await self.correct(actor, person_id, delta, reason)

    async def correct(self, actor: Actor, person_id: int, delta: int, reason: str) -> LedgerEntry:
        """An administrator of the person's compound corrects their balance, with a reason."""
        reason = REASON.accept(reason)
        if delta == 0:
            raise InvalidInput(N_("Give a number of points other than zero, like +10 or -5."))
        async with audited_refusals(self.db, self.clock, actor), self.db.transaction() as tx:
            person = await tx.people.get(person_id)
            if person is None:
                raise NotFound(N_("That person does not exist."))
            member = await tx.members.get(person_id)
            home_id = member.compound_id if member is not None else person.home_unit_id
            home = await tx.org.get(home_id) if home_id is not None else None
            if home is None or not await administers(tx, actor, home):
                raise Refused(
                    NotAllowed(N_("Only an administrator of this area can do this.")),
                    action="points.correct",
                    subject=f"person:{person_id}",
                    unit_id=home.id if home else None,
                    reason="outside the admin's scope",
                )
            entry = await self.enter(
                tx, person_id, delta, PointsKind.CORRECT, ref=None, note=reason, actor=actor
            )
            if entry is None:
                balance = await tx.points.balance(person_id)
                raise InvalidInput(
                    N_("That would leave {balance} points below zero."), balance=balance
                )
            await self.flow.send(
                tx, person, lambda t, lang: views.corrected(t, delta, reason, entry.balance)
            )
        return entry
