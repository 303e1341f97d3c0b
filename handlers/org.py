"""Administrators' view of their area: /org."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, filters

from bot.context import GridContext
from bot.errors import DomainError
from bot.models import Role
from bot.views.org import area_message
from handlers.common import reply, say_error
from handlers.parties import parties_of

__all__ = ["handlers"]


async def org(update: Update, context: GridContext) -> None:
    """Show the units and service stations of the admin's area; a seat holder, the parties of
    their compound."""
    actor = await context.actor(update)
    t = context.t(actor)
    language = actor.person.language or context.services.i18n.default
    if Role.ADMIN not in actor.roles and await parties_of(update, context):
        return
    try:
        areas = await context.services.org.areas(actor)
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    await reply(update, context, area_message(t, language, areas))


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [CommandHandler("org", org, filters.ChatType.PRIVATE)]
