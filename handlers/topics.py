"""/topics and the buttons of topic cards (每月一题、未诉先办): act on a topic, or set it aside
with a reason (a quick one, or typed)."""

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
from bot.services.intake import AWAITING_KEY
from bot.views import topics as views
from bot.views.common import MAIN_MENU
from handlers.common import answer_expired, edit, reply, say_error
from handlers.filters import Awaiting, menu_labels

__all__ = ["handlers"]

LOG = logging.getLogger(__name__)

REASON = "topic_reason"


async def topics_command(update: Update, context: GridContext) -> None:
    """List the topics of the admin's communities."""
    actor = await context.actor(update)
    t = context.t(actor)
    language = actor.person.language or context.services.i18n.default
    try:
        cards = await context.services.topics.topics(actor)
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    await reply(update, context, views.topics_list(t, language, cards))


async def topic_button(update: Update, context: GridContext) -> None:
    """Open, convert, set aside (with a quick or a typed reason)."""
    query = update.callback_query
    assert query is not None
    actor = await context.actor(update)
    svc = context.services
    t = context.t(actor)
    language = actor.person.language or svc.i18n.default
    cb = cbdata.decode(query.data, views.TOPICS)
    topic_id = cb.int_arg() if cb else None
    if cb is None or topic_id is None:
        await answer_expired(query, t)
        return
    try:
        if cb.action == "o":
            card = await svc.topics.topic(actor, topic_id)
            await query.answer()
            await reply(update, context, views.topic_card(t, language, card, svc.config.tz))
        elif cb.action == "cv" and cb.arg(1):
            card = await svc.topics.convert(actor, topic_id, str(cb.arg(1)))
            await query.answer()
            await edit(query, views.topic_card(t, language, card, svc.config.tz))
        elif cb.action == "dm":
            card = await svc.topics.topic(actor, topic_id)
            await query.answer()
            await reply(update, context, views.reasons_menu(t, card.topic))
        elif (
            cb.action == "dr" and (n := cb.int_arg(1)) is not None and 0 <= n < len(views.REASONS)
        ):
            card = await svc.topics.dismiss(actor, topic_id, t(views.REASONS[n]))
            await query.answer()
            await edit(query, views.topic_card(t, language, card, svc.config.tz))
        elif cb.action == "do":
            await svc.topics.topic(actor, topic_id)  # checks the admin may
            assert context.user_data is not None
            context.user_data[AWAITING_KEY] = {
                "kind": REASON,
                "topic_id": topic_id,
                "since": svc.clock.now().isoformat(),
            }
            await query.answer()
            await edit(query, views.reason_prompt(t))
        else:
            await answer_expired(query, t)
    except DomainError as err:
        await say_error(update, context, t, err)


async def typed_reason(update: Update, context: GridContext) -> None:
    """The reason typed for setting a topic aside."""
    assert update.message is not None and context.user_data is not None
    actor = await context.actor(update)
    svc = context.services
    t = context.t(actor)
    language = actor.person.language or svc.i18n.default
    text = update.message.text
    if text is None:
        await reply(update, context, OutMessage(t("Please send some text.")))
        return
    topic_id = int((context.user_data.get(AWAITING_KEY) or {}).get("topic_id", 0))
    try:
        card = await svc.topics.dismiss(actor, topic_id, text)
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    context.user_data.pop(AWAITING_KEY, None)
    await reply(update, context, views.topic_card(t, language, card, svc.config.tz))


def handlers(i18n: I18n, user_data: Mapping[int, dict[str, Any]]) -> list[BaseHandler]:  # type: ignore[type-arg]
    all_menu = {s for label, _ in MAIN_MENU for s in i18n.all_translations(label)}
    return [
        CommandHandler("topics", topics_command, filters.ChatType.PRIVATE),
        CallbackQueryHandler(topic_button, pattern=cbdata.pattern(views.TOPICS)),
        MessageHandler(
            Awaiting(user_data, frozenset({REASON}))
            & filters.TEXT
            & ~filters.COMMAND
            & ~menu_labels(all_menu),
            typed_reason,
        ),
    ]
