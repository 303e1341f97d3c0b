"""Buttons of escalation cards (re-tier, extend, message the member) and members asking for
more time (with the admins' Approve / Refuse)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot import cbdata
from bot.context import GridContext
from bot.errors import DomainError
from bot.i18n import I18n
from bot.messages import OutMessage
from bot.models import EXTENSION_DAYS, Tier
from bot.services.intake import AWAITING_KEY
from bot.views import deadlines as views
from bot.views.common import MAIN_MENU
from handlers.common import answer_expired, edit, reply, say_error
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


async def escalation_button(update: Update, context: GridContext) -> None:
    """Re-tier now; extend or message after asking for the reason or the text."""
    query = update.callback_query
    assert query is not None
    actor = await context.actor(update)
    svc = context.services
    t = context.t(actor)
    cb = cbdata.decode(query.data, views.ESCALATE)
    request_id = cb.int_arg() if cb else None
    if cb is None or request_id is None:
        await answer_expired(query, t)
        return
    try:
        tier = cb.arg(1)
        if cb.action == "tier" and tier in {value.value for value in Tier}:
            request = await svc.escalation.retier(actor, request_id, Tier(str(tier)))
            await query.answer()
            await reply(update, context, views.retiered(t, request))
        elif cb.action == "ext" and (days := cb.int_arg(1)) in EXTENSION_DAYS:
            request = await svc.dispatch.admin_request(actor, request_id)
            await query.answer()
            _await(context, "extend_reason", request.id, days)
            await reply(update, context, views.extend_reason_prompt(t, request, days))
        elif cb.action == "msg":
            request = await svc.dispatch.admin_request(actor, request_id)
            await query.answer()
            _await(context, "admin_msg", request.id)
            await reply(update, context, views.admin_message_prompt(t, request))
        else:
            await answer_expired(query, t)
    except DomainError as err:
        await say_error(update, context, t, err)


async def extension_button(update: Update, context: GridContext) -> None:
    """A member asks for more time (days, then the reason); an admin decides."""
    query = update.callback_query
    assert query is not None
    actor = await context.actor(update)
    svc = context.services
    t = context.t(actor)
    cb = cbdata.decode(query.data, views.EXTEND)
    target = cb.int_arg() if cb else None
    if cb is None or target is None:
        await answer_expired(query, t)
        return
    try:
        if cb.action == "ask":
            request = await svc.extensions.target(actor, target)
            await query.answer()
            await reply(update, context, views.extension_days_prompt(t, request))
        elif cb.action == "d" and (days := cb.int_arg(1)) in EXTENSION_DAYS:
            request = await svc.extensions.target(actor, target)
            await query.answer()
            _await(context, "extension_reason", target, days)
            await edit(query, views.extension_reason_prompt(t, request, days))
        elif cb.action in ("ok", "no"):
            await svc.extensions.decide(actor, target, approve=cb.action == "ok")
            await query.answer()
            await query.edit_message_reply_markup(None)
            await reply(update, context, views.extension_done(t, cb.action == "ok"))
        else:
            await answer_expired(query, t)
    except DomainError as err:
        await say_error(update, context, t, err)


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
        CallbackQueryHandler(escalation_button, pattern=cbdata.pattern(views.ESCALATE)),
        CallbackQueryHandler(extension_button, pattern=cbdata.pattern(views.EXTEND)),
        MessageHandler(
            Awaiting(user_data, KINDS) & ~filters.COMMAND & ~menu_labels(all_menu),
            awaited_answer,
        ),
    ]
