"""After filing: /my (list, details, cancel, add information) and rating the result (评单).

"Add information" and the comment after a rating wait for the person's next message; what is
awaited is kept in their user data (persisted), so it survives a restart.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import cbdata
from bot.context import GridContext
from bot.errors import DomainError, InvalidInput
from bot.i18n import I18n
from bot.messages import OutMessage
from bot.models import Rating
from bot.services.intake import AWAITING_KEY
from bot.services.requests import PAGE_SIZE
from bot.views import requests as views
from bot.views.common import MAIN_MENU
from handlers.common import answer_expired, edit, reply, say_error
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


async def on_button(update: Update, context: GridContext) -> None:
    """Paging, opening a request, cancelling it, adding information."""
    query = update.callback_query
    assert query is not None
    actor = await context.actor(update)
    svc = context.services
    t = context.t(actor)
    cb = cbdata.decode(query.data, views.MY)
    if cb is None:
        await answer_expired(query, t)
        return
    request_id = cb.int_arg()
    page = cb.int_arg(1) or 0
    try:
        if cb.action == "p":
            await query.answer()
            await _send_page(update, context, cb.int_arg() or 0, as_edit=True)
        elif cb.action == "o" and request_id is not None:
            view = await svc.requests.view(actor, request_id)
            await query.answer()
            language = actor.person.language or svc.i18n.default
            detail = views.request_detail(t, language, view, svc.config.tz, page)
            if view.photos:
                # The photos first, then the details (with their buttons) under them.
                await reply(
                    update,
                    context,
                    OutMessage("", photos=tuple(p.file_id for p in view.photos[:10])),
                )
                await reply(update, context, detail)
            else:
                await edit(query, detail)
        elif cb.action == "c" and request_id is not None:
            view = await svc.requests.view(actor, request_id)
            if not view.can_cancel:
                await answer_expired(query, t)
                return
            await query.answer()
            await edit(query, views.cancel_confirm(t, view.request, page))
        elif cb.action == "cy" and request_id is not None:
            await svc.requests.cancel(actor, request_id)
            await query.answer(t("Cancelled."))
            view = await svc.requests.view(actor, request_id)
            language = actor.person.language or svc.i18n.default
            await edit(query, views.request_detail(t, language, view, svc.config.tz, page))
        elif cb.action == "i" and request_id is not None:
            view = await svc.requests.view(actor, request_id)
            if not view.can_add_info:
                await answer_expired(query, t)
                return
            await query.answer()
            _await(context, "info", request_id)
            await reply(update, context, views.add_info_prompt(t, view.request))
        else:
            await answer_expired(query, t)
    except DomainError as err:
        await say_error(update, context, t, err)


async def rate(update: Update, context: GridContext) -> None:
    """评单: the resident rates the result; then a comment may follow."""
    query = update.callback_query
    assert query is not None
    actor = await context.actor(update)
    t = context.t(actor)
    cb = cbdata.decode(query.data, views.RATE)
    request_id = cb.int_arg() if cb else None
    if cb is None or request_id is None:
        await answer_expired(query, t)
        return
    if cb.action == "skip":
        await query.answer()
        if context.user_data is not None:
            context.user_data.pop(AWAITING_KEY, None)
        await query.edit_message_reply_markup(None)
        await reply(update, context, views.comment_skipped(t))
        return
    rating = _RATINGS.get(cb.action)
    if rating is None:
        await answer_expired(query, t)
        return
    try:
        request = await context.services.requests.rate(actor, request_id, rating)
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    _await(context, "comment", request.id)
    await reply(update, context, views.rated(t, request, Rating(rating)))


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
    my_labels = i18n.all_translations(MAIN_MENU[1][0])
    all_menu = {s for label, _ in MAIN_MENU for s in i18n.all_translations(label)}
    awaiting = Awaiting(user_data, frozenset({"info", "comment"}))  # type: ignore[arg-type]
    return [
        CommandHandler("my", my_requests, filters.ChatType.PRIVATE),
        MessageHandler(menu_labels(my_labels) & filters.ChatType.PRIVATE, my_requests),
        CallbackQueryHandler(on_button, pattern=cbdata.pattern(views.MY)),
        CallbackQueryHandler(rate, pattern=cbdata.pattern(views.RATE)),
        MessageHandler(awaiting & ~filters.COMMAND & ~menu_labels(all_menu), awaited_answer),
    ]
