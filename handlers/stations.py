"""/stations, a location shared outside any conversation, and a station's page (its QR
poster opens ``/start s_<code>``)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.context import GridContext
from bot.services.people import Actor
from bot.views import stations as views
from bot.views.common import main_keyboard
from handlers.activities import checkin_by_location
from handlers.buttons import Buttons, Press, StaleButton
from handlers.common import reply

__all__ = ["STATION_LINK_PREFIX", "handlers", "show_page"]

STATION_LINK_PREFIX = "s_"


async def stations_command(update: Update, context: GridContext) -> None:
    """Ask for a location to show the nearest stations."""
    actor = await context.actor(update)
    t = context.t(actor)
    await reply(update, context, views.where_prompt(t, main_keyboard(actor.roles, t)))


async def location(update: Update, context: GridContext) -> None:
    """A location outside any conversation: a check-in if one runs near it for the person,
    else the three nearest stations."""
    assert update.message is not None and update.message.location is not None
    actor = await context.actor(update)
    if await checkin_by_location(update, context, actor):
        return
    svc = context.services
    t = context.t(actor)
    where = update.message.location
    found = await svc.stations.nearest(where.latitude, where.longitude)
    await reply(update, context, views.nearest(t, found, svc.clock.now(), svc.config.tz))


async def show_page(update: Update, context: GridContext, actor: Actor, code: str) -> None:
    """A station's page: hours, open now, functions, upcoming activities, the menu."""
    svc = context.services
    t = context.t(actor)
    language = actor.person.language or svc.i18n.default
    page = await svc.stations.page(code, actor.id)
    await reply(update, context, views.page(t, language, page, svc.clock.now(), svc.config.tz))


BUTTONS: Buttons[None] = Buttons(views.STATIONS)


@BUTTONS.on("p")
async def open_page(press: Press) -> None:
    """A station's page from the list of the nearest."""
    svc = press.services
    station = await svc.org.station(press.int(0))
    if station is None:
        raise StaleButton(press.cb)
    await press.answer()
    await show_page(press.update, press.context, press.actor, station.code)


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("stations", stations_command, filters.ChatType.PRIVATE),
        MessageHandler(filters.ChatType.PRIVATE & filters.LOCATION, location),
        BUTTONS.handler(),
    ]
