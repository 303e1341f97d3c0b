"""Messages of a whistle for the whistling side, the district, first secretaries and the
resident: the steps of blowing it, the whistle's board, a returned sub-order, a dispute to
rule on, and what the resident is told (plain steps, never a name or a phone)."""

from __future__ import annotations

from datetime import datetime, tzinfo

from bot import cbdata
from bot.i18n import N_, Translator
from bot.lifecycle import OPEN
from bot.messages import Button, OutMessage, rows
from bot.models import Department, Request, Role
from bot.models.whistle import (
    SubOrder,
    SubOrderView,
    WhistleDraft,
    WhistleOptions,
    WhistleView,
)
from bot.suborders import ACTIVE, SubOrderRole, SubOrderState
from bot.views.common import esc, fmt_time
from bot.views.forms import cancel_button, cancel_row
from bot.views.requests import TIER_ICON, TIER_SHORT, status_name
from bot.views.suborders import ROLE_NAMES, meeting_line, role_name, state_name, watch_card

__all__ = [
    "FLOW",
    "WHISTLE",
    "board",
    "dispute_card",
    "resident_on_site",
    "resident_whistled",
    "return_card",
    "secretary_card",
]

WHISTLE = "wh"  # the whistler's, the district's and first secretaries' buttons
FLOW = "wf"  # the steps of blowing the whistle
BOARD_NOTES = 3  # the latest progress notes on the board


def names(t: Translator, departments: list[Department], language: str) -> str:
    return t(", ").join(d.label(language) for d in departments)


# -- the resident ----------------------------------------------------------------------------
def resident_whistled(
    t: Translator, language: str, *, request: Request, departments: list[Department], own: bool
) -> OutMessage:
    """吹哨: the departments act together on the resident's request."""
    text = (
        t(
            "🔔 Your request <b>{number}</b> needs several departments: the community has blown "
            "the whistle, and {departments} will act on it together. Follow it in My requests."
        )
        if own
        else t(
            "🔔 The request <b>{number}</b> you follow needs several departments: the "
            "community has blown the whistle, and {departments} will act on it together."
        )
    )
    return OutMessage(
        text.format(number=esc(request.number), departments=esc(names(t, departments, language)))
    )


def resident_on_site(
    t: Translator, language: str, *, request: Request, department: Department, own: bool
) -> OutMessage:
    del own  # the same words for the resident and the neighbours following it
    return OutMessage(
        t("🚩 <b>{number}</b>: {department} is on site.").format(
            number=esc(request.number), department=esc(department.label(language))
        )
    )


# -- the steps of blowing the whistle --------------------------------------------------------
def _head(t: Translator, language: str, options: WhistleOptions) -> str:
    r = options.request.request
    return t("🔔 <b>Whistle</b> · {number} · {category}").format(
        number=esc(r.number), category=esc(options.request.category.label(language))
    )


def pick_departments(
    t: Translator, language: str, options: WhistleOptions, draft: WhistleDraft
) -> OutMessage:
    """Step 1: which departments (several may be picked; a press ticks or unticks one)."""
    lines = [_head(t, language, options)]
    busy = [d for o, d in options.on_it if o.state in ACTIVE]
    if busy:
        lines.append(t("Already on it: {names}").format(names=esc(names(t, busy, language))))
    lines.append(t("Which departments should act? Pick one or more, then Next."))
    chosen = {p.department_id for p in draft.parts}
    buttons = [
        Button(
            ("✅ " if d.id in chosen else "") + d.label(language), cbdata.encode(FLOW, "t", d.id)
        )
        for d in options.available()
    ]
    last = [cancel_button(t, FLOW)]
    if chosen:
        last.insert(0, Button(t("Next ➡"), cbdata.encode(FLOW, "nx")))
    return OutMessage("\n".join(lines), buttons=(*rows(*buttons), tuple(last)))


def pick_lead(
    t: Translator, language: str, options: WhistleOptions, draft: WhistleDraft
) -> OutMessage:
    """Step 2: which of them leads (主办) and resolves the whole matter."""
    known = {d.id: d for d in options.departments}
    buttons = [
        Button(known[p.department_id].label(language), cbdata.encode(FLOW, "ld", p.department_id))
        for p in draft.parts
        if p.department_id in known
    ]
    text = "\n".join(
        [
            _head(t, language, options),
            t(
                "Which department leads? It resolves the request once every department has done "
                "its part; the others assist."
            ),
        ]
    )
    return OutMessage(text, buttons=(*rows(*buttons), cancel_row(t, FLOW)))


def ask_prompt(
    t: Translator, language: str, department: Department, index: int, total: int, same: bool
) -> OutMessage:
    """Step 3, once per department: what it is asked to do."""
    text = t("What should {department} do? Send it in one message ({n} of {total}).").format(
        department=esc(department.label(language)), n=index, total=total
    )
    first: list[Button] = []
    if same:
        first.append(Button(t("Same as the previous one"), cbdata.encode(FLOW, "same")))
    return OutMessage(text, buttons=(*((tuple(first),) if first else ()), cancel_row(t, FLOW)))


def note_prompt(t: Translator) -> OutMessage:
    """Step 4: a note for every department (optional)."""
    return OutMessage(
        t(
            "Anything every department should know (the history, who to contact on site)? "
            "Send it in one message, or skip."
        ),
        buttons=((Button(t("Skip"), cbdata.encode(FLOW, "sk")), cancel_button(t, FLOW)),),
    )


def summary(
    t: Translator, language: str, options: WhistleOptions, draft: WhistleDraft
) -> OutMessage:
    """The whistle before it is sent: departments, asks, note, the contact choice."""
    known = {d.id: d for d in options.departments}
    lines = [_head(t, language, options), t("<b>Please check before sending:</b>")]
    for part in draft.parts:
        department = known.get(part.department_id)
        if department is None:
            continue
        role = ROLE_NAMES[SubOrderRole.LEAD if part.lead else SubOrderRole.ASSIST]
        lines.append(
            f"• <b>{esc(department.label(language))}</b>（{t(role)}）：{esc(part.ask or '')}"
        )
    if draft.note:
        lines.append(t("Note for every department: {note}").format(note=esc(draft.note)))
    r = options.request.request
    if r.anonymous:
        lines.append(t("The resident asked to stay anonymous: no contact goes to departments."))
    elif draft.share_contact:
        lines.append(t("☑ The departments get the resident's name and phone (this is recorded)."))
    else:
        lines.append(t("☐ The departments do not get the resident's name and phone."))
    buttons: list[tuple[Button, ...]] = []
    if not r.anonymous:
        label = (
            t("☑ Share the resident's contact")
            if draft.share_contact
            else t("☐ Share the resident's contact")
        )
        buttons.append((Button(label, cbdata.encode(FLOW, "ct")),))
    buttons.append((Button(t("📣 Blow the whistle"), cbdata.encode(FLOW, "ok", draft.nonce)),))
    buttons.append(
        (Button(t("✏ Change departments"), cbdata.encode(FLOW, "ed")), cancel_button(t, FLOW))
    )
    return OutMessage("\n".join(lines), buttons=tuple(buttons))


def sent(t: Translator, language: str, count: int, departments: list[Department]) -> OutMessage:
    return OutMessage(
        t.ngettext(
            "📣 Whistle blown: {count} department got its sub-order ({names}). Its progress "
            "is on the board below.",
            "📣 Whistle blown: {count} departments got their sub-orders ({names}). Their "
            "progress is on the board below.",
            count,
        ).format(count=count, names=esc(names(t, departments, language)))
    )


def cancelled(t: Translator, roles: set[Role]) -> OutMessage:
    """The whistle dropped at the whistler's wish."""
    del roles  # an administrator's: no keyboard to bring back
    return OutMessage(t("The whistle was not blown."))


def set_aside(t: Translator, minutes: int) -> OutMessage:
    """The whistle being prepared was idle too long."""
    return OutMessage(
        t(
            "You did not go on with the whistle for {minutes} minutes, so it was set aside and "
            "nothing was sent. Press 🔔 on the request's card to begin again."
        ).format(minutes=minutes)
    )


def no_departments(t: Translator) -> OutMessage:
    return OutMessage(
        t("No department serves this area yet: they are listed in the org file ([[departments]]).")
    )


# -- the whistle's board --------------------------------------------------------------------
def _order_line(
    t: Translator, language: str, item: tuple[SubOrder, Department], now: datetime, tz: tzinfo
) -> str:
    order, department = item
    star = "⭐ " if order.is_lead else "· "
    parts = [state_name(t, order.state)]
    if order.on_site_at is not None and order.state is SubOrderState.SIGNED:
        parts.append(t("on site"))
    if order.state is SubOrderState.SENT:
        parts.append(t("sign for it by {when}").format(when=fmt_time(order.sign_due_at, tz)))
    elif order.state is SubOrderState.SIGNED and order.complete_due_at is not None:
        parts.append(t("complete by {when}").format(when=fmt_time(order.complete_due_at, tz)))
    if order.escalation_level == "head" and order.state in ACTIVE:
        parts.append(t("⚠ escalated to its head"))
    elif order.escalation_level == "district" and order.state in ACTIVE:
        parts.append(t("⚠ escalated to the district"))
    if order.state is SubOrderState.RETURNED and order.return_reason:
        parts.append(t("reason: {reason}").format(reason=esc(order.return_reason)))
    return f"{star}<b>{esc(department.label(language))}</b>（{role_name(t, order.role)}）：" + (
        " · ".join(parts)
    )


def board(
    t: Translator, language: str, view: WhistleView, now: datetime, tz: tzinfo
) -> OutMessage:
    """The whistle as it stands: every department's part, the meetings, who joined."""
    r = view.request.request
    lines = [
        t("🔔 <b>Whistle board</b> · {number} · {category}").format(
            number=esc(r.number), category=esc(view.request.category.label(language))
        ),
        t("Blown by {unit} at {when}").format(
            unit=esc(view.unit.label(language)), when=fmt_time(view.whistle.created_at, tz)
        ),
        t("Request: {status}").format(status=status_name(t, r.status)),
        t("Resident's contact: shared with the departments")
        if view.whistle.share_contact
        else t("Resident's contact: not shared"),
        "",
        t("<b>Departments</b>"),
    ]
    lines += [_order_line(t, language, item, now, tz) for item in view.sub_orders]
    for meeting in view.meetings:
        lines.append(meeting_line(t, meeting, tz))
    if view.joiners:
        lines.append(
            t("First secretaries who joined: {names}").format(
                names=esc(t(", ").join(p.display_name for p in view.joiners))
            )
        )
    buttons: list[tuple[Button, ...]] = []
    if not view.manage:  # a first secretary follows it; the decisions are the whistler's
        return OutMessage("\n".join(lines))
    returned = [(o, d) for o, d in view.sub_orders if o.state is SubOrderState.RETURNED]
    for order, department in returned:
        buttons.append(
            (
                Button(
                    t("🔁 Re-route {name}").format(name=department.label(language)),
                    cbdata.encode(WHISTLE, "rr", order.id),
                ),
            )
        )
    if r.status in OPEN:
        buttons.append((Button(t("➕ Add departments"), cbdata.encode(FLOW, "go", r.id)),))
    return OutMessage("\n".join(lines), buttons=tuple(buttons))


def secretary_card(
    t: Translator, language: str, view: WhistleView, now: datetime, tz: tzinfo
) -> OutMessage:
    """A first secretary hears of a whistle in their community, and may join."""
    r = view.request.request
    lead = view.lead
    lines = [
        t("🔔 <b>A whistle in your community</b> · {number}").format(number=esc(r.number)),
        f"{TIER_ICON[r.tier]} {esc(view.request.category.label(language))} · "
        f"{t(TIER_SHORT[r.tier])} · {esc(view.request.compound_path[-1].label(language))}",
        t("Description: {text}").format(text=esc(r.description)),
        t("Departments: {names}").format(
            names=esc(names(t, [d for _o, d in view.sub_orders], language))
        ),
    ]
    if lead is not None:
        lines.append(t("Lead: {lead}").format(lead=esc(lead[1].label(language))))
    return OutMessage(
        "\n".join(lines),
        buttons=(
            (
                Button(
                    t("🙋 Join the joint action"), cbdata.encode(WHISTLE, "jn", view.whistle.id)
                ),
            ),
        ),
    )


def secretary_list(
    t: Translator, language: str, views: list[WhistleView], now: datetime, tz: tzinfo
) -> OutMessage:
    """/whistles for a first secretary: the joint actions of their community."""
    if not views:
        return OutMessage(t("No whistle has been blown in your community yet."))
    lines = [t("<b>Joint actions in your community</b>")]
    buttons = []
    for view in views:
        r = view.request.request
        open_parts = sum(1 for o, _d in view.sub_orders if o.state in ACTIVE)
        lines.append(
            t("• {number} · {category} · {status} · {open} departments at work").format(
                number=esc(r.number),
                category=esc(view.request.category.label(language)),
                status=status_name(t, r.status),
                open=open_parts,
            )
        )
        buttons.append(Button(r.number, cbdata.encode(WHISTLE, "b", view.whistle.id)))
    return OutMessage("\n".join(lines), buttons=rows(*buttons))


# -- what a department returned, and disputes ------------------------------------------------
def return_card(
    t: Translator, language: str, view: SubOrderView, now: datetime, tz: tzinfo
) -> OutMessage:
    """退单: to the whistler, with re-routing, the district's ruling, or calling it off."""
    order = view.sub_order
    head = (
        t(
            "↩ <b>{department} returned its sub-order: it says another department is "
            "responsible</b>"
        )
        if order.dispute
        else t("↩ <b>{department} returned its sub-order</b>")
    ).format(department=esc(view.department.label(language)))
    card = watch_card(t, language, view, now, tz)
    buttons: tuple[tuple[Button, ...], ...] = ()
    if order.state is SubOrderState.RETURNED:
        row: list[Button] = [
            Button(t("🔁 Re-route"), cbdata.encode(WHISTLE, "rr", order.id)),
            Button(t("⚖ Ask the district to rule"), cbdata.encode(WHISTLE, "dp", order.id)),
        ]
        buttons = (tuple(row),)
        if not order.is_lead:
            buttons += ((Button(t("✖ Call it off"), cbdata.encode(WHISTLE, "wd", order.id)),),)
    return OutMessage(f"{head}\n{card.text}", buttons=buttons)


def dispute_card(
    t: Translator, language: str, view: SubOrderView, now: datetime, tz: tzinfo
) -> OutMessage:
    """区级统筹: the district's administrators rule which department does it."""
    order = view.sub_order
    head = t("⚖ <b>A dispute of responsibility for the district to rule on</b>")
    card = watch_card(t, language, view, now, tz)
    buttons: tuple[tuple[Button, ...], ...] = ()
    if order.state is SubOrderState.DISPUTED:
        buttons = (
            (Button(t("⚖ Rule: assign a department"), cbdata.encode(WHISTLE, "rl", order.id)),),
        )
    return OutMessage(f"{head}\n{card.text}", buttons=buttons)


def department_menu(
    t: Translator,
    language: str,
    title: str,
    departments: list[Department],
    action: str,
    order_id: int,
) -> OutMessage:
    """Pick the department to re-route to (``rd``) or to assign by ruling (``rld``)."""
    buttons = [
        Button(d.label(language), cbdata.encode(WHISTLE, action, order_id, d.id))
        for d in departments
    ]
    if not buttons:
        return OutMessage(t("No other department serves this area."))
    return OutMessage(t(title), buttons=rows(*buttons))


REROUTE_TITLE = N_("Re-route to which department? It gets the same ask and role.")
RULE_TITLE = N_("Which department is responsible? It gets the sub-order and cannot return it.")


def decided(t: Translator, what: str, department: Department | None, language: str) -> OutMessage:
    texts = {
        "rerouted": N_("Re-routed to {department}."),
        "disputed": N_("Sent to the district to rule."),
        "ruled": N_("Ruled: {department} does it."),
        "withdrawn": N_("Called off."),
        "joined": N_("You joined the joint action; its board follows."),
    }
    name = esc(department.label(language)) if department else ""
    return OutMessage(t(texts[what]).format(department=name))
