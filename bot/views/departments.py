"""Messages about departments' people and first secretaries: the administrators' menus, the
invitation links, and what someone who opened one is told."""

from __future__ import annotations

from bot import cbdata
from bot.i18n import N_, Translator
from bot.messages import Button, OutMessage, rows
from bot.models import Department
from bot.models.whistle import Joined, PairingLine, Post, StaffLine
from bot.views.common import esc

__all__ = [
    "DEPARTMENTS",
    "department_card",
    "departments_menu",
    "invite_link",
    "joined",
    "pairings_menu",
]

DEPARTMENTS = "dp"

POST_NAMES = {
    Post.LIAISON: N_("liaison"),
    Post.HEAD: N_("head"),
    Post.FIRST_SECRETARY: N_("first secretary"),
}


def joined(t: Translator, language: str, joined: Joined) -> OutMessage:
    """What an invitation link made of the person who opened it."""
    if joined.department is not None:
        text = t(
            "✅ You are now the {post} of {department} in the bot. Sub-orders of the whistles "
            "come to you here; /suborders lists the open ones."
        ).format(
            post=t(POST_NAMES[joined.post]), department=esc(joined.department.label(language))
        )
    else:
        assert joined.community is not None
        text = t(
            "✅ You are now the first secretary of {community} (paired with {partner}). You "
            "hear of its joint actions and may join them; /whistles lists them."
        ).format(
            community=esc(joined.community.label(language)), partner=esc(joined.partner or "")
        )
    return OutMessage(text)


def departments_menu(t: Translator, language: str, departments: list[Department]) -> OutMessage:
    """The departments in the administrator's care, to manage their people."""
    buttons = [
        Button(d.label(language), cbdata.encode(DEPARTMENTS, "d", d.id)) for d in departments
    ]
    return OutMessage(
        t(
            "<b>Departments</b>\nTheir liaisons and heads answer whistles in the bot. Choose "
            "one to see and invite its people."
        ),
        buttons=rows(*buttons),
    )


def department_card(
    t: Translator, language: str, department: Department, staff: list[StaffLine]
) -> OutMessage:
    """One department's people, with invitation and revoke buttons."""
    lines = [f"<b>{esc(department.name)}</b>"]
    mine = [s for s in staff if s.department.id == department.id]
    if not mine:
        lines.append(t("Nobody of this department is in the bot yet."))
    buttons: list[tuple[Button, ...]] = []
    for line in mine:
        name = esc(line.person.display_name) or t("(none)")
        lines.append(f"• {name} — {t(POST_NAMES[line.post])}")
        buttons.append(
            (
                Button(
                    t("✖ {name}").format(name=line.person.display_name or "?"),
                    cbdata.encode(DEPARTMENTS, "rv", department.id, line.person.id),
                ),
            )
        )
    buttons.append(
        (
            Button(t("➕ Invite a liaison"), cbdata.encode(DEPARTMENTS, "i", department.id, "l")),
            Button(t("➕ Invite the head"), cbdata.encode(DEPARTMENTS, "i", department.id, "h")),
        )
    )
    return OutMessage("\n".join(lines), buttons=tuple(buttons))


def invite_link(t: Translator, language: str, what: str, post: Post, link: str) -> OutMessage:
    return OutMessage(
        t("Send this link to the new {post} of {what}. It works once, for 7 days:\n{link}").format(
            post=t(POST_NAMES[post]), what=esc(what), link=esc(link)
        )
    )


def pairings_menu(t: Translator, language: str, lines: list[PairingLine]) -> OutMessage:
    """结对共建: the pairings of the administrator's communities and their first secretaries."""
    if not lines:
        return OutMessage(t("No community of your area is paired with a city unit yet."))
    text = [t("<b>First secretaries of paired city units</b>")]
    buttons = []
    for line in lines:
        who = t(", ").join(line.secretaries) or t("(none yet)")
        text.append(
            f"• {esc(line.community.label(language))} — {esc(line.pairing.partner)}: {esc(who)}"
        )
        buttons.append(
            Button(
                t("➕ First secretary of {community}").format(
                    community=line.community.label(language)
                ),
                cbdata.encode(DEPARTMENTS, "fs", line.pairing.id),
            )
        )
    return OutMessage("\n".join(text), buttons=rows(*buttons, width=1))
