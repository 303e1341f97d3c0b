"""/points (balance, history, the shop, the ranking), redeeming an item, and the station
staff's side: /redeem CODE to confirm, /correct NAME +10 REASON for an administrator."""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.context import GridContext
from bot.errors import DomainError
from bot.services.people import Actor
from bot.views import points as views
from bot.views.common import fmt_time
from handlers.buttons import Buttons, Press
from handlers.common import reply, say_error

__all__ = ["handlers", "show_points"]

_CORRECTION = re.compile(r"^(?P<name>.+?)\s+(?P<delta>[+-]\d{1,6})\s+(?P<reason>.+)$", re.DOTALL)


async def show_points(update: Update, context: GridContext, actor: Actor) -> None:
    svc = context.services
    t = context.t(actor)
    language = actor.person.language or svc.i18n.default
    summary = await svc.points.summary(actor)
    await reply(update, context, views.summary(t, language, summary, svc.config.tz))


async def points_command(update: Update, context: GridContext) -> None:
    """My points: balance, history, codes not used yet."""
    await show_points(update, context, await context.actor(update))


BUTTONS: Buttons[None] = Buttons(views.POINTS)


@BUTTONS.on("shop")
async def shop(press: Press) -> None:
    """The points shops of the stations."""
    svc = press.services
    shops = await svc.points.shops()
    balance = (await svc.points.summary(press.actor)).balance
    await press.answer()
    await press.reply(views.shop(press.t, press.language, shops, balance))


@BUTTONS.on("ask")
async def ask(press: Press) -> None:
    """Redeem an item: a code to show at the station."""
    svc = press.services
    redemption, item, station = await svc.points.ask(press.actor, press.int(0))
    until = fmt_time(redemption.expires_at, svc.config.tz)[11:]
    await press.answer()
    await press.reply(
        views.redemption_code(press.t, press.language, redemption.code, item, station, until)
    )


@BUTTONS.on("rank")
async def ranking(press: Press) -> None:
    """Volunteers of my community by hours this month (or the month of the button)."""
    svc = press.services
    month = press.arg(0, "") or None
    community, month, rows = await svc.points.ranking(press.actor, month)
    await press.answer()
    message = views.ranking(
        press.t, press.language, community, month, rows, svc.points.this_month()
    )
    if press.cb.arg(0) is None:
        await press.reply(message)
    else:  # ‹ / ›: the same message, another month
        await press.edit(message)


@BUTTONS.on("ok")
async def hand_over(press: Press) -> None:
    """The staff confirm the code: the points are taken."""
    staffed = await press.services.points.confirm(press.actor, press.arg(0))
    await press.answer()
    await press.edit(views.staff_done(press.t, press.language, staffed))


@BUTTONS.on("no")
async def not_now(press: Press) -> None:
    """The staff leave the code for later."""
    await press.answer()
    await press.query.edit_message_reply_markup(None)


async def redeem_command(update: Update, context: GridContext) -> None:
    """/redeem 123456: the station's staff look a code up, then confirm it."""
    actor = await context.actor(update)
    svc = context.services
    t = context.t(actor)
    if not context.args:
        await reply(update, context, views.redeem_hint(t))
        return
    language = actor.person.language or svc.i18n.default
    try:
        staffed = await svc.points.lookup(actor, "".join(context.args))
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    await reply(update, context, views.staff_confirm(t, language, staffed))


async def correct_command(update: Update, context: GridContext) -> None:
    """/correct NAME +10 REASON: an administrator corrects someone's points."""
    actor = await context.actor(update)
    svc = context.services
    t = context.t(actor)
    match = _CORRECTION.match(" ".join(context.args or []))
    if match is None:
        await reply(update, context, views.correct_hint(t))
        return
    try:
        name, entry = await svc.points.correct_by_name(
            actor, match["name"], int(match["delta"]), match["reason"]
        )
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    await reply(update, context, views.correct_done(t, name, entry))


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("points", points_command, filters.ChatType.PRIVATE),
        CommandHandler("redeem", redeem_command, filters.ChatType.PRIVATE),
        CommandHandler("correct", correct_command, filters.ChatType.PRIVATE),
        BUTTONS.handler(),
    ]
