"""Raising a request (群众点单): the guided intake conversation.

Steps: category (then "me too" if neighbours reported the same), description, photos, place,
urgency, phone, summary with Confirm / Edit / Cancel. The draft lives in the person's user data
(persisted in SQLite), so a restart loses nothing; an idle draft is set aside by the sweep.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Mapping
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
from bot.models import Request
from bot.models.intake import Draft, Step
from bot.services.intake import AWAITING_KEY, DRAFT_KEY
from bot.services.people import Actor
from bot.views import requests as views
from bot.views.common import MAIN_MENU, RAISE_REQUEST
from handlers.common import (
    alongside,
    answer_expired,
    close_button,
    flow_end,
    reply,
    say_error,
)
from handlers.filters import Awaiting, menu_labels
from handlers.onboarding import is_onboarded, prompt_current_step

__all__ = ["DRAFT_KEY", "IntakeState", "handlers"]

LOG = logging.getLogger(__name__)

END = ConversationHandler.END
StepHandler = BaseHandler[Update, GridContext, int]


class IntakeState(IntEnum):
    CATEGORY = 1
    ME_TOO = 2
    DESCRIPTION = 3
    PHOTOS = 4
    PLACE = 5
    URGENCY = 6
    CONTACT = 7
    SUMMARY = 8
    EDIT = 9


_STATE_OF = {
    Step.CATEGORY: IntakeState.CATEGORY,
    Step.ME_TOO: IntakeState.ME_TOO,
    Step.DESCRIPTION: IntakeState.DESCRIPTION,
    Step.PHOTOS: IntakeState.PHOTOS,
    Step.PLACE: IntakeState.PLACE,
    Step.URGENCY: IntakeState.URGENCY,
    Step.CONTACT: IntakeState.CONTACT,
    Step.SUMMARY: IntakeState.SUMMARY,
}
_NEXT = {
    Step.CATEGORY: Step.DESCRIPTION,
    Step.ME_TOO: Step.DESCRIPTION,
    Step.DESCRIPTION: Step.PHOTOS,
    Step.PHOTOS: Step.PLACE,
    Step.PLACE: Step.URGENCY,
    Step.URGENCY: Step.CONTACT,
    Step.CONTACT: Step.SUMMARY,
}


# -- the draft in user data ---------------------------------------------------------------
def load_draft(context: GridContext) -> Draft | None:
    data = (context.user_data or {}).get(DRAFT_KEY)
    return Draft.model_validate(data) if data else None


def save_draft(context: GridContext, draft: Draft) -> None:
    assert context.user_data is not None
    draft.touched_at = context.services.clock.now()
    context.user_data[DRAFT_KEY] = draft.model_dump(mode="json")


def drop_draft(context: GridContext) -> None:
    if context.user_data is not None:
        context.user_data.pop(DRAFT_KEY, None)


async def show_step(update: Update, context: GridContext, actor: Actor, draft: Draft) -> int:
    """Send the prompt of the draft's current step; return its state."""
    svc = context.services
    t = context.t(actor)
    language = actor.person.language or svc.i18n.default
    step = draft.step
    if step is Step.CATEGORY:
        await reply(
            update, context, views.category_prompt(t, language, await svc.requests.categories())
        )
    elif step is Step.ME_TOO:
        assert draft.category_id is not None
        similar = await svc.requests.similar(actor, draft.category_id)
        if not similar:
            draft.step = Step.DESCRIPTION
            save_draft(context, draft)
            return await show_step(update, context, actor, draft)
        await reply(update, context, views.me_too_prompt(t, language, similar, svc.clock.now()))
    elif step is Step.DESCRIPTION:
        chosen = None
        if draft.category_id is not None:
            chosen = (await svc.requests.category(draft.category_id)).label(language)
        await reply(update, context, views.description_prompt(t, chosen))
    elif step is Step.PHOTOS:
        await reply(update, context, views.photos_prompt(t, len(draft.photos)))
    elif step is Step.PLACE:
        await reply(update, context, views.place_prompt(t))
    elif step is Step.URGENCY:
        await reply(update, context, views.urgency_prompt(t))
    elif step is Step.CONTACT:
        await reply(update, context, views.contact_prompt(t))
    else:
        await reply(update, context, await _summary(context, actor, draft))
    return _STATE_OF[step]


async def _summary(context: GridContext, actor: Actor, draft: Draft) -> OutMessage:
    svc = context.services
    assert draft.category_id is not None and actor.person.home_unit_id is not None
    category = await svc.requests.category(draft.category_id, fresh=True)
    home = await svc.org.unit(actor.person.home_unit_id)
    path = await svc.org.path(home) if home else []
    language = actor.person.language or svc.i18n.default
    return views.summary(
        context.t(actor), language, draft, category, path, actor.person.display_name
    )


async def advance(update: Update, context: GridContext, actor: Actor, draft: Draft) -> int:
    """Go to the next step, or back to the summary when editing one step."""
    if draft.editing or draft.step is Step.CONTACT:
        draft.step = Step.SUMMARY
        draft.editing = False
    else:
        draft.step = _NEXT[draft.step]
    save_draft(context, draft)
    return await show_step(update, context, actor, draft)


async def _draft_or_expired(update: Update, context: GridContext) -> tuple[Actor, Draft | None]:
    """The actor and their draft; tells them when the draft is gone (set aside while idle)."""
    actor = await context.actor(update)
    draft = load_draft(context)
    if draft is None:
        t = context.t(actor)
        if update.callback_query is not None:
            await answer_expired(update.callback_query, t)
        minutes = context.services.config.requests.conversation_timeout_minutes
        await reply(update, context, views.intake_expired(t, minutes))
    return actor, draft


# -- entry and leaving ---------------------------------------------------------------------
async def start(update: Update, context: GridContext) -> int:
    """Begin a request, or continue the unfinished one."""
    actor = await context.actor(update)
    if not is_onboarded(actor) or actor.person.home_unit_id is None:
        await prompt_current_step(update, context, actor)
        return END
    if context.user_data is not None:
        context.user_data.pop(AWAITING_KEY, None)
    draft = load_draft(context)
    if draft is not None:
        await reply(update, context, views.intake_continues(context.t(actor)))
    else:
        draft = Draft()
        save_draft(context, draft)
    return await show_step(update, context, actor, draft)


async def cancel(update: Update, context: GridContext) -> int:
    """Drop the draft (/cancel or the Cancel button)."""
    actor = await context.actor(update)
    drop_draft(context)
    if context.user_data is not None:
        context.user_data.pop(AWAITING_KEY, None)
    t = context.t(actor)
    if update.callback_query is not None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_reply_markup(None)
    await reply(update, context, views.intake_cancelled(t, actor.roles))
    return END


async def stale_button(update: Update, context: GridContext) -> int:
    """An intake button from an old message: say so and show the current step again."""
    query = update.callback_query
    assert query is not None
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    await answer_expired(query, context.t(actor))
    return await show_step(update, context, actor, draft)


async def reprompt(update: Update, context: GridContext) -> int:
    """Something that does not fit this step (a sticker, a voice note, text for a button)."""
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    t = context.t(actor)
    if draft.step is Step.DESCRIPTION:
        await reply(update, context, views.description_reprompt(t))
        return IntakeState.DESCRIPTION
    if draft.step is Step.PLACE:
        await reply(update, context, views.place_reprompt(t))
        return IntakeState.PLACE
    if draft.step is Step.CONTACT:
        await reply(update, context, views.contact_reprompt(t))
        return IntakeState.CONTACT
    return await show_step(update, context, actor, draft)


# -- the steps -------------------------------------------------------------------------------
async def choose_category(update: Update, context: GridContext) -> int:
    """Store the category; offer "me too" when neighbours reported the same."""
    query = update.callback_query
    assert query is not None
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    cb = cbdata.decode(query.data, views.INTAKE)
    category_id = cb.int_arg() if cb else None
    try:
        if category_id is None:
            raise LookupError
        category = await context.services.requests.category(category_id)
    except (LookupError, DomainError):
        return await stale_button(update, context)
    # The next prompt repeats the choice; the old menu keeps its buttons (a later press on it
    # is answered as expired), which saves a round trip on every step.
    draft.category_id = category.id
    if draft.editing:
        return await alongside(query.answer(), advance(update, context, actor, draft))
    draft.step = Step.ME_TOO
    save_draft(context, draft)
    return await alongside(query.answer(), show_step(update, context, actor, draft))


async def not_the_same(update: Update, context: GridContext) -> int:
    """None of the neighbours' requests is this one: go on to the description."""
    query = update.callback_query
    assert query is not None
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    return await alongside(query.answer(), advance(update, context, actor, draft))


async def me_too(update: Update, context: GridContext) -> int:
    """Follow a neighbour's request instead of filing a duplicate."""
    query = update.callback_query
    assert query is not None
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    cb = cbdata.decode(query.data, views.INTAKE)
    request_id = cb.int_arg() if cb else None
    try:
        request = await context.services.requests.support(
            actor, request_id or 0, flow_end(update, context, DRAFT_KEY, draft.nonce)
        )
    except DomainError as err:
        await say_error(update, context, context.t(actor), err)
        return IntakeState.ME_TOO
    await alongside(
        close_button(query),
        reply(update, context, views.supported(context.t(actor), request, actor.roles)),
    )
    return END


async def _store_and_advance(
    update: Update, context: GridContext, state: IntakeState, store: Callable[[Draft], None]
) -> int:
    """Put the person's answer into the draft and go on; an answer the draft refuses gets the
    reason and the same step again."""
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    try:
        store(draft)
    except DomainError as err:
        await say_error(update, context, context.t(actor), err)
        return state
    return await advance(update, context, actor, draft)


async def description(update: Update, context: GridContext) -> int:
    """Store the description (1 to 2,000 characters; longer ones are sent back)."""
    assert update.message is not None and update.message.text is not None
    text = update.message.text
    return await _store_and_advance(
        update, context, IntakeState.DESCRIPTION, lambda draft: draft.set_description(text)
    )


async def photo(update: Update, context: GridContext) -> int:
    """Add a photo (up to 5)."""
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    assert update.message is not None and update.message.photo
    t = context.t(actor)
    try:
        draft.add_photo(update.message.photo[-1].file_id)
    except DomainError as err:
        await say_error(update, context, t, err)
        return IntakeState.PHOTOS
    save_draft(context, draft)
    await reply(update, context, views.photos_prompt(t, len(draft.photos)))
    return IntakeState.PHOTOS


async def photos_done(update: Update, context: GridContext) -> int:
    """Leave the photo step."""
    query = update.callback_query
    assert query is not None
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    return await alongside(query.answer(), advance(update, context, actor, draft))


async def location(update: Update, context: GridContext) -> int:
    """Store a shared location."""
    assert update.message is not None and update.message.location is not None
    loc = update.message.location
    return await _store_and_advance(
        update,
        context,
        IntakeState.PLACE,
        lambda draft: draft.set_location(loc.latitude, loc.longitude),
    )


async def address(update: Update, context: GridContext) -> int:
    """Store a typed address (building, unit)."""
    assert update.message is not None and update.message.text is not None
    text = update.message.text
    return await _store_and_advance(
        update, context, IntakeState.PLACE, lambda draft: draft.set_address(text)
    )


async def skip(update: Update, context: GridContext) -> int:
    """Skip the place or the phone."""
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    if draft.step is Step.CONTACT:
        draft.phone = None
    return await advance(update, context, actor, draft)


async def urgency(update: Update, context: GridContext) -> int:
    """Yes makes the request urgent; no keeps the category's tier."""
    query = update.callback_query
    assert query is not None
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    cb = cbdata.decode(query.data, views.INTAKE)
    if cb is None or cb.arg() not in ("y", "n"):
        return await stale_button(update, context)
    draft.urgent = cb.arg() == "y"
    return await alongside(query.answer(), advance(update, context, actor, draft))


async def contact(update: Update, context: GridContext) -> int:
    """Store the resident's own phone number."""
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    assert update.message is not None and update.message.contact is not None
    shared = update.message.contact
    if shared.user_id != actor.person.telegram_id:
        await reply(update, context, views.contact_reprompt(context.t(actor)))
        return IntakeState.CONTACT
    draft.phone = shared.phone_number
    return await advance(update, context, actor, draft)


async def confirm(update: Update, context: GridContext) -> int:
    """File the request: committed before the reply that gives its number."""
    query = update.callback_query
    assert query is not None
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    cb = cbdata.decode(query.data, views.INTAKE)
    if cb is None or cb.arg() != draft.nonce:
        return await stale_button(update, context)
    t = context.t(actor)
    try:
        # The request and the end of this conversation commit together.
        request, _new = await context.services.requests.submit(
            actor, draft, flow_end(update, context, DRAFT_KEY, draft.nonce)
        )
    except DomainError as err:
        await say_error(update, context, t, err)
        return IntakeState.SUMMARY
    # The number is told only now, after the commit above.
    return await _tell_filed(update, context, actor, request)


async def _tell_filed(update: Update, context: GridContext, actor: Actor, request: Request) -> int:
    query = update.callback_query
    assert query is not None
    category = await context.services.requests.category(request.category_id)
    t = context.t(actor)
    await alongside(
        query.answer(), reply(update, context, views.filed(t, request, category, actor.roles))
    )
    return END


async def confirmed_again(update: Update, context: GridContext) -> None:
    """Confirm pressed after the intake ended (twice, or again after a restart lost the
    reply): the number of what it filed, or "expired" if it filed nothing."""
    query = update.callback_query
    assert query is not None
    actor = await context.actor(update)
    cb = cbdata.decode(query.data, views.INTAKE)
    request = await context.services.requests.filed(actor, cb.arg() or "") if cb else None
    if request is None:
        await answer_expired(query, context.t(actor))
        return
    await _tell_filed(update, context, actor, request)


async def toggle_anonymous(update: Update, context: GridContext) -> int:
    """Switch hiding the name and phone from members."""
    query = update.callback_query
    assert query is not None
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    cb = cbdata.decode(query.data, views.INTAKE)
    if cb is None or cb.arg() != draft.nonce:
        return await stale_button(update, context)
    draft.anonymous = not draft.anonymous
    save_draft(context, draft)
    await close_button(query, await _summary(context, actor, draft))
    return IntakeState.SUMMARY


async def edit_menu(update: Update, context: GridContext) -> int:
    """Offer the steps to jump back to."""
    query = update.callback_query
    assert query is not None
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    await close_button(query, views.edit_menu(context.t(actor)))
    return IntakeState.EDIT


async def goto_step(update: Update, context: GridContext) -> int:
    """Jump to one step; after it, come back to the summary."""
    query = update.callback_query
    assert query is not None
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    cb = cbdata.decode(query.data, views.INTAKE)
    if cb is None:
        return await stale_button(update, context)
    closing = query.answer()
    target = cb.arg()
    if cb.action == "goto" and target in {s.value for s in views.STEP_NAMES}:
        draft.step = Step(target)
        draft.editing = True
        if draft.step is Step.PHOTOS:
            draft.photos = []
        if draft.step is Step.PLACE:
            draft.clear_place()
    else:
        draft.step = Step.SUMMARY
        draft.editing = False
    save_draft(context, draft)
    return await alongside(closing, show_step(update, context, actor, draft))


def handlers(i18n: I18n, user_data: Mapping[int, dict[str, Any]]) -> list[BaseHandler]:  # type: ignore[type-arg]
    """The intake conversation; ``user_data`` backs the "awaiting an answer" filter."""
    start_labels = i18n.all_translations(RAISE_REQUEST)
    all_menu = {s for label, _ in MAIN_MENU for s in i18n.all_translations(label)}
    skip_labels = i18n.all_translations(views.SKIP)
    free = ~Awaiting(user_data) & filters.ChatType.PRIVATE
    text = filters.TEXT & ~filters.COMMAND & ~menu_labels(all_menu) & free
    other = ~filters.COMMAND & ~menu_labels(all_menu) & free

    def own(action: str) -> str:
        return rf"^{views.INTAKE}1:{action}(:|$)"

    # Any other intake button (but Cancel, which the fallbacks take) is from an old message.
    stale: StepHandler = CallbackQueryHandler(
        stale_button, pattern=rf"^{views.INTAKE}\d+:(?!cancel(:|$))"
    )
    catch: StepHandler = MessageHandler(other, reprompt)
    with warnings.catch_warnings():
        # Callback queries are tracked per chat on purpose (per_message=False).
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        states: dict[object, list[StepHandler]] = {
            IntakeState.CATEGORY: [
                CallbackQueryHandler(choose_category, own("cat")),
                stale,
                catch,
            ],
            IntakeState.ME_TOO: [
                CallbackQueryHandler(me_too, own("mt")),
                CallbackQueryHandler(not_the_same, own("mtno")),
                stale,
                catch,
            ],
            IntakeState.DESCRIPTION: [MessageHandler(text, description), stale, catch],
            IntakeState.PHOTOS: [
                MessageHandler(filters.PHOTO & free, photo),
                CallbackQueryHandler(photos_done, own("photos")),
                stale,
                catch,
            ],
            IntakeState.PLACE: [
                MessageHandler(filters.LOCATION & free, location),
                MessageHandler(menu_labels(skip_labels) & free, skip),
                MessageHandler(text, address),
                stale,
                catch,
            ],
            IntakeState.URGENCY: [CallbackQueryHandler(urgency, own("urg")), stale, catch],
            IntakeState.CONTACT: [
                MessageHandler(filters.CONTACT & free, contact),
                MessageHandler(menu_labels(skip_labels) & free, skip),
                stale,
                catch,
            ],
            IntakeState.SUMMARY: [
                CallbackQueryHandler(confirm, own("ok")),
                CallbackQueryHandler(toggle_anonymous, own("anon")),
                CallbackQueryHandler(edit_menu, own("edit")),
                stale,
                catch,
            ],
            IntakeState.EDIT: [CallbackQueryHandler(goto_step, own("goto|sum")), stale, catch],
        }
        conversation: ConversationHandler[GridContext] = ConversationHandler(
            name=DRAFT_KEY,
            persistent=True,
            allow_reentry=True,
            entry_points=[
                CommandHandler("request", start, filters.ChatType.PRIVATE),
                MessageHandler(menu_labels(start_labels) & filters.ChatType.PRIVATE, start),
            ],
            states=states,  # type: ignore[arg-type]
            fallbacks=[
                CommandHandler("cancel", cancel),
                CallbackQueryHandler(cancel, own("cancel")),
            ],
        )
    # Outside the conversation: a Confirm pressed again once the intake has ended.
    return [conversation, CallbackQueryHandler(confirmed_again, own("ok"))]
