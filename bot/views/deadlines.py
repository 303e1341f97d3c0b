"""Messages of the deadline clocks: reminders, escalation cards, extensions."""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from bot import cbdata
from bot.i18n import Translator
from bot.messages import Button, OutMessage
from bot.models import EXTENSION_DAYS, Request, RequestView, Tier
from bot.views.common import esc
from bot.views.requests import LEVEL_NAMES, TIER_NAMES, member_card
from bot.views.tasks import TASK, assign_button, task_buttons

__all__ = [
    "ESCALATE",
    "EXTEND",
    "LEVEL_NAMES",
    "escalation_card",
    "extension_card",
    "reminder",
]

ESCALATE = "es"
EXTEND = "xt"


def fmt_span(t: Translator, span: timedelta) -> str:
    """A duration, roughly: '25 minutes', '3 hours', '2 days'."""
    minutes = max(0, int(span.total_seconds() // 60))
    if minutes < 60:
        return t.ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)
    hours = minutes // 60
    if hours < 48:
        return t.ngettext("{n} hour", "{n} hours", hours).format(n=hours)
    days = hours // 24
    return t.ngettext("{n} day", "{n} days", days).format(n=days)


def reminder(
    t: Translator,
    language: str,
    view: RequestView,
    now: datetime,
    tz: tzinfo,
    *,
    what: str,
    due: datetime | None,
    can_accept: bool,
) -> OutMessage:
    """催办: the request is still waiting; with the card and its buttons."""
    left = fmt_span(t, due - now) if due else ""
    if due is not None and due <= now:
        head = t("⏰ <b>Reminder:</b> this request is overdue by {span}.").format(
            span=fmt_span(t, now - due)
        )
    elif what == "accept":
        head = t(
            "⏰ <b>Reminder:</b> this request still needs someone to take it ({left} left)."
        ).format(left=left)
    else:
        head = t("⏰ <b>Reminder:</b> this task is due in {left}.").format(left=left)
    card = member_card(t, language, view, now, tz=tz, holder=not can_accept)
    if can_accept:
        buttons: tuple[tuple[Button, ...], ...] = (
            (Button(t("✋ Accept"), cbdata.encode(TASK, "acc", view.request.id)),),
        )
    else:
        buttons = task_buttons(t, view.request)
    return OutMessage(
        f"{head}\n{card.text}", buttons=buttons, photos=card.photos, location=card.location
    )


def escalation_card(
    t: Translator,
    language: str,
    view: RequestView,
    now: datetime,
    tz: tzinfo,
    *,
    what: str,
    level: str,
    overdue: timedelta,
) -> OutMessage:
    """督办: an overdue request reaches the admins of a level, with what they can do."""
    r = view.request
    if what == "accept":
        head = t(
            "🚨 <b>Nobody has taken this request in time</b> (overdue by {span}); "
            "it is now with {level}."
        )
    else:
        head = t(
            "🚨 <b>This request is not resolved in time</b> (overdue by {span}); "
            "it is now with {level}."
        )
    head = head.format(span=fmt_span(t, overdue), level=t(LEVEL_NAMES[level]))
    card = member_card(t, language, view, now, tz=tz, admin=True)
    lines = [head, card.text]
    if view.assignee_name:
        lines.append(t("Taken by: {name}").format(name=esc(view.assignee_name)))
    rid = r.id
    tiers = [
        Button(t(TIER_NAMES[tier]), cbdata.encode(ESCALATE, "tier", rid, tier.value))
        for tier in Tier
        if tier is not r.tier
    ]
    extend = [
        Button(t("+{days} d").format(days=days), cbdata.encode(ESCALATE, "ext", rid, days))
        for days in EXTENSION_DAYS
    ]
    buttons: list[tuple[Button, ...]] = [
        (assign_button(t, r),),
        tuple(tiers),
        tuple(extend),
    ]
    if r.assignee_id is not None:
        buttons.append((Button(t("💬 Message the member"), cbdata.encode(ESCALATE, "msg", rid)),))
    return OutMessage("\n".join(lines), buttons=tuple(buttons), location=card.location)


def retiered(t: Translator, request: Request) -> OutMessage:
    return OutMessage(
        t("{number} is now: {tier}. Its deadlines were recomputed.").format(
            number=esc(request.number), tier=t(TIER_NAMES[request.tier])
        )
    )


def extend_reason_prompt(t: Translator, request: Request, days: int) -> OutMessage:
    return OutMessage(
        t("Why does <b>{number}</b> get {days} more days? (/cancel to stop)").format(
            number=esc(request.number), days=days
        )
    )


def extended(t: Translator, request: Request, days: int) -> OutMessage:
    return OutMessage(
        t("The deadline of {number} moved {days} days later.").format(
            number=esc(request.number), days=days
        )
    )


def admin_message_prompt(t: Translator, request: Request) -> OutMessage:
    return OutMessage(
        t("Type your message to the member working on <b>{number}</b>. (/cancel to stop)").format(
            number=esc(request.number)
        )
    )


def admin_message(t: Translator, request: Request, text: str) -> OutMessage:
    return OutMessage(
        t("📣 The community writes about <b>{number}</b>:").format(number=esc(request.number))
        + "\n"
        + esc(text),
        buttons=(
            (
                Button(
                    t("Open {number}").format(number=request.number),
                    cbdata.encode(TASK, "open", request.id),
                ),
            ),
        ),
    )


def sent(t: Translator) -> OutMessage:
    return OutMessage(t("Sent."))


# -- members asking for more time ---------------------------------------------------------
def extension_days_prompt(t: Translator, request: Request) -> OutMessage:
    buttons = tuple(
        Button(t("+{days} d").format(days=days), cbdata.encode(EXTEND, "d", request.id, days))
        for days in EXTENSION_DAYS
    )
    return OutMessage(
        t("How many more days do you need for <b>{number}</b>?").format(
            number=esc(request.number)
        ),
        buttons=(buttons,),
    )


def extension_reason_prompt(t: Translator, request: Request, days: int) -> OutMessage:
    return OutMessage(
        t(
            "Why do you need {days} more days for <b>{number}</b>? The community "
            "decides. (/cancel to stop)"
        ).format(number=esc(request.number), days=days)
    )


def extension_asked(t: Translator) -> OutMessage:
    return OutMessage(t("Your request for more time was sent to the community."))


def extension_card(
    t: Translator,
    language: str,
    request: Request,
    name: str,
    days: int,
    reason: str,
    extension_id: int,
) -> OutMessage:
    text = t("⏳ <b>{name} asks for {days} more days</b> for {number}: {reason}").format(
        name=esc(name), days=days, number=esc(request.number), reason=esc(reason)
    )
    return OutMessage(
        text,
        buttons=(
            (
                Button(t("Approve"), cbdata.encode(EXTEND, "ok", extension_id)),
                Button(t("Refuse"), cbdata.encode(EXTEND, "no", extension_id)),
            ),
        ),
    )


def extension_decided(t: Translator, request: Request, days: int, approve: bool) -> OutMessage:
    if approve:
        text = t("✅ The community gave you {days} more days for {number}.")
    else:
        text = t(
            "The community could not give you more days for {number}; please finish it "
            "or hand it back."
        )
    return OutMessage(text.format(days=days, number=esc(request.number)))


def extension_done(t: Translator, approve: bool) -> OutMessage:
    return OutMessage(t("Approved: the deadline moved.") if approve else t("Refused."))
