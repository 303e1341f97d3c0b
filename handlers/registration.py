"""党员报到: /join (register or edit the profile), /pause, /resume, and the admins' Approve /
Reject (a rejection asks for the reason)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.context import GridContext
from bot.errors import DomainError, InvalidInput
from bot.i18n import I18n
from bot.messages import OutMessage
from bot.models import Availability, Level, Member, MemberStatus, MemberType
from bot.outbox import ptb_markup
from bot.services.intake import AWAITING_KEY
from bot.services.people import Actor
from bot.services.registration import JoinStep, MemberForm
from bot.views import admin as admin_views
from bot.views import registration as views
from bot.views.common import MAIN_MENU
from bot.views.forms import YES_NO
from handlers.buttons import Buttons, Press, StaleButton
from handlers.common import reply, say_error
from handlers.filters import Awaiting, menu_labels
from handlers.onboarding import has_home
from handlers.wizard import Turn, Wizard

__all__ = ["FORM_KEY", "JOIN", "handlers"]

LOG = logging.getLogger(__name__)

FORM_KEY = "join"
KINDS = frozenset({"reject_reason", "pause_until"})

JOIN: Wizard[MemberForm] = Wizard(FORM_KEY, MemberForm, prefix=views.JOIN, commands=("join",))
MEMBER_ADMIN: Buttons[None] = Buttons(views.MEMBER_ADMIN)
PAUSE: Buttons[None] = Buttons(views.PAUSE)


@JOIN.start
async def begin(turn: Turn[MemberForm], _stored: MemberForm | None) -> MemberForm | None:
    """Register, or show the profile to edit it."""
    if not await has_home(turn):
        return None
    existing = await turn.services.members.get(turn.actor.id)
    if existing is not None and existing.status is not MemberStatus.REJECTED:
        return MemberForm.from_member(existing)
    await turn.reply(views.intro(turn.t))
    return turn.form


# -- what each step asks -------------------------------------------------------------------
JOIN.ask(JoinStep.NAME, views.name_prompt)
JOIN.ask(JoinStep.WORK_UNIT, views.work_unit_prompt)
JOIN.ask(JoinStep.PHONE, views.phone_prompt, reprompt=views.phone_reprompt)
JOIN.ask(JoinStep.TYPE, views.type_prompt)
JOIN.ask(JoinStep.SKILLS, views.skills_prompt)
JOIN.ask(JoinStep.SHARE_PHONE, views.share_phone_prompt)


@JOIN.prompt(JoinStep.COMPOUND)
async def ask_compound(turn: Turn[MemberForm]) -> OutMessage:
    """Ask for the compound, from the top (the home compound first)."""
    return await _places(turn, None)


@JOIN.prompt(JoinStep.TEAMS)
async def ask_teams(turn: Turn[MemberForm]) -> OutMessage:
    """Ask for the service teams, the ticked ones marked."""
    teams = await turn.services.org.teams()
    return views.teams_prompt(turn.t, turn.language, teams, turn.form.team_ids)


@JOIN.prompt(JoinStep.AVAILABILITY)
def ask_availability(turn: Turn[MemberForm]) -> OutMessage:
    """Ask when the member can serve, the ticked times marked."""
    return views.availability_prompt(turn.t, turn.form.availability)


@JOIN.prompt(JoinStep.SUMMARY)
async def summary(turn: Turn[MemberForm]) -> OutMessage:
    """Show the registration (or the profile) to check."""
    svc, form = turn.services, turn.form
    compound = await svc.org.unit(form.compound_id) if form.compound_id else None
    teams = [team for team in await svc.org.teams() if team.id in form.team_ids]
    existing = await svc.members.get(turn.actor.id)
    editing = existing is not None and existing.status is not MemberStatus.REJECTED
    fields = form.model_dump()
    return views.summary(
        turn.t, turn.language, fields, compound, teams, editing=editing, nonce=form.nonce
    )


async def _places(turn: Turn[MemberForm], unit_id: int | None) -> OutMessage:
    """The compound step at ``unit_id`` (the top, with the home compound first, when None)."""
    svc = turn.services
    unit = await svc.org.unit(unit_id) if unit_id is not None else None
    if unit_id is not None and unit is None:
        raise StaleButton(turn.cb)
    choice = await svc.org.browse(unit.id if unit else None)
    path = await svc.org.path(unit) if unit else []
    home_id = turn.actor.person.home_unit_id
    home = await svc.org.unit(home_id) if unit is None and home_id is not None else None
    return views.compound_prompt(turn.t, turn.language, choice, path, home)


JOIN.review(JoinStep.SUMMARY, JoinStep.EDIT, views.STEP_NAMES)


# -- what each step takes ------------------------------------------------------------------
_TYPED = {
    JoinStep.NAME: MemberForm.set_name,
    JoinStep.WORK_UNIT: MemberForm.set_work_unit,
    JoinStep.PHONE: MemberForm.set_phone,  # a mainland mobile number
    JoinStep.SKILLS: MemberForm.set_skills,
}


@JOIN.text(*_TYPED)
async def typed(turn: Turn[MemberForm], text: str) -> JoinStep:
    """Name, work unit, phone or skills, typed."""
    _TYPED[turn.form.step](turn.form, text)
    return turn.form.next_step()


@JOIN.skip(JoinStep.SKILLS)
async def no_skills(turn: Turn[MemberForm]) -> JoinStep:
    """No skills to name."""
    turn.form.set_skills(None)
    return turn.form.next_step()


@JOIN.contact(JoinStep.PHONE)
async def contact(turn: Turn[MemberForm], phone: str) -> JoinStep:
    """The phone number, shared with the button."""
    turn.form.phone = phone
    return turn.form.next_step()


async def _answered(turn: Turn[MemberForm]) -> JoinStep:
    """The step's answer is in the form: close its buttons, on to the next step."""
    await turn.close()
    return turn.form.next_step()


@JOIN.button(JoinStep.WORK_UNIT, "nowork")
async def no_work_unit(turn: Turn[MemberForm]) -> JoinStep:
    """No work unit (retired, not employed)."""
    turn.form.set_work_unit(None)
    return await _answered(turn)


@JOIN.button(JoinStep.COMPOUND, "c")
async def compound(turn: Turn[MemberForm]) -> JoinStep | None:
    """Open a unit one level down, or take the compound."""
    unit_id = turn.cb.int_arg() if turn.cb else None
    unit = await turn.services.org.unit(unit_id) if unit_id is not None else None
    if unit is None or unit.level is not Level.COMPOUND:  # open it: one level down
        await turn.edit(await _places(turn, unit_id))
        return None
    turn.form.compound_id = unit.id
    return await _answered(turn)


@JOIN.button(JoinStep.TYPE, "type")
async def member_type(turn: Turn[MemberForm]) -> JoinStep:
    """Party member in service, not in work or retired, or volunteer."""
    turn.form.member_type = turn.choice(MemberType)
    return await _answered(turn)


@JOIN.button(JoinStep.TEAMS, "team")
async def toggle_team(turn: Turn[MemberForm]) -> None:
    """Tick or untick a service team."""
    turn.form.toggle_team(turn.int(0))
    await turn.edit(await ask_teams(turn))


@JOIN.button(JoinStep.AVAILABILITY, "slot")
async def toggle_slot(turn: Turn[MemberForm]) -> None:
    """Tick or untick when the member can serve."""
    turn.form.toggle_availability(turn.choice(Availability))
    await turn.edit(ask_availability(turn))


@JOIN.button(JoinStep.TEAMS, "teams")
@JOIN.button(JoinStep.AVAILABILITY, "slots")
async def ticked(turn: Turn[MemberForm]) -> JoinStep:
    """The boxes of this step are ticked (one at least, or the step stays)."""
    turn.form.check_ticked()
    return await _answered(turn)


@JOIN.button(JoinStep.SHARE_PHONE, "share")
async def share_phone(turn: Turn[MemberForm]) -> JoinStep:
    """May residents see the phone number?"""
    turn.form.share_phone = turn.pick(YES_NO)
    return await _answered(turn)


@JOIN.finish(JoinStep.SUMMARY, "ok")
async def submit(turn: Turn[MemberForm]) -> None:
    """Send the registration for approval (or save the edited profile), with the end of
    this flow."""
    svc = turn.services
    existing = await svc.members.get(turn.actor.id)
    member = await svc.members.submit(turn.actor, turn.form, turn.end())
    await turn.close()
    # Sent for approval now: new, registering again, or moved to another community.
    asked = member.status is MemberStatus.PENDING and (
        existing is None or existing.status is not MemberStatus.PENDING
    )
    await turn.reply(views.submitted(turn.t, new=asked, roles=turn.actor.roles))


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
    """Approvals, /pause and /resume (the /join flow is :data:`JOIN`)."""
    all_menu = {s for label, _ in MAIN_MENU for s in i18n.all_translations(label)}
    return [
        MEMBER_ADMIN.handler(),
        CommandHandler("pause", pause, filters.ChatType.PRIVATE),
        CommandHandler("resume", resume, filters.ChatType.PRIVATE),
        PAUSE.handler(),
        MessageHandler(
            Awaiting(user_data, KINDS) & ~filters.COMMAND & ~menu_labels(all_menu),
            awaited_answer,
        ),
    ]
