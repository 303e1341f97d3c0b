"""/topics and the buttons of topic cards (每月一题、未诉先办): act on a topic, or set it aside
with a reason (a quick one, or typed)."""

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
from bot.services.intake import AWAITING_KEY
from bot.views import topics as views
from bot.views.common import MAIN_MENU
from handlers.buttons import Buttons, Press, StaleButton
from handlers.common import reply, say_error
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


BUTTONS: Buttons[None] = Buttons(views.TOPICS)


@BUTTONS.on("o")
async def open_topic(press: Press) -> None:
    """One topic as a card, with what the admin can do."""
    svc = press.services
    card = await svc.topics.topic(press.actor, press.int(0))
    await press.answer()
    await press.reply(views.topic_card(press.t, press.language, card, svc.config.tz))


@BUTTONS.on("cv")
async def convert(press: Press) -> None:
    """Act on the topic (make it a task, ...)."""
    svc = press.services
    card = await svc.topics.convert(press.actor, press.int(0), press.arg(1))
    await press.answer()
    await press.edit(views.topic_card(press.t, press.language, card, svc.config.tz))


@BUTTONS.on("dm")
async def reasons(press: Press) -> None:
    """Set it aside: the quick reasons."""
    card = await press.services.topics.topic(press.actor, press.int(0))
    await press.answer()
    await press.reply(views.reasons_menu(press.t, card.topic))


@BUTTONS.on("dr")
async def dismiss(press: Press) -> None:
    """Set it aside with one of the quick reasons."""
    svc, n = press.services, press.int(1)
    if not 0 <= n < len(views.REASONS):
        raise StaleButton(press.cb)
    card = await svc.topics.dismiss(press.actor, press.int(0), press.t(views.REASONS[n]))
    await press.answer()
    await press.edit(views.topic_card(press.t, press.language, card, svc.config.tz))


@BUTTONS.on("do")
async def other_reason(press: Press) -> None:
    """Set it aside with a reason of one's own: it is typed next."""
    svc, topic_id = press.services, press.int(0)
    await svc.topics.topic(press.actor, topic_id)  # checks the admin may
    assert press.context.user_data is not None
    press.context.user_data[AWAITING_KEY] = {
        "kind": REASON,
        "topic_id": topic_id,
        "since": svc.clock.now().isoformat(),
    }
    await press.answer()
    await press.edit(views.reason_prompt(press.t))


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
        BUTTONS.handler(),
        MessageHandler(
            Awaiting(user_data, frozenset({REASON}))
            & filters.TEXT
            & ~filters.COMMAND
            & ~menu_labels(all_menu),
            typed_reason,
        ),
    ]
