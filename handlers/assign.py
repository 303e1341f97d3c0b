"""Dispatch by hand: an administrator picks the member for a request (by team or by name).

Entry: the "Assign a member" button on admin cards, or ``/assign DZ-2026-000123``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import cbdata
from bot.context import GridContext
from bot.errors import DomainError
from bot.i18n import I18n
from bot.messages import OutMessage
from bot.models import Member, Request
from bot.services.intake import AWAITING_KEY
from bot.services.people import Actor
from bot.views import tasks as views
from bot.views.common import MAIN_MENU
from handlers.common import answer_expired, edit, reply, say_error
from handlers.filters import Awaiting, menu_labels

__all__ = ["handlers"]

LOG = logging.getLogger(__name__)

SEARCH = "assign_search"


async def _members_message(
    context: GridContext, actor: Actor, request: Request, members: list[Member]
) -> OutMessage:
    svc = context.services
    language = actor.person.language or svc.i18n.default
    names: dict[int, str] = {}
    for member in members:
        if member.compound_id not in names:
            unit = await svc.org.unit(member.compound_id)
            names[member.compound_id] = unit.label(language) if unit else ""
    return views.assign_members(context.t(actor), language, request, members, names)


async def _start_message(context: GridContext, actor: Actor, request: Request) -> OutMessage:
    svc = context.services
    language = actor.person.language or svc.i18n.default
    teams = await svc.org.teams()
    return views.assign_start(context.t(actor), language, request, teams)


async def assign_command(update: Update, context: GridContext) -> None:
    """/assign NUMBER: start assigning a request."""
    actor = await context.actor(update)
    t = context.t(actor)
    number = (context.args or [""])[0].strip().upper()
    try:
        request = await context.services.dispatch.admin_request_by_number(actor, number)
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    assert context.user_data is not None
    context.user_data[AWAITING_KEY] = {
        "kind": SEARCH,
        "request_id": request.id,
        "since": context.services.clock.now().isoformat(),
    }
    await reply(update, context, await _start_message(context, actor, request))


async def assign_button(update: Update, context: GridContext) -> None:
    """Team list, members of a team, all members, or the chosen member."""
    query = update.callback_query
    assert query is not None
    actor = await context.actor(update)
    svc = context.services
    t = context.t(actor)
    cb = cbdata.decode(query.data, views.ASSIGN)
    request_id = cb.int_arg() if cb else None
    if cb is None or request_id is None:
        await answer_expired(query, t)
        return
    try:
        if cb.action in ("r", "b"):
            request, _members = await svc.dispatch.candidates(actor, request_id)
            await query.answer()
            assert context.user_data is not None
            context.user_data[AWAITING_KEY] = {
                "kind": SEARCH,
                "request_id": request.id,
                "since": svc.clock.now().isoformat(),
            }
            message = await _start_message(context, actor, request)
            if cb.action == "b":  # back inside the assign menu
                await edit(query, message)
            else:  # from an admin card: keep the card, start below it
                await reply(update, context, message)
        elif cb.action in ("t", "all"):
            team_id = cb.int_arg(1) if cb.action == "t" else None
            request, members = await svc.dispatch.candidates(actor, request_id, team_id=team_id)
            await query.answer()
            await edit(query, await _members_message(context, actor, request, members))
        elif cb.action == "m":
            person_id = cb.int_arg(1)
            if person_id is None:
                await answer_expired(query, t)
                return
            request, member = await svc.dispatch.assign(actor, request_id, person_id)
            await query.answer()
            if context.user_data is not None:
                context.user_data.pop(AWAITING_KEY, None)
            await edit(query, views.assigned(t, request, member.real_name))
        else:
            await answer_expired(query, t)
    except DomainError as err:
        await say_error(update, context, t, err)


async def search_by_name(update: Update, context: GridContext) -> None:
    """A typed name while assigning: show the matching members."""
    assert update.message is not None and context.user_data is not None
    actor = await context.actor(update)
    t = context.t(actor)
    awaiting = context.user_data.get(AWAITING_KEY) or {}
    text = update.message.text
    if not text:
        await reply(update, context, OutMessage(t("Please type part of a name.")))
        return
    try:
        request, members = await context.services.dispatch.candidates(
            actor, int(awaiting.get("request_id", 0)), name=text
        )
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    await reply(update, context, await _members_message(context, actor, request, members))


def handlers(i18n: I18n, user_data: Mapping[int, dict[str, Any]]) -> list[BaseHandler]:  # type: ignore[type-arg]
    all_menu = {s for label, _ in MAIN_MENU for s in i18n.all_translations(label)}
    return [
        CommandHandler("assign", assign_command, filters.ChatType.PRIVATE),
        CallbackQueryHandler(assign_button, pattern=cbdata.pattern(views.ASSIGN)),
        MessageHandler(
            Awaiting(user_data, frozenset({SEARCH})) & ~filters.COMMAND & ~menu_labels(all_menu),
            search_by_name,
        ),
    ]
