"""Command menus: which commands each person sees, by their roles."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_, Translator
from bot.models import Role

__all__ = ["COMMANDS", "MenuCommand", "commands_for"]


@dataclass(frozen=True)
class MenuCommand:
    command: str
    description: str  # msgid
    roles: frozenset[Role] | None = None  # None: everyone


COMMANDS: tuple[MenuCommand, ...] = (
    MenuCommand("request", N_("Raise a request")),
    MenuCommand("services", N_("Service menu: order a team's service")),
    MenuCommand("my", N_("My requests")),
    MenuCommand("activities", N_("Volunteer activities")),
    MenuCommand("stations", N_("Service stations near me")),
    MenuCommand("points", N_("My points and the points shop")),
    MenuCommand("start", N_("Start, or change your compound")),
    MenuCommand("help", N_("What I can do for you")),
    MenuCommand("join", N_("Register as a party member or volunteer")),
    MenuCommand("tasks", N_("My tasks"), frozenset({Role.MEMBER, Role.SEAT})),
    MenuCommand("team", N_("My team's service orders"), frozenset({Role.TEAM_LEADER})),
    MenuCommand(
        "publish",
        N_("Publish a volunteer activity"),
        frozenset({Role.ADMIN, Role.TEAM_LEADER}),
    ),
    MenuCommand("visit", N_("Log a household visit"), frozenset({Role.MEMBER})),
    MenuCommand("pause", N_("Go on leave"), frozenset({Role.MEMBER})),
    MenuCommand("resume", N_("Back from leave"), frozenset({Role.MEMBER})),
    MenuCommand("admin", N_("Administration"), frozenset({Role.ADMIN})),
    MenuCommand(
        "org", N_("Your area: units, stations and parties"), frozenset({Role.ADMIN, Role.SEAT})
    ),
    MenuCommand("assign", N_("Assign a request to a member"), frozenset({Role.ADMIN})),
    MenuCommand("audit", N_("Audit log of your area"), frozenset({Role.ADMIN})),
    MenuCommand("broadcast", N_("Send a notice to your area"), frozenset({Role.ADMIN})),
    MenuCommand("broadcasts", N_("Notices sent in your area"), frozenset({Role.ADMIN})),
    MenuCommand("stats", N_("Statistics of your area"), frozenset({Role.ADMIN})),
    MenuCommand("export", N_("Export requests to Excel"), frozenset({Role.ADMIN})),
    MenuCommand("redeem", N_("Confirm a points-shop code at a station"), frozenset({Role.ADMIN})),
    MenuCommand("correct", N_("Correct someone's points"), frozenset({Role.ADMIN})),
    MenuCommand(
        "topics",
        N_("Topics of the month: problems that keep coming back"),
        frozenset({Role.ADMIN}),
    ),
    MenuCommand(
        "consult", N_("Consultations of the four parties"), frozenset({Role.SEAT, Role.ADMIN})
    ),
    MenuCommand("items", N_("Action items to carry out"), frozenset({Role.SEAT})),
    MenuCommand("property", N_("Property matters and ratings"), frozenset({Role.SEAT})),
    MenuCommand("votes", N_("Owners' votes"), frozenset({Role.OWNER})),
    MenuCommand("bind", N_("Bind my household (owners' votes)")),
    MenuCommand(
        "suborders",
        N_("Sub-orders of my department (whistles)"),
        frozenset({Role.DEPARTMENT, Role.DEPARTMENT_HEAD}),
    ),
    MenuCommand(
        "whistles",
        N_("Joint actions of departments (whistles)"),
        frozenset({Role.ADMIN, Role.FIRST_SECRETARY}),
    ),
    MenuCommand(
        "departments",
        N_("Departments' liaisons and heads"),
        frozenset({Role.ADMIN, Role.DEPARTMENT_HEAD}),
    ),
    MenuCommand("me", N_("What the bot keeps about you")),
    MenuCommand("lang", N_("Language")),
    MenuCommand("forget", N_("Delete my data")),
    MenuCommand("cancel", N_("Stop what you are doing")),
)


def commands_for(roles: set[Role], t: Translator) -> list[tuple[str, str]]:
    """The (command, description) pairs for someone holding ``roles``, in their language."""
    return [(c.command, t(c.description)) for c in COMMANDS if c.roles is None or roles & c.roles]
