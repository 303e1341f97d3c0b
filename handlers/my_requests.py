"""After filing: /my (list, details, cancel, add information) and rating the result (评单).

"Add information" and the comment after a rating wait for the person's next message; what is
awaited is kept in their user data (persisted), so it survives a restart.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.context import GridContext
from bot.errors import DomainError, InvalidInput
from bot.i18n import I18n
from bot.messages import OutMessage
from bot.models import Rating
from bot.services.intake import AWAITING_KEY
from bot.services.requests import PAGE_SIZE
from bot.views import requests as views
from bot.views.common import MAIN_MENU, MY_REQUESTS
from handlers.buttons import Buttons, Press, StaleButton
from handlers.common import edit, reply, say_error
from handlers.filters import Awaiting, menu_labels
from handlers.onboarding import is_onboarded, prompt_current_step

__all__ = ["handlers"]

LOG = logging.getLogger(__name__)

_RATINGS = {code: rating for rating, code in views.RATING_CODES.items()}


def _await(context: GridContext, kind: str, request_id: int) -> None:
    assert context.user_data is not None
    context.user_data[AWAITING_KEY] = {
        "kind": kind,
        "request_id": request_id,
        "since": context.services.clock.now().isoformat(),
    }


async def my_requests(update: Update, context: GridContext) -> None:
    """List the person's requests, newest first (/my or the menu button)."""
    actor = await context.actor(update)
    if not is_onboarded(actor):
        await prompt_current_step(update, context, actor)
        return
    await _send_page(update, context, 0, as_edit=False)


async def _send_page(update: Update, context: GridContext, page: int, *, as_edit: bool) -> None:
    actor = await context.actor(update)
    svc = context.services
    items, total = await svc.requests.page(actor, page)
    page = min(max(page, 0), max(0, (total - 1) // PAGE_SIZE))
    language = actor.person.language or svc.i18n.default
    message = views.my_list(
        context.t(actor), language, items, page, total, PAGE_SIZE, svc.clock.now()
    )
    if as_edit and update.callback_query is not None:
        await edit(update.callback_query, message)
    else:
        await reply(update, context, message)


MY: Buttons[None] = Buttons(views.MY)
RATE: Buttons[None] = Buttons(views.RATE)


@MY.on("p")
async def page(press: Press) -> None:
    """Another page of the list."""
    await press.answer()
    await _send_page(press.update, press.context, press.cb.int_arg() or 0, as_edit=True)


@MY.on("o")
async def open_request(press: Press) -> None:
    """One request with its photos and timeline."""
    svc = press.services
    view = await svc.requests.view(press.actor, press.int(0))
    await press.answer()
    page = press.cb.int_arg(1) or 0
    detail = views.request_detail(press.t, press.language, view, svc.config.tz, page)
    if view.photos:
        # The photos first, then the details (with their buttons) under them (and the pin).
        await press.reply(OutMessage("", photos=tuple(p.file_id for p in view.photos[:10])))
        await press.reply(detail)
    else:
        await press.edit(detail)
        chat = press.update.effective_chat
        if detail.location is not None and chat is not None:  # the shared place, as a pin
            await press.context.bot.send_location(chat.id, *detail.location)


@MY.on("c")
async def ask_cancel(press: Press) -> None:
    """Are you sure you want to cancel it?"""
    view = await press.services.requests.view(press.actor, press.int(0))
    if not view.can_cancel:
        raise StaleButton(press.cb)
    await press.answer()
    await press.edit(views.cancel_confirm(press.t, view.request, press.cb.int_arg(1) or 0))


@MY.on("cy")
async def cancel(press: Press) -> None:
    """Cancel the request (while nobody has accepted it)."""
    svc, request_id = press.services, press.int(0)
    await svc.requests.cancel(press.actor, request_id)
    await press.answer(press.t("Cancelled."))
    view = await svc.requests.view(press.actor, request_id)
    page = press.cb.int_arg(1) or 0
    await press.edit(views.request_detail(press.t, press.language, view, svc.config.tz, page))


@MY.on("i")
async def add_info(press: Press) -> None:
    """Add information: the next text or photo goes to the request's timeline."""
    view = await press.services.requests.view(press.actor, press.int(0))
    if not view.can_add_info:
        raise StaleButton(press.cb)
    await press.answer()
    _await(press.context, "info", view.request.id)
    await press.reply(views.add_info_prompt(press.t, view.request))


@RATE.on(*_RATINGS)
async def rate(press: Press) -> None:
    """评单: the resident rates the result; then a comment may follow."""
    rating = _RATINGS[press.action]
    request = await press.services.requests.rate(press.actor, press.int(0), rating)
    await press.answer()
    await press.query.edit_message_reply_markup(None)
    _await(press.context, "comment", request.id)
    await press.reply(views.rated(press.t, request, Rating(rating)))


@RATE.on("skip")
async def skip_comment(press: Press) -> None:
    """No comment after the rating."""
    press.int(0)  # a rating card's button names its request
    await press.answer()
    if press.context.user_data is not None:
        press.context.user_data.pop(AWAITING_KEY, None)
    await press.query.edit_message_reply_markup(None)
    await press.reply(views.comment_skipped(press.t))


async def awaited_answer(update: Update, context: GridContext) -> None:
    """The text or photo the bot asked for: information for a request, or a comment."""
    assert update.message is not None and context.user_data is not None
    actor = await context.actor(update)
    t = context.t(actor)
    awaiting = context.user_data.get(AWAITING_KEY) or {}
    kind, request_id = awaiting.get("kind"), int(awaiting.get("request_id", 0))
    text = update.message.text or update.message.caption
    photo = update.message.photo[-1].file_id if update.message.photo else None
    if text is None and photo is None:
        await reply(update, context, OutMessage(t("Please send some text or a photo.")))
        return
    try:
        if kind == "info":
            request = await context.services.requests.view(actor, request_id)
            await context.services.requests.add_info(actor, request_id, text=text, photo=photo)
            await reply(update, context, views.info_saved(t, request.request))
        elif kind == "comment":
            if text is None:
                await reply(update, context, OutMessage(t("Please type your comment.")))
                return
            await context.services.requests.comment(actor, request_id, text)
            await reply(update, context, views.comment_saved(t))
    except InvalidInput as err:  # this answer will not do; the next one may
        await say_error(update, context, t, err)
        return
    except DomainError as err:  # no answer can do any more (settled, gone): stop waiting
        context.user_data.pop(AWAITING_KEY, None)
        await say_error(update, context, t, err)
        return
    context.user_data.pop(AWAITING_KEY, None)


def handlers(i18n: I18n, user_data: object) -> list[BaseHandler]:  # type: ignore[type-arg]
    my_labels = i18n.all_translations(MY_REQUESTS)
    all_menu = {s for label, _ in MAIN_MENU for s in i18n.all_translations(label)}
    awaiting = Awaiting(user_data, frozenset({"info", "comment"}))  # type: ignore[arg-type]
    return [
        CommandHandler("my", my_requests, filters.ChatType.PRIVATE),
        MessageHandler(menu_labels(my_labels) & filters.ChatType.PRIVATE, my_requests),
        MY.handler(),
        RATE.handler(),
        MessageHandler(awaiting & ~filters.COMMAND & ~menu_labels(all_menu), awaited_answer),
    ]
