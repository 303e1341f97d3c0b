"""Messages to departments' staff: a sub-order's card (派单) with what they can do, reminders and
escalations (督办), joint meetings, and the prompts and answers of their actions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, tzinfo

from bot import cbdata
from bot.i18n import N_, Translator
from bot.messages import Button, OutMessage, rows
from bot.models import Department, Role
from bot.models.whistle import MeetingView, SubOrder, SubOrderView, WhistleView
from bot.suborders import SETTLED, STATE_NAMES, SubOrderRole, SubOrderState
from bot.views.common import esc, fmt_time
from bot.views.forms import cancel_row
from bot.views.requests import TIER_ICON, TIER_SHORT, pin_of, place_line

__all__ = [
    "ORDERS",
    "OrderRender",
    "escalation_card",
    "meeting_card",
    "order_card",
    "orders_list",
    "ready_card",
    "reminder_card",
    "reopened_card",
    "watch_card",
]

ORDERS = "so"
MEETING_FLOW = "mf"  # the steps of proposing a joint on-site meeting
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
MEETING_TIMES = ("08:30", "09:30", "10:30", "11:00", "14:30", "15:30", "16:30")

OrderRender = Callable[[Translator, str, SubOrderView, datetime, tzinfo], OutMessage]

ROLE_NAMES = {SubOrderRole.LEAD: N_("lead"), SubOrderRole.ASSIST: N_("assisting")}
# Why a department returns a sub-order (the reason is typed next).
RETURN_KINDS = (N_("Not our responsibility: it is another department's"), N_("Another reason"))
ANSWERS = {"yes": "✅", "no": "✖", None: "❔"}


def role_name(t: Translator, role: SubOrderRole) -> str:
    return t(ROLE_NAMES[role])


def state_name(t: Translator, state: SubOrderState) -> str:
    return t(STATE_NAMES[state])


def departments_line(t: Translator, language: str, view: SubOrderView) -> str:
    """Who is on the whistle: the lead and the assisting departments still on it."""
    everyone = [(view.sub_order, view.department), *view.others]
    live = [
        (o, d)
        for o, d in everyone
        if o.state in (SubOrderState.SENT, SubOrderState.SIGNED, SubOrderState.COMPLETED)
    ]
    lead = [d.label(language) for o, d in live if o.role is SubOrderRole.LEAD]
    assist = [d.label(language) for o, d in live if o.role is SubOrderRole.ASSIST]
    line = t("Lead: {lead}").format(lead=esc(t(", ").join(lead)) or t("(none)"))
    if assist:
        line += t("; assisting: {names}").format(names=esc(t(", ").join(assist)))
    return line


def _deadline(t: Translator, order: SubOrder, now: datetime, tz: tzinfo) -> str | None:
    if order.state is SubOrderState.SENT:
        due, label = order.sign_due_at, N_("Sign for it by {when}")
    elif order.state is SubOrderState.SIGNED and order.complete_due_at is not None:
        due, label = order.complete_due_at, N_("Complete by {when}")
    else:
        return None
    line = t(label).format(when=fmt_time(due, tz))
    if now > due:
        line += " " + t("⚠ overdue")
    return line


def _body(
    t: Translator, language: str, view: SubOrderView, now: datetime, tz: tzinfo
) -> list[str]:
    """What a department is told of the request and of its part."""
    order, r = view.sub_order, view.request.request
    lines = [
        f"{TIER_ICON[r.tier]} <b>{esc(r.number)}</b>"
        f" · {esc(view.request.category.label(language))} · {t(TIER_SHORT[r.tier])}",
        t("#{id} · {department}, {role}").format(
            id=order.id,
            department=esc(view.department.label(language)),
            role=role_name(t, order.role),
        ),
        t("Compound: {place}").format(place=esc(view.request.compound_path[-1].label(language))),
    ]
    if (place := place_line(t, r)) is not None:
        lines.append(place)
    lines.append(t("Description: {text}").format(text=esc(r.description)))
    if view.request.photos:
        lines.append(t("Photos: {count}").format(count=len(view.request.photos)))
    lines.append(t("Whistle blown by {unit}").format(unit=esc(view.whistler_unit.label(language))))
    if view.whistle.note:
        lines.append(t("Whistler's note: {note}").format(note=esc(view.whistle.note)))
    lines.append(t("<b>Asked of your department:</b> {ask}").format(ask=esc(order.ask)))
    lines.append(departments_line(t, language, view))
    if view.contact_name or view.contact_phone:
        lines.append(
            t("Resident: {name}, {phone}").format(
                name=esc(view.contact_name) or t("(none)"),
                phone=esc(view.contact_phone) or t("(none)"),
            )
        )
    else:
        lines.append(t("Resident's contact: not shared with departments"))
    if order.ruled:
        lines.append(t("⚖ Assigned by the district's ruling: it cannot be returned."))
    lines.append(t("State: {state}").format(state=state_name(t, order.state)))
    if order.return_reason:  # returned: why (also while the district rules on it)
        lines.append(t("Reason: {reason}").format(reason=esc(order.return_reason)))
    if order.on_site_at is not None:
        lines.append(t("On site since {when}").format(when=fmt_time(order.on_site_at, tz)))
    if (deadline := _deadline(t, order, now, tz)) is not None:
        lines.append(deadline)
    if order.escalation_level == "head":
        lines.append(t("⚠ Escalated to the department's head"))
    elif order.escalation_level == "district":
        lines.append(t("⚠ Escalated to the district"))
    for meeting in view.meetings:
        lines.append(meeting_line(t, meeting, tz))
    return lines


def _buttons(t: Translator, view: SubOrderView) -> tuple[tuple[Button, ...], ...]:
    order = view.sub_order
    oid = order.id
    photos = (
        (Button(t("🖼 Photos"), cbdata.encode(ORDERS, "pv", oid)),) if view.request.photos else ()
    )
    if order.state is SubOrderState.SENT:
        actions = [Button(t("✅ Sign for it"), cbdata.encode(ORDERS, "sg", oid))]
        if not order.ruled:
            actions.append(Button(t("↩ Return it"), cbdata.encode(ORDERS, "rt", oid)))
        return (tuple(actions), *((photos,) if photos else ()))
    if order.state is SubOrderState.SIGNED:
        return (
            *rows(
                Button(t("📍 On site"), cbdata.encode(ORDERS, "os", oid)),
                Button(t("📝 Progress note"), cbdata.encode(ORDERS, "nt", oid)),
                Button(t("📷 Add photos"), cbdata.encode(ORDERS, "ph", oid)),
                Button(t("🤝 Joint on-site meeting"), cbdata.encode(MEETING_FLOW, "go", oid)),
            ),
            (Button(t("✅ Our part is done"), cbdata.encode(ORDERS, "cp", oid)),),
            *((photos,) if photos else ()),
        )
    if order.state is SubOrderState.COMPLETED and order.is_lead and view.whistle.state == "open":
        everyone = [order, *(o for o, _d in view.others)]
        if all(o.state in SETTLED for o in everyone):
            return ((Button(t("🏁 Resolve the request"), cbdata.encode(ORDERS, "rs", oid)),),)
    return ()


def order_card(
    t: Translator, language: str, view: SubOrderView, now: datetime, tz: tzinfo
) -> OutMessage:
    """派单: a department's sub-order as it stands, with what its staff can do now. The first
    card comes with the pin of the place the resident shared."""
    lines = [
        t("🔔 <b>Whistle: your department's sub-order</b>"),
        *_body(t, language, view, now, tz),
    ]
    return OutMessage(
        "\n".join(lines), buttons=_buttons(t, view), location=pin_of(view.request.request)
    )


def _headed(head: str, view_render: OrderRender = order_card) -> OrderRender:
    def render(
        t: Translator, language: str, view: SubOrderView, now: datetime, tz: tzinfo
    ) -> OutMessage:
        card = view_render(t, language, view, now, tz)
        return OutMessage(f"{t(head)}\n{card.text}", buttons=card.buttons)

    return render


def reminder_card(what: str) -> OrderRender:
    """催办: 50% and 80% of the window to sign for it (or to complete it) have passed."""
    if what == "sign":
        return _headed(N_("⏰ <b>Reminder: please sign for this sub-order</b>"))
    return _headed(N_("⏰ <b>Reminder: this sub-order is due to be completed</b>"))


def escalation_card(what: str, level: str) -> OrderRender:
    """督办: to the department's head (who may act on it), or to the district (to watch)."""
    if level == "head":
        head = (
            N_("⚠ <b>Escalated to you as head: your department has not signed for this</b>")
            if what == "sign"
            else N_("⚠ <b>Escalated to you as head: your department is late completing this</b>")
        )
        return _headed(head)
    head = (
        N_("⚠ <b>District oversight: a department has not signed for its sub-order</b>")
        if what == "sign"
        else N_("⚠ <b>District oversight: a department is late completing its sub-order</b>")
    )
    return _headed(head, watch_card)


def watch_card(
    t: Translator, language: str, view: SubOrderView, now: datetime, tz: tzinfo
) -> OutMessage:
    """A sub-order as someone watching it sees it (no actions)."""
    lines = [*_body(t, language, view, now, tz)]
    return OutMessage("\n".join(lines))


def reopened_card(
    t: Translator, language: str, view: SubOrderView, now: datetime, tz: tzinfo
) -> OutMessage:
    return _headed(
        N_("↩ <b>The resident is not satisfied: your department's part is open again</b>")
    )(t, language, view, now, tz)


def ready_card(
    t: Translator, language: str, view: SubOrderView, now: datetime, tz: tzinfo
) -> OutMessage:
    return _headed(
        N_(
            "🏁 <b>Every department has completed its part. As the lead, please "
            "resolve the request.</b>"
        )
    )(t, language, view, now, tz)


def orders_list(
    t: Translator, language: str, views: list[SubOrderView], now: datetime, tz: tzinfo
) -> OutMessage:
    """/suborders: the open sub-orders of the person's departments."""
    if not views:
        return OutMessage(t("Your department has no open sub-orders."))
    lines = [t("<b>Open sub-orders</b> ({count})").format(count=len(views))]
    buttons = []
    for view in views:
        order, r = view.sub_order, view.request.request
        due = _deadline(t, order, now, tz)
        lines.append(
            f"• #{order.id} {esc(r.number)} · {esc(view.department.label(language))} · "
            f"{state_name(t, order.state)}" + (f" · {due}" if due else "")
        )
        buttons.append(Button(f"#{order.id} {r.number}", cbdata.encode(ORDERS, "v", order.id)))
    return OutMessage("\n".join(lines), buttons=rows(*buttons))


# -- joint meetings --------------------------------------------------------------------------
def meeting_line(t: Translator, meeting: MeetingView, tz: tzinfo) -> str:
    answers = t(", ").join(
        f"{esc(name)}{ANSWERS.get(party.answer, '❔')}" for party, name in meeting.parties
    )
    return t("🤝 Joint meeting {when} at {place} ({proposer}): {answers}").format(
        when=fmt_time(meeting.meeting.meets_at, tz),
        place=esc(meeting.meeting.place),
        proposer=esc(meeting.proposer),
        answers=answers,
    )


def meeting_card(
    t: Translator,
    language: str,
    view: WhistleView,
    meeting_id: int,
    party_id: int,
    now: datetime,
    tz: tzinfo,
) -> OutMessage:
    """A joint on-site meeting, with the answers so far and this party's buttons."""
    meeting = next((m for m in view.meetings if m.meeting.id == meeting_id), None)
    r = view.request.request
    if meeting is None:
        return OutMessage(t("This meeting was called off."))
    party = next((p for p, _name in meeting.parties if p.id == party_id), None)
    lines = [
        t("🤝 <b>Joint on-site meeting</b> · {number}").format(number=esc(r.number)),
        t("Time: {when}").format(when=fmt_time(meeting.meeting.meets_at, tz)),
        t("Meeting place: {place}").format(place=esc(meeting.meeting.place)),
        t("Proposed by: {who}").format(who=esc(meeting.proposer)),
    ]
    for item, name in meeting.parties:
        answer = {"yes": t("✅ attends"), "no": t("✖ cannot attend")}.get(
            item.answer or "", t("❔ not answered")
        )
        lines.append(f"· {esc(name)}：{answer}")
    buttons: tuple[tuple[Button, ...], ...] = ()
    if party is not None and meeting.meeting.meets_at > now:
        buttons = (
            (
                Button(t("✅ We attend"), cbdata.encode(ORDERS, "ma", party.id, 1)),
                Button(t("✖ We cannot"), cbdata.encode(ORDERS, "ma", party.id, 0)),
            ),
        )
    return OutMessage("\n".join(lines), buttons=buttons)


# -- prompts and answers ------------------------------------------------------------------
def return_kinds(t: Translator, order_id: int) -> OutMessage:
    buttons = [
        Button(t(kind), cbdata.encode(ORDERS, "rk", order_id, n))
        for n, kind in enumerate(RETURN_KINDS)
    ]
    return OutMessage(
        t("Why does your department return this sub-order? The whistler will re-route it."),
        buttons=tuple((b,) for b in buttons),
    )


PROMPTS = {
    "return": N_("Please write the reason in one message (at most 500 characters)."),
    "note": N_(
        "Send the progress note in one message. The whistler and the other departments "
        "see it; the resident does not."
    ),
    "photo": N_("Send the photos of the site (up to 10). Press Done when finished."),
    "complete": N_("Send the report of what your department did, in one message."),
    "resolve": N_(
        "Send the answer for the resident in one message: what was done. The "
        "resident reads it: no names or phone numbers, please."
    ),
    "on_site": N_(
        "Share your location to mark the place, or press the button to report without it."
    ),
}


def prompt(t: Translator, kind: str, order_id: int) -> OutMessage:
    """Ask for the text (or photos, or a location) of an action."""
    buttons: tuple[tuple[Button, ...], ...] = (
        (Button(t("Cancel"), cbdata.encode(ORDERS, "x", order_id)),),
    )
    if kind == "photo":
        buttons = ((Button(t("Done"), cbdata.encode(ORDERS, "x", order_id)),),)
    if kind == "on_site":
        buttons = (
            (Button(t("📍 Report without a location"), cbdata.encode(ORDERS, "on", order_id)),),
            (Button(t("Cancel"), cbdata.encode(ORDERS, "x", order_id)),),
        )
    return OutMessage(t(PROMPTS[kind]), buttons=buttons)


def done(t: Translator, what: str, department: Department | None = None) -> OutMessage:
    texts = {
        "signed": N_("Signed for. The completion deadline is on the card."),
        "returned": N_("Returned to the whistler with your reason."),
        "on_site": N_("Reported on site."),
        "noted": N_("Progress note saved."),
        "completed": N_("Your department's part is done. Thank you."),
        "resolved": N_("The request is resolved; the resident is asked to rate it."),
        "cancelled": N_("Cancelled."),
        "answered": N_("Your answer is recorded."),
    }
    return OutMessage(t(texts[what]))


def photo_saved(t: Translator, count: int) -> OutMessage:
    return OutMessage(t("Photo {count} saved. Send more, or press Done.").format(count=count))


# -- proposing a joint meeting (a guided flow) -------------------------------------------------
def day_label(t: Translator, day: date) -> str:
    """``11-27 Fri`` (周五)."""
    return f"{day:%m-%d} {t(WEEKDAYS[day.weekday()])}"


def meeting_day_prompt(t: Translator, days: list[date]) -> OutMessage:
    """Step 1: which day (the next working days)."""
    buttons = [
        Button(day_label(t, day), cbdata.encode(MEETING_FLOW, "d", f"{day:%Y%m%d}"))
        for day in days
    ]
    return OutMessage(
        t(
            "🤝 <b>Joint on-site meeting</b>\nOn which day? The other parties will be asked to "
            "confirm."
        ),
        buttons=(*rows(*buttons, width=3), cancel_row(t, MEETING_FLOW)),
    )


def meeting_time_prompt(t: Translator, day: date) -> OutMessage:
    """Step 2: at what time."""
    buttons = [
        Button(hhmm, cbdata.encode(MEETING_FLOW, "h", hhmm.replace(":", "")))
        for hhmm in MEETING_TIMES
    ]
    return OutMessage(
        t("At what time on {day}?").format(day=day_label(t, day)),
        buttons=(*rows(*buttons, width=4), cancel_row(t, MEETING_FLOW)),
    )


def meeting_place_prompt(t: Translator) -> OutMessage:
    """Step 3: where to meet, typed."""
    return OutMessage(
        t("Where do you meet? Send it in one message, e.g. the gate of building 3."),
        buttons=(cancel_row(t, MEETING_FLOW),),
    )


def meeting_confirm(
    t: Translator, when: datetime, place: str, tz: tzinfo, nonce: str
) -> OutMessage:
    """Step 4: propose it to the other parties."""
    return OutMessage(
        t(
            "🤝 Propose a joint on-site meeting at {when}, at {place}? The other departments, the "
            "whistling community and the first secretaries who joined are asked to confirm."
        ).format(when=fmt_time(when, tz), place=esc(place)),
        buttons=(
            (Button(t("📣 Send the invitations"), cbdata.encode(MEETING_FLOW, "ok", nonce)),),
            cancel_row(t, MEETING_FLOW),
        ),
    )


def meeting_proposed(t: Translator) -> OutMessage:
    return OutMessage(t("The invitations are sent; the answers appear on the card."))


def meeting_set_aside(t: Translator, minutes: int) -> OutMessage:
    return OutMessage(
        t(
            "You did not go on with the joint meeting for {minutes} minutes, so it was set aside "
            "and nothing was sent. Press 🤝 on the sub-order's card to begin again."
        ).format(minutes=minutes)
    )


def meeting_cancelled(t: Translator, roles: set[Role]) -> OutMessage:
    del roles
    return OutMessage(t("No meeting was proposed."))
