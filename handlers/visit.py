"""走访: /visit, a short conversation to log a household visit."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from enum import IntEnum
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot import cbdata
from bot.context import GridContext
from bot.errors import DomainError
from bot.i18n import I18n
from bot.messages import OutMessage
from bot.models.visits import VisitForm
from bot.services.intake import AWAITING_KEY
from bot.services.people import Actor
from bot.views import visits as views
from bot.views.common import MAIN_MENU, esc
from bot.views.requests import SKIP
from handlers.common import answer_expired, edit, flow_end, reply, say_error
from handlers.filters import Awaiting, menu_labels

__all__ = ["FORM_KEY", "handlers"]

LOG = logging.getLogger(__name__)

FORM_KEY = "visit"
END = ConversationHandler.END
StepHandler = BaseHandler[Update, GridContext, int]


class VisitState(IntEnum):
    COMPOUND = 1
    HOUSEHOLDS = 2
    PEOPLE = 3
    NOTE = 4
    OPINION = 5
    SUMMARY = 6


def _load(context: GridContext) -> VisitForm | None:
    data = (context.user_data or {}).get(FORM_KEY)
    return VisitForm.model_validate(data) if data else None


def _save(context: GridContext, form: VisitForm) -> None:
    assert context.user_data is not None
    context.user_data[FORM_KEY] = form.model_dump(mode="json")


async def _prompt(update: Update, context: GridContext, actor: Actor, form: VisitForm) -> int:
    t = context.t(actor)
    svc = context.services
    language = actor.person.language or svc.i18n.default
    if form.step == "compound":
        compounds = await svc.visits.compounds(actor)
        await reply(update, context, views.compound_prompt(t, language, compounds))
        return VisitState.COMPOUND
    if form.step == "households":
        await reply(update, context, views.households_prompt(t))
        return VisitState.HOUSEHOLDS
    if form.step == "people":
        await reply(update, context, views.people_prompt(t))
        return VisitState.PEOPLE
    if form.step == "note":
        await reply(update, context, views.note_prompt(t))
        return VisitState.NOTE
    if form.step == "opinion":
        await reply(update, context, views.opinion_prompt(t))
        return VisitState.OPINION
    assert form.compound_id is not None
    compound = await svc.org.unit(form.compound_id)
    assert compound is not None
    await reply(update, context, views.summary(t, language, form, compound, actor.roles))
    return VisitState.SUMMARY


async def _go(
    update: Update, context: GridContext, actor: Actor, form: VisitForm, step: str
) -> int:
    form.step = step
    _save(context, form)
    return await _prompt(update, context, actor, form)


async def _form(update: Update, context: GridContext) -> tuple[Actor, VisitForm | None]:
    actor = await context.actor(update)
    form = _load(context)
    if form is None:
        t = context.t(actor)
        if update.callback_query is not None:
            await answer_expired(update.callback_query, t)
        else:
            await reply(
                update,
                context,
                OutMessage(t("This menu has expired. Please use the latest message.")),
            )
    return actor, form


async def start(update: Update, context: GridContext) -> int:
    """Begin logging a visit (members only)."""
    actor = await context.actor(update)
    try:
        await context.services.visits.compounds(actor)
    except DomainError as err:
        await say_error(update, context, context.t(actor), err)
        return END
    if context.user_data is not None:  # a started visit log takes the next texts
        context.user_data.pop(AWAITING_KEY, None)
    form = VisitForm()
    _save(context, form)
    return await _prompt(update, context, actor, form)


async def choose_compound(update: Update, context: GridContext) -> int:
    """Store the compound visited."""
    query = update.callback_query
    assert query is not None
    actor, form = await _form(update, context)
    if form is None:
        return END
    cb = cbdata.decode(query.data, views.VISIT)
    compound_id = cb.int_arg() if cb else None
    compounds = {u.id: u for u in await context.services.visits.compounds(actor)}
    if compound_id not in compounds:
        await answer_expired(query, context.t(actor))
        return VisitState.COMPOUND
    await query.answer()
    language = actor.person.language or context.services.i18n.default
    await edit(query, OutMessage("✔ " + esc(compounds[compound_id].label(language))))
    form.compound_id = compound_id
    return await _go(update, context, actor, form, "households")


async def number(update: Update, context: GridContext) -> int:
    """Households or residents: a number."""
    actor, form = await _form(update, context)
    if form is None:
        return END
    assert update.message is not None and update.message.text is not None
    try:
        if form.step == "households":
            form.set_households(update.message.text)
            return await _go(update, context, actor, form, "people")
        form.set_people(update.message.text)
    except DomainError as err:
        await say_error(update, context, context.t(actor), err)
        return VisitState.HOUSEHOLDS if form.step == "households" else VisitState.PEOPLE
    return await _go(update, context, actor, form, "note")


async def text_step(update: Update, context: GridContext) -> int:
    """The note or the opinion (Skip leaves it empty)."""
    actor, form = await _form(update, context)
    if form is None:
        return END
    assert update.message is not None and update.message.text is not None
    text = update.message.text
    skip = text in context.services.i18n.all_translations(SKIP)
    try:
        if form.step == "note":
            if not skip:
                form.set_note(text)
            return await _go(update, context, actor, form, "opinion")
        if not skip:
            form.set_opinion(text)
    except DomainError as err:
        await say_error(update, context, context.t(actor), err)
        return VisitState.NOTE if form.step == "note" else VisitState.OPINION
    return await _go(update, context, actor, form, "summary")


async def confirm(update: Update, context: GridContext) -> int:
    """Log the visit."""
    query = update.callback_query
    assert query is not None
    actor, form = await _form(update, context)
    if form is None:
        return END
    t = context.t(actor)
    try:
        # The visit and the end of this conversation commit together.
        visit = await context.services.visits.log(
            actor, form, flow_end(update, context, FORM_KEY, form.nonce)
        )
    except DomainError as err:
        await say_error(update, context, t, err)
        return VisitState.SUMMARY
    await query.answer()
    await query.edit_message_reply_markup(None)
    await reply(update, context, views.logged(t, visit, actor.roles))
    return END


async def cancel(update: Update, context: GridContext) -> int:
    """Drop the visit being logged."""
    actor = await context.actor(update)
    if context.user_data is not None:
        context.user_data.pop(FORM_KEY, None)
    if update.callback_query is not None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_reply_markup(None)
    await reply(update, context, views.cancelled(context.t(actor), actor.roles))
    return END


async def reprompt(update: Update, context: GridContext) -> int:
    """Something that does not fit this step."""
    actor, form = await _form(update, context)
    if form is None:
        return END
    if update.callback_query is not None:
        await answer_expired(update.callback_query, context.t(actor))
    return await _prompt(update, context, actor, form)


def handlers(i18n: I18n, user_data: Mapping[int, dict[str, Any]]) -> list[BaseHandler]:  # type: ignore[type-arg]
    all_menu = {s for label, _ in MAIN_MENU for s in i18n.all_translations(label)}
    free = ~Awaiting(user_data) & filters.ChatType.PRIVATE
    text = filters.TEXT & ~filters.COMMAND & ~menu_labels(all_menu) & free
    other = ~filters.COMMAND & ~menu_labels(all_menu) & free
    stale: StepHandler = CallbackQueryHandler(
        reprompt, pattern=rf"^{views.VISIT}\d+:(?!cancel(:|$))"
    )
    catch: StepHandler = MessageHandler(other, reprompt)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        states: dict[object, list[StepHandler]] = {
            VisitState.COMPOUND: [
                CallbackQueryHandler(choose_compound, rf"^{views.VISIT}1:c:"),
                stale,
                catch,
            ],
            VisitState.HOUSEHOLDS: [MessageHandler(text, number), stale, catch],
            VisitState.PEOPLE: [MessageHandler(text, number), stale, catch],
            VisitState.NOTE: [MessageHandler(text, text_step), stale, catch],
            VisitState.OPINION: [MessageHandler(text, text_step), stale, catch],
            VisitState.SUMMARY: [
                CallbackQueryHandler(confirm, rf"^{views.VISIT}1:ok"),
                stale,
                catch,
            ],
        }
        conversation: ConversationHandler[GridContext] = ConversationHandler(
            name=FORM_KEY,
            persistent=True,
            allow_reentry=True,
            entry_points=[CommandHandler("visit", start, filters.ChatType.PRIVATE)],
            states=states,  # type: ignore[arg-type]
            fallbacks=[
                CommandHandler("cancel", cancel),
                CallbackQueryHandler(cancel, rf"^{views.VISIT}1:cancel"),
            ],
        )
    return [conversation]
