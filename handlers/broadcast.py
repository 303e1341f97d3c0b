"""/broadcast: an administrator's notice to their area, with a live progress message; /broadcasts.

Steps: who (residents, members or both), where (a drill-down inside the admin's scope), which
members (all, one type or one team; members only), the text and an optional photo, then a
preview of the exact message with the exact recipient count: Send / Bold title / Edit / Cancel.
The draft lives in the admin's user data (persisted), so a restart loses nothing.

After Send the direct reply is the progress message. A repeating job (``BROADCAST <id>``, every
``[broadcast] progress_seconds``) edits it with the counts of the outbox batch until nothing is
left, then turns it into the final report and removes itself. :func:`resume_progress` re-creates
the jobs after a restart; the Stop button on the progress message cancels what is not sent yet.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from telegram import Bot, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    Application,
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
from bot.errors import DomainError, InvalidTransition
from bot.i18n import I18n
from bot.messages import OutMessage
from bot.models import MemberType
from bot.models.broadcast import AudienceKind
from bot.outbox import ptb_markup
from bot.services.broadcast import Audience, BroadcastDraft, DraftStep
from bot.services.people import Actor
from bot.views import broadcast as views
from bot.views.common import MAIN_MENU, esc
from bot.views.registration import TYPE_NAMES
from handlers.common import answer_expired, edit, flow_end, reply, say_error
from handlers.filters import AWAITING_KEY, Awaiting, menu_labels

if TYPE_CHECKING:
    from bot.services import Services

__all__ = [
    "DRAFT_KEY",
    "ComposeState",
    "handlers",
    "job_name",
    "refresh_progress",
    "resume_progress",
    "schedule_progress",
]

LOG = logging.getLogger(__name__)

DRAFT_KEY = "broadcast"
END = ConversationHandler.END
StepHandler = BaseHandler[Update, GridContext, int]
App = Application  # type: ignore[type-arg]


class ComposeState(IntEnum):
    KIND = 1
    AREA = 2
    FILTER = 3
    COMPOSE = 4
    PREVIEW = 5
    EDIT = 6


_STATE_OF = {
    DraftStep.KIND: ComposeState.KIND,
    DraftStep.AREA: ComposeState.AREA,
    DraftStep.FILTER: ComposeState.FILTER,
    DraftStep.COMPOSE: ComposeState.COMPOSE,
    DraftStep.PREVIEW: ComposeState.PREVIEW,
    DraftStep.EDIT: ComposeState.EDIT,
}


def job_name(broadcast_id: int) -> str:
    """The progress job of one broadcast (one per broadcast, found again by its name)."""
    return f"BROADCAST {broadcast_id}"


# -- the draft in user data ---------------------------------------------------------------
def _load(context: GridContext) -> BroadcastDraft | None:
    data = (context.user_data or {}).get(DRAFT_KEY)
    return BroadcastDraft.model_validate(data) if data else None


def _save(context: GridContext, draft: BroadcastDraft) -> None:
    assert context.user_data is not None
    context.user_data[DRAFT_KEY] = draft.model_dump(mode="json")


def _drop(context: GridContext) -> None:
    if context.user_data is not None:
        context.user_data.pop(DRAFT_KEY, None)


def _language(context: GridContext, actor: Actor) -> str:
    return actor.person.language or context.services.i18n.default


async def _draft_or_expired(
    update: Update, context: GridContext
) -> tuple[Actor, BroadcastDraft | None]:
    """The actor and their draft; tells them when there is none any more."""
    actor = await context.actor(update)
    draft = _load(context)
    if draft is None:
        t = context.t(actor)
        if update.callback_query is not None:
            await answer_expired(update.callback_query, t)
        await reply(
            update, context, OutMessage(t("This notice is gone. Send /broadcast to start again."))
        )
    return actor, draft


async def show_step(
    update: Update, context: GridContext, actor: Actor, draft: BroadcastDraft
) -> int:
    """Send the prompt of the draft's current step; return its state."""
    svc = context.services.broadcast
    t = context.t(actor)
    language = _language(context, actor)
    try:
        if draft.step is DraftStep.KIND:
            await reply(update, context, views.kind_prompt(t))
        elif draft.step is DraftStep.AREA:
            choice = await svc.browse(actor, draft.browsing)
            await reply(update, context, views.area_prompt(t, language, choice))
        elif draft.step is DraftStep.FILTER:
            await reply(update, context, views.filter_prompt(t, language, await svc.teams()))
        elif draft.step is DraftStep.COMPOSE:
            if draft.photo and not draft.text:
                await reply(update, context, views.text_needed(t))
            else:
                reach = await svc.reach(actor, draft.audience())
                await reply(update, context, views.compose_prompt(t, language, reach))
        elif draft.step is DraftStep.PREVIEW:
            return await show_preview(update, context, actor, draft)
        else:
            await reply(update, context, views.edit_menu(t))
    except DomainError as err:
        return await _give_up(update, context, actor, err)
    return _STATE_OF[draft.step]


async def _give_up(update: Update, context: GridContext, actor: Actor, err: DomainError) -> int:
    """The draft cannot go on (the admin lost the area, a team is gone): say why, drop it."""
    _drop(context)
    t = context.t(actor)
    params = {k: esc(t(str(v))) for k, v in err.params.items()}
    await reply(update, context, OutMessage(t(err.message).format(**params)))
    return END


async def show_preview(
    update: Update, context: GridContext, actor: Actor, draft: BroadcastDraft
) -> int:
    """The notice exactly as people will get it, then the count and the buttons."""
    t = context.t(actor)
    try:
        reach = await context.services.broadcast.reach(actor, draft.audience())
    except DomainError as err:
        return await _give_up(update, context, actor, err)
    nonce = draft.renew()
    draft.step = DraftStep.PREVIEW
    _save(context, draft)
    await reply(update, context, draft.content().message())
    await reply(
        update,
        context,
        views.preview_control(
            t, _language(context, actor), reach, bold_title=draft.bold_title, nonce=nonce
        ),
    )
    return ComposeState.PREVIEW


async def _go(update: Update, context: GridContext, actor: Actor, draft: BroadcastDraft) -> int:
    """Save the draft and show its step."""
    _save(context, draft)
    return await show_step(update, context, actor, draft)


# -- entry and leaving ---------------------------------------------------------------------
async def start(update: Update, context: GridContext) -> int:
    """Begin a notice (administrators only)."""
    actor = await context.actor(update)
    try:
        await context.services.broadcast.begin(actor)
    except DomainError as err:
        await say_error(update, context, context.t(actor), err)
        return END
    if context.user_data is not None:
        context.user_data.pop(AWAITING_KEY, None)
    return await _go(update, context, actor, BroadcastDraft())


async def cancel(update: Update, context: GridContext) -> int:
    """Drop the draft (/cancel or the Cancel button)."""
    actor = await context.actor(update)
    _drop(context)
    if update.callback_query is not None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_reply_markup(None)
    await reply(update, context, views.cancelled(context.t(actor), actor.roles))
    return END


async def stale_button(update: Update, context: GridContext) -> int:
    """A button of another step or an old preview: say so and show the current step."""
    query = update.callback_query
    assert query is not None
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    await answer_expired(query, context.t(actor))
    return await show_step(update, context, actor, draft)


async def reprompt(update: Update, context: GridContext) -> int:
    """Something that does not fit this step (a sticker, text where a button is expected)."""
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    if draft.step is DraftStep.COMPOSE:
        await reply(update, context, views.compose_reprompt(context.t(actor)))
        return ComposeState.COMPOSE
    return await show_step(update, context, actor, draft)


# -- the audience ----------------------------------------------------------------------------
async def choose_kind(update: Update, context: GridContext) -> int:
    """Residents, members or both."""
    query = update.callback_query
    assert query is not None
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    cb = cbdata.decode(query.data, views.BROADCAST)
    if cb is None or cb.arg() not in {k.value for k in AudienceKind}:
        return await stale_button(update, context)
    kind = AudienceKind(str(cb.arg()))
    await query.answer()
    await edit(query, views.chosen(context.t(actor)(views.KIND_NAMES[kind])))
    draft.kind = kind
    draft.browsing = draft.unit_id = draft.team_id = draft.member_type = None
    draft.step = DraftStep.AREA
    return await _go(update, context, actor, draft)


async def browse(update: Update, context: GridContext) -> int:
    """Go down (or back up) the drill-down inside the scope."""
    query = update.callback_query
    assert query is not None
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    cb = cbdata.decode(query.data, views.BROADCAST)
    unit_id = cb.int_arg() if cb else None
    if unit_id is None:
        return await stale_button(update, context)
    t = context.t(actor)
    try:
        choice = await context.services.broadcast.browse(actor, unit_id or None)
    except DomainError as err:
        await say_error(update, context, t, err)
        return ComposeState.AREA
    draft.browsing = unit_id or None
    _save(context, draft)
    await query.answer()
    await edit(query, views.area_prompt(t, _language(context, actor), choice))
    return ComposeState.AREA


async def pick_area(update: Update, context: GridContext) -> int:
    """Send to this unit (and everything below it)."""
    query = update.callback_query
    assert query is not None
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    cb = cbdata.decode(query.data, views.BROADCAST)
    unit_id = cb.int_arg() if cb else None
    if unit_id is None or draft.kind is None:
        return await stale_button(update, context)
    t = context.t(actor)
    try:
        reach = await context.services.broadcast.reach(
            actor, Audience(kind=draft.kind, unit_id=unit_id)
        )
    except DomainError as err:
        await say_error(update, context, t, err)
        return ComposeState.AREA
    await query.answer()
    await edit(query, views.chosen(esc(reach.audience.unit.label(_language(context, actor)))))
    draft.unit_id = unit_id
    draft.step = DraftStep.FILTER if draft.kind is AudienceKind.MEMBERS else DraftStep.COMPOSE
    return await _go(update, context, actor, draft)


async def choose_filter(update: Update, context: GridContext) -> int:
    """All members, one type or one team."""
    query = update.callback_query
    assert query is not None
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    cb = cbdata.decode(query.data, views.BROADCAST)
    t = context.t(actor)
    draft.team_id = draft.member_type = None
    if cb is None:
        return await stale_button(update, context)
    if cb.arg() == "all":
        label = t("All of them")
    elif cb.arg() == "m" and cb.arg(1) in {m.value for m in MemberType}:
        draft.member_type = MemberType(str(cb.arg(1)))
        label = t(TYPE_NAMES[draft.member_type])
    elif cb.arg() == "t" and (team_id := cb.int_arg(1)) is not None:
        team = next((x for x in await context.services.broadcast.teams() if x.id == team_id), None)
        if team is None:
            return await stale_button(update, context)
        draft.team_id = team.id
        label = esc(team.label(_language(context, actor)))
    else:
        return await stale_button(update, context)
    await query.answer()
    await edit(query, views.chosen(label))
    draft.step = DraftStep.COMPOSE
    return await _go(update, context, actor, draft)


# -- the content -----------------------------------------------------------------------------
async def compose_text(update: Update, context: GridContext) -> int:
    """The text of the notice (it replaces any earlier one)."""
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    assert update.message is not None and update.message.text is not None
    try:
        draft.set_text(update.message.text)
    except DomainError as err:
        await say_error(update, context, context.t(actor), err)
        return _STATE_OF[draft.step]
    return await show_preview(update, context, actor, draft)


async def compose_photo(update: Update, context: GridContext) -> int:
    """The photo (one; a new one replaces it); its caption becomes the text."""
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    message = update.message
    assert message is not None and message.photo
    try:
        draft.set_photo(message.photo[-1].file_id, message.caption)
    except DomainError as err:
        await say_error(update, context, context.t(actor), err)
        return _STATE_OF[draft.step]
    if not draft.text:
        draft.step = DraftStep.COMPOSE
        return await _go(update, context, actor, draft)
    return await show_preview(update, context, actor, draft)


async def remove_photo(update: Update, context: GridContext) -> int:
    """Send the notice without a photo."""
    query = update.callback_query
    assert query is not None
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    draft.photo = None
    await query.answer()
    await query.edit_message_reply_markup(None)
    if draft.text:
        return await show_preview(update, context, actor, draft)
    draft.step = DraftStep.COMPOSE
    return await _go(update, context, actor, draft)


# -- the preview -----------------------------------------------------------------------------
def _fresh(update: Update, draft: BroadcastDraft) -> bool:
    """True when the button is on the latest preview (its nonce matches)."""
    query = update.callback_query
    cb = cbdata.decode(query.data if query else None, views.BROADCAST)
    return cb is not None and bool(draft.nonce) and cb.arg() == draft.nonce


async def toggle_bold(update: Update, context: GridContext) -> int:
    """Make the first line a bold title, or not; show the new preview."""
    query = update.callback_query
    assert query is not None
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    if not _fresh(update, draft):
        return await stale_button(update, context)
    try:
        draft.toggle_bold()
    except DomainError as err:
        await say_error(update, context, context.t(actor), err)
        return ComposeState.PREVIEW
    await query.answer()
    await query.edit_message_reply_markup(None)
    return await show_preview(update, context, actor, draft)


async def edit_menu(update: Update, context: GridContext) -> int:
    """Change the audience or the content."""
    query = update.callback_query
    assert query is not None
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    if not _fresh(update, draft):
        return await stale_button(update, context)
    await query.answer()
    await edit(query, views.edit_menu(context.t(actor)))
    draft.step = DraftStep.EDIT
    draft.nonce = ""
    _save(context, draft)
    return ComposeState.EDIT


async def edit_audience(update: Update, context: GridContext) -> int:
    """Choose the audience again."""
    query = update.callback_query
    assert query is not None
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    await query.answer()
    await query.edit_message_reply_markup(None)
    draft.step = DraftStep.KIND
    return await _go(update, context, actor, draft)


async def edit_text(update: Update, context: GridContext) -> int:
    """Write the text, or send the photo, again."""
    query = update.callback_query
    assert query is not None
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    await query.answer()
    await edit(query, views.edit_content_prompt(context.t(actor), draft.photo is not None))
    draft.step = DraftStep.COMPOSE
    _save(context, draft)
    return ComposeState.COMPOSE


async def back_to_preview(update: Update, context: GridContext) -> int:
    """Back to the preview (or to the step still missing)."""
    query = update.callback_query
    assert query is not None
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    await query.answer()
    await query.edit_message_reply_markup(None)
    if draft.text:
        return await show_preview(update, context, actor, draft)
    return await show_step(update, context, actor, draft)


async def send(update: Update, context: GridContext) -> int:
    """Send the notice: queued for everyone, then the progress message as the reply."""
    query = update.callback_query
    assert query is not None
    actor, draft = await _draft_or_expired(update, context)
    if draft is None:
        return END
    if not _fresh(update, draft):
        return await stale_button(update, context)
    svc = context.services
    t = context.t(actor)
    try:
        # The notice and the end of this conversation commit together.
        broadcast = await svc.broadcast.send(
            actor,
            draft.audience(),
            draft.content(),
            flow_end(update, context, DRAFT_KEY, draft.nonce),
        )
    except DomainError as err:
        await say_error(update, context, t, err)
        return ComposeState.PREVIEW
    await query.answer()
    await query.edit_message_reply_markup(None)
    progress = await svc.broadcast.progress(broadcast.id)
    sent = await reply(
        update, context, views.progress_message(t, _language(context, actor), progress)
    )
    await svc.broadcast.attach_progress(broadcast.id, sent.chat_id, sent.message_id)
    if not progress.finished:
        schedule_progress(context.application, broadcast.id)
    return END


# -- progress --------------------------------------------------------------------------------
def _services(app: App) -> Services:
    services = app.bot_data.services
    if services is None:
        raise RuntimeError("application has no services")
    return services  # type: ignore[no-any-return]


def schedule_progress(app: App, broadcast_id: int) -> None:
    """Start the repeating progress job of a broadcast (once)."""
    job_queue = app.job_queue
    assert job_queue is not None
    name = job_name(broadcast_id)
    if job_queue.get_jobs_by_name(name):
        return
    job_queue.run_repeating(
        progress_job,
        interval=_services(app).config.broadcast.progress_seconds,
        name=name,
        data=broadcast_id,
        job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
    )


async def progress_job(context: GridContext) -> None:
    """The JobQueue callback: one progress update."""
    job = context.job
    assert job is not None and isinstance(job.data, int)
    await refresh_progress(context.application, job.data)


async def _edit_progress(bot: Bot, chat_id: int, message_id: int, message: OutMessage) -> bool:
    """Edit the progress message; False when it is worth trying again at the next run."""
    markup = ptb_markup(message.inline_markup()) if message.buttons else None
    try:
        await bot.edit_message_text(
            message.text, chat_id=chat_id, message_id=message_id, reply_markup=markup
        )
    except BadRequest as exc:  # deleted, too old: no point in trying again
        if "not modified" not in str(exc).lower():
            LOG.warning("cannot edit the progress message %d in %d: %s", message_id, chat_id, exc)
    except Forbidden as exc:
        LOG.warning("cannot edit the progress message in %d: %s", chat_id, exc)
    except (RetryAfter, NetworkError) as exc:
        LOG.info("progress message in %d not edited this time: %s", chat_id, exc)
        return False
    return True


async def refresh_progress(app: App, broadcast_id: int) -> bool:
    """Edit the progress message with the latest counts (the final report once nothing is
    left, which also ends the job). Returns True when the broadcast is over."""
    services = _services(app)
    progress = await services.broadcast.progress(broadcast_id)
    t = services.i18n.get(progress.language)
    language = progress.language or services.i18n.default
    message = views.progress_message(t, language, progress)
    broadcast = progress.broadcast
    shown = True
    if broadcast.progress_message_id is None:
        # The process stopped between sending and its reply: a new progress message.
        try:
            sent = await app.bot.send_message(
                broadcast.progress_chat_id,
                message.text,
                reply_markup=ptb_markup(message.reply_markup()),
            )
        except Forbidden as exc:
            LOG.warning("broadcast %d: the sender cannot be told: %s", broadcast_id, exc)
        else:
            await services.broadcast.attach_progress(broadcast_id, sent.chat_id, sent.message_id)
    else:
        shown = await _edit_progress(
            app.bot, broadcast.progress_chat_id, broadcast.progress_message_id, message
        )
    if progress.finished and shown and app.job_queue is not None:
        for job in app.job_queue.get_jobs_by_name(job_name(broadcast_id)):
            job.schedule_removal()
    return progress.finished


async def resume_progress(app: App) -> int:
    """At start-up: a progress job for every broadcast still sending (the outbox carries on by
    itself). Returns how many."""
    broadcasts = await _services(app).broadcast.sending()
    for broadcast in broadcasts:
        schedule_progress(app, broadcast.id)
    if broadcasts:
        LOG.info("resumed the progress of %d broadcasts", len(broadcasts))
    return len(broadcasts)


async def stop(update: Update, context: GridContext) -> None:
    """The Stop button on a progress message: cancel what is not sent yet."""
    query = update.callback_query
    assert query is not None
    actor = await context.actor(update)
    t = context.t(actor)
    cb = cbdata.decode(query.data, views.BROADCAST)
    broadcast_id = cb.int_arg() if cb else None
    if broadcast_id is None:
        await answer_expired(query, t)
        return
    try:
        cancelled = await context.services.broadcast.cancel(actor, broadcast_id)
    except InvalidTransition as err:
        await say_error(update, context, t, err)
        await refresh_progress(context.application, broadcast_id)
        return
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    await query.answer(t("Stopped: {n} messages will not be sent.").format(n=cancelled))
    await refresh_progress(context.application, broadcast_id)


async def list_broadcasts(update: Update, context: GridContext) -> None:
    """/broadcasts: the latest notices sent inside the admin's area."""
    actor = await context.actor(update)
    t = context.t(actor)
    svc = context.services
    try:
        summaries = await svc.broadcast.recent(actor)
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    await reply(
        update, context, views.list_message(t, _language(context, actor), summaries, svc.config.tz)
    )


def handlers(i18n: I18n, user_data: Mapping[int, dict[str, Any]]) -> list[BaseHandler]:  # type: ignore[type-arg]
    """The Stop button, /broadcasts and the /broadcast conversation."""
    all_menu = {s for label, _ in MAIN_MENU for s in i18n.all_translations(label)}
    free = ~Awaiting(user_data) & filters.ChatType.PRIVATE
    text = filters.TEXT & ~filters.COMMAND & ~menu_labels(all_menu) & free
    other = ~filters.COMMAND & ~menu_labels(all_menu) & free
    prefix = views.BROADCAST

    def own(action: str) -> str:
        return rf"^{prefix}1:({action})(:|$)"

    # Any other button of this feature (but Cancel and Stop) is from an old message.
    stale: StepHandler = CallbackQueryHandler(
        stale_button, pattern=rf"^{prefix}\d+:(?!(cancel|stop)(:|$))"
    )
    catch: StepHandler = MessageHandler(other, reprompt)
    photo: StepHandler = MessageHandler(filters.PHOTO & free, compose_photo)
    typed: StepHandler = MessageHandler(text, compose_text)
    with warnings.catch_warnings():
        # Callback queries are tracked per chat on purpose (per_message=False).
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        states: dict[object, list[StepHandler]] = {
            ComposeState.KIND: [CallbackQueryHandler(choose_kind, own("k")), stale, catch],
            ComposeState.AREA: [
                CallbackQueryHandler(browse, own("u")),
                CallbackQueryHandler(pick_area, own("pick")),
                stale,
                catch,
            ],
            ComposeState.FILTER: [CallbackQueryHandler(choose_filter, own("f")), stale, catch],
            ComposeState.COMPOSE: [
                typed,
                photo,
                CallbackQueryHandler(remove_photo, own("nophoto")),
                CallbackQueryHandler(back_to_preview, own("back")),
                stale,
                catch,
            ],
            ComposeState.PREVIEW: [
                CallbackQueryHandler(send, own("send")),
                CallbackQueryHandler(toggle_bold, own("bold")),
                CallbackQueryHandler(edit_menu, own("edit")),
                typed,
                photo,
                stale,
                catch,
            ],
            ComposeState.EDIT: [
                CallbackQueryHandler(edit_audience, own("ea")),
                CallbackQueryHandler(edit_text, own("et")),
                CallbackQueryHandler(back_to_preview, own("back")),
                stale,
                catch,
            ],
        }
        conversation: ConversationHandler[GridContext] = ConversationHandler(
            name=DRAFT_KEY,
            persistent=True,
            allow_reentry=True,
            entry_points=[CommandHandler("broadcast", start, filters.ChatType.PRIVATE)],
            states=states,  # type: ignore[arg-type]
            fallbacks=[
                CommandHandler("cancel", cancel),
                CallbackQueryHandler(cancel, own("cancel")),
            ],
        )
    return [
        # Outside the conversation: a progress message outlives its draft.
        CallbackQueryHandler(stop, pattern=own("stop")),
        CommandHandler("broadcasts", list_broadcasts, filters.ChatType.PRIVATE),
        conversation,
    ]
