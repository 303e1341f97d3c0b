"""Messages of onboarding and of the person's own data (/start, /lang, /help, /me, /forget)."""

from __future__ import annotations

from datetime import tzinfo

from babel import Locale

from bot import cbdata
from bot.i18n import LANGUAGES, Translator
from bot.menus import commands_for
from bot.messages import Button, OutMessage, rows
from bot.models import OrgUnit, Role
from bot.models.org import Choice
from bot.models.people import Profile
from bot.views.common import esc, fmt_time, main_keyboard, unit_path

__all__ = [
    "done_message",
    "drill_down",
    "forget_confirm",
    "help_message",
    "language_prompt",
    "profile_message",
]

ONBOARDING = "ob"
FORGET = "fg"


def language_name(language: str) -> str:
    """The language's name in itself (中文, English)."""
    locale = Locale.parse(language.split("_")[0])
    return str(locale.get_display_name(locale))


def language_prompt(translators: list[Translator], *, first_time: bool) -> OutMessage:
    """Ask for the language, in every language (the person may not read the default one)."""
    lines = []
    for t in translators:
        if first_time:
            lines.append(t("Welcome to the Neighbourhood Pioneers service!"))
        lines.append(t("Please choose your language."))
    buttons = [
        Button(language_name(lang), cbdata.encode(ONBOARDING, "lang", lang)) for lang in LANGUAGES
    ]
    return OutMessage("\n".join(lines), buttons=rows(*buttons))


def start_first(translators: list[Translator]) -> OutMessage:
    """To someone the bot does not know (new, or forgotten at their request): start first."""
    lines = [
        t("To use the service, please start: choose your language (or send /start).")
        for t in translators
    ]
    buttons = [
        Button(language_name(lang), cbdata.encode(ONBOARDING, "lang", lang)) for lang in LANGUAGES
    ]
    return OutMessage("\n".join(lines), buttons=rows(*buttons))


def drill_down(
    choice: Choice, t: Translator, language: str, *, can_skip: bool, path: list[OrgUnit]
) -> OutMessage:
    """One step of picking a compound: street, then community, then compound."""
    if choice.unit is None:
        prompt = t("Where do you live? Choose your street.")
    else:
        level = choice.options[0].level.value if choice.options else ""
        prompt = {
            "community": t("Choose your community."),
            "compound": t("Choose your compound (residential estate)."),
        }.get(level, t("Choose one."))
    lines = []
    if path:
        lines.append(f"📍 {unit_path(path, language)}")
    lines.append(prompt)
    if not choice.options:
        lines = [t("There is nothing to choose here yet. Please go back.")]
    buttons = [
        Button(u.label(language), cbdata.encode(ONBOARDING, "u", u.id)) for u in choice.options
    ]
    nav: list[Button] = []
    if choice.unit is not None:
        back = (
            cbdata.encode(ONBOARDING, "u", choice.parent_id)
            if choice.parent_id is not None
            else cbdata.encode(ONBOARDING, "top")
        )
        nav.append(Button(t("« Back"), back))
    if can_skip:
        nav.append(Button(t("Skip: I only administer"), cbdata.encode(ONBOARDING, "skip")))
    return OutMessage("\n".join(lines), buttons=(*rows(*buttons), *([tuple(nav)] if nav else [])))


def language_set(t: Translator, language: str) -> OutMessage:
    return OutMessage(t("Language: {language}").format(language=language_name(language)))


def place_set(path: list[OrgUnit], language: str) -> OutMessage:
    return OutMessage(f"📍 {unit_path(path, language)}")


def empty_org(t: Translator, *, is_admin: bool) -> OutMessage:
    text = t("The service area is not set up yet. Please try again later.")
    if is_admin:
        text += "\n" + t("Administrators: import it with <code>gridbot org import FILE</code>.")
    return OutMessage(text)


def unknown_code(t: Translator, code: str) -> OutMessage:
    return OutMessage(
        t(
            "The code <code>{code}</code> is not a compound we know. Please choose your compound."
        ).format(code=esc(code))
    )


def done_message(
    t: Translator, language: str, roles: set[Role], path: list[OrgUnit] | None
) -> OutMessage:
    """The end of onboarding: where they are registered, and the main menu."""
    if path:
        text = t("✅ You are registered at {place}.").format(place=unit_path(path, language))
    else:
        text = t("✅ You are set up.")
    text += "\n" + t("Use the menu below or send /help to see what I can do.")
    return OutMessage(text, keyboard=main_keyboard(roles, t))


def welcome_back(
    t: Translator, language: str, roles: set[Role], path: list[OrgUnit] | None
) -> OutMessage:
    if path:
        text = t("Welcome back! Your compound: {place}.").format(place=unit_path(path, language))
    else:
        text = t("Welcome back!")
    return OutMessage(text, keyboard=main_keyboard(roles, t))


def change_place_button(t: Translator) -> OutMessage:
    return OutMessage(
        t("Moved house? You can change your compound."),
        buttons=((Button(t("Change my compound"), cbdata.encode(ONBOARDING, "top")),),),
    )


def help_message(t: Translator, roles: set[Role]) -> OutMessage:
    lines = [
        t(
            "<b>Neighbourhood Pioneers</b> connects residents with the party members and "
            "volunteers who live nearby."
        ),
        "",
        t("Commands:"),
    ]
    lines += [f"/{c} — {esc(d)}" for c, d in commands_for(roles, t)]
    return OutMessage("\n".join(lines), keyboard=main_keyboard(roles, t))


def role_name(t: Translator, role: Role) -> str:
    return {
        Role.RESIDENT: t("Resident"),
        Role.MEMBER: t("Member"),
        Role.ADMIN: t("Administrator"),
        Role.SEAT: t("Seat in the four parties"),
        Role.OWNER: t("Owner"),
        Role.TEAM_LEADER: t("Team leader"),
        Role.DEPARTMENT: t("Department liaison"),
        Role.DEPARTMENT_HEAD: t("Department head"),
        Role.FIRST_SECRETARY: t("First secretary"),
    }[role]


def profile_message(t: Translator, profile: Profile, tz: tzinfo) -> OutMessage:
    """Everything the bot keeps about the person."""
    p = profile.person
    language = p.language or "zh_CN"
    none = t("(none)")
    lines = [
        t("<b>What I keep about you</b>"),
        t("Name: {name}").format(name=esc(p.display_name) or none),
        t("Username: {username}").format(username=f"@{esc(p.username)}" if p.username else none),
        t("Language: {language}").format(language=language_name(language)),
        t("Compound: {place}").format(place=unit_path(profile.home, language) or none),
        t("Phone: {phone}").format(phone=esc(p.phone) or none),
        t("Registered: {when}").format(when=fmt_time(p.created_at, tz)),
    ]
    if profile.grants:
        lines.append(t("Roles:"))
        for grant, unit in profile.grants:
            department = profile.departments.get(grant.department_id or 0)
            team = profile.teams.get(grant.team_id or 0)
            where = department.label(language) if department else unit.label(language)
            if team is not None:  # a team leader: the team, where
                where = f"{team.label(language)} · {where}"
            lines.append(f"• {role_name(t, grant.role)} — {esc(where)}")
    lines += ["", t("Send /forget to delete your data.")]
    return OutMessage("\n".join(lines))


def forget_confirm(t: Translator) -> OutMessage:
    return OutMessage(
        t(
            "Delete everything I keep about you? Requests you filed stay, without your name. "
            "This cannot be undone."
        ),
        buttons=(
            (
                Button(t("Yes, delete my data"), cbdata.encode(FORGET, "yes")),
                Button(t("No, keep it"), cbdata.encode(FORGET, "no")),
            ),
        ),
    )


def forgotten(t: Translator) -> OutMessage:
    return OutMessage(
        t("Your data has been deleted. Send /start if you want to use the service again."),
        remove_keyboard=True,
    )


def kept(t: Translator) -> OutMessage:
    return OutMessage(t("Nothing was deleted."))
