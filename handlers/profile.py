"""The person's own data: /help, /me, /forget, and the main-menu buttons for them."""

from __future__ import annotations

import logging

from telegram import BotCommandScopeChat, Update
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CommandHandler,
    ConversationHandler,
    filters,
)

from bot.context import GridContext
from bot.messages import OutMessage
from bot.views import people as views
from bot.views import registration as registration_views
from handlers.buttons import Buttons, Press
from handlers.common import reply

__all__ = ["handlers", "help_command", "me"]

LOG = logging.getLogger(__name__)


async def help_command(update: Update, context: GridContext) -> None:
    """List what this person's roles can do."""
    actor = await context.actor(update)
    await reply(update, context, views.help_message(context.t(actor), actor.roles))


async def me(update: Update, context: GridContext) -> None:
    """Show everything the bot keeps about the person."""
    actor = await context.actor(update)
    svc = context.services
    t = context.t(actor)
    profile = await svc.people.profile(actor)
    message = views.profile_message(t, profile, svc.config.tz)
    record = await svc.members.record(actor)
    if record is not None:
        language = actor.person.language or svc.i18n.default
        teams = [team for team in await svc.org.teams() if team.id in record.member.team_ids]
        lines = registration_views.record_lines(
            t,
            language,
            record.member,
            record.compound,
            teams,
            record.done,
            record.average_rating,
            record.ratings,
            record.open_tasks,
            record.visits,
            record.people_visited,
            svc.config.tz,
        )
        message = OutMessage(message.text + "\n" + "\n".join(lines))
    await reply(update, context, message)


async def forget(update: Update, context: GridContext) -> None:
    """Ask before deleting the person's data."""
    actor = await context.actor(update)
    await reply(update, context, views.forget_confirm(context.t(actor)))


FORGET: Buttons[None] = Buttons(views.FORGET)


@FORGET.on("no")
async def keep(press: Press) -> None:
    """Keep the person's data."""
    await press.answer()
    await press.edit(views.kept(press.t))


@FORGET.on("yes")
async def forget_answer(press: Press) -> None:
    """Delete the person's data."""
    update, context, actor = press.update, press.context, press.actor
    await press.answer()
    await context.services.people.forget(actor)
    # The chat's own menu goes (the default one shows again); asked now, in this chat, rather
    # than queued: a queued call would keep the chat id in the outbox until it went.
    await _reset_menu(context, actor.person.telegram_id)
    # Drafts and pending answers are personal data too.
    context.application.drop_user_data(actor.person.telegram_id)
    # Without them an open conversation would only say "set aside": start afresh instead.
    _end_conversations(update, context)
    # Replace the question by the answer, which also takes the menu keyboard away.
    await press.query.delete_message()
    await press.reply(views.forgotten(press.t))


async def _reset_menu(context: GridContext, chat_id: int) -> None:
    try:
        await context.bot.delete_my_commands(scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:  # the default menu's commands still ask them to /start
        LOG.warning("could not reset the command menu of a forgotten chat: %s", exc)


def _end_conversations(update: Update, context: GridContext) -> None:
    """End every conversation the person is in (a request, /join, /visit, /broadcast).

    Their states are kept apart from ``user_data``, in each ``ConversationHandler``. PTB has
    no public way to end a conversation from outside it, so this ends it the way the handler
    itself does when a step returns ``END``: the state is removed in memory, and the next
    persistence run deletes the stored one."""
    if update.effective_chat is None or update.effective_user is None:
        return
    for group in context.application.handlers.values():
        for handler in group:
            if isinstance(handler, ConversationHandler):
                key = handler._get_key(update)
                handler._update_state(ConversationHandler.END, key)


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    # Private chats only: /me and /help in a group would show the person's data to everyone.
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler("help", help_command, private),
        CommandHandler("me", me, private),
        CommandHandler("forget", forget, private),
        FORGET.handler(),
    ]
