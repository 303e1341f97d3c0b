"""Messages of the service menu (菜单式服务): the teams' projects, ordering one (点单), the
lines a service order adds to its cards, and a team leader's list of orders."""

from __future__ import annotations

from collections.abc import Sequence

from bot import cbdata
from bot.i18n import N_, NC_, Translator
from bot.lifecycle import STATUS_NAMES
from bot.messages import Button, OutMessage, ReplyButton, rows
from bot.models import Member, Request, RequestView, ServiceTeam
from bot.models.service import MenuEntry, OrderForm, TeamOrder, TimeSlot
from bot.views.common import esc, ticked, unit_path

__all__ = [
    "MENU",
    "ORDER",
    "SLOT_NAMES",
    "contact_prompt",
    "filed",
    "leader_assigned",
    "leader_candidates",
    "leader_orders",
    "leader_teams",
    "menu",
    "need_prompt",
    "not_a_leader",
    "order_lines",
    "order_set_aside",
    "project",
    "slots_prompt",
    "slots_text",
    "summary",
]

MENU = "sv"
ORDER = "od"  # the ordering flow's buttons
SLOT_NAMES = {
    TimeSlot.WEEKDAY_MORNING: N_("Weekday mornings"),
    TimeSlot.WEEKDAY_AFTERNOON: N_("Weekday afternoons"),
    TimeSlot.WEEKDAY_EVENING: N_("Weekday evenings"),
    TimeSlot.WEEKEND: N_("Weekends"),
}
SHARE_PHONE = NC_("order", "📞 Share my phone number")
NO_PHONE = NC_("order", "No phone, message me here")
_LIST = NC_("list separator", ", ")


def _cancel(t: Translator) -> tuple[Button, ...]:
    return (Button(t("✖ Cancel"), cbdata.encode(ORDER, "cancel")),)


def slots_text(t: Translator, slots: list[str] | list[TimeSlot]) -> str:
    names = []
    for slot in slots:
        try:
            names.append(t(SLOT_NAMES[TimeSlot(slot)]))
        except ValueError:
            continue
    return t(_LIST).join(names)


def menu(t: Translator, language: str, entries: list[MenuEntry]) -> OutMessage:
    """The eight projects, a button each; below them activities, stations and points."""
    lines = [
        t("🧭 <b>Service menu</b>"),
        t("The party members' service teams and what each offers. Choose one to order it:"),
        "",
    ]
    for entry in entries:
        team = entry.team
        lines.append(
            t("<b>{project}</b> · {team}").format(
                project=esc(team.project_label(language)), team=esc(team.label(language))
            )
        )
        lines.append(esc(team.offers_label(language)))
    if not entries:
        lines.append(t("No service is on the menu yet."))
    buttons = [
        Button(
            f"{e.team.project_label(language)} · {e.team.label(language)}",
            cbdata.encode(MENU, "p", e.team.id),
        )
        for e in entries
    ]
    more = (
        Button(t("🙌 Activities"), cbdata.encode(MENU, "act")),
        Button(t("📍 Stations near me"), cbdata.encode(MENU, "near")),
        Button(t("⭐ My points"), cbdata.encode(MENU, "pts")),
    )
    return OutMessage("\n".join(lines), buttons=(*rows(*buttons, width=2), more))


def project(t: Translator, language: str, entry: MenuEntry) -> OutMessage:
    """One project: what, when, where, who nearby; Order."""
    team = entry.team
    lines = [
        t("🧭 <b>{project}</b> · {team}").format(
            project=esc(team.project_label(language)), team=esc(team.label(language))
        ),
        "",
        t("What: {text}").format(text=esc(team.offers_label(language))),
    ]
    if team.schedule:
        lines.append(t("When: {text}").format(text=esc(team.schedule_label(language))))
    if team.venue:
        lines.append(t("Where: {text}").format(text=esc(team.venue_label(language))))
    lines.append(
        t.ngettext(
            "{n} member of this team serves your community.",
            "{n} members of this team serve your community.",
            entry.members_nearby,
        ).format(n=entry.members_nearby)
    )
    return OutMessage(
        "\n".join(lines),
        buttons=(
            (Button(t("🛎 Order this service"), cbdata.encode(ORDER, "o", team.id)),),
            (Button(t("‹ Back to the menu"), cbdata.encode(MENU, "menu")),),
        ),
    )


def need_prompt(t: Translator, language: str, team: ServiceTeam) -> OutMessage:
    return OutMessage(
        t(
            "🛎 <b>Order: {project}</b>\nStep 1 of 3: what would you like help with? A few words"
            " are enough."
        ).format(project=esc(team.project_label(language))),
        buttons=(_cancel(t),),
    )


def slots_prompt(t: Translator, form: OrderForm) -> OutMessage:
    buttons = ticked(t, SLOT_NAMES, form.slots, ORDER, "t")
    return OutMessage(
        t("Step 2 of 3: when would suit you? Choose one or more, then Done."),
        buttons=(*rows(*buttons), (Button(t("Done ➡"), cbdata.encode(ORDER, "td")),), _cancel(t)),
    )


def contact_prompt(t: Translator) -> OutMessage:
    return OutMessage(
        t(
            "Step 3 of 3: a phone number the member can call? Share it with the button, type a"
            " mobile number, or go on without one (the member then messages you here)."
        ),
        keyboard=(
            (ReplyButton(t(SHARE_PHONE), request_contact=True),),
            (ReplyButton(t(NO_PHONE)),),
        ),
        one_time=True,
    )


def summary(t: Translator, language: str, form: OrderForm, team: ServiceTeam) -> OutMessage:
    lines = [
        t("🛎 <b>Your order</b>"),
        t("Service: {project} · {team}").format(
            project=esc(team.project_label(language)), team=esc(team.label(language))
        ),
        t("What you need: {text}").format(text=esc(form.need)),
        t("When: {slots}").format(slots=slots_text(t, form.slots)),
        t("Phone: {phone}").format(phone=esc(form.phone) or t("(none)")),
        "",
        t("Only the member who takes it sees your name and phone."),
    ]
    return OutMessage(
        "\n".join(lines),
        buttons=(
            (Button(t("✅ Send the order"), cbdata.encode(ORDER, "ok", form.nonce)),),
            _cancel(t),
        ),
    )


def filed(t: Translator, language: str, number: str, team: ServiceTeam) -> str:
    return t(
        "✅ Order {number} sent to the {team} team. A member will accept it and contact you;"
        " follow it in My requests."
    ).format(number=number, team=esc(team.label(language)))


def order_set_aside(t: Translator, minutes: int) -> OutMessage:
    """An order left unfinished was set aside."""
    return OutMessage(
        t(
            "Your order was not finished for {minutes} minutes, so it was set aside and nothing"
            " was sent. Choose the service again from the service menu to start over."
        ).format(minutes=minutes)
    )


def order_lines(t: Translator, language: str, view: RequestView) -> list[str]:
    """What a service order adds to a card: the project and the times that suit."""
    team = view.service_team
    if team is None:
        return []
    lines = [
        t("🧭 Service order: {project} · {team}").format(
            project=esc(team.project_label(language)), team=esc(team.label(language))
        )
    ]
    if view.request.preferred_slots:
        lines.append(
            t("Times that suit: {slots}").format(slots=slots_text(t, view.request.preferred_slots))
        )
    return lines


def leader_orders(
    t: Translator, language: str, team: ServiceTeam, orders: list[TeamOrder]
) -> OutMessage:
    """队长: the team's open orders across the area, each with Assign."""
    lines = [
        t("👥 <b>Open orders of {project} · {team}</b>").format(
            project=esc(team.project_label(language)), team=esc(team.label(language))
        )
    ]
    buttons: list[Button] = []
    for order in orders:
        r = order.request
        who = order.assignee_name or t("nobody yet")
        lines.append(
            f"{esc(r.number)} · {unit_path(order.compound_path[-2:], language)} ·"
            f" {t(STATUS_NAMES[r.status])} · {esc(who)}"
        )
        lines.append("   " + esc(r.description[:60]))
        buttons.append(
            Button(t("Assign {number}").format(number=r.number), cbdata.encode(MENU, "la", r.id))
        )
    if not orders:
        lines.append(t("No open orders."))
    return OutMessage("\n".join(lines), buttons=rows(*buttons, width=1))


def leader_candidates(t: Translator, request: Request, members: list[Member]) -> OutMessage:
    buttons = [
        Button(m.real_name, cbdata.encode(MENU, "lm", request.id, m.person_id)) for m in members
    ]
    text = t("Give {number} to which member of the team?").format(number=request.number)
    if not members:
        text = t("No member of the team is available for {number}.").format(number=request.number)
    return OutMessage(text, buttons=rows(*buttons))


def leader_assigned(t: Translator, request: Request, member: Member) -> OutMessage:
    return OutMessage(
        t("✅ {number} offered to {name}; they accept or decline.").format(
            number=request.number, name=esc(member.real_name)
        )
    )


def not_a_leader(t: Translator) -> OutMessage:
    return OutMessage(t("Only team leaders have a team's orders to see."))


def leader_teams(
    t: Translator, language: str, teams: Sequence[tuple[ServiceTeam, object]]
) -> OutMessage:
    buttons = [
        Button(team.label(language), cbdata.encode(MENU, "lt", team.id)) for team, _ in teams
    ]
    return OutMessage(t("Which team?"), buttons=rows(*buttons))
