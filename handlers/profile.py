"""The person's own data: /help, /me, /forget, and the main-menu buttons for them."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import cbdata
from bot.context import GridContext
from bot.views import people as views
from handlers.common import answer_expired, edit, reply

__all__ = ["handlers", "help_command", "me"]


async def help_command(update: Update, context: GridContext) -> None:
    """List what this person's roles can do."""
    actor = await context.actor(update)
    await reply(update, context, views.help_message(context.t(actor), actor.roles))


async def me(update: Update, context: GridContext) -> None:
    """Show everything the bot keeps about the person."""
    actor = await context.actor(update)
    profile = await context.services.people.profile(actor)
    await reply(
        update,
        context,
        views.profile_message(context.t(actor), profile, context.services.config.tz),
    )


async def forget(update: Update, context: GridContext) -> None:
    """Ask before deleting the person's data."""
    actor = await context.actor(update)
    await reply(update, context, views.forget_confirm(context.t(actor)))


async def forget_answer(update: Update, context: GridContext) -> None:
    """Delete the person's data, or keep it."""
    query = update.callback_query
    assert query is not None
    actor = await context.actor(update)
    t = context.t(actor)
    cb = cbdata.decode(query.data, views.FORGET)
    if cb is None or cb.action not in ("yes", "no"):
        await answer_expired(query, t)
        return
    await query.answer()
    if cb.action == "no":
        await edit(query, views.kept(t))
        return
    await context.services.people.forget(actor)
    # Drafts and pending answers are personal data too.
    context.application.drop_user_data(actor.person.telegram_id)
    # Replace the question by the answer, which also takes the menu keyboard away.
    await query.delete_message()
    await reply(update, context, views.forgotten(t))


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        CommandHandler("help", help_command),
        CommandHandler("me", me),
        CommandHandler("forget", forget),
        CallbackQueryHandler(forget_answer, pattern=cbdata.pattern(views.FORGET)),
    ]
