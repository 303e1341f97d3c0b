"""Messages about team leaders (队长) for the administrators who bring them in: the teams and
their leaders in the administrator's areas, a team's card with its invitation links, and what
someone who opened one is told."""

from __future__ import annotations

from bot import cbdata
from bot.i18n import NC_, Translator
from bot.messages import Button, OutMessage, rows
from bot.models.service import Leadership, TeamLeaders
from bot.views.common import esc

__all__ = ["LEADERS", "invite_link", "joined", "team_card", "teams_menu"]

LEADERS = "tl"
_LIST = NC_("list separator", ", ")


def joined(t: Translator, language: str, leadership: Leadership) -> OutMessage:
    """What a team leader's invitation link made of the person who opened it."""
    return OutMessage(
        t(
            "✅ You now lead {team} ({project}) in {area}. /team shows the team's orders there "
            "and lets you give each to one of the team's members; /publish publishes the "
            "team's activities."
        ).format(
            team=esc(leadership.team.label(language)),
            project=esc(leadership.team.project_label(language)),
            area=esc(leadership.unit.label(language)),
        )
    )


def teams_menu(t: Translator, language: str, teams: list[TeamLeaders]) -> OutMessage:
    """Every team with its leaders in the administrator's areas."""
    lines = [
        t(
            "<b>Team leaders</b>\nA team's leader sees its orders in their area, gives "
            "them to the team's members and publishes its activities. Choose a team to invite "
            "a leader or to dismiss one."
        )
    ]
    for entry in teams:
        names = t(_LIST).join(
            t("{name} ({area})").format(name=h.person.display_name, area=h.unit.label(language))
            for h in entry.leaders
        )
        lines.append(
            t("• {team}: {leaders}").format(
                team=esc(entry.team.label(language)), leaders=esc(names) or t("(none yet)")
            )
        )
    buttons = [
        Button(e.team.label(language), cbdata.encode(LEADERS, "t", e.team.id)) for e in teams
    ]
    return OutMessage("\n".join(lines), buttons=rows(*buttons))


def team_card(t: Translator, language: str, entry: TeamLeaders) -> OutMessage:
    """One team's leaders in the administrator's areas: ✖ to dismiss one, ➕ for a link."""
    team = entry.team
    lines = [f"<b>{esc(team.label(language))}</b> · {esc(team.project_label(language))}"]
    if not entry.leaders:
        lines.append(t("Nobody leads this team in your area yet."))
    buttons: list[tuple[Button, ...]] = []
    for held in entry.leaders:
        where = held.unit.label(language)
        lines.append(f"• {esc(held.person.display_name)} — {esc(where)}")
        buttons.append(
            (
                Button(
                    "✖ " + t("{name} ({area})").format(name=held.person.display_name, area=where),
                    cbdata.encode(LEADERS, "rv", team.id, held.unit.id, held.person.id),
                ),
            )
        )
    for area in entry.areas:
        buttons.append(
            (
                Button(
                    t("➕ Invite a leader for {area}").format(area=area.label(language)),
                    cbdata.encode(LEADERS, "i", team.id, area.id),
                ),
            )
        )
    buttons.append((Button(t("⬅ All teams"), cbdata.encode(LEADERS, "m")),))
    return OutMessage("\n".join(lines), buttons=tuple(buttons))


def invite_link(t: Translator, language: str, leadership: Leadership, link: str) -> OutMessage:
    return OutMessage(
        t(
            "Send this link to the new leader of {team} in {area}. It works once, for 7 days:"
            "\n{link}"
        ).format(
            team=esc(leadership.team.label(language)),
            area=esc(leadership.unit.label(language)),
            link=esc(link),
        )
    )
