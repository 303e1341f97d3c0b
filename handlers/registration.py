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

from bot import cbdata
from bot.context import GridContext
from bot.errors import DomainError, InvalidInput
from bot.i18n import I18n
from bot.messages import OutMessage
from bot.models import Availability, Level, MemberStatus, MemberType, OrgUnit
from bot.services.intake import AWAITING_KEY
from bot.services.people import Actor
from bot.services.registration import JoinStep, MemberForm
from bot.views import registration as views
from bot.views.common import MAIN_MENU, main_keyboard
from handlers.common import answer_expired, edit, flow_end, reply, say_error
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
            await reply(
                update,
                context,
                OutMessage(
                    context.t(actor)("Noted."),
                    keyboard=main_keyboard(actor.roles, context.t(actor)),
                ),
            )
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
    await reply(update, context, OutMessage(t("Noted."), keyboard=main_keyboard(actor.roles, t)))
    return await _next(update, context, actor, form)


async def button(update: Update, context: GridContext) -> int:
    """Every registration button: no work unit, compound, type, teams, slots, share, summary."""
    query = update.callback_query
    assert query is not None
    actor, form = await _form(update, context)
    if form is None:
        return END
    t = context.t(actor)
    svc = context.services
    language = actor.person.language or svc.i18n.default
    cb = cbdata.decode(query.data, views.JOIN)
    if cb is None:
        return await reprompt(update, context)
    action, arg = cb.action, cb.arg()
    expected = {
        "nowork": JoinStep.WORK_UNIT,
        "c": JoinStep.COMPOUND,
        "type": JoinStep.TYPE,
        "team": JoinStep.TEAMS,
        "teams": JoinStep.TEAMS,
        "slot": JoinStep.AVAILABILITY,
        "slots": JoinStep.AVAILABILITY,
        "share": JoinStep.SHARE_PHONE,
        "ok": JoinStep.SUMMARY,
        "edit": JoinStep.SUMMARY,
    }
    if action in expected and expected[action] is not form.step:
        return await reprompt(update, context)
    try:
        if action == "nowork":
            form.set_work_unit(None)
        elif action == "c":
            unit_id = cb.int_arg()
            unit = await svc.org.unit(unit_id) if unit_id is not None else None
            if unit_id is not None and unit is None:
                return await reprompt(update, context)
            if unit is None or unit.level is not Level.COMPOUND:  # open it: one level down
                await query.answer()
                await edit(query, await _places(context, actor, unit))
                return JoinState.COMPOUND
            form.compound_id = unit.id
        elif action == "type" and arg in {k.value for k in MemberType}:
            form.member_type = MemberType(str(arg))
        elif action == "team" and cb.int_arg() is not None:
            form.toggle_team(int(cb.int_arg() or 0))
            _save(context, form)
            await query.answer()
            await edit(
                query, views.teams_prompt(t, language, await svc.org.teams(), form.team_ids)
            )
            return JoinState.TEAMS
        elif action == "teams":
            if not form.team_ids:
                await query.answer(t("Please choose at least one service team."), show_alert=True)
                return JoinState.TEAMS
        elif action == "slot" and arg in {s.value for s in Availability}:
            form.toggle_availability(Availability(str(arg)))
            _save(context, form)
            await query.answer()
            await edit(query, views.availability_prompt(t, form.availability))
            return JoinState.AVAILABILITY
        elif action == "slots":
            if not form.availability:
                await query.answer(t("Please choose when you can serve."), show_alert=True)
                return JoinState.AVAILABILITY
        elif action == "share" and arg in ("y", "n"):
            form.share_phone = arg == "y"
        elif action == "ok":
            existing = await svc.members.get(actor.id)
            # The registration and the end of this conversation commit together.
            member = await svc.members.submit(
                actor, form, flow_end(update, context, FORM_KEY, form.nonce)
            )
            await query.answer()
            await query.edit_message_reply_markup(None)
            # Sent for approval now: new, registering again, or moved to another community.
            asked = member.status is MemberStatus.PENDING and (
                existing is None or existing.status is not MemberStatus.PENDING
            )
            await reply(update, context, views.submitted(t, new=asked))
            return END
        elif action == "edit":
            await query.answer()
            await edit(query, views.edit_menu(t))
            return JoinState.EDIT
        else:
            return await reprompt(update, context)
    except DomainError as err:
        await say_error(update, context, t, err)
        return _STATE[form.step]
    await query.answer()
    await query.edit_message_reply_markup(None)
    return await _next(update, context, actor, form)


async def goto(update: Update, context: GridContext) -> int:
    """Jump to one step from the summary; come back after it."""
    query = update.callback_query
    assert query is not None
    actor, form = await _form(update, context)
    if form is None:
        return END
    cb = cbdata.decode(query.data, views.JOIN)
    await query.answer()
    await query.edit_message_reply_markup(None)
    target = cb.arg() if cb else None
    if cb is not None and cb.action == "goto" and target in views.STEP_NAMES:
        form.step = JoinStep(str(target))
        form.editing = True
    else:
        form.step = JoinStep.SUMMARY
    _save(context, form)
    return await _show(update, context, actor, form)


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
async def decide(update: Update, context: GridContext) -> None:
    """An admin approves, or starts rejecting (the reason comes next)."""
    query = update.callback_query
    assert query is not None
    actor = await context.actor(update)
    t = context.t(actor)
    cb = cbdata.decode(query.data, views.MEMBER_ADMIN)
    person_id = cb.int_arg() if cb else None
    if cb is None or person_id is None or cb.action not in ("ok", "no"):
        await answer_expired(query, t)
        return
    svc = context.services
    try:
        if cb.action == "ok":
            member = await svc.members.approve(actor, person_id)
            await query.answer()
            await query.edit_message_reply_markup(None)
            await reply(update, context, views.decided(t, member))
        else:
            member = await svc.members.check_decider(actor, person_id)
            await query.answer()
            assert context.user_data is not None
            context.user_data[AWAITING_KEY] = {
                "kind": "reject_reason",
                "person_id": person_id,
                "since": svc.clock.now().isoformat(),
            }
            await reply(update, context, views.reject_reason_prompt(t, member))
    except DomainError as err:
        await say_error(update, context, t, err)


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


async def pause_button(update: Update, context: GridContext) -> None:
    """A leave duration was chosen."""
    query = update.callback_query
    assert query is not None
    actor = await context.actor(update)
    t = context.t(actor)
    cb = cbdata.decode(query.data, views.PAUSE)
    days = cb.int_arg() if cb else None
    if days not in (7, 14, 30):
        await answer_expired(query, t)
        return
    svc = context.services
    today = svc.clock.now().astimezone(svc.config.tz).date()
    try:
        member = await svc.members.pause(actor, today + timedelta(days=days or 0))
    except DomainError as err:
        await say_error(update, context, t, err)
        return
    if context.user_data is not None:
        context.user_data.pop(AWAITING_KEY, None)
    await query.answer()
    await edit(query, views.paused(t, member, svc.config.tz))


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
    buttons: StepHandler = CallbackQueryHandler(button, rf"^{views.JOIN}1:(?!cancel|goto|sum)")
    catch: StepHandler = MessageHandler(other, reprompt)
    typed: StepHandler = MessageHandler(text, text_answer)
    states: dict[object, list[StepHandler]] = {
        state: [buttons, typed, catch] for state in JoinState if state is not JoinState.EDIT
    }
    states[JoinState.PHONE] = [MessageHandler(filters.CONTACT & free, contact), buttons, catch]
    states[JoinState.EDIT] = [
        CallbackQueryHandler(goto, rf"^{views.JOIN}1:(goto|sum)"),
        buttons,
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
        CallbackQueryHandler(decide, pattern=cbdata.pattern(views.MEMBER_ADMIN)),
        CommandHandler("pause", pause, filters.ChatType.PRIVATE),
        CommandHandler("resume", resume, filters.ChatType.PRIVATE),
        CallbackQueryHandler(pause_button, pattern=cbdata.pattern(views.PAUSE)),
        MessageHandler(
            Awaiting(user_data, KINDS) & ~filters.COMMAND & ~menu_labels(all_menu),
            awaited_answer,
        ),
    ]
