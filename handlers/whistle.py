"""吹哨: the whistling side's buttons. The board of a whistle; what a department returned
(re-route it, ask the district to rule, call it off); the district's ruling; a first secretary
joining; /whistles."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.context import GridContext
from bot.errors import DomainError
from bot.i18n import I18n
from bot.views import whistle as views
from handlers.buttons import Buttons, Press
from handlers.common import reply, say_error

__all__ = ["handlers"]

LOG = logging.getLogger(__name__)


async def whistles_command(update: Update, context: GridContext) -> None:
    """The latest whistles of the person's community (first secretaries) or area (admins)."""
    actor = await context.actor(update)
    svc = context.services
    t = context.t(actor)
    try:
        found = await svc.whistles.listing(actor)
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    language = actor.person.language or svc.i18n.default
    await reply(
        update,
        context,
        views.secretary_list(t, language, found, svc.clock.now(), svc.config.tz),
    )


BUTTONS: Buttons[None] = Buttons(views.WHISTLE)


@BUTTONS.on("b")
async def show_board(press: Press) -> None:
    """A whistle's board."""
    svc = press.services
    view = await svc.whistles.board(press.actor, press.int(0))
    await press.answer()
    await press.reply(views.board(press.t, press.language, view, svc.clock.now(), svc.config.tz))


@BUTTONS.on("rr")
async def reroute_menu(press: Press) -> None:
    """改派: which department gets what another returned."""
    order, departments = await press.services.whistles.returned(press.actor, press.int(0))
    await press.answer()
    await press.reply(
        views.department_menu(
            press.t, press.language, views.REROUTE_TITLE, departments, "rd", order.id
        )
    )


@BUTTONS.on("rd")
async def reroute(press: Press) -> None:
    """Re-route the returned sub-order to the chosen department."""
    new = await press.services.whistles.reroute(press.actor, press.int(0), press.int(1))
    department = await press.services.org.department(new.department_id)
    await press.answer()
    await press.edit(views.decided(press.t, "rerouted", department, press.language))


@BUTTONS.on("dp")
async def dispute(press: Press) -> None:
    """A dispute of responsibility: the district rules."""
    await press.services.whistles.dispute(press.actor, press.int(0))
    await press.answer()
    await press.reply(views.decided(press.t, "disputed", None, press.language))


@BUTTONS.on("rl")
async def ruling_menu(press: Press) -> None:
    """区级统筹: which department is responsible."""
    order, departments = await press.services.whistles.ruling_options(press.actor, press.int(0))
    await press.answer()
    await press.reply(
        views.department_menu(
            press.t, press.language, views.RULE_TITLE, departments, "rld", order.id
        )
    )


@BUTTONS.on("rld")
async def rule(press: Press) -> None:
    """The district assigns the disputed part to a department."""
    new = await press.services.whistles.rule(press.actor, press.int(0), press.int(1))
    department = await press.services.org.department(new.department_id)
    await press.answer()
    await press.edit(views.decided(press.t, "ruled", department, press.language))


@BUTTONS.on("wd")
async def withdraw(press: Press) -> None:
    """Call an assisting department off."""
    await press.services.whistles.withdraw(press.actor, press.int(0))
    await press.answer()
    await press.reply(views.decided(press.t, "withdrawn", None, press.language))


@BUTTONS.on("jn")
async def join(press: Press) -> None:
    """A first secretary joins the joint action."""
    await press.services.whistles.join(press.actor, press.int(0))
    await press.answer()
    await press.reply(views.decided(press.t, "joined", None, press.language))


def handlers(i18n: I18n, user_data: Mapping[int, dict[str, Any]]) -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("whistles", whistles_command, filters.ChatType.PRIVATE),
        BUTTONS.handler(),
    ]
