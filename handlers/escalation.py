"""Buttons of escalation cards (re-tier, extend, message the member) and members asking for
more time (with the admins' Approve / Refuse)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, MessageHandler, filters

from bot.context import GridContext
from bot.errors import DomainError
from bot.i18n import I18n
from bot.messages import OutMessage
from bot.models import EXTENSION_DAYS, Tier
from bot.services.intake import AWAITING_KEY
from bot.views import deadlines as views
from bot.views.common import MAIN_MENU
from handlers.buttons import Buttons, Press, StaleButton
from handlers.common import reply, say_error
from handlers.filters import Awaiting, menu_labels

__all__ = ["handlers"]

LOG = logging.getLogger(__name__)

KINDS = frozenset({"extend_reason", "admin_msg", "extension_reason"})


def _await(context: GridContext, kind: str, request_id: int, days: int = 0) -> None:
    assert context.user_data is not None
    context.user_data[AWAITING_KEY] = {
        "kind": kind,
        "request_id": request_id,
        "days": days,
        "since": context.services.clock.now().isoformat(),
    }


ESCALATION: Buttons[None] = Buttons(views.ESCALATE)
EXTENSION: Buttons[None] = Buttons(views.EXTEND)


@ESCALATION.on("tier")
async def retier(press: Press) -> None:
    """Change the request's tier now."""
    request = await press.services.escalation.retier(
        press.actor, press.int(0), press.choice(Tier, 1)
    )
    await press.answer()
    await press.reply(views.retiered(press.t, request))


@ESCALATION.on("ext")
async def extend(press: Press) -> None:
    """Extend by the chosen days; the reason comes next."""
    days = press.int(1)
    if days not in EXTENSION_DAYS:
        raise StaleButton(press.cb)
    request = await press.services.dispatch.admin_request(press.actor, press.int(0))
    await press.answer()
    _await(press.context, "extend_reason", request.id, days)
    await press.reply(views.extend_reason_prompt(press.t, request, days))


@ESCALATION.on("msg")
async def message_member(press: Press) -> None:
    """Write to the member working on the request; the text comes next."""
    request = await press.services.dispatch.admin_request(press.actor, press.int(0))
    await press.answer()
    _await(press.context, "admin_msg", request.id)
    await press.reply(views.admin_message_prompt(press.t, request))


@EXTENSION.on("ask")
async def ask_days(press: Press) -> None:
    """A member asks for more time: how many days?"""
    request = await press.services.extensions.target(press.actor, press.int(0))
    await press.answer()
    await press.reply(views.extension_days_prompt(press.t, request))


@EXTENSION.on("d")
async def ask_reason(press: Press) -> None:
    """The days are chosen; the reason comes next."""
    days = press.int(1)
    if days not in EXTENSION_DAYS:
        raise StaleButton(press.cb)
    request = await press.services.extensions.target(press.actor, press.int(0))
    await press.answer()
    _await(press.context, "extension_reason", request.id, days)
    await press.edit(views.extension_reason_prompt(press.t, request, days))


@EXTENSION.on("ok", "no")
async def decide(press: Press) -> None:
    """An admin approves or refuses a member's ask for more time."""
    approve = press.action == "ok"
    await press.services.extensions.decide(press.actor, press.int(0), approve=approve)
    await press.answer()
    await press.query.edit_message_reply_markup(None)
    await press.reply(views.extension_done(press.t, approve))


async def awaited_answer(update: Update, context: GridContext) -> None:
    """The reason for an extension, or an admin's message to the member."""
    assert update.message is not None and context.user_data is not None
    actor = await context.actor(update)
    svc = context.services
    t = context.t(actor)
    awaiting = context.user_data.get(AWAITING_KEY) or {}
    kind = awaiting.get("kind")
    request_id, days = int(awaiting.get("request_id", 0)), int(awaiting.get("days", 0))
    text = update.message.text
    if text is None:
        await reply(update, context, OutMessage(t("Please send some text.")))
        return
    try:
        if kind == "extend_reason":
            request = await svc.extensions.extend(actor, request_id, days, text)
            message = views.extended(t, request, days)
        elif kind == "admin_msg":
            await svc.escalation.message_assignee(actor, request_id, text)
            message = views.sent(t)
        else:
            await svc.extensions.ask(actor, request_id, days, text)
            message = views.extension_asked(t)
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    context.user_data.pop(AWAITING_KEY, None)
    await reply(update, context, message)


def handlers(i18n: I18n, user_data: Mapping[int, dict[str, Any]]) -> list[BaseHandler]:  # type: ignore[type-arg]
    all_menu = {s for label, _ in MAIN_MENU for s in i18n.all_translations(label)}
    return [
        ESCALATION.handler(),
        EXTENSION.handler(),
        MessageHandler(
            Awaiting(user_data, KINDS) & ~filters.COMMAND & ~menu_labels(all_menu),
            awaited_answer,
        ),
    ]
