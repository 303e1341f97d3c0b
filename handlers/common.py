"""Sending a view as the direct reply to an update, and answering stale buttons."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from telegram import CallbackQuery, InputMediaPhoto, Update
from telegram.error import BadRequest

from bot.context import GridContext
from bot.errors import DomainError
from bot.i18n import Translator
from bot.messages import OutMessage
from bot.outbox import ptb_markup
from bot.views.common import esc

if TYPE_CHECKING:
    from bot.services import Services
    from bot.services.people import Actor

__all__ = [
    "Caller",
    "alongside",
    "answer_expired",
    "close_button",
    "edit",
    "reply",
    "say_error",
]

LOG = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class Caller:
    """Who sent the update and in which language: what every handler starts from."""

    update: Update
    context: GridContext
    actor: Actor
    t: Translator
    language: str

    @classmethod
    async def of(cls, update: Update, context: GridContext) -> Caller:
        actor = await context.actor(update)
        language = actor.person.language or context.services.i18n.default
        return cls(update, context, actor, context.t(actor), language)

    @property
    def services(self) -> Services:
        return self.context.services

    async def reply(self, message: OutMessage) -> Sent:
        """Send ``message`` below, as the direct reply."""
        return await reply(self.update, self.context, message)


@dataclass(frozen=True)
class Sent:
    """Where a reply landed (all a caller ever needs to edit it later)."""

    chat_id: int
    message_id: int


async def reply(update: Update, context: GridContext, message: OutMessage) -> Sent:
    """Send ``message`` to the chat of ``update``: photos first (one photo carries the text as
    its caption when it fits), then the text with its buttons, then its pin if it has one."""
    chat = update.effective_chat
    assert chat is not None
    sent = await _reply_main(context, chat.id, message)
    if message.location is not None:
        await context.bot.send_location(chat.id, *message.location)
    for venue in message.venues:
        await context.bot.send_venue(
            chat.id, venue.latitude, venue.longitude, venue.title, venue.address
        )
    return sent


async def _reply_main(context: GridContext, chat_id: int, message: OutMessage) -> Sent:
    photos = list(message.photos[:10])
    if len(photos) == 1 and len(message.text) <= 1024:
        markup = ptb_markup(message.reply_markup(), context.bot)
        sent = await context.bot.send_photo(
            chat_id, photos[0], caption=message.text or None, reply_markup=markup
        )
        return Sent(sent.chat_id, sent.message_id)
    last: Sent | None = None
    if len(photos) == 1:
        photo = await context.bot.send_photo(chat_id, photos[0])
        last = Sent(photo.chat_id, photo.message_id)
    elif photos:
        album = await context.bot.send_media_group(chat_id, [InputMediaPhoto(p) for p in photos])
        last = Sent(album[-1].chat_id, album[-1].message_id)
    if message.text or last is None:
        last = await send_text(context, chat_id, message)
    return last


async def send_text(context: GridContext, chat_id: int, message: OutMessage) -> Sent:
    """sendMessage without turning Telegram's answer into a Message object.

    Replies are the bot's hottest path and their answer is never read beyond its id; PTB's
    object model costs about a millisecond of CPU per message. Bot API method names are
    case-insensitive, and the lower-case name keeps ``do_api_request`` from pointing us back
    to ``send_message``.
    """
    params: dict[str, object] = {"chat_id": chat_id, "text": message.text, "parse_mode": "HTML"}
    markup = message.reply_markup()
    if markup is not None:
        params["reply_markup"] = markup
    result = await context.bot.do_api_request("sendmessage", api_kwargs=params)
    return Sent(int(result["chat"]["id"]), int(result["message_id"]))


async def edit(query: CallbackQuery, message: OutMessage) -> None:
    """Replace the text and buttons of the message the button was on."""
    markup = ptb_markup(message.inline_markup()) if message.buttons else None
    try:
        if query.message is not None and getattr(query.message, "photo", None):
            await query.edit_message_caption(message.text, reply_markup=markup)
        else:
            await query.edit_message_text(message.text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def close_button(query: CallbackQuery, replacement: OutMessage | None = None) -> None:
    """Answer a press and take the buttons off its message (or replace the message)."""
    if replacement is not None:
        await asyncio.gather(query.answer(), edit(query, replacement))
        return
    await asyncio.gather(query.answer(), _remove_buttons(query))


async def _remove_buttons(query: CallbackQuery) -> None:
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def alongside(side: Awaitable[object], main: Awaitable[T]) -> T:
    """Make a side call (answering the press, editing the old menu) at the same time as the
    main reply: one round trip to Telegram instead of two or three."""
    _, result = await asyncio.gather(side, main)
    return result


async def answer_expired(query: CallbackQuery, t: Translator) -> None:
    await query.answer(
        t("This menu has expired. Please use the latest message."), show_alert=False
    )


async def say_error(
    update: Update, context: GridContext, t: Translator, error: DomainError
) -> None:
    """Tell the person why a domain rule stopped them, as a toast or a message."""
    if update.callback_query is not None:
        params = {k: t(str(v)) for k, v in error.params.items()}
        await update.callback_query.answer(t(error.message).format(**params), show_alert=True)
    else:
        # Parameters may be msgids themselves (a status name) or user input (escaped).
        params = {k: esc(t(str(v))) for k, v in error.params.items()}
        await reply(update, context, OutMessage(t(error.message).format(**params)))
