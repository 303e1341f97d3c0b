"""Messages of the four parties: their names, seats and cross-holdings (/org, /me), and the
administrators' screens that fill and vacate seats."""

from __future__ import annotations

from collections.abc import Callable

from bot import cbdata
from bot.i18n import N_, Translator
from bot.messages import Button, OutMessage
from bot.models import OrgUnit
from bot.models.parties import CompoundParties, PartyKind, SeatHolding, SeatRole
from bot.views.common import esc

__all__ = [
    "COMMUNITY_NAME",
    "PARTIES",
    "PARTY_NAMES",
    "ROLE_NAMES",
    "SeatRender",
    "compound_blocks",
    "seat_label",
]

PARTIES = "ps"

PARTY_NAMES: dict[PartyKind, str] = {
    PartyKind.BRANCH: N_("Party branch"),
    PartyKind.OWNERS_COMMITTEE: N_("Owners' committee"),
    PartyKind.PROPERTY_COMPANY: N_("Property company"),
    PartyKind.SELF_MANAGEMENT_GROUP: N_("Self-management group"),
}
PARTY_ICONS: dict[PartyKind, str] = {
    PartyKind.BRANCH: "🚩",
    PartyKind.OWNERS_COMMITTEE: "🏘",
    PartyKind.PROPERTY_COMPANY: "🛠",
    PartyKind.SELF_MANAGEMENT_GROUP: "🤝",
}
COMMUNITY_NAME = N_("Community party organisation")
ROLE_NAMES: dict[SeatRole, str] = {
    SeatRole.SECRETARY: N_("Secretary"),
    SeatRole.DEPUTY_SECRETARY: N_("Deputy secretary"),
    SeatRole.BRANCH_COMMITTEE: N_("Branch committee member"),
    SeatRole.DIRECTOR: N_("Director"),
    SeatRole.DEPUTY_DIRECTOR: N_("Deputy director"),
    SeatRole.COMMITTEE_MEMBER: N_("Committee member"),
    SeatRole.MANAGER: N_("Manager"),
    SeatRole.STAFF: N_("Staff"),
    SeatRole.LEADER: N_("Group leader"),
    SeatRole.GROUP_MEMBER: N_("Group member"),
}

SeatRender = Callable[[Translator, str, SeatHolding], OutMessage]


def party_name(t: Translator, kind: PartyKind) -> str:
    return t(PARTY_NAMES[kind])


def seat_label(t: Translator, kind: PartyKind, role: SeatRole) -> str:
    """小区党支部 · 书记"""
    return f"{t(PARTY_NAMES[kind])} · {t(ROLE_NAMES[role])}"


def _holder(t: Translator, holding: SeatHolding) -> str:
    if holding.seat.vacant:
        return t("(vacant)")
    name = esc(holding.name or t("(no name)"))
    if holding.seat.person_id is None:
        return t("{name} (not in the bot yet)").format(name=name)
    return name


def _cross(t: Translator, holding: SeatHolding) -> str:
    if not holding.cross:
        return ""
    others = "、".join(
        seat_label(t, kind, role)
        for kind, role in zip(holding.cross_parties, holding.cross, strict=True)
    )
    return " " + t("🔗 also {seats}").format(seats=others)


def seat_line(t: Translator, holding: SeatHolding) -> str:
    role = t(ROLE_NAMES[holding.seat.role])
    return f"    • {role}：{_holder(t, holding)}{_cross(t, holding)}"


def compound_blocks(t: Translator, language: str, blocks: list[CompoundParties]) -> list[str]:
    """The parties and seats of each compound, as lines."""
    lines: list[str] = []
    for block in blocks:
        lines.append(f"<b>{esc(block.compound.label(language))}</b>")
        if block.unmanaged:
            lines.append(
                "  "
                + t(
                    "No party branch, owners' committee or property company: the community"
                    " acts for this compound."
                )
            )
        for party, holdings in block.parties:
            icon = PARTY_ICONS[party.kind]
            lines.append(f"  {icon} {party_name(t, party.kind)}：{esc(party.name)}")
            if not holdings:
                lines.append("    " + t("(no seats)"))
            lines += [seat_line(t, h) for h in holdings]
        lines.append("")
    return lines


def parties_message(t: Translator, language: str, blocks: list[CompoundParties]) -> OutMessage:
    """/org for a seat holder: their compound's parties."""
    if not blocks:
        return OutMessage(t("No parties are recorded for your compounds."))
    lines = [t("<b>The four parties</b>"), "", *compound_blocks(t, language, blocks)]
    return OutMessage("\n".join(lines).strip())


def my_seats_lines(t: Translator, language: str, seats: list[SeatHolding]) -> list[str]:
    """/me: the person's seats, with cross-holding shown."""
    if not seats:
        return []
    lines = [t("Seats in the parties:")]
    for holding in seats:
        place = esc(holding.compound.label(language))
        lines.append(f"• {place} {seat_label(t, holding.party.kind, holding.seat.role)}")
    if len(seats) > 1:
        lines.append(t("🔗 You hold several seats (cross-holding)."))
    return lines


# -- administrators: filling seats -------------------------------------------------------
def compounds_menu(t: Translator, language: str, compounds: list[OrgUnit]) -> OutMessage:
    if not compounds:
        return OutMessage(t("There are no compounds in your area."))
    buttons = tuple(
        (Button(unit.label(language), cbdata.encode(PARTIES, "c", unit.id)),)
        for unit in compounds[:40]
    )
    return OutMessage(t("Seats of the four parties: choose a compound."), buttons=buttons)


def seats_admin(t: Translator, language: str, block: CompoundParties) -> OutMessage:
    """A compound's seats with a link to send to each (and 'vacate' for a filled one)."""
    lines = [
        t("<b>Seats of {compound}</b>").format(compound=esc(block.compound.label(language))),
        t("Make a link for a seat and send it to its holder: opening it fills the seat."),
        "",
        *compound_blocks(t, language, [block]),
    ]
    buttons: list[tuple[Button, ...]] = []
    for party, holdings in block.parties:
        for h in holdings:
            label = f"{PARTY_ICONS[party.kind]} {t(ROLE_NAMES[h.seat.role])}"
            if h.name:
                label += f" {h.name}"
            row = [
                Button(
                    t("🔗 Link: {seat}").format(seat=label),
                    cbdata.encode(PARTIES, "inv", h.seat.id),
                )
            ]
            if not h.seat.vacant:
                row.append(Button(t("Vacate"), cbdata.encode(PARTIES, "vac", h.seat.id)))
            buttons.append(tuple(row))
    if not buttons:
        lines.append(t("No seats: add the parties of this compound to the org file."))
    return OutMessage("\n".join(lines).strip(), buttons=tuple(buttons[:60]))


def invite_link(t: Translator, language: str, holding: SeatHolding, link: str) -> OutMessage:
    return OutMessage(
        t(
            "Send this link to the holder of {seat} of {compound}. It works once, for 7 days;"
            " earlier links of this seat no longer work.\n{link}"
        ).format(
            seat=seat_label(t, holding.party.kind, holding.seat.role),
            compound=esc(holding.compound.label(language)),
            link=esc(link),
        )
    )


def vacate_confirm(t: Translator, language: str, holding: SeatHolding) -> OutMessage:
    return OutMessage(
        t("Vacate {seat} of {compound}, held by {name}?").format(
            seat=seat_label(t, holding.party.kind, holding.seat.role),
            compound=esc(holding.compound.label(language)),
            name=esc(holding.name or "?"),
        ),
        buttons=(
            (
                Button(t("Yes, vacate it"), cbdata.encode(PARTIES, "vy", holding.seat.id)),
                Button(t("No"), cbdata.encode(PARTIES, "c", holding.compound.id)),
            ),
        ),
    )


def seat_filled(t: Translator, language: str, holding: SeatHolding) -> OutMessage:
    """To the person who opened a seat's link."""
    lines = [
        t("✅ You now hold the seat {seat} of {compound}.").format(
            seat=seat_label(t, holding.party.kind, holding.seat.role),
            compound=esc(holding.compound.label(language)),
        )
    ]
    if holding.cross:
        lines.append(_cross(t, holding).strip())
    lines.append(t("Your menu has the commands of the parties: /consult, /property and /org."))
    return OutMessage("\n".join(lines))


def seat_handed_over(t: Translator, language: str, holding: SeatHolding) -> OutMessage:
    return OutMessage(
        t("Your seat {seat} of {compound} has been handed to someone else.").format(
            seat=seat_label(t, holding.party.kind, holding.seat.role),
            compound=esc(holding.compound.label(language)),
        )
    )


def seat_vacated(t: Translator, language: str, holding: SeatHolding) -> OutMessage:
    return OutMessage(
        t("The community has vacated your seat {seat} of {compound}.").format(
            seat=seat_label(t, holding.party.kind, holding.seat.role),
            compound=esc(holding.compound.label(language)),
        )
    )
