"""The one error handler: log with the traceback, reassure the person in their language."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import GridContext
from bot.messages import OutMessage
from handlers.common import reply

__all__ = ["on_error"]

LOG = logging.getLogger(__name__)


async def on_error(update: object, context: GridContext) -> None:
    """Log the error; tell the person nothing they confirmed was lost."""
    LOG.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    language = None
    with contextlib.suppress(Exception):
        if update.effective_user is not None:
            actor = await context.actor(update)
            language = actor.person.language
    t = context.services.i18n.get(language)
    text = t(
        "Sorry, something went wrong on our side. Nothing you confirmed was lost. "
        "Please try again."
    )
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):  # the handler may have answered it already
            await update.callback_query.answer()
    with contextlib.suppress(TelegramError):
        await reply(update, context, OutMessage(text))
