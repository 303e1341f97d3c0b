"""Dispatch by hand: an administrator picks the member for a request (by team or by name).

Entry: the "Assign a member" button on admin cards, or ``/assign DZ-2026-000123``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.context import GridContext
from bot.errors import DomainError
from bot.i18n import I18n
from bot.messages import OutMessage
from bot.models import Member, Request
from bot.services.intake import AWAITING_KEY
from bot.services.people import Actor
from bot.views import tasks as views
from bot.views.common import MAIN_MENU
from handlers.buttons import Buttons, Press
from handlers.common import reply, say_error
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
    _await_name(context, request.id)
    await reply(update, context, await _start_message(context, actor, request))


BUTTONS: Buttons[None] = Buttons(views.ASSIGN)


def _await_name(context: GridContext, request_id: int) -> None:
    """The next text the admin types is part of a member's name."""
    assert context.user_data is not None
    context.user_data[AWAITING_KEY] = {
        "kind": SEARCH,
        "request_id": request_id,
        "since": context.services.clock.now().isoformat(),
    }


@BUTTONS.on("r", "b")
async def start_assigning(press: Press) -> None:
    """The team list: from an admin card (below it) or back inside the assign menu."""
    request, _members = await press.services.dispatch.candidates(press.actor, press.int(0))
    await press.answer()
    _await_name(press.context, request.id)
    message = await _start_message(press.context, press.actor, request)
    if press.action == "b":
        await press.edit(message)
    else:  # from an admin card: keep the card, start below it
        await press.reply(message)


@BUTTONS.on("t", "all")
async def show_members(press: Press) -> None:
    """The members of one team, or all members nearby."""
    team_id = press.int(1) if press.action == "t" else None
    request, members = await press.services.dispatch.candidates(
        press.actor, press.int(0), team_id=team_id
    )
    await press.answer()
    await press.edit(await _members_message(press.context, press.actor, request, members))


@BUTTONS.on("m")
async def choose_member(press: Press) -> None:
    """Offer the request to the chosen member."""
    request, member = await press.services.dispatch.assign(press.actor, press.int(0), press.int(1))
    await press.answer()
    if press.context.user_data is not None:
        press.context.user_data.pop(AWAITING_KEY, None)
    await press.edit(views.assigned(press.t, request, member.real_name))


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
        BUTTONS.handler(),
        MessageHandler(
            Awaiting(user_data, frozenset({SEARCH})) & ~filters.COMMAND & ~menu_labels(all_menu),
            search_by_name,
        ),
    ]
