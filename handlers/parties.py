"""The four parties: /org's parties for seat holders, the administrators' seats screens (a link
per seat, vacate), and /property (监督 and the property-service rating)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.context import GridContext
from bot.errors import DomainError
from bot.i18n import I18n
from bot.services.property import PAGE
from bot.views import parties as views
from bot.views import property as property_views
from handlers.buttons import Buttons, Press, StaleButton
from handlers.common import reply, say_error
from handlers.waits import Answer, Wait, Waits

__all__ = ["handlers", "parties_of"]

LOG = logging.getLogger(__name__)


async def parties_of(update: Update, context: GridContext) -> bool:
    """Show the parties of the person's compounds (for /org); False when they have none."""
    actor = await context.actor(update)
    blocks = await context.services.parties.overview(actor)
    if not blocks:
        return False
    language = actor.person.language or context.services.i18n.default
    await reply(update, context, views.parties_message(context.t(actor), language, blocks))
    return True


SEATS: Buttons[None] = Buttons(views.PARTIES)


@SEATS.on("m")
async def compounds(press: Press) -> None:
    """The compounds whose seats the administrator fills."""
    units = await press.services.parties.admin_compounds(press.actor)
    await press.answer()
    await press.reply(views.compounds_menu(press.t, press.language, units))


@SEATS.on("c")
async def compound_seats(press: Press) -> None:
    """A compound's seats, with a link to make for each."""
    block = await press.services.parties.compound(press.actor, press.int(0))
    await press.answer()
    await press.edit(views.seats_admin(press.t, press.language, block))


@SEATS.on("inv")
async def invite(press: Press) -> None:
    """A one-time link for a seat."""
    holding, payload = await press.services.parties.invite(press.actor, press.int(0))
    link = f"https://t.me/{press.context.bot.username}?start={payload}"
    await press.answer()
    await press.reply(views.invite_link(press.t, press.language, holding, link))


@SEATS.on("vac")
async def vacate_ask(press: Press) -> None:
    """Ask before vacating a seat."""
    svc = press.services
    async with svc.db.read() as tx:
        seat = await tx.parties.seat(press.int(0))
    if seat is None:
        raise StaleButton(press.cb)
    block = await svc.parties.compound(press.actor, await _compound_of(press, seat.party_id))
    holding = next((h for _p, hs in block.parties for h in hs if h.seat.id == seat.id), None)
    if holding is None:
        raise StaleButton(press.cb)
    await press.answer()
    await press.edit(views.vacate_confirm(press.t, press.language, holding))


@SEATS.on("vy")
async def vacate(press: Press) -> None:
    """Vacate the seat; back to the compound's seats."""
    svc = press.services
    holding = await svc.parties.vacate(press.actor, press.int(0))
    block = await svc.parties.compound(press.actor, holding.compound.id)
    await press.answer(press.t("Vacated."))
    await press.edit(views.seats_admin(press.t, press.language, block))


async def _compound_of(press: Press, party_id: int) -> int:
    async with press.services.db.read() as tx:
        party = await tx.parties.party(party_id)
    if party is None:
        raise StaleButton(press.cb)
    return party.compound_id


# -- property matters ----------------------------------------------------------------------
async def property_command(update: Update, context: GridContext) -> None:
    """/property: the compounds whose property matters the person supervises."""
    actor = await context.actor(update)
    t = context.t(actor)
    language = actor.person.language or context.services.i18n.default
    try:
        units = await context.services.property.supervised_compounds(actor)
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    if len(units) == 1:
        await _supervised(update, context, units[0].id, 0, press=None)
        return
    await reply(update, context, property_views.compounds_menu(t, language, units))


async def _supervised(
    update: Update, context: GridContext, compound_id: int, page: int, press: Press | None
) -> None:
    actor = await context.actor(update)
    svc = context.services
    language = actor.person.language or svc.i18n.default
    compound, requests, total, results = await svc.property.supervised(actor, compound_id, page)
    message = property_views.supervised_message(
        context.t(actor), language, compound, requests, total, page, PAGE, results, svc.config.tz
    )
    if press is not None:
        await press.answer()
        await press.edit(message)
    else:
        await reply(update, context, message)


PROPERTY: Buttons[None] = Buttons(property_views.PROPERTY)


@PROPERTY.on("c")
async def supervised(press: Press) -> None:
    """One compound's property matters and ratings (a page of them)."""
    await _supervised(press.update, press.context, press.int(0), press.int(1), press)


@PROPERTY.on("a")
async def rate(press: Press) -> None:
    """A resident's answer to the monthly property-service rating."""
    rating = property_views.rating_of(press.arg(1))
    if rating is None:
        raise StaleButton(press.cb)
    round_ = await press.services.property.answer(press.actor, press.int(0), rating)
    await press.answer()
    await press.edit(property_views.rating_thanks(press.t, round_, rating))


@PROPERTY.on("cm")
async def comment_ask(press: Press) -> None:
    """Add a comment to one's answer: it is typed next."""
    WAITS.start(press.context, "rating_comment", round_id=press.int(0))
    await press.answer()
    await press.reply(property_views.comment_prompt(press.t))


async def comment(answer: Answer) -> None:
    if answer.text is None:
        await answer.reply(property_views.comment_prompt(answer.t))
        return
    await answer.context.services.property.comment(
        answer.actor, answer.int("round_id"), answer.text
    )
    await answer.reply(property_views.comment_saved(answer.t))


WAITS = Waits(Wait("rating_comment", comment))


def handlers(i18n: I18n, user_data: Mapping[int, dict[str, Any]]) -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("property", property_command, filters.ChatType.PRIVATE),
        SEATS.handler(),
        PROPERTY.handler(),
        WAITS.handler(i18n, user_data),
    ]
