"""Messages of volunteer activities (志愿服务活动): the card with Sign up, invitations and
reminders, the organiser's panel (roll call, the check-in code, end), check-in and feedback."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo

from bot import cbdata
from bot.i18n import N_, NC_, Translator
from bot.messages import Button, OutMessage, ReplyButton, rows
from bot.models import OrgUnit, ServiceTeam, Station
from bot.models.activities import (
    LENGTHS,
    Activity,
    ActivityForm,
    ActivityState,
    ActivityView,
    Attendance,
    Audience,
    CheckinMethod,
    Feedback,
    SignupState,
)
from bot.views.calendar import WEEKDAYS, fmt_span_of_time
from bot.views.common import distance_text, esc, ticked
from bot.views.points import hours_text

__all__ = [
    "ACTIVITY",
    "AUDIENCE_NAMES",
    "REFRESH",
    "Render",
    "activity_list",
    "called_off",
    "card",
    "checked_in",
    "checkin_hint",
    "code_message",
    "feedback_thanks",
    "finished",
    "invitation",
    "moved_up",
    "organiser_panel",
    "reminder",
    "roll_call",
    "thanks",
]

ACTIVITY = "ac"
PUBLISH = "pb"  # the publishing flow's buttons
REFRESH = "r"  # the argument of a button that redraws the message it is on
DAYS_SHOWN = 14  # day buttons of the publishing flow
START_TIMES = ("09:00", "10:00", "14:30", "15:00", "19:00", "19:30")
CAPACITIES = (10, 20, 30, 50)
Render = Callable[[Translator, str], OutMessage]

AUDIENCE_NAMES = {
    Audience.MEMBERS: N_("party members"),
    Audience.VOLUNTEERS: N_("volunteers"),
    Audience.RESIDENTS: N_("residents"),
}
METHOD_NAMES = {
    CheckinMethod.ROLL: N_("roll call"),
    CheckinMethod.CODE: N_("code"),
    CheckinMethod.LOCATION: N_("location"),
}
FEEDBACK_NAMES = {
    Feedback.GOOD: N_("👍 Very good"),
    Feedback.FAIR: N_("🙂 All right"),
    Feedback.POOR: N_("👎 Not good"),
}
SHARE_LOCATION_TO_CHECK_IN = N_("📍 Share my location to check in")
SHARE_VENUE = N_("📍 Share the place's location")
SKIP = N_("Skip")
_LIST = NC_("list separator", ", ")


def _audience_text(t: Translator, activity: Activity) -> str:
    """Who is invited, in words: 居民、党员、志愿者."""
    return t(_LIST).join(t(AUDIENCE_NAMES[a]) for a in activity.audience)


def _place(t: Translator, view: ActivityView) -> str:
    if view.station is not None:
        return t("{station} ({address})").format(
            station=esc(view.station.name), address=esc(view.station.address)
        )
    return esc(view.activity.address) or t("(a place shared on the map)")


def _details(t: Translator, language: str, view: ActivityView, tz: tzinfo) -> list[str]:
    activity = view.activity
    lines = [
        f"🙌 <b>{esc(activity.title)}</b>",
        "🕘 " + fmt_span_of_time(t, activity.starts_at, activity.ends_at, tz),
        "📍 " + _place(t, view),
    ]
    who = [view.team.label(language)] if view.team else []
    who.append(view.unit.label(language))
    lines.append("👥 " + esc(" · ".join(who)))
    places = t("Places: {signed}/{capacity}").format(
        signed=view.signed, capacity=activity.capacity
    )
    if view.full:
        places += t(" (full)")
    if view.waiting:
        places += t(" · waiting list: {n}").format(n=view.waiting)
    lines.append(places)
    if activity.description:
        lines += ["", esc(activity.description)]
    return lines


def _mine(t: Translator, view: ActivityView) -> str | None:
    mine = view.mine
    if mine is None or mine.state is SignupState.CANCELLED:
        return None
    if mine.attended:
        return t("✔ You are checked in.")
    if mine.state is SignupState.SIGNED:
        return t("✅ You are signed up.")
    return t("⏳ You are number {n} on the waiting list.").format(n=view.position or 1)


def _buttons(t: Translator, view: ActivityView) -> tuple[tuple[Button, ...], ...]:
    activity = view.activity
    if activity.state is not ActivityState.PUBLISHED:
        return ()
    mine = view.mine
    out: list[Button] = []
    if mine is None or mine.state is SignupState.CANCELLED:
        label = t("⏳ Join the waiting list") if view.full else t("✅ Sign up")
        out.append(Button(label, cbdata.encode(ACTIVITY, "s", activity.id)))
    else:
        if mine.state is SignupState.SIGNED and not mine.attended:
            out.append(Button(t("📍 Check in"), cbdata.encode(ACTIVITY, "ci", activity.id)))
        if not mine.attended:
            label = (
                t("✖ Cancel my sign-up")
                if mine.state is SignupState.SIGNED
                else t("✖ Leave the waiting list")
            )
            out.append(Button(label, cbdata.encode(ACTIVITY, "c", activity.id)))
    return rows(*out, width=1)


def card(
    t: Translator,
    language: str,
    view: ActivityView,
    tz: tzinfo,
    *,
    head: str | None = None,
) -> OutMessage:
    """An activity with the viewer's own place and what they can do (Check in shows while
    they are signed up: pressed too early, it says when check-in opens)."""
    lines = [head] if head else []
    lines += _details(t, language, view, tz)
    if view.activity.state is ActivityState.CANCELLED:
        lines += ["", t("✖ This activity was called off.")]
    elif view.activity.state is ActivityState.FINISHED:
        lines += ["", t("🏁 This activity is over.")]
    mine = _mine(t, view)
    if mine:
        lines += ["", mine]
    return OutMessage("\n".join(lines), buttons=_buttons(t, view))


def invitation(t: Translator, language: str, view: ActivityView, tz: tzinfo) -> OutMessage:
    return card(t, language, view, tz, head=t("📣 <b>You are invited to a volunteer activity</b>"))


def moved_up(t: Translator, language: str, view: ActivityView, tz: tzinfo) -> OutMessage:
    return card(
        t,
        language,
        view,
        tz,
        head=t(
            "🎉 <b>A place came free: you are signed up now</b> (you were on the waiting list)"
        ),
    )


def reminder(
    t: Translator, language: str, view: ActivityView, tz: tzinfo, now: datetime
) -> OutMessage:
    left = view.activity.starts_at - now
    hours = left.total_seconds() / 3600
    head = (
        t("⏰ <b>Tomorrow:</b> a volunteer activity you signed up for")
        if hours > 3
        else t("⏰ <b>Starting soon:</b> a volunteer activity you signed up for")
    )
    return card(t, language, view, tz, head=head)


def called_off(t: Translator, language: str, activity: Activity, tz: tzinfo) -> OutMessage:
    return OutMessage(
        t("✖ <b>Called off:</b> {title}, {when}. Sorry!").format(
            title=esc(activity.title),
            when=fmt_span_of_time(t, activity.starts_at, activity.ends_at, tz),
        )
    )


def thanks(t: Translator, activity: Activity, hours: float, points: int) -> OutMessage:
    """To everyone who came: hours and points credited, and the feedback question."""
    return OutMessage(
        t(
            "🙏 Thank you for taking part in {title}! {hours} of volunteer time and {points}"
            " points are credited to you.\nHow was it?"
        ).format(title=esc(activity.title), hours=hours_text(t, hours), points=points),
        buttons=(
            tuple(
                Button(t(FEEDBACK_NAMES[answer]), cbdata.encode(ACTIVITY, "fb", activity.id, code))
                for code, answer in (
                    ("g", Feedback.GOOD),
                    ("f", Feedback.FAIR),
                    ("p", Feedback.POOR),
                )
            ),
        ),
    )


def checkin_hint(t: Translator) -> OutMessage:
    return OutMessage(t("Type the code after the command, for example: /checkin 123456"))


def feedback_thanks(t: Translator, answer: Feedback) -> OutMessage:
    return OutMessage(
        t("Thank you for telling us: {answer}").format(answer=t(FEEDBACK_NAMES[answer]))
    )


def finished(
    t: Translator, activity: Activity, attended: int, signed: int, hours: float
) -> OutMessage:
    """To the organiser: what the activity came to."""
    return OutMessage(
        t(
            "🏁 <b>{title}</b> is over: {attended} of {signed} signed up took part; each got"
            " {hours} of volunteer time."
        ).format(
            title=esc(activity.title),
            attended=attended,
            signed=signed,
            hours=hours_text(t, hours),
        )
    )


def organiser_panel(
    t: Translator, language: str, view: ActivityView, tz: tzinfo, now: datetime
) -> OutMessage:
    """The card as its organiser sees it: roll call, the check-in code, end or call off."""
    activity = view.activity
    lines = [t("🧑‍💼 <b>You run this activity</b>"), *_details(t, language, view, tz)]
    lines.append(
        t("Invited: {invited} · checked in: {attended}").format(
            invited=activity.invited, attended=view.attended
        )
    )
    audience = _audience_text(t, activity)
    lines.append(t("For: {audience}").format(audience=audience))
    buttons: list[Button] = []
    if activity.state is ActivityState.PUBLISHED:
        if activity.checkin_open(now):
            buttons += [
                Button(t("📋 Roll call"), cbdata.encode(ACTIVITY, "roll", activity.id)),
                Button(t("🔢 Check-in code"), cbdata.encode(ACTIVITY, "code", activity.id)),
            ]
        if activity.starts_at <= now:
            buttons.append(
                Button(t("🏁 End the activity"), cbdata.encode(ACTIVITY, "end", activity.id))
            )
        buttons.append(
            Button(
                t(NC_("activity", "✖ Call it off")), cbdata.encode(ACTIVITY, "off", activity.id)
            )
        )
    elif activity.state is ActivityState.FINISHED:
        lines.append(t("🏁 This activity is over."))
    else:
        lines.append(t("✖ This activity was called off."))
    return OutMessage("\n".join(lines), buttons=rows(*buttons))


def roll_call(t: Translator, activity: Activity, roll: list[Attendance]) -> OutMessage:
    """点名: a button per person; pressing ticks them present (or takes the tick back)."""
    present = sum(1 for a in roll if a.checked_in)
    lines = [
        t("📋 <b>Roll call: {title}</b>").format(title=esc(activity.title)),
        t("{present} of {total} present. Press a name to tick it.").format(
            present=present, total=len(roll)
        ),
    ]
    for attendance in roll:
        if attendance.checked_in and attendance.method is not None:
            lines.append(
                t("✔ {name} ({method})").format(
                    name=esc(attendance.name), method=t(METHOD_NAMES[attendance.method])
                )
            )
    buttons = [
        Button(
            ("✔ " if a.checked_in else "⬜ ") + (a.name or "?"),
            cbdata.encode(ACTIVITY, "mk", activity.id, a.person_id),
        )
        for a in roll
    ]
    buttons.append(Button(t("🔄 Refresh"), cbdata.encode(ACTIVITY, "roll", activity.id, REFRESH)))
    return OutMessage("\n".join(lines), buttons=rows(*buttons))


def code_message(
    t: Translator, activity: Activity, code: str, until: datetime, tz: tzinfo
) -> OutMessage:
    """The organiser's screen of the rotating code."""
    return OutMessage(
        t(
            "🔢 Check-in code for {title}:\n\n<b>{code}</b>\n\nParticipants send it to me (or"
            " /checkin {code}). It changes every minute; this one is shown until {until}."
        ).format(
            title=esc(activity.title),
            code=" ".join((code[:3], code[3:])),
            until=until.astimezone(tz).strftime("%H:%M"),
        ),
        buttons=(
            (Button(t("🔄 New code"), cbdata.encode(ACTIVITY, "code", activity.id, REFRESH)),),
        ),
    )


def checkin_prompt(
    t: Translator, activity: Activity, menu: tuple[tuple[ReplyButton, ...], ...]
) -> OutMessage:
    """After Check in: the code from the organiser's phone, or the location (its button
    above the main menu's)."""
    return OutMessage(
        t(
            "📍 Check in to {title}: send the 6-digit code shown on the organiser's phone, or"
            " share your location at the venue."
        ).format(title=esc(activity.title)),
        keyboard=(
            (ReplyButton(t(SHARE_LOCATION_TO_CHECK_IN), request_location=True),),
            *menu,
        ),
    )


def checked_in(t: Translator, activity: Activity, method: CheckinMethod) -> OutMessage:
    return OutMessage(
        t("✔ Checked in to {title} ({method}). Welcome!").format(
            title=esc(activity.title), method=t(METHOD_NAMES[method])
        )
    )


def too_far(t: Translator, distance: float, radius: float) -> OutMessage:
    return OutMessage(
        t(
            "You are about {distance} from the venue; check-in by location works within"
            " {radius}. Please come closer, or ask the organiser for the code."
        ).format(distance=distance_text(t, distance), radius=distance_text(t, radius))
    )


def activity_list(
    t: Translator,
    language: str,
    joinable: list[ActivityView],
    running: list[ActivityView],
    tz: tzinfo,
    *,
    can_publish: bool,
) -> OutMessage:
    """/activities: what the person can join, and what they run."""
    lines = [t("🙌 <b>Volunteer activities</b>")]
    buttons: list[Button] = []
    for view in joinable:
        mark = {SignupState.SIGNED: "✅ ", SignupState.WAITING: "⏳ "}.get(
            view.mine.state if view.mine else SignupState.CANCELLED, ""
        )
        when = fmt_span_of_time(t, view.activity.starts_at, view.activity.ends_at, tz)
        lines.append(f"{mark}{esc(view.activity.title)} · {when}")
        buttons.append(
            Button(view.activity.title[:30], cbdata.encode(ACTIVITY, "v", view.activity.id))
        )
    if not joinable:
        lines.append(t("No activities coming up near you right now."))
    if running:
        lines += ["", t("<b>Activities you run</b>")]
        for view in running:
            when = fmt_span_of_time(t, view.activity.starts_at, view.activity.ends_at, tz)
            lines.append(f"🧑‍💼 {esc(view.activity.title)} · {when}")
            buttons.append(
                Button(
                    "🧑‍💼 " + view.activity.title[:28],
                    cbdata.encode(ACTIVITY, "p", view.activity.id),
                )
            )
    if can_publish:
        buttons.append(Button(t("➕ Publish an activity"), cbdata.encode(PUBLISH, "new")))
    return OutMessage("\n".join(lines), buttons=rows(*buttons, width=1))


# -- publishing (the organiser's guided flow) -------------------------------------------------
def _cancel(t: Translator) -> tuple[Button, ...]:
    return (Button(t("✖ Cancel"), cbdata.encode(PUBLISH, "cancel")),)


def _step(t: Translator, n: int, question: str) -> str:
    return t("➕ <b>Publish an activity</b> · step {n} of 10").format(n=n) + "\n" + question


def area_prompt(
    t: Translator, language: str, areas: list[tuple[OrgUnit, ServiceTeam | None]]
) -> OutMessage:
    buttons = [
        Button(
            unit.label(language) + (f" · {team.label(language)}" if team else ""),
            cbdata.encode(PUBLISH, "area", unit.id),
        )
        for unit, team in areas
    ]
    return OutMessage(
        t("➕ <b>Publish an activity</b>\nFor which area?"),
        buttons=(*rows(*buttons, width=1), _cancel(t)),
    )


def title_prompt(t: Translator) -> OutMessage:
    return OutMessage(
        _step(
            t,
            1,
            t("What is the activity called? (for example: a free health check, a talk on fraud)"),
        ),
        buttons=(_cancel(t),),
    )


def details_prompt(t: Translator) -> OutMessage:
    return OutMessage(
        _step(t, 2, t("A few words about it: what happens, what to bring. Or Skip.")),
        keyboard=((ReplyButton(t(SKIP)),),),
        one_time=True,
    )


def day_prompt(t: Translator, today: date) -> OutMessage:
    days = [today + timedelta(days=n) for n in range(DAYS_SHOWN)]
    buttons = [
        Button(
            f"{day:%m-%d} {t(WEEKDAYS[day.weekday()])}",
            cbdata.encode(PUBLISH, "day", day.isoformat()),
        )
        for day in days
    ]
    return OutMessage(
        _step(t, 3, t("Which day? Press one, or type a date like {example}.")).format(
            example="12-05"
        ),
        buttons=(*rows(*buttons, width=4), _cancel(t)),
    )


def time_prompt(t: Translator) -> OutMessage:
    buttons = [
        Button(time, cbdata.encode(PUBLISH, "time", time.replace(":", ".")))
        for time in START_TIMES
    ]
    return OutMessage(
        _step(t, 4, t("What time does it start? Press one, or type it like {example}.")).format(
            example="9:30"
        ),
        buttons=(*rows(*buttons, width=3), _cancel(t)),
    )


def length_prompt(t: Translator) -> OutMessage:
    buttons = [
        Button(hours_text(t, minutes / 60), cbdata.encode(PUBLISH, "len", minutes))
        for minutes in LENGTHS
    ]
    return OutMessage(
        _step(t, 5, t("How long does it last?")), buttons=(*rows(*buttons, width=3), _cancel(t))
    )


def place_prompt(t: Translator, stations: list[Station]) -> OutMessage:
    buttons = [Button(s.name, cbdata.encode(PUBLISH, "st", s.id)) for s in stations]
    buttons.append(Button(t("📍 Another place"), cbdata.encode(PUBLISH, "other")))
    return OutMessage(
        _step(t, 6, t("Where? A service station of the area, or another place.")),
        buttons=(*rows(*buttons, width=1), _cancel(t)),
    )


def address_prompt(t: Translator) -> OutMessage:
    return OutMessage(
        _step(
            t,
            6,
            t(
                "Type the address, or share the place's location (then people can also check"
                " in by sharing theirs)."
            ),
        ),
        keyboard=((ReplyButton(t(SHARE_VENUE), request_location=True),),),
        one_time=True,
    )


def capacity_prompt(t: Translator) -> OutMessage:
    buttons = [Button(str(n), cbdata.encode(PUBLISH, "cap", n)) for n in CAPACITIES]
    return OutMessage(
        _step(t, 7, t("How many places? Press one, or type a number.")),
        buttons=(tuple(buttons), _cancel(t)),
    )


def audience_prompt(t: Translator, form: ActivityForm) -> OutMessage:
    buttons = ticked(t, AUDIENCE_NAMES, form.audience, PUBLISH, "aud")
    return OutMessage(
        _step(t, 8, t("Who is invited? Choose one or more, then Done.")),
        buttons=(
            tuple(buttons),
            (Button(t("Done ➡"), cbdata.encode(PUBLISH, "audok")),),
            _cancel(t),
        ),
    )


def team_prompt(t: Translator, language: str, teams: list[ServiceTeam]) -> OutMessage:
    buttons = [
        Button(
            f"{team.project_label(language)} · {team.label(language)}",
            cbdata.encode(PUBLISH, "team", team.id),
        )
        for team in teams
    ]
    buttons.append(Button(t("No team"), cbdata.encode(PUBLISH, "team", 0)))
    return OutMessage(
        _step(t, 9, t("Which service team runs it? (its hours count for the team)")),
        buttons=(*rows(*buttons, width=2), _cancel(t)),
    )


def preview(
    t: Translator, language: str, view: ActivityView, count: int, nonce: str, tz: tzinfo
) -> OutMessage:
    """Step 10: the activity as it will be published, and who exactly will be invited."""
    audience = _audience_text(t, view.activity)
    lines = [
        _step(t, 10, t("Check it, then publish:")),
        "",
        *_details(t, language, view, tz),
        "",
        t("For: {audience}").format(audience=audience),
        t.ngettext(
            "📣 {n} person will be invited.", "📣 {n} people will be invited.", count
        ).format(n=count),
    ]
    return OutMessage(
        "\n".join(lines),
        buttons=(
            (Button(t("✅ Publish and invite"), cbdata.encode(PUBLISH, "ok", nonce)),),
            _cancel(t),
        ),
    )


def published(t: Translator, title: str, invited: int) -> str:
    return t.ngettext(
        "✅ {title} is published; {n} person was invited. Run it from /activities.",
        "✅ {title} is published; {n} people were invited. Run it from /activities.",
        invited,
    ).format(title=esc(title), n=invited)
