"""Administrators' view of their area: /org."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.context import GridContext
from bot.errors import DomainError
from bot.views.org import area_message
from handlers.common import reply, say_error

__all__ = ["handlers"]


async def org(update: Update, context: GridContext) -> None:
    """Show the units and service stations of the admin's area."""
    actor = await context.actor(update)
    t = context.t(actor)
    try:
        areas = await context.services.org.areas(actor)
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    language = actor.person.language or context.services.i18n.default
    await reply(update, context, area_message(t, language, areas))


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [CommandHandler("org", org, filters.ChatType.PRIVATE)]
