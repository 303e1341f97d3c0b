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
from typing import TYPE_CHECKING

from telegram import Bot, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import Application, BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot import cbdata
from bot.context import GridContext
from bot.errors import DomainError, InvalidTransition
from bot.messages import OutMessage
from bot.models import MemberType
from bot.models.broadcast import AudienceKind
from bot.outbox import ptb_markup
from bot.services.broadcast import Audience, BroadcastDraft, DraftStep
from bot.views import broadcast as views
from bot.views.common import esc
from bot.views.registration import TYPE_NAMES
from handlers.buttons import StaleButton
from handlers.common import answer_expired, reply, say_error
from handlers.wizard import Turn, Wizard

if TYPE_CHECKING:
    from bot.services import Services

__all__ = [
    "COMPOSE",
    "DRAFT_KEY",
    "handlers",
    "job_name",
    "refresh_progress",
    "resume_progress",
    "schedule_progress",
]

LOG = logging.getLogger(__name__)

DRAFT_KEY = "broadcast"
App = Application  # type: ignore[type-arg]

COMPOSE: Wizard[BroadcastDraft] = Wizard(
    DRAFT_KEY,
    BroadcastDraft,
    prefix=views.BROADCAST,
    commands=("broadcast",),
    cancelled=views.cancelled,
)


def job_name(broadcast_id: int) -> str:
    """The progress job of one broadcast (one per broadcast, found again by its name)."""
    return f"BROADCAST {broadcast_id}"


@COMPOSE.start
async def begin(turn: Turn[BroadcastDraft], _stored: BroadcastDraft | None) -> BroadcastDraft:
    """Begin a notice (administrators only: the others are told why not)."""
    await turn.services.broadcast.begin(turn.actor)
    return turn.form


# -- what each step asks -------------------------------------------------------------------
COMPOSE.ask(DraftStep.KIND, views.kind_prompt)


@COMPOSE.prompt(DraftStep.AREA)
async def ask_area(turn: Turn[BroadcastDraft]) -> OutMessage:
    """Ask where: the drill-down inside the admin's area."""
    choice = await turn.services.broadcast.browse(turn.actor, turn.form.browsing)
    return views.area_prompt(turn.t, turn.language, choice)


@COMPOSE.prompt(DraftStep.FILTER)
async def ask_filter(turn: Turn[BroadcastDraft]) -> OutMessage:
    """Ask which members: all, one type or one team."""
    return views.filter_prompt(turn.t, turn.language, await turn.services.broadcast.teams())


@COMPOSE.prompt(DraftStep.COMPOSE, reprompt=views.compose_reprompt)
async def ask_content(turn: Turn[BroadcastDraft]) -> OutMessage:
    """Ask for the text (or a photo), with how many it will reach."""
    if turn.form.photo and not turn.form.text:
        return views.text_needed(turn.t)
    reach = await turn.services.broadcast.reach(turn.actor, turn.form.audience())
    return views.compose_prompt(turn.t, turn.language, reach)


@COMPOSE.prompt(DraftStep.PREVIEW)
async def preview(turn: Turn[BroadcastDraft]) -> list[OutMessage]:
    """The notice exactly as people will get it, then the exact count and the buttons."""
    draft = turn.form
    reach = await turn.services.broadcast.reach(turn.actor, draft.audience())
    nonce = draft.renew()
    control = views.preview_control(
        turn.t, turn.language, reach, bold_title=draft.bold_title, nonce=nonce
    )
    return [draft.content().message(), control]


COMPOSE.ask(DraftStep.EDIT, views.edit_menu)


# -- the audience ----------------------------------------------------------------------------
@COMPOSE.button(DraftStep.KIND, "k")
async def choose_kind(turn: Turn[BroadcastDraft]) -> DraftStep:
    """Residents, members or both."""
    kind = turn.choice(AudienceKind)
    await turn.edit(views.chosen(turn.t(views.KIND_NAMES[kind])))
    draft = turn.form
    draft.kind = kind
    draft.browsing = draft.unit_id = draft.team_id = draft.member_type = None
    return DraftStep.AREA


@COMPOSE.button(DraftStep.AREA, "u")
async def browse(turn: Turn[BroadcastDraft]) -> None:
    """Go down (or back up) the drill-down inside the scope."""
    unit_id = turn.int(0) or None
    choice = await turn.services.broadcast.browse(turn.actor, unit_id)
    turn.form.browsing = unit_id
    await turn.edit(views.area_prompt(turn.t, turn.language, choice))


@COMPOSE.button(DraftStep.AREA, "pick")
async def pick_area(turn: Turn[BroadcastDraft]) -> DraftStep:
    """Send to this unit (and everything below it)."""
    draft, unit_id = turn.form, turn.int(0)
    if draft.kind is None:
        raise StaleButton(turn.cb)
    audience = Audience(kind=draft.kind, unit_id=unit_id)
    reach = await turn.services.broadcast.reach(turn.actor, audience)
    await turn.edit(views.chosen(esc(reach.audience.unit.label(turn.language))))
    draft.unit_id = unit_id
    return DraftStep.FILTER if draft.kind is AudienceKind.MEMBERS else DraftStep.COMPOSE


@COMPOSE.button(DraftStep.FILTER, "f")
async def choose_filter(turn: Turn[BroadcastDraft]) -> DraftStep:
    """All members, one type or one team."""
    draft = turn.form
    draft.team_id = draft.member_type = None
    which = turn.arg(0)
    if which == "all":
        label = turn.t("All of them")
    elif which == "m":
        draft.member_type = turn.choice(MemberType, 1)
        label = turn.t(TYPE_NAMES[draft.member_type])
    elif which == "t":
        team_id = turn.int(1)
        teams = await turn.services.broadcast.teams()
        team = next((x for x in teams if x.id == team_id), None)
        if team is None:
            raise StaleButton(turn.cb)
        draft.team_id = team.id
        label = esc(team.label(turn.language))
    else:
        raise StaleButton(turn.cb)
    await turn.edit(views.chosen(label))
    return DraftStep.COMPOSE


# -- the content -----------------------------------------------------------------------------
@COMPOSE.text(DraftStep.COMPOSE, DraftStep.PREVIEW)
async def compose_text(turn: Turn[BroadcastDraft], text: str) -> DraftStep:
    """The text of the notice (it replaces any earlier one)."""
    turn.form.set_text(text)
    return DraftStep.PREVIEW


@COMPOSE.photo(DraftStep.COMPOSE, DraftStep.PREVIEW)
async def compose_photo(turn: Turn[BroadcastDraft], file_id: str) -> DraftStep:
    """The photo (one; a new one replaces it); its caption becomes the text."""
    turn.form.set_photo(file_id, turn.message.caption)
    return DraftStep.PREVIEW if turn.form.text else DraftStep.COMPOSE


@COMPOSE.button(DraftStep.COMPOSE, "nophoto")
async def remove_photo(turn: Turn[BroadcastDraft]) -> DraftStep:
    """Send the notice without a photo."""
    turn.form.photo = None
    await turn.close()
    return DraftStep.PREVIEW if turn.form.text else DraftStep.COMPOSE


# -- the preview -----------------------------------------------------------------------------
@COMPOSE.button(DraftStep.PREVIEW, "bold", fresh=True)
async def toggle_bold(turn: Turn[BroadcastDraft]) -> DraftStep:
    """Make the first line a bold title, or not; the new preview."""
    turn.form.toggle_bold()
    await turn.close()
    return DraftStep.PREVIEW


@COMPOSE.button(DraftStep.PREVIEW, "edit", fresh=True)
async def edit_menu(turn: Turn[BroadcastDraft]) -> None:
    """Change the audience or the content (the preview's buttons stop acting)."""
    turn.form.step, turn.form.nonce = DraftStep.EDIT, ""
    await turn.edit(views.edit_menu(turn.t))


@COMPOSE.button(DraftStep.EDIT, "ea")
async def edit_audience(turn: Turn[BroadcastDraft]) -> DraftStep:
    """Choose the audience again."""
    await turn.close()
    return DraftStep.KIND


@COMPOSE.button(DraftStep.EDIT, "et")
async def edit_text(turn: Turn[BroadcastDraft]) -> None:
    """Write the text, or send the photo, again."""
    turn.form.step = DraftStep.COMPOSE
    await turn.edit(views.edit_content_prompt(turn.t, turn.form.photo is not None))


@COMPOSE.button(DraftStep.COMPOSE, "back")
@COMPOSE.button(DraftStep.EDIT, "back")
async def back_to_preview(turn: Turn[BroadcastDraft]) -> DraftStep:
    """Back to the preview (or the step again while the text is missing)."""
    await turn.close()
    return DraftStep.PREVIEW if turn.form.text else turn.form.step


@COMPOSE.finish(DraftStep.PREVIEW, "send")
async def send(turn: Turn[BroadcastDraft]) -> None:
    """Send the notice (with the end of this flow): queued for everyone, then the progress
    message as the reply."""
    svc, draft = turn.services, turn.form
    broadcast = await svc.broadcast.send(turn.actor, draft.audience(), draft.content(), turn.end())
    await turn.close()
    progress = await svc.broadcast.progress(broadcast.id)
    sent = await turn.reply(views.progress_message(turn.t, turn.language, progress))
    await svc.broadcast.attach_progress(broadcast.id, sent.chat_id, sent.message_id)
    if not progress.finished:
        schedule_progress(turn.context.application, broadcast.id)


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
    language = actor.person.language or svc.i18n.default
    await reply(update, context, views.list_message(t, language, summaries, svc.config.tz))


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """The Stop button and /broadcasts (the /broadcast flow is :data:`COMPOSE`)."""
    return [
        # A progress message outlives its draft.
        CallbackQueryHandler(stop, pattern=rf"^{views.BROADCAST}1:stop(:|$)"),
        CommandHandler("broadcasts", list_broadcasts, filters.ChatType.PRIVATE),
    ]
