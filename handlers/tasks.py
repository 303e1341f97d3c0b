"""党员接单: Accept / Decline on task cards, /tasks, working a task, the masked relay.

Free-form answers (a progress note, a relayed message, a reason, the completion note) are
waits kept in the person's user data, answered by :func:`awaited_answer`.
"""

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
from bot.views import tasks as views
from bot.views.common import MAIN_MENU
from handlers.common import answer_expired, edit, reply, say_error
from handlers.filters import Awaiting, menu_labels

__all__ = ["handlers"]

LOG = logging.getLogger(__name__)

KINDS = frozenset({"note", "relay", "return", "decline", "done"})
_PROMPTS = {
    "note": views.note_prompt,
    "msg": views.relay_prompt,
    "ret": views.return_prompt,
    "dec": views.decline_prompt,
    "done": views.done_prompt,
}
_KIND_OF = {"note": "note", "msg": "relay", "ret": "return", "dec": "decline", "done": "done"}


def _await(context: GridContext, kind: str, request_id: int) -> None:
    assert context.user_data is not None
    context.user_data[AWAITING_KEY] = {
        "kind": kind,
        "request_id": request_id,
        "photos": [],
        "since": context.services.clock.now().isoformat(),
    }


async def accept(update: Update, context: GridContext) -> None:
    """接单: the first press wins; a late one hears who took it."""
    query = update.callback_query
    assert query is not None
    actor = await context.actor(update)
    t = context.t(actor)
    cb = cbdata.decode(query.data, views.TASK)
    request_id = cb.int_arg() if cb else None
    if request_id is None:
        await answer_expired(query, t)
        return
    try:
        request = await context.services.dispatch.accept(actor, request_id)
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    await query.answer(t("Accepted. Thank you!"))
    await reply(update, context, views.accepted_ack(t, request))


async def my_tasks(update: Update, context: GridContext) -> None:
    """List the member's open tasks."""
    actor = await context.actor(update)
    svc = context.services
    items = await svc.tasks.my_tasks(actor)
    language = actor.person.language or svc.i18n.default
    await reply(
        update, context, views.tasks_list(context.t(actor), language, items, svc.clock.now())
    )


async def task_button(update: Update, context: GridContext) -> None:
    """Open a task, start it, or begin a note / message / hand-back / decline / done."""
    query = update.callback_query
    assert query is not None
    actor = await context.actor(update)
    svc = context.services
    t = context.t(actor)
    cb = cbdata.decode(query.data, views.TASK)
    request_id = cb.int_arg() if cb else None
    if cb is None or request_id is None:
        await answer_expired(query, t)
        return
    language = actor.person.language or svc.i18n.default
    try:
        if cb.action == "open":
            view = await svc.tasks.task(actor, request_id)
            await query.answer()
            await reply(update, context, views.task_detail(t, language, view, svc.clock.now()))
        elif cb.action == "go":
            await svc.tasks.start(actor, request_id)
            view = await svc.tasks.task(actor, request_id)
            await query.answer(t("The resident has been told you are on the way."))
            await edit(query, views.task_detail(t, language, view, svc.clock.now()))
        elif cb.action in ("wait", "work"):
            await svc.deadlines.set_waiting(actor, request_id, cb.action == "wait")
            view = await svc.tasks.task(actor, request_id)
            await query.answer()
            await edit(query, views.task_detail(t, language, view, svc.clock.now()))
        elif cb.action in _PROMPTS:
            if cb.action == "dec":
                request = await svc.dispatch.offered(actor, request_id)
            elif cb.action == "msg":  # is there anyone to write to?
                request = await svc.tasks.relay_target(actor, request_id)
            else:
                request = (await svc.tasks.task(actor, request_id)).request
            await query.answer()
            _await(context, _KIND_OF[cb.action], request_id)
            await reply(update, context, _PROMPTS[cb.action](t, request))
        else:
            await answer_expired(query, t)
    except DomainError as err:
        await say_error(update, context, t, err)


async def relay_button(update: Update, context: GridContext) -> None:
    """'Message the helper' / 'Reply': the next text goes through the relay."""
    query = update.callback_query
    assert query is not None
    actor = await context.actor(update)
    t = context.t(actor)
    cb = cbdata.decode(query.data, views.RELAY)
    request_id = cb.int_arg() if cb else None
    if request_id is None:
        await answer_expired(query, t)
        return
    try:
        request = await context.services.tasks.relay_target(actor, request_id)
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    await query.answer()
    _await(context, "relay", request_id)
    await reply(update, context, views.relay_prompt(t, request))


async def awaited_answer(update: Update, context: GridContext) -> None:
    """The text (or, for Done, photos then text) the bot asked for."""
    assert update.message is not None and context.user_data is not None
    actor = await context.actor(update)
    svc = context.services
    t = context.t(actor)
    awaiting = context.user_data.get(AWAITING_KEY) or {}
    kind, request_id = awaiting.get("kind"), int(awaiting.get("request_id", 0))
    if kind == "done" and update.message.photo:
        awaiting["photos"] = [*awaiting.get("photos", []), update.message.photo[-1].file_id]
        context.user_data[AWAITING_KEY] = awaiting
        await reply(update, context, views.done_photo(t, len(awaiting["photos"])))
        return
    text = update.message.text
    if text is None:
        await reply(update, context, OutMessage(t("Please send some text.")))
        return
    try:
        if kind == "note":
            await svc.tasks.note(actor, request_id, text)
            message = views.noted(t)
        elif kind == "relay":
            await svc.tasks.relay(actor, request_id, text)
            message = views.relayed(t)
        elif kind == "return":
            request = await svc.tasks.give_back(actor, request_id, text)
            message = views.handed_back(t, request)
        elif kind == "decline":
            request = await svc.dispatch.decline(actor, request_id, text)
            message = views.declined(t, request)
        else:
            request = await svc.tasks.done(actor, request_id, text, awaiting.get("photos", []))
            message = views.resolved_for_member(t, request)
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    context.user_data.pop(AWAITING_KEY, None)
    await reply(update, context, message)


def handlers(i18n: I18n, user_data: Mapping[int, dict[str, Any]]) -> list[BaseHandler]:  # type: ignore[type-arg]
    all_menu = {s for label, _ in MAIN_MENU for s in i18n.all_translations(label)}
    waiting = Awaiting(user_data, KINDS)
    return [
        CallbackQueryHandler(accept, pattern=rf"^{views.TASK}1:acc:"),
        CallbackQueryHandler(task_button, pattern=cbdata.pattern(views.TASK)),
        CallbackQueryHandler(relay_button, pattern=cbdata.pattern(views.RELAY)),
        CommandHandler("tasks", my_tasks, filters.ChatType.PRIVATE),
        MessageHandler(waiting & ~filters.COMMAND & ~menu_labels(all_menu), awaited_answer),
    ]
