"""Messages of member registration (/join), approval, pause and the member's record."""

from __future__ import annotations

from datetime import tzinfo

from bot import cbdata
from bot.i18n import N_, Translator
from bot.messages import Button, OutMessage, ReplyButton, rows
from bot.models import (
    Availability,
    Level,
    Member,
    MemberStatus,
    MemberType,
    OrgUnit,
    Role,
    ServiceTeam,
)
from bot.models.org import Choice
from bot.views.common import esc, fmt_time, main_keyboard, unit_path
from bot.views.forms import CANCEL, SKIP, cancel_row

__all__ = ["JOIN", "MEMBER_ADMIN", "approval_card", "summary"]

JOIN = "mb"
MEMBER_ADMIN = "ma"
PAUSE = "pz"

TYPE_NAMES = {
    MemberType.IN_SERVICE: N_("In-service party member"),
    MemberType.UNEMPLOYED_OR_RETIRED: N_("Unemployed or retired party member"),
    MemberType.VOLUNTEER: N_("Volunteer (not a party member)"),
}
SLOT_NAMES = {
    Availability.WEEKDAY_DAY: N_("Weekday daytime"),
    Availability.WEEKDAY_EVENING: N_("Weekday evenings"),
    Availability.WEEKEND: N_("Weekends"),
}
STATUS_NAMES = {
    MemberStatus.PENDING: N_("waiting for approval"),
    MemberStatus.APPROVED: N_("approved"),
    MemberStatus.REJECTED: N_("not approved"),
}
STEP_NAMES = {
    "name": N_("Name"),
    "work_unit": N_("Work unit"),
    "compound": N_("Compound"),
    "phone": N_("Phone"),
    "type": N_("Member type"),
    "teams": N_("Service teams"),
    "skills": N_("Skills"),
    "availability": N_("Availability"),
    "share_phone": N_("Show phone"),
}
NO_WORK_UNIT = N_("No work unit")
SHARE_PHONE = N_("📞 Share my phone number")


def _cancel(t: Translator) -> tuple[Button, ...]:
    return cancel_row(t, JOIN)


def intro(t: Translator) -> OutMessage:
    return OutMessage(t("<b>Register as a party member or volunteer</b>"))


def name_prompt(t: Translator) -> OutMessage:
    return OutMessage(t("Step 1 of 9: your real name?"), buttons=(_cancel(t),))


def work_unit_prompt(t: Translator) -> OutMessage:
    return OutMessage(
        t("Step 2 of 9: where do you work? Type the work unit, or press the button."),
        buttons=((Button(t(NO_WORK_UNIT), cbdata.encode(JOIN, "nowork")),), _cancel(t)),
    )


def compound_prompt(
    t: Translator,
    language: str,
    choice: Choice,
    path: list[OrgUnit],
    home: OrgUnit | None = None,
) -> OutMessage:
    """The compound step: street > community > compound as in onboarding, with the person's
    home compound first at the top. Every unit is ``mb1:c:<id>``: a compound is picked,
    anything else is opened; ``mb1:c`` is the top."""
    lines = [t("Step 3 of 9: which compound do you live in?")]
    if path:
        lines.append(f"📍 {unit_path(path, language)}")
    level = choice.options[0].level if choice.options else None
    if level is Level.COMMUNITY:
        lines.append(t("Choose your community."))
    elif level is Level.COMPOUND and choice.unit is not None:
        lines.append(t("Choose your compound (residential estate)."))
    elif choice.unit is None:
        lines.append(
            t("Your home compound comes first; for another compound, choose its street.")
            if home is not None
            else t("Where do you live? Choose your street.")
        )
    first = (Button(home.label(language), cbdata.encode(JOIN, "c", home.id)),) if home else ()
    options = [Button(u.label(language), cbdata.encode(JOIN, "c", u.id)) for u in choice.options]
    nav: tuple[Button, ...] = ()
    if choice.unit is not None:
        back = ("c", choice.parent_id) if choice.parent_id is not None else ("c",)
        nav = (Button(t("« Back"), cbdata.encode(JOIN, *back)),)
    return OutMessage(
        "\n".join(lines),
        buttons=(
            *([first] if first else []),
            *rows(*options),
            *([nav] if nav else []),
            _cancel(t),
        ),
    )


def _phone_keyboard(t: Translator) -> tuple[tuple[ReplyButton, ...], ...]:
    return ((ReplyButton(t(SHARE_PHONE), request_contact=True),), (ReplyButton(t(CANCEL)),))


def phone_prompt(t: Translator) -> OutMessage:
    return OutMessage(
        t(
            "Step 4 of 9: your phone number, for the community. Use the button below, or type"
            " your mobile number."
        ),
        keyboard=_phone_keyboard(t),
        one_time=True,
    )


def phone_reprompt(t: Translator) -> OutMessage:
    return OutMessage(
        t("Please share your own phone number with the button, or type your mobile number."),
        keyboard=_phone_keyboard(t),
        one_time=True,
    )


def type_prompt(t: Translator) -> OutMessage:
    buttons = [
        Button(t(name), cbdata.encode(JOIN, "type", kind.value))
        for kind, name in TYPE_NAMES.items()
    ]
    return OutMessage(
        t("Step 5 of 9: which describes you?"), buttons=(*rows(*buttons, width=1), _cancel(t))
    )


def teams_prompt(
    t: Translator, language: str, teams: list[ServiceTeam], chosen: list[int]
) -> OutMessage:
    buttons = [
        Button(
            ("✅ " if team.id in chosen else "") + team.label(language),
            cbdata.encode(JOIN, "team", team.id),
        )
        for team in teams
    ]
    return OutMessage(
        t("Step 6 of 9: which service teams do you join? Tap to choose, then Done."),
        buttons=(
            *rows(*buttons),
            (Button(t("Done ➡"), cbdata.encode(JOIN, "teams")),),
            _cancel(t),
        ),
    )


def skills_prompt(t: Translator) -> OutMessage:
    return OutMessage(
        t(
            "Step 7 of 9: any skills? (e.g. electrician, nurse, lawyer) Separate them with "
            "commas, or Skip."
        ),
        keyboard=((ReplyButton(t(SKIP)),),),
        one_time=True,
    )


def availability_prompt(t: Translator, chosen: list[Availability]) -> OutMessage:
    buttons = [
        Button(
            ("✅ " if slot in chosen else "") + t(name), cbdata.encode(JOIN, "slot", slot.value)
        )
        for slot, name in SLOT_NAMES.items()
    ]
    return OutMessage(
        t("Step 8 of 9: when can you serve? Tap to choose, then Done."),
        buttons=(
            *rows(*buttons, width=1),
            (Button(t("Done ➡"), cbdata.encode(JOIN, "slots")),),
            _cancel(t),
        ),
    )


def share_phone_prompt(t: Translator) -> OutMessage:
    return OutMessage(
        t("Step 9 of 9: may residents whose requests you take see your phone number?"),
        buttons=(
            (
                Button(t("Yes"), cbdata.encode(JOIN, "share", "y")),
                Button(t("No"), cbdata.encode(JOIN, "share", "n")),
            ),
            _cancel(t),
        ),
    )


def _profile_lines(
    t: Translator,
    language: str,
    member_fields: dict[str, object],
    compound: OrgUnit | None,
    teams: list[ServiceTeam],
) -> list[str]:
    none = t("(none)")
    slots = member_fields["availability"]
    skills = member_fields["skills"]
    assert isinstance(slots, list) and isinstance(skills, list)
    kind = member_fields["member_type"]
    return [
        t("Name: {name}").format(name=esc(str(member_fields["real_name"] or ""))),
        t("Work unit: {unit}").format(unit=esc(str(member_fields["work_unit"] or "")) or none),
        t("Compound: {place}").format(place=esc(compound.label(language)) if compound else none),
        t("Phone: {phone}").format(phone=esc(str(member_fields["phone"] or "")) or none),
        t("Type: {kind}").format(
            kind=t(TYPE_NAMES[kind]) if isinstance(kind, MemberType) else none
        ),
        t("Service teams: {teams}").format(
            teams=t(", ").join(esc(team.label(language)) for team in teams) or none
        ),
        t("Skills: {skills}").format(skills=t(", ").join(esc(str(s)) for s in skills) or none),
        t("Availability: {slots}").format(
            slots=t(", ").join(t(SLOT_NAMES[s]) for s in slots) or none
        ),
        t("Residents see my phone: {answer}").format(
            answer=t("Yes") if member_fields["share_phone"] else t("No")
        ),
    ]


def summary(
    t: Translator,
    language: str,
    form_fields: dict[str, object],
    compound: OrgUnit | None,
    teams: list[ServiceTeam],
    *,
    editing: bool,
    nonce: str,
) -> OutMessage:
    lines = [
        t("<b>Please check your registration</b>") if not editing else t("<b>Your profile</b>")
    ]
    lines += _profile_lines(t, language, form_fields, compound, teams)
    return OutMessage(
        "\n".join(lines),
        buttons=(
            (Button(t("✅ Confirm"), cbdata.encode(JOIN, "ok", nonce)),),
            (Button(t("✏ Edit"), cbdata.encode(JOIN, "edit")),),
            _cancel(t),
        ),
    )


def submitted(t: Translator, *, new: bool, roles: set[Role]) -> OutMessage:
    """The end of /join; it brings the main menu keyboard back."""
    if new:
        text = t(
            "✅ Thank you! Your registration was sent to the community for "
            "approval. You will be told the outcome."
        )
    else:
        text = t("✅ Your profile is saved.")
    return OutMessage(text, keyboard=main_keyboard(roles, t))


def approval_card(
    t: Translator, language: str, member: Member, compound: OrgUnit, teams: list[ServiceTeam]
) -> OutMessage:
    lines = [t("🙋 <b>A new member asks to be approved</b>")]
    lines += _profile_lines(t, language, member.model_dump(), compound, teams)
    return OutMessage(
        "\n".join(lines),
        buttons=(
            (
                Button(t("Approve"), cbdata.encode(MEMBER_ADMIN, "ok", member.person_id)),
                Button(t("Reject"), cbdata.encode(MEMBER_ADMIN, "no", member.person_id)),
            ),
        ),
    )


def reject_reason_prompt(t: Translator, member: Member) -> OutMessage:
    return OutMessage(
        t("Why is {name} not approved? They will see the reason. (/cancel to stop)").format(
            name=esc(member.real_name)
        )
    )


def decided(t: Translator, member: Member) -> OutMessage:
    return OutMessage(
        t("{name}: {status}.").format(
            name=esc(member.real_name), status=t(STATUS_NAMES[member.status])
        )
    )


def approved(t: Translator) -> OutMessage:
    return OutMessage(
        t(
            "🎉 Your registration is approved. Welcome to the Neighbourhood Pioneers! "
            "Task cards will come to this chat; /tasks lists yours."
        )
    )


def rejected(t: Translator, reason: str) -> OutMessage:
    return OutMessage(
        t(
            "Your registration was not approved: {reason}\nYou may register again with /join."
        ).format(reason=esc(reason))
    )


def pause_prompt(t: Translator) -> OutMessage:
    buttons = (
        Button(t("1 week"), cbdata.encode(PAUSE, "d", 7)),
        Button(t("2 weeks"), cbdata.encode(PAUSE, "d", 14)),
        Button(t("1 month"), cbdata.encode(PAUSE, "d", 30)),
    )
    return OutMessage(
        t(
            "Going on leave? You get no task cards until the date you choose. Pick one, or type "
            "a date like 2026-12-31. (/cancel to stop)"
        ),
        buttons=(buttons,),
    )


def paused(t: Translator, member: Member, tz: tzinfo) -> OutMessage:
    assert member.paused_until is not None
    return OutMessage(
        t("⏸ On leave until {when}. Send /resume to come back earlier.").format(
            when=fmt_time(member.paused_until, tz)[:10]
        )
    )


def resumed(t: Translator) -> OutMessage:
    return OutMessage(t("▶ Welcome back! Task cards will come again."))


def record_lines(
    t: Translator,
    language: str,
    member: Member,
    compound: OrgUnit,
    teams: list[ServiceTeam],
    done: int,
    average: float | None,
    ratings: int,
    open_tasks: int,
    visits: int,
    people: int,
    tz: tzinfo,
) -> list[str]:
    """The member part of /me: status, record and profile."""
    lines = ["", t("<b>As a member</b> ({status})").format(status=t(STATUS_NAMES[member.status]))]
    if member.paused_until is not None:
        lines.append(
            t("On leave until {when}").format(when=fmt_time(member.paused_until, tz)[:10])
        )
    lines.append(t("Tasks done: {done}; open tasks: {open}").format(done=done, open=open_tasks))
    if average is not None:
        lines.append(
            t("Average rating: {avg:.1f} of 3 ({count} ratings)").format(
                avg=average, count=ratings
            )
        )
    lines.append(
        t("Visits logged: {visits} ({people} residents)").format(visits=visits, people=people)
    )
    lines += _profile_lines(t, language, member.model_dump(), compound, teams)
    return lines
