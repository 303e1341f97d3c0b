"""What nobody else handled: main-menu buttons, stray text, stale buttons.

These handlers are registered last, so every feature's own handlers win.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.context import GridContext
from bot.i18n import I18n
from bot.messages import OutMessage
from bot.services.intake import AWAITING_KEY
from bot.views.common import MAIN_MENU
from handlers.activities import checkin_by_typed_code
from handlers.common import answer_expired, reply
from handlers.onboarding import is_onboarded, prompt_current_step
from handlers.profile import help_command, me

__all__ = ["handlers"]

_ACTIONS = {"Help": help_command, "My data": me}


async def menu_button(update: Update, context: GridContext) -> None:
    """Run the action of a tapped main-menu button."""
    text = update.effective_message.text if update.effective_message else None
    i18n = context.services.i18n
    for label, _roles in MAIN_MENU:
        if text in i18n.all_translations(label) and label in _ACTIONS:
            await _ACTIONS[label](update, context)
            return


async def anything_else(update: Update, context: GridContext) -> None:
    """Re-ask an unfinished onboarding step, or point to the menu."""
    actor = await context.actor(update)
    if not is_onboarded(actor):
        await prompt_current_step(update, context, actor)
        return
    if await checkin_by_typed_code(update, context, actor):
        return
    t = context.t(actor)
    await reply(
        update,
        context,
        OutMessage(
            t("Sorry, I did not understand that. Please use the menu buttons or send /help.")
        ),
    )


async def cancel_awaiting(update: Update, context: GridContext) -> None:
    """/cancel outside a conversation: stop waiting for a free-form answer."""
    actor = await context.actor(update)
    t = context.t(actor)
    if context.user_data is not None and context.user_data.pop(AWAITING_KEY, None):
        await reply(update, context, OutMessage(t("Stopped.")))
    else:
        await reply(update, context, OutMessage(t("There is nothing to cancel.")))


async def stale_button(update: Update, context: GridContext) -> None:
    """Answer a press on a button nobody handles (old menus, forged data)."""
    query = update.callback_query
    assert query is not None
    actor = await context.actor(update)
    await answer_expired(query, context.t(actor))


async def edited(update: Update, context: GridContext) -> None:
    """An edit of a message already sent: no step reads edits, so say so (in a private chat)
    rather than let the person believe the correction arrived."""
    chat = update.effective_chat
    if chat is None or chat.type != chat.PRIVATE or update.effective_user is None:
        return
    actor = await context.actor(update)
    t = context.t(actor)
    await reply(
        update,
        context,
        OutMessage(
            t("I do not read changes to messages already sent. Please send the corrected text.")
        ),
    )


def edit_handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """Registered first, so no conversation step takes an edit for a new answer."""
    return [MessageHandler(filters.UpdateType.EDITED, edited)]


def handlers(i18n: I18n) -> list[BaseHandler]:  # type: ignore[type-arg]
    labels = sorted({s for label in _ACTIONS for s in i18n.all_translations(label)})
    return [
        CommandHandler("cancel", cancel_awaiting, filters.ChatType.PRIVATE),
        MessageHandler(filters.ChatType.PRIVATE & filters.Text(labels), menu_button),
        MessageHandler(filters.ChatType.PRIVATE & ~filters.COMMAND, anything_else),
        MessageHandler(filters.ChatType.PRIVATE & filters.COMMAND, anything_else),
        CallbackQueryHandler(stale_button),
    ]
