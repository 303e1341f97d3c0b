"""党员报到: /join (register or edit the profile), /pause, /resume, and the admins' Approve /
Reject (a rejection asks for the reason)."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from datetime import date, timedelta
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

from bot.context import GridContext
from bot.errors import DomainError, InvalidInput
from bot.i18n import I18n
from bot.messages import OutMessage
from bot.models import Availability, Level, Member, MemberStatus, MemberType, OrgUnit
from bot.outbox import ptb_markup
from bot.services.intake import AWAITING_KEY
from bot.services.people import Actor
from bot.services.registration import JoinStep, MemberForm
from bot.views import admin as admin_views
from bot.views import registration as views
from bot.views.common import MAIN_MENU, main_keyboard
from handlers.buttons import Buttons, Press, StaleButton
from handlers.common import answer_expired, flow_end, reply, say_error
from handlers.filters import Awaiting, menu_labels
from handlers.onboarding import is_onboarded, prompt_current_step

__all__ = ["FORM_KEY", "handlers"]

LOG = logging.getLogger(__name__)

FORM_KEY = "join"
END = ConversationHandler.END
StepHandler = BaseHandler[Update, GridContext, int]
KINDS = frozenset({"reject_reason", "pause_until"})


class JoinState(IntEnum):
    NAME = 1
    WORK_UNIT = 2
    COMPOUND = 3
    PHONE = 4
    TYPE = 5
    TEAMS = 6
    SKILLS = 7
    AVAILABILITY = 8
    SHARE_PHONE = 9
    SUMMARY = 10
    EDIT = 11


_STATE = {step: JoinState[step.name] for step in JoinStep}
# The buttons each step takes (see the JOIN table below).
_ACTIONS: dict[JoinState, tuple[str, ...]] = {
    JoinState.WORK_UNIT: ("nowork",),
    JoinState.COMPOUND: ("c",),
    JoinState.TYPE: ("type",),
    JoinState.TEAMS: ("team", "teams"),
    JoinState.AVAILABILITY: ("slot", "slots"),
    JoinState.SHARE_PHONE: ("share",),
    JoinState.SUMMARY: ("ok", "edit"),
    JoinState.EDIT: ("goto", "sum"),
}


def _load(context: GridContext) -> MemberForm | None:
    data = (context.user_data or {}).get(FORM_KEY)
    return MemberForm.model_validate(data) if data else None


def _save(context: GridContext, form: MemberForm) -> None:
    assert context.user_data is not None
    context.user_data[FORM_KEY] = form.model_dump(mode="json")


async def _show(update: Update, context: GridContext, actor: Actor, form: MemberForm) -> int:
    """Send the prompt of the form's step; return its state."""
    svc = context.services
    t = context.t(actor)
    language = actor.person.language or svc.i18n.default
    step = form.step
    if step is JoinStep.NAME:
        message = views.name_prompt(t)
    elif step is JoinStep.WORK_UNIT:
        message = views.work_unit_prompt(t)
    elif step is JoinStep.COMPOUND:
        message = await _places(context, actor, None)
    elif step is JoinStep.PHONE:
        message = views.phone_prompt(t)
    elif step is JoinStep.TYPE:
        message = views.type_prompt(t)
    elif step is JoinStep.TEAMS:
        message = views.teams_prompt(t, language, await svc.org.teams(), form.team_ids)
    elif step is JoinStep.SKILLS:
        message = views.skills_prompt(t)
    elif step is JoinStep.AVAILABILITY:
        message = views.availability_prompt(t, form.availability)
    elif step is JoinStep.SHARE_PHONE:
        message = views.share_phone_prompt(t)
    else:
        message = await _summary(context, actor, form)
    await reply(update, context, message)
    return _STATE[step]


async def _places(context: GridContext, actor: Actor, unit: OrgUnit | None) -> OutMessage:
    """The compound step at ``unit`` (the top, with the home compound first, when None)."""
    svc = context.services
    language = actor.person.language or svc.i18n.default
    choice = await svc.org.browse(unit.id if unit else None)
    path = await svc.org.path(unit) if unit else []
    home_id = actor.person.home_unit_id
    home = await svc.org.unit(home_id) if unit is None and home_id is not None else None
    return views.compound_prompt(context.t(actor), language, choice, path, home)


async def _summary(context: GridContext, actor: Actor, form: MemberForm) -> OutMessage:
    svc = context.services
    language = actor.person.language or svc.i18n.default
    compound = await svc.org.unit(form.compound_id) if form.compound_id else None
    teams = [team for team in await svc.org.teams() if team.id in form.team_ids]
    existing = await svc.members.get(actor.id)
    return views.summary(
        context.t(actor),
        language,
        form.model_dump(),
        compound,
        teams,
        editing=existing is not None and existing.status.value != "rejected",
    )


async def _next(update: Update, context: GridContext, actor: Actor, form: MemberForm) -> int:
    """After an answer: the next missing step, or the summary."""
    missing = form.missing()
    form.step = JoinStep.SUMMARY if form.editing or missing is None else missing
    form.editing = False if form.step is JoinStep.SUMMARY else form.editing
    _save(context, form)
    return await _show(update, context, actor, form)


async def _form(update: Update, context: GridContext) -> tuple[Actor, MemberForm | None]:
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


# -- the conversation ---------------------------------------------------------------------
async def start(update: Update, context: GridContext) -> int:
    """Register, or show the profile to edit it."""
    actor = await context.actor(update)
    if not is_onboarded(actor) or actor.person.home_unit_id is None:
        await prompt_current_step(update, context, actor)
        return END
    if context.user_data is not None:  # the form takes the next texts, not an older wait
        context.user_data.pop(AWAITING_KEY, None)
    existing = await context.services.members.get(actor.id)
    if existing is not None and existing.status.value != "rejected":
        form = MemberForm.from_member(existing)
    else:
        form = MemberForm(real_name=None)
        await reply(update, context, views.intro(context.t(actor)))
    _save(context, form)
    return await _show(update, context, actor, form)


async def text_answer(update: Update, context: GridContext) -> int:
    """Name, work unit or skills, typed."""
    actor, form = await _form(update, context)
    if form is None:
        return END
    assert update.message is not None and update.message.text is not None
    text = update.message.text
    skip = text in context.services.i18n.all_translations(views.SKIP)
    try:
        if form.step is JoinStep.NAME:
            form.set_name(text)
        elif form.step is JoinStep.WORK_UNIT:
            form.set_work_unit(text)
        elif form.step is JoinStep.SKILLS:
            form.set_skills(None if skip else text)
        else:
            return await reprompt(update, context)
    except DomainError as err:
        await say_error(update, context, context.t(actor), err)
        return _STATE[form.step]
    return await _next(update, context, actor, form)


async def contact(update: Update, context: GridContext) -> int:
    """The phone number: only the person's own contact."""
    actor, form = await _form(update, context)
    if form is None:
        return END
    assert update.message is not None and update.message.contact is not None
    t = context.t(actor)
    if update.message.contact.user_id != actor.person.telegram_id:
        await reply(update, context, views.phone_reprompt(t))
        return JoinState.PHONE
    form.phone = update.message.contact.phone_number
    return await _next(update, context, actor, form)


async def typed_phone(update: Update, context: GridContext) -> int:
    """The phone number, typed: a mainland mobile number."""
    actor, form = await _form(update, context)
    if form is None:
        return END
    assert update.message is not None and update.message.text is not None
    try:
        form.set_phone(update.message.text)
    except DomainError as err:
        await say_error(update, context, context.t(actor), err)
        return JoinState.PHONE
    return await _next(update, context, actor, form)


JOIN: Buttons[int] = Buttons(views.JOIN)
MEMBER_ADMIN: Buttons[None] = Buttons(views.MEMBER_ADMIN)
PAUSE: Buttons[None] = Buttons(views.PAUSE)


async def _form_or_end(press: Press) -> MemberForm | None:
    """The form being filled in; None when it is gone (the press is answered as expired)."""
    form = _load(press.context)
    if form is None:
        await answer_expired(press.query, press.t)
    return form


async def _answered(press: Press, form: MemberForm) -> int:
    """The step's answer is in the form: close the buttons, on to the next step."""
    await press.answer()
    await press.query.edit_message_reply_markup(None)
    return await _next(press.update, press.context, press.actor, form)


@JOIN.on("nowork")
async def no_work_unit(press: Press) -> int:
    """No work unit (retired, not employed)."""
    form = await _form_or_end(press)
    if form is None:
        return END
    form.set_work_unit(None)
    return await _answered(press, form)


@JOIN.on("c")
async def compound(press: Press) -> int:
    """Open a unit one level down, or take the compound."""
    form = await _form_or_end(press)
    if form is None:
        return END
    unit_id = press.cb.int_arg()
    unit = await press.services.org.unit(unit_id) if unit_id is not None else None
    if unit_id is not None and unit is None:
        return await reprompt(press.update, press.context)
    if unit is None or unit.level is not Level.COMPOUND:  # open it: one level down
        await press.answer()
        await press.edit(await _places(press.context, press.actor, unit))
        return JoinState.COMPOUND
    form.compound_id = unit.id
    return await _answered(press, form)


@JOIN.on("type")
async def member_type(press: Press) -> int:
    """Party member in service, not in work or retired, or volunteer."""
    form = await _form_or_end(press)
    if form is None:
        return END
    form.member_type = press.choice(MemberType)
    return await _answered(press, form)


@JOIN.on("team")
async def toggle_team(press: Press) -> int:
    """Tick or untick a service team."""
    form = await _form_or_end(press)
    if form is None:
        return END
    form.toggle_team(press.int(0))
    _save(press.context, form)
    teams = await press.services.org.teams()
    await press.answer()
    await press.edit(views.teams_prompt(press.t, press.language, teams, form.team_ids))
    return JoinState.TEAMS


@JOIN.on("teams")
async def teams_chosen(press: Press) -> int:
    """The teams are chosen (at least one)."""
    form = await _form_or_end(press)
    if form is None:
        return END
    if not form.team_ids:
        await press.query.answer(
            press.t("Please choose at least one service team."), show_alert=True
        )
        return JoinState.TEAMS
    return await _answered(press, form)


@JOIN.on("slot")
async def toggle_slot(press: Press) -> int:
    """Tick or untick when the member can serve."""
    form = await _form_or_end(press)
    if form is None:
        return END
    form.toggle_availability(press.choice(Availability))
    _save(press.context, form)
    await press.answer()
    await press.edit(views.availability_prompt(press.t, form.availability))
    return JoinState.AVAILABILITY


@JOIN.on("slots")
async def slots_chosen(press: Press) -> int:
    """When the member can serve is chosen (at least once a week)."""
    form = await _form_or_end(press)
    if form is None:
        return END
    if not form.availability:
        await press.query.answer(press.t("Please choose when you can serve."), show_alert=True)
        return JoinState.AVAILABILITY
    return await _answered(press, form)


@JOIN.on("share")
async def share_phone(press: Press) -> int:
    """May residents see the phone number?"""
    form = await _form_or_end(press)
    if form is None:
        return END
    answer = press.arg(0)
    if answer not in ("y", "n"):
        raise StaleButton(press.cb)
    form.share_phone = answer == "y"
    return await _answered(press, form)


@JOIN.on("ok")
async def submit(press: Press) -> int:
    """Send the registration for approval (or save the edited profile)."""
    form = await _form_or_end(press)
    if form is None:
        return END
    svc, t = press.services, press.t
    existing = await svc.members.get(press.actor.id)
    # The registration and the end of this conversation commit together.
    member = await svc.members.submit(
        press.actor, form, flow_end(press.update, press.context, FORM_KEY, form.nonce)
    )
    await press.answer()
    await press.query.edit_message_reply_markup(None)
    # Sent for approval now: new, registering again, or moved to another community.
    asked = member.status is MemberStatus.PENDING and (
        existing is None or existing.status is not MemberStatus.PENDING
    )
    await press.reply(views.submitted(t, new=asked, roles=press.actor.roles))
    return END


@JOIN.on("edit")
async def edit_menu(press: Press) -> int:
    """Offer the steps to change."""
    if await _form_or_end(press) is None:
        return END
    await press.answer()
    await press.edit(views.edit_menu(press.t))
    return JoinState.EDIT


@JOIN.on("goto", "sum")
async def goto(press: Press) -> int:
    """Jump to one step from the summary (and come back after it), or back to the summary."""
    form = await _form_or_end(press)
    if form is None:
        return END
    await press.answer()
    await press.query.edit_message_reply_markup(None)
    target = press.cb.arg()
    if press.action == "goto" and target in views.STEP_NAMES:
        form.step = JoinStep(str(target))
        form.editing = True
    else:
        form.step = JoinStep.SUMMARY
    _save(press.context, form)
    return await _show(press.update, press.context, press.actor, form)


async def cancel(update: Update, context: GridContext) -> int:
    """Drop the registration being filled in."""
    actor = await context.actor(update)
    t = context.t(actor)
    if context.user_data is not None:
        context.user_data.pop(FORM_KEY, None)
    if update.callback_query is not None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_reply_markup(None)
    await reply(
        update,
        context,
        OutMessage(views.cancelled(t).text, keyboard=main_keyboard(actor.roles, t)),
    )
    return END


async def reprompt(update: Update, context: GridContext) -> int:
    """Something that does not fit this step (or a button from an old message)."""
    actor, form = await _form(update, context)
    if form is None:
        return END
    if update.callback_query is not None:
        await answer_expired(update.callback_query, context.t(actor))
    elif form.step is JoinStep.PHONE:
        await reply(update, context, views.phone_reprompt(context.t(actor)))
        return JoinState.PHONE
    return await _show(update, context, actor, form)


# -- approval, pause -----------------------------------------------------------------------
@MEMBER_ADMIN.on("ok")
async def approve(press: Press) -> None:
    """An admin approves a registration: on the approvals list only that person's row
    changes; a single approval card loses its buttons."""
    member = await press.services.members.approve(press.actor, press.int(0))
    await press.answer()
    if press.cb.arg(1) == admin_views.FROM_LIST:
        await press.edit(await _approvals(press.context, press.actor, member))
        return
    await press.query.edit_message_reply_markup(None)
    await press.reply(views.decided(press.t, member))


@MEMBER_ADMIN.on("no")
async def start_rejecting(press: Press) -> None:
    """An admin rejects a registration: the reason comes next."""
    svc, person_id = press.services, press.int(0)
    member = await svc.members.check_decider(press.actor, person_id)
    await press.answer()
    assert press.context.user_data is not None
    message = press.query.message
    press.context.user_data[AWAITING_KEY] = {
        "kind": "reject_reason",
        "person_id": person_id,
        "since": svc.clock.now().isoformat(),
        # Rejected from the approvals list: that list is edited once the reason is in.
        "list": message.message_id
        if message is not None and press.cb.arg(1) == admin_views.FROM_LIST
        else None,
    }
    await press.reply(views.reject_reason_prompt(press.t, member))


async def _approvals(context: GridContext, actor: Actor, decided: Member) -> OutMessage:
    """The approvals list as it is now, saying who was just decided."""
    svc = context.services
    pending = await svc.admin.pending_members(actor)
    language = actor.person.language or svc.i18n.default
    return admin_views.pending_message(context.t(actor), language, pending, decided)


async def pause(update: Update, context: GridContext) -> None:
    """Offer leave durations (/pause)."""
    actor = await context.actor(update)
    t = context.t(actor)
    member = await context.services.members.get(actor.id)
    if member is None or member.status.value != "approved":
        await reply(
            update, context, OutMessage(t("Only registered, approved members can do this."))
        )
        return
    assert context.user_data is not None
    context.user_data[AWAITING_KEY] = {
        "kind": "pause_until",
        "since": context.services.clock.now().isoformat(),
    }
    await reply(update, context, views.pause_prompt(t))


@PAUSE.on("d")
async def pause_for(press: Press) -> None:
    """A leave duration was chosen."""
    days = press.int(0)
    if days not in (7, 14, 30):
        raise StaleButton(press.cb)
    svc = press.services
    today = svc.clock.now().astimezone(svc.config.tz).date()
    member = await svc.members.pause(press.actor, today + timedelta(days=days))
    if press.context.user_data is not None:
        press.context.user_data.pop(AWAITING_KEY, None)
    await press.answer()
    await press.edit(views.paused(press.t, member, svc.config.tz))


async def resume(update: Update, context: GridContext) -> None:
    """Back from leave (/resume)."""
    actor = await context.actor(update)
    t = context.t(actor)
    try:
        await context.services.members.resume(actor)
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    await reply(update, context, views.resumed(t))


async def awaited_answer(update: Update, context: GridContext) -> None:
    """The reason of a rejection, or a typed leave date."""
    assert update.message is not None and context.user_data is not None
    actor = await context.actor(update)
    svc = context.services
    t = context.t(actor)
    awaiting = context.user_data.get(AWAITING_KEY) or {}
    text = (update.message.text or "").strip()
    if not text:
        await reply(update, context, OutMessage(t("Please send some text.")))
        return
    try:
        if awaiting.get("kind") == "reject_reason":
            member = await svc.members.reject(actor, int(awaiting.get("person_id", 0)), text)
            message = views.decided(t, member)
            if awaiting.get("list") and update.effective_chat is not None:
                listing = await _approvals(context, actor, member)
                await context.bot.edit_message_text(
                    listing.text,
                    chat_id=update.effective_chat.id,
                    message_id=int(awaiting["list"]),
                    reply_markup=ptb_markup(listing.reply_markup()),
                )
        else:
            try:
                until = date.fromisoformat(text)
            except ValueError:
                await reply(
                    update,
                    context,
                    OutMessage(t("Please type a date like 2026-12-31, or /cancel.")),
                )
                return
            member = await svc.members.pause(actor, until)
            message = views.paused(t, member, svc.config.tz)
    except InvalidInput as err:  # keep waiting for a better answer
        await say_error(update, context, t, err)
        return
    except DomainError as err:  # decided meanwhile, or not allowed: stop waiting
        context.user_data.pop(AWAITING_KEY, None)
        await say_error(update, context, t, err)
        return
    context.user_data.pop(AWAITING_KEY, None)
    await reply(update, context, message)


def handlers(i18n: I18n, user_data: Mapping[int, dict[str, Any]]) -> list[BaseHandler]:  # type: ignore[type-arg]
    all_menu = {s for label, _ in MAIN_MENU for s in i18n.all_translations(label)}
    free = ~Awaiting(user_data) & filters.ChatType.PRIVATE
    text = filters.TEXT & ~filters.COMMAND & ~menu_labels(all_menu) & free
    other = ~filters.COMMAND & ~menu_labels(all_menu) & free
    # Each step takes its own buttons; any other registration button (but Cancel, which the
    # fallbacks take) is from an old message.
    stale: StepHandler = CallbackQueryHandler(reprompt, rf"^{views.JOIN}\d+:(?!cancel(:|$))")
    catch: StepHandler = MessageHandler(other, reprompt)
    typed: StepHandler = MessageHandler(text, text_answer)

    def step(state: JoinState, first: StepHandler) -> list[StepHandler]:
        own = [JOIN.handler(*_ACTIONS[state])] if state in _ACTIONS else []
        return [first, *own, stale, catch]

    states: dict[object, list[StepHandler]] = {state: step(state, typed) for state in JoinState}
    cancel_labels = i18n.all_translations(views.CANCEL)
    states[JoinState.PHONE] = [
        MessageHandler(menu_labels(cancel_labels) & free, cancel),
        MessageHandler(filters.CONTACT & free, contact),
        MessageHandler(text, typed_phone),
        stale,
        catch,
    ]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*per_message.*", category=PTBUserWarning)
        conversation: ConversationHandler[GridContext] = ConversationHandler(
            name=FORM_KEY,
            persistent=True,
            allow_reentry=True,
            entry_points=[CommandHandler("join", start, filters.ChatType.PRIVATE)],
            states=states,  # type: ignore[arg-type]
            fallbacks=[
                CommandHandler("cancel", cancel),
                CallbackQueryHandler(cancel, rf"^{views.JOIN}1:cancel"),
            ],
        )
    return [
        conversation,
        MEMBER_ADMIN.handler(),
        CommandHandler("pause", pause, filters.ChatType.PRIVATE),
        CommandHandler("resume", resume, filters.ChatType.PRIVATE),
        PAUSE.handler(),
        MessageHandler(
            Awaiting(user_data, KINDS) & ~filters.COMMAND & ~menu_labels(all_menu),
            awaited_answer,
        ),
    ]
