"""Messages about requests: the intake steps, my requests, cards, status updates, rating."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from bot import cbdata
from bot.i18n import N_, Translator
from bot.lifecycle import OPEN, STATUS_NAMES, UNACCEPTED, Status
from bot.messages import Button, OutMessage, ReplyButton, rows
from bot.models import (
    Category,
    Department,
    OrgUnit,
    Rating,
    Request,
    RequestEvent,
    RequestView,
    Role,
    Tier,
)
from bot.models.intake import MAX_PHOTOS, Draft, Step
from bot.views.common import esc, fmt_age, fmt_time, main_keyboard, unit_path
from bot.views.forms import SKIP, cancel_row
from bot.views.service import order_lines

__all__ = [
    "INTAKE",
    "MY",
    "RATE",
    "category_prompt",
    "member_card",
    "my_list",
    "rating_prompt",
    "request_detail",
    "status_update",
    "summary",
]

INTAKE = "rq"
MY = "my"
RATE = "rt"

TIER_NAMES = {
    Tier.URGENT: N_("Urgent: act now"),
    Tier.IMPORTANT: N_("Important: settle by consultation"),
    Tier.DIFFICULT: N_("Difficult: joint action"),
}
LEVEL_NAMES = {
    "community": N_("the community"),
    "street": N_("the street"),
    "district": N_("the district"),
}
TIER_SHORT = {
    Tier.URGENT: N_("urgent"),
    Tier.IMPORTANT: N_("important"),
    Tier.DIFFICULT: N_("difficult"),
}
TIER_ICON = {Tier.URGENT: "🔴", Tier.IMPORTANT: "🟠", Tier.DIFFICULT: "🟣"}
RATING_NAMES = {
    Rating.SATISFIED: N_("Satisfied"),
    Rating.BASIC: N_("Basically satisfied"),
    Rating.UNSATISFIED: N_("Unsatisfied"),
    Rating.NOT_RATED: N_("Not rated"),
}
RATING_CODES = {Rating.SATISFIED: "s", Rating.BASIC: "b", Rating.UNSATISFIED: "u"}
STEP_NAMES = {
    Step.CATEGORY: N_("Category"),
    Step.DESCRIPTION: N_("Description"),
    Step.PHOTOS: N_("Photos"),
    Step.PLACE: N_("Place"),
    Step.URGENCY: N_("Urgency"),
    Step.CONTACT: N_("Phone"),
}
# Reply-keyboard labels the intake recognises (in every language).
SHARE_LOCATION = N_("📍 Share my location")
SHARE_PHONE = N_("📞 Share my phone number")


# What the details screen shows of long texts, so that it always fits in one message.
TEXT_LIMIT = 4096
DESCRIPTION_CHARS = 800
NOTE_CHARS = 300
TIMELINE_ENTRIES = 20


def status_name(t: Translator, status: Status) -> str:
    return t(STATUS_NAMES[status])


def _cancel_row(t: Translator) -> tuple[Button, ...]:
    return cancel_row(t, INTAKE)


# -- the intake steps -----------------------------------------------------------------------
def category_prompt(t: Translator, language: str, categories: list[Category]) -> OutMessage:
    buttons = [Button(c.label(language), cbdata.encode(INTAKE, "cat", c.id)) for c in categories]
    return OutMessage(
        t("<b>Raise a request</b> (step 1 of 6)\nWhat is it about? Choose a category."),
        buttons=(*rows(*buttons), _cancel_row(t)),
    )


def me_too_prompt(
    t: Translator, language: str, similar: list[Request], now: datetime
) -> OutMessage:
    lines = [t("Neighbours in your compound have reported something similar recently:"), ""]
    buttons: list[tuple[Button, ...]] = []
    for request in similar:
        excerpt = (
            request.description
            if len(request.description) <= 80
            else (request.description[:79] + "…")
        )
        lines.append(
            f"<b>{esc(request.number)}</b> · {fmt_age(t, now - request.created_at)}\n"
            f"{esc(excerpt)}"
        )
        buttons.append(
            (
                Button(
                    t("Me too: {number}").format(number=request.number),
                    cbdata.encode(INTAKE, "mt", request.id),
                ),
            )
        )
    lines += ["", t("Is one of them your problem too? Then you will be told of its progress.")]
    buttons.append((Button(t("No, mine is different"), cbdata.encode(INTAKE, "mtno")),))
    buttons.append(_cancel_row(t))
    return OutMessage("\n".join(lines), buttons=tuple(buttons))


def supported(t: Translator, request: Request, roles: set[Role]) -> OutMessage:
    return OutMessage(
        t("👍 You now follow {number}. You will be told of every change.").format(
            number=esc(request.number)
        ),
        keyboard=main_keyboard(roles, t),
    )


def description_prompt(t: Translator, chosen: str | None = None) -> OutMessage:
    """Step 2; ``chosen`` (the category just picked) is shown above as feedback."""
    head = f"✔ {esc(chosen)}\n" if chosen else ""
    return OutMessage(
        head
        + t(
            "<b>Step 2 of 6.</b> Please describe the problem in a few words: what, where, "
            "since when."
        ),
        buttons=(_cancel_row(t),),
    )


def description_reprompt(t: Translator) -> OutMessage:
    return OutMessage(
        t("Please describe the problem in words first; you can add photos in the next step."),
        buttons=(_cancel_row(t),),
    )


def photos_prompt(t: Translator, count: int) -> OutMessage:
    text = t("<b>Step 3 of 6.</b> You can send up to {limit} photos now. Then press Next.").format(
        limit=MAX_PHOTOS
    )
    if count:
        text += "\n" + t("📷 {count} of {limit} received.").format(count=count, limit=MAX_PHOTOS)
    label = t("Next ➡") if count else t("No photos, next ➡")
    return OutMessage(
        text,
        buttons=((Button(label, cbdata.encode(INTAKE, "photos")),), _cancel_row(t)),
    )


def place_prompt(t: Translator) -> OutMessage:
    return OutMessage(
        t(
            "<b>Step 4 of 6.</b> Where exactly? Share your location with the button below, "
            "or type the building and unit (e.g. Block 3, Unit 2). Or skip."
        ),
        keyboard=(
            (ReplyButton(t(SHARE_LOCATION), request_location=True),),
            (ReplyButton(t(SKIP)),),
        ),
        one_time=True,
    )


def place_reprompt(t: Translator) -> OutMessage:
    return OutMessage(
        t("Please share a location with the button, type the building and unit, or press Skip."),
        keyboard=(
            (ReplyButton(t(SHARE_LOCATION), request_location=True),),
            (ReplyButton(t(SKIP)),),
        ),
        one_time=True,
    )


def urgency_prompt(t: Translator) -> OutMessage:
    return OutMessage(
        t(
            "<b>Step 5 of 6.</b> Is anyone in danger, or will damage spread if this waits "
            "until tomorrow?"
        ),
        buttons=(
            (
                Button(t("Yes, it is urgent"), cbdata.encode(INTAKE, "urg", "y")),
                Button(t("No"), cbdata.encode(INTAKE, "urg", "n")),
            ),
            _cancel_row(t),
        ),
    )


def contact_prompt(t: Translator) -> OutMessage:
    return OutMessage(
        t(
            "<b>Step 6 of 6.</b> May the helper call you? Share your phone number with the "
            "button below, or skip."
        ),
        keyboard=(
            (ReplyButton(t(SHARE_PHONE), request_contact=True),),
            (ReplyButton(t(SKIP)),),
        ),
        one_time=True,
    )


def contact_reprompt(t: Translator) -> OutMessage:
    return OutMessage(
        t("Please use the button to share your own phone number, or press Skip."),
        keyboard=(
            (ReplyButton(t(SHARE_PHONE), request_contact=True),),
            (ReplyButton(t(SKIP)),),
        ),
        one_time=True,
    )


def summary(
    t: Translator,
    language: str,
    draft: Draft,
    category: Category,
    compound_path: list[OrgUnit],
    name: str,
) -> OutMessage:
    tier = Tier.URGENT if draft.urgent else category.default_tier
    none = t("(none)")
    if draft.latitude is not None and draft.longitude is not None:
        place = t("location shared ({lat:.5f}, {lon:.5f})").format(
            lat=draft.latitude, lon=draft.longitude
        )
        if draft.address:
            place += f"; {esc(draft.address)}"
    else:
        place = esc(draft.address) if draft.address else none
    lines = [
        t("<b>Please check your request</b>"),
        t("Category: {category}").format(category=esc(category.label(language))),
        t("Tier: {tier}").format(tier=t(TIER_NAMES[tier])),
        t("Description: {text}").format(text=esc(draft.description)),
        t("Photos: {count}").format(count=len(draft.photos)),
        t("Place: {place}").format(place=place),
        t("Compound: {place}").format(place=unit_path(compound_path, language)),
        t("Phone: {phone}").format(phone=esc(draft.phone) if draft.phone else none),
        (
            t("Anonymous: helpers will not see your name or phone.")
            if draft.anonymous
            else t(
                "The helper who takes it will see your name ({name}) and phone; "
                "the others, only your surname."
            ).format(name=esc(name))
        ),
    ]
    anon_label = t("🙈 Anonymous: on") if draft.anonymous else t("🙈 Anonymous: off")
    return OutMessage(
        "\n".join(lines),
        buttons=(
            (Button(t("✅ Confirm"), cbdata.encode(INTAKE, "ok", draft.nonce)),),
            (
                Button(t("✏ Edit"), cbdata.encode(INTAKE, "edit")),
                Button(anon_label, cbdata.encode(INTAKE, "anon", draft.nonce)),
            ),
            _cancel_row(t),
        ),
    )


def filed(t: Translator, request: Request, category: Category, roles: set[Role]) -> OutMessage:
    if category.is_opinion:
        text = t(
            "🙏 Thank you! Your opinion <b>{number}</b> has been passed to the community."
        ).format(number=esc(request.number))
    else:
        text = t(
            "✅ Your request <b>{number}</b> is recorded. We will tell you when someone "
            "takes it. See it any time under My requests."
        ).format(number=esc(request.number))
    return OutMessage(text, keyboard=main_keyboard(roles, t))


def intake_cancelled(t: Translator, roles: set[Role]) -> OutMessage:
    return OutMessage(t("Cancelled. Nothing was filed."), keyboard=main_keyboard(roles, t))


def intake_expired(t: Translator, minutes: int) -> OutMessage:
    return OutMessage(
        t(
            "Your unfinished request was set aside after {minutes} minutes without an answer. "
            "Nothing was filed; press Raise a request to start again."
        ).format(minutes=minutes)
    )


def intake_continues(t: Translator) -> OutMessage:
    return OutMessage(t("You are in the middle of a request; let's continue. (/cancel drops it.)"))


# -- my requests ---------------------------------------------------------------------------
def my_list(
    t: Translator,
    language: str,
    items: list[RequestView],
    page: int,
    total: int,
    page_size: int,
    now: datetime,
) -> OutMessage:
    if total == 0:
        return OutMessage(t("You have no requests yet. Press Raise a request to file one."))
    pages = -(-total // page_size)
    lines = [
        t("<b>My requests</b> ({total}), page {page} of {pages}").format(
            total=total, page=page + 1, pages=pages
        ),
        "",
    ]
    buttons: list[tuple[Button, ...]] = []
    for item in items:
        r = item.request
        follow = "" if item.is_owner else " 👍"
        lines.append(
            f"{TIER_ICON[r.tier]} <b>{esc(r.number)}</b>{follow} · "
            f"{esc(item.category.label(language))} · {t(TIER_SHORT[r.tier])}\n"
            f"    {status_name(t, r.status)} · {fmt_age(t, now - r.created_at)}"
        )
        buttons.append(
            (
                Button(
                    t("Open {number}").format(number=r.number), cbdata.encode(MY, "o", r.id, page)
                ),
            )
        )
    nav: list[Button] = []
    if page > 0:
        nav.append(Button(t("« Newer"), cbdata.encode(MY, "p", page - 1)))
    if page + 1 < pages:
        nav.append(Button(t("Older »"), cbdata.encode(MY, "p", page + 1)))
    if nav:
        buttons.append(tuple(nav))
    return OutMessage("\n".join(lines), buttons=tuple(buttons))


def _clip(text: str, limit: int) -> str:
    """The text, escaped, cut at ``limit`` characters with an ellipsis (a display, not the
    stored text: that stays whole)."""
    return esc(text if len(text) <= limit else text[: limit - 1].rstrip() + "…")


DEPARTMENT_STEPS = {
    "whistled": N_("the whistle was blown: {who} act together"),
    "signed": N_("{who} signed for it"),
    "on_site": N_("{who} is on site"),
    "completed": N_("{who} completed its part"),
    "added": N_("{who} joined the joint action"),
}


def department_step(
    t: Translator, language: str, note: str, departments: dict[int, Department], tz: tzinfo
) -> str:
    """A department's step on the resident's timeline ("城管执法局已签收"): the department's
    name, never a person's."""
    step, _, rest = note.partition(":")
    if step == "meeting":
        try:
            when = datetime.fromisoformat(rest)
        except ValueError:
            return t("the departments will meet on site")
        return t("the departments will meet on site at {when}").format(when=fmt_time(when, tz))
    found = [departments[int(i)] for i in rest.split(",") if i.isdigit() and int(i) in departments]
    who = esc(t(", ").join(d.label(language) for d in found)) or t("a department")
    return t(DEPARTMENT_STEPS.get(step, N_("{who}: an update"))).format(who=who)


def _event_line(
    t: Translator,
    event: RequestEvent,
    language: str = "zh_CN",
    departments: dict[int, Department] | None = None,
    tz: tzinfo = UTC,
) -> str:
    """One line of the timeline a resident sees (the kinds in ``flow.RESIDENT_EVENTS``)."""
    kind, note = event.kind, event.note
    if kind == "department" and note:
        return department_step(t, language, note, departments or {}, tz)
    if kind == "status" and event.to_status:
        text = status_name(t, Status(event.to_status))
        return f"{text} — {_clip(t(note), NOTE_CHARS)}" if note else text
    if kind == "escalation":
        level = (note or "").rpartition(":")[2]
        if level in LEVEL_NAMES:
            return t("⚠ Being chased by {level}").format(level=t(LEVEL_NAMES[level]))
        return t("⚠ Escalated")
    if kind == "retier" and note in {tier.value for tier in Tier}:
        return t('Now "{tier}"').format(tier=t(TIER_NAMES[Tier(note)]))
    if kind == "extension":
        days = re.match(r"\+(\d+)d", note or "")
        if days:
            return t("The deadline moved {days} days later.").format(days=int(days[1]))
    if kind == "waiting" and note:
        return esc(t(note))
    if kind == "rating" and note:
        return t("{what}: {detail}").format(what=t("rated"), detail=t(RATING_NAMES[Rating(note)]))
    labels = {
        "info": t("the resident added information"),
        "supporter": t("a neighbour said: me too"),
        "comment": t("comment"),
        "note": t("progress"),
        "consultation": t("put to a consultation of the parties"),
    }
    label = labels.get(kind, t("update"))
    if note:
        return t("{what}: {detail}").format(what=label, detail=_clip(t(note), NOTE_CHARS))
    return label


def request_detail(
    t: Translator, language: str, view: RequestView, tz: tzinfo, page: int
) -> OutMessage:
    r = view.request
    lines = [
        f"{TIER_ICON[r.tier]} <b>{esc(r.number)}</b>",
        t("Status: {status}").format(status=status_name(t, r.status)),
        t("Category: {category}").format(category=esc(view.category.label(language))),
        t("Tier: {tier}").format(tier=t(TIER_NAMES[r.tier])),
        t("Compound: {place}").format(place=unit_path(view.compound_path, language)),
        t("Description: {text}").format(text=_clip(r.description, DESCRIPTION_CHARS)),
        *order_lines(t, language, view),
    ]
    if (place := place_line(t, r)) is not None:
        lines.append(place)
    if view.photos:
        lines.append(t("Photos: {count}").format(count=len(view.photos)))
    if view.supporters:
        lines.append(t("Neighbours with the same problem: {count}").format(count=view.supporters))
    if view.assignee_name:
        lines.append(t("Taken by: {name}").format(name=esc(view.assignee_name)))
    if r.escalation_level and r.status in OPEN:
        lines.append(
            t("⚠ Being chased by {level}").format(level=t(LEVEL_NAMES[r.escalation_level]))
        )
    if r.rating:
        lines.append(t("Your rating: {rating}").format(rating=t(RATING_NAMES[r.rating])))
    lines += ["", t("<b>Timeline</b>")]
    timeline = [
        f"{fmt_time(e.at, tz)} · {_event_line(t, e, language, view.departments, tz)}"
        for e in view.events
    ]
    # The latest entries, as many as fit in one message (Telegram takes 4,096 characters).
    room = TEXT_LIMIT - len("\n".join(lines)) - 100
    shown: list[str] = []
    for line in reversed(timeline[-TIMELINE_ENTRIES:]):
        room -= len(line) + 1
        if room < 0:
            break
        shown.insert(0, line)
    if len(shown) < len(timeline):
        lines.append(t("… {count} earlier entries").format(count=len(timeline) - len(shown)))
    lines += shown
    buttons: list[tuple[Button, ...]] = []
    actions: list[Button] = []
    if view.can_add_info:
        actions.append(Button(t("➕ Add information"), cbdata.encode(MY, "i", r.id)))
    if view.can_cancel:
        actions.append(Button(t("✖ Cancel request"), cbdata.encode(MY, "c", r.id, page)))
    if actions:
        buttons.append(tuple(actions))
    buttons.append((Button(t("« Back to my requests"), cbdata.encode(MY, "p", page)),))
    return OutMessage("\n".join(lines), buttons=tuple(buttons), location=pin_of(r))


def cancel_confirm(t: Translator, request: Request, page: int) -> OutMessage:
    return OutMessage(
        t("Cancel request <b>{number}</b>? Helpers will stop working on it.").format(
            number=esc(request.number)
        ),
        buttons=(
            (
                Button(t("Yes, cancel it"), cbdata.encode(MY, "cy", request.id, page)),
                Button(t("No, keep it"), cbdata.encode(MY, "o", request.id, page)),
            ),
        ),
    )


def add_info_prompt(t: Translator, request: Request) -> OutMessage:
    return OutMessage(
        t("Send the text or photo to add to <b>{number}</b>. (/cancel to stop)").format(
            number=esc(request.number)
        ),
    )


def info_saved(t: Translator, request: Request) -> OutMessage:
    return OutMessage(t("Added to the timeline of {number}.").format(number=esc(request.number)))


# -- notifications -------------------------------------------------------------------------
def status_update(
    t: Translator,
    language: str,
    request: Request,
    status: Status,
    note: str | None,
    *,
    own: bool,
) -> OutMessage:
    head = (
        t("Your request <b>{number}</b>: {status}")
        if own
        else t("Request <b>{number}</b> that you follow: {status}")
    ).format(number=esc(request.number), status=status_name(t, status))
    if note:
        head += "\n" + esc(t(note))
    return OutMessage(
        head,
        buttons=((Button(t("Open"), cbdata.encode(MY, "o", request.id, 0)),),),
    )


def retier_notice(
    t: Translator, language: str, *, request: Request, tz: tzinfo, own: bool
) -> OutMessage:
    """The community changed the tier: the new one, and when it is to be done by now."""
    text = (
        t('Your request <b>{number}</b> is now "{tier}"; its deadline was recomputed.')
        if own
        else t(
            'Request <b>{number}</b> that you follow is now "{tier}"; its deadline was recomputed.'
        )
    ).format(number=esc(request.number), tier=t(TIER_NAMES[request.tier]))
    if request.resolve_due_at is not None:
        text += "\n" + t("To be resolved by {when}.").format(
            when=fmt_time(request.resolve_due_at, tz)
        )
    return OutMessage(text, buttons=((Button(t("Open"), cbdata.encode(MY, "o", request.id, 0)),),))


def rating_prompt(t: Translator, language: str, request: Request, note: str | None) -> OutMessage:
    text = t("✅ Your request <b>{number}</b> has been resolved.").format(
        number=esc(request.number)
    )
    if note:
        text += "\n" + t("Note: {note}").format(note=esc(note))
    text += "\n\n" + t("How satisfied are you with the result?")
    return OutMessage(
        text,
        buttons=(
            tuple(
                Button(t(RATING_NAMES[rating]), cbdata.encode(RATE, code, request.id))
                for rating, code in RATING_CODES.items()
            ),
        ),
    )


def rated(t: Translator, request: Request, rating: Rating) -> OutMessage:
    if rating is Rating.UNSATISFIED:
        text = t(
            "We are sorry. <b>{number}</b> is reopened and the community has been told; "
            "it will be done again."
        ).format(number=esc(request.number))
    else:
        text = t("Thank you for rating <b>{number}</b>: {rating}.").format(
            number=esc(request.number), rating=t(RATING_NAMES[rating])
        )
    text += "\n" + t("You may add a comment: just type it. Or press Skip.")
    return OutMessage(text, buttons=((Button(t(SKIP), cbdata.encode(RATE, "skip", request.id)),),))


def comment_saved(t: Translator) -> OutMessage:
    return OutMessage(t("Thank you, your comment is saved."))


def comment_skipped(t: Translator) -> OutMessage:
    return OutMessage(t("Thank you."))


def _admin_card(
    t: Translator,
    language: str,
    title: str,
    request: Request,
    category: Category,
    path: list[OrgUnit],
) -> OutMessage:
    lines = [
        title,
        f"{TIER_ICON[request.tier]} <b>{esc(request.number)}</b> · "
        f"{esc(category.label(language))} · {t(TIER_SHORT[request.tier])}",
        t("Compound: {place}").format(place=unit_path(path, language)),
        t("Description: {text}").format(text=esc(request.description)),
        t("Resident: {name}").format(name=esc(request.contact_name) or t("(none)")),
        t("Phone: {phone}").format(phone=esc(request.contact_phone) or t("(none)")),
    ]
    if request.anonymous:
        lines.append(t("(anonymous to members)"))
    return OutMessage("\n".join(lines))


def opinion_card(
    t: Translator, language: str, request: Request, category: Category, path: list[OrgUnit]
) -> OutMessage:
    return _admin_card(
        t, language, t("💬 <b>New opinion from a resident</b>"), request, category, path
    )


def unsatisfied_flag(
    t: Translator, language: str, request: Request, category: Category, path: list[OrgUnit]
) -> OutMessage:
    return _admin_card(
        t,
        language,
        t("⚠ <b>A resident is not satisfied; the request is reopened</b>"),
        request,
        category,
        path,
    )


def info_added(
    t: Translator, language: str, request: Request, text: str | None, photo: str | None
) -> OutMessage:
    body = esc(text) if text else t("(a photo)")
    return OutMessage(
        t("The resident added information to <b>{number}</b>:").format(number=esc(request.number))
        + "\n"
        + body,
        photos=(photo,) if photo else (),
    )


def place_line(t: Translator, request: Request) -> str | None:
    """📍 The place the resident gave: the address, and that a pin follows when they shared a
    location (it comes as its own message right after, see :attr:`OutMessage.location`)."""
    pinned = request.latitude is not None and request.longitude is not None
    if request.address and pinned:
        place = t("{address} (pin below)").format(address=esc(request.address))
    elif request.address:
        place = esc(request.address)
    elif pinned:
        place = t("see the pin below")
    else:
        return None
    return t("📍 Place: {place}").format(place=place)


def pin_of(request: Request) -> tuple[float, float] | None:
    """The shared location of a request, to send as a pin."""
    if request.latitude is None or request.longitude is None:
        return None
    return request.latitude, request.longitude


def deadline_line(t: Translator, request: Request, tz: tzinfo) -> str | None:
    """The deadline that runs now: to accept (nobody has it yet) or to resolve."""
    if request.status in UNACCEPTED and request.accept_due_at is not None:
        return t("Accept by: {when}").format(when=fmt_time(request.accept_due_at, tz))
    if request.status in OPEN and request.resolve_due_at is not None:
        return t("Resolve by: {when}").format(when=fmt_time(request.resolve_due_at, tz))
    return None


def masked_name(name: str | None) -> str | None:
    """The surname and two stars (Wang Xiaoming as one word → W**, Ann Smith → S**): enough
    to greet someone at the door, not enough to find them."""
    words = (name or "").split()
    if not words:
        return None
    # One word (王小明): the surname comes first. Several (Telegram's first and last name,
    # 小明 王 or Ann Smith): it is the last one.
    return f"{words[-1][0]}**"


def member_card(
    t: Translator,
    language: str,
    view: RequestView,
    now: datetime,
    *,
    tz: tzinfo,
    admin: bool = False,
    holder: bool = False,
) -> OutMessage:
    """A request as a member sees it, with its place and deadline. The phone goes only to
    whoever does the work: the member who holds the task (``holder``) and the admins see the
    resident's name and phone; the members a card is offered to see the surname only
    (Wang → W**); nobody but the admins sees either when the resident asked to stay
    anonymous. A shared location comes as a pin after it."""
    r = view.request
    lines = [
        f"{TIER_ICON[r.tier]} <b>{esc(r.number)}</b> · {esc(view.category.label(language))}"
        f" · {t(TIER_SHORT[r.tier])}",
        t("Compound: {place}").format(place=unit_path(view.compound_path[-1:], language)),
    ]
    if (place := place_line(t, r)) is not None:
        lines.append(place)
    lines.append(t("Description: {text}").format(text=esc(r.description)))
    lines += order_lines(t, language, view)
    lines.append(t("Filed: {age}").format(age=fmt_age(t, now - r.created_at)))
    if (deadline := deadline_line(t, r, tz)) is not None:
        lines.append(deadline)
    if view.source_system is not None:
        lines.append(t("City system: {name}").format(name=esc(view.source_system)))
    elif r.channel == "community":
        lines.append(t("Raised by the community itself (acting before residents ask)"))
    if admin or (holder and not r.anonymous):
        lines.append(t("Resident: {name}").format(name=esc(r.contact_name) or t("(none)")))
        lines.append(t("Phone: {phone}").format(phone=esc(r.contact_phone) or t("(none)")))
    elif not r.anonymous:
        name = masked_name(r.contact_name)
        lines.append(t("Resident: {name}").format(name=esc(name) if name else t("(none)")))
    else:
        lines.append(t("Resident: anonymous"))
    return OutMessage(
        "\n".join(lines), photos=tuple(p.file_id for p in view.photos[:1]), location=pin_of(r)
    )
