"""党员接单: Accept / Decline on task cards, /tasks, working a task, the masked relay.

Free-form answers (a progress note, a relayed message, a reason, the completion note) are
waits kept in the person's user data, answered by :func:`awaited_answer`.
"""

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
from bot.views import tasks as views
from bot.views.common import MAIN_MENU
from handlers.buttons import Buttons, Press
from handlers.common import reply, say_error
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


TASK: Buttons[None] = Buttons(views.TASK)
RELAY: Buttons[None] = Buttons(views.RELAY)


@TASK.on("acc")
async def accept(press: Press) -> None:
    """接单: the first press wins; a late one hears who took it."""
    request = await press.services.dispatch.accept(press.actor, press.int(0))
    await press.answer(press.t("Accepted. Thank you!"))
    await press.reply(views.accepted_ack(press.t, request))


async def my_tasks(update: Update, context: GridContext) -> None:
    """List the member's open tasks."""
    actor = await context.actor(update)
    svc = context.services
    items = await svc.tasks.my_tasks(actor)
    language = actor.person.language or svc.i18n.default
    await reply(
        update, context, views.tasks_list(context.t(actor), language, items, svc.clock.now())
    )


async def _detail(press: Press) -> OutMessage:
    """The task as it stands now, with its buttons."""
    svc = press.services
    view = await svc.tasks.task(press.actor, press.int(0))
    return views.task_detail(press.t, press.language, view, svc.clock.now(), svc.config.tz)


@TASK.on("open")
async def open_task(press: Press) -> None:
    """Show one task with what the member can do."""
    message = await _detail(press)
    await press.answer()
    await press.reply(message)


@TASK.on("go")
async def on_my_way(press: Press) -> None:
    """On my way: the resident is told."""
    await press.services.tasks.start(press.actor, press.int(0))
    message = await _detail(press)
    await press.answer(press.t("The resident has been told you are on the way."))
    await press.edit(message)


@TASK.on("wait", "work")
async def waiting(press: Press) -> None:
    """Pause the clock while waiting for the resident, or start it again."""
    await press.services.waiting.set_waiting(press.actor, press.int(0), press.action == "wait")
    message = await _detail(press)
    await press.answer()
    await press.edit(message)


@TASK.on(*_PROMPTS)
async def ask_text(press: Press) -> None:
    """Begin a note, a message, a hand-back, a decline or done: the text comes next."""
    svc, request_id = press.services, press.int(0)
    if press.action == "dec":
        request = await svc.dispatch.offered(press.actor, request_id)
    elif press.action == "msg":  # is there anyone to write to?
        request = await svc.tasks.relay_target(press.actor, request_id)
    else:
        request = (await svc.tasks.task(press.actor, request_id)).request
    await press.answer()
    _await(press.context, _KIND_OF[press.action], request_id)
    await press.reply(_PROMPTS[press.action](press.t, request))


@RELAY.on("w")
async def relay(press: Press) -> None:
    """'Message the helper' / 'Reply': the next text goes through the relay."""
    request = await press.services.tasks.relay_target(press.actor, press.int(0))
    await press.answer()
    _await(press.context, "relay", request.id)
    await press.reply(views.relay_prompt(press.t, request))


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
        TASK.handler(),
        RELAY.handler(),
        CommandHandler("tasks", my_tasks, filters.ChatType.PRIVATE),
        MessageHandler(waiting & ~filters.COMMAND & ~menu_labels(all_menu), awaited_answer),
    ]
