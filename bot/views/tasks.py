"""Messages of dispatch and task work: cards, accept notices, relay, admin flags."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo

from bot import cbdata
from bot.i18n import Translator
from bot.lifecycle import Status
from bot.messages import Button, OutMessage, rows
from bot.models import Category, Member, OrgUnit, Request, RequestView, ServiceTeam, Tier
from bot.views.common import esc, fmt_age
from bot.views.consult_forms import convene_button
from bot.views.requests import TIER_ICON, TIER_SHORT, member_card, status_name
from bot.views.whistle import FLOW as WHISTLE_FLOW

__all__ = [
    "ASSIGN",
    "RELAY",
    "TASK",
    "AdminRender",
    "CardRender",
    "Render",
    "accepted_card",
    "pool_card",
]

TASK = "tk"
RELAY = "rl"
ASSIGN = "as"

Render = Callable[[Translator, str], OutMessage]
AdminRender = Callable[[Translator, str, Request, Category, list[OrgUnit]], OutMessage]
CardRender = Callable[[Translator, str, RequestView, datetime, tzinfo], OutMessage]


def _with(
    message: OutMessage, *, head: str | None = None, buttons: tuple[tuple[Button, ...], ...] = ()
) -> OutMessage:
    text = f"{head}\n{message.text}" if head else message.text
    return OutMessage(text, buttons=buttons, photos=message.photos, location=message.location)


# -- cards to members ---------------------------------------------------------------------
def pool_card(
    t: Translator, language: str, view: RequestView, now: datetime, tz: tzinfo
) -> OutMessage:
    """组织下单: the task card sent to the pool, with Accept."""
    return _with(
        member_card(t, language, view, now, tz=tz),
        head=t("🙋 <b>A neighbour needs help</b>"),
        buttons=((Button(t("✋ Accept"), cbdata.encode(TASK, "acc", view.request.id)),),),
    )


def assign_card(
    t: Translator, language: str, view: RequestView, now: datetime, tz: tzinfo
) -> OutMessage:
    rid = view.request.id
    return _with(
        member_card(t, language, view, now, tz=tz),
        head=t("📌 <b>The community asks you to take this task</b>"),
        buttons=(
            (
                Button(t("✋ Accept"), cbdata.encode(TASK, "acc", rid)),
                Button(t("Decline"), cbdata.encode(TASK, "dec", rid)),
            ),
        ),
    )


def task_buttons(t: Translator, request: Request) -> tuple[tuple[Button, ...], ...]:
    rid = request.id
    first: list[Button] = []
    if request.status is not Status.IN_PROGRESS:
        first.append(Button(t("🚶 On my way"), cbdata.encode(TASK, "go", rid)))
    first.append(Button(t("📝 Progress note"), cbdata.encode(TASK, "note", rid)))
    more = Button(t("⏳ More time"), cbdata.encode("xt", "ask", rid))
    back = Button(t("↩ Hand back"), cbdata.encode(TASK, "ret", rid))
    done = (Button(t("✅ Done"), cbdata.encode(TASK, "done", rid)),)
    if request.resident_id is None:
        # No resident in the bot (a city system's request, or the community's own): nobody
        # to write to or wait for; progress notes reach the city system through the API.
        return (tuple(first), (back, more), done)
    if request.waiting_since is None:
        wait = Button(t("⏸ Waiting for the resident"), cbdata.encode(TASK, "wait", rid))
    else:
        wait = Button(t("▶ Working again"), cbdata.encode(TASK, "work", rid))
    return (
        tuple(first),
        (Button(t("💬 Message the resident"), cbdata.encode(TASK, "msg", rid)), back),
        (wait, more),
        done,
    )


def _task_card(
    t: Translator, language: str, view: RequestView, now: datetime, tz: tzinfo, head: str
) -> OutMessage:
    """The card a member works from (they hold the task: name and phone): the request, and
    what they can do."""
    return _with(
        member_card(t, language, view, now, tz=tz, holder=True),
        head=head,
        buttons=task_buttons(t, view.request),
    )


def accepted_card(
    t: Translator, language: str, view: RequestView, now: datetime, tz: tzinfo
) -> OutMessage:
    """The winner's card after accepting: the task with its actions."""
    head = t("✅ <b>You accepted this task.</b> Thank you!")
    return _task_card(t, language, view, now, tz, head)


def task_detail(
    t: Translator, language: str, view: RequestView, now: datetime, tz: tzinfo
) -> OutMessage:
    head = t("Status: {status}").format(status=status_name(t, view.request.status))
    return _task_card(t, language, view, now, tz, head)


def reopened_card(
    t: Translator, language: str, view: RequestView, now: datetime, tz: tzinfo
) -> OutMessage:
    head = t("🔁 <b>Reopened:</b> the resident was not satisfied. Please do it again.")
    return _task_card(t, language, view, now, tz, head)


def card_taken(t: Translator, request: Request, name: str) -> OutMessage:
    return OutMessage(
        t("{number}: taken by {name}. Thank you all the same!").format(
            number=esc(request.number), name=esc(name)
        )
    )


def card_withdrawn(t: Translator, request: Request) -> OutMessage:
    return OutMessage(t("{number}: no longer open.").format(number=esc(request.number)))


def card_declined(t: Translator, request: Request, reason: str) -> OutMessage:
    return OutMessage(
        t("{number}: you declined ({reason}).").format(
            number=esc(request.number), reason=esc(reason)
        )
    )


def task_reassigned(t: Translator, request: Request) -> OutMessage:
    return OutMessage(
        t("{number} has been given to another member by the community. Thank you!").format(
            number=esc(request.number)
        )
    )


def tasks_list(
    t: Translator, language: str, items: list[RequestView], now: datetime
) -> OutMessage:
    if not items:
        return OutMessage(t("You have no open tasks. Thank you for your service!"))
    lines = [t("<b>My tasks</b> ({count})").format(count=len(items)), ""]
    buttons = []
    for view in items:
        r = view.request
        lines.append(
            f"{TIER_ICON[r.tier]} <b>{esc(r.number)}</b> · {esc(view.category.label(language))}"
            f" · {t(TIER_SHORT[r.tier])} · {status_name(t, r.status)}"
            f" · {fmt_age(t, now - r.created_at)}"
        )
        buttons.append(
            Button(t("Open {number}").format(number=r.number), cbdata.encode(TASK, "open", r.id))
        )
    return OutMessage("\n".join(lines), buttons=rows(*buttons, width=1))


# -- prompts for the member ---------------------------------------------------------------
def note_prompt(t: Translator, request: Request) -> OutMessage:
    return OutMessage(
        t(
            "Type the progress note for <b>{number}</b>; the resident will see it. "
            "(/cancel to stop)"
        ).format(number=esc(request.number))
    )


def relay_prompt(t: Translator, request: Request) -> OutMessage:
    return OutMessage(
        t(
            "Type your message about <b>{number}</b>. It is passed on without your "
            "name, number or account. (/cancel to stop)"
        ).format(number=esc(request.number))
    )


def return_prompt(t: Translator, request: Request) -> OutMessage:
    return OutMessage(
        t(
            "Why are you handing <b>{number}</b> back? The community will see the "
            "reason. (/cancel to stop)"
        ).format(number=esc(request.number))
    )


def decline_prompt(t: Translator, request: Request) -> OutMessage:
    return OutMessage(
        t("Why can't you take <b>{number}</b>? (/cancel to stop)").format(
            number=esc(request.number)
        )
    )


def done_prompt(t: Translator, request: Request) -> OutMessage:
    return OutMessage(
        t(
            "Send photos of the result if you have any, then a short note of what "
            "was done: the note completes <b>{number}</b>. (/cancel to stop)"
        ).format(number=esc(request.number))
    )


def done_photo(t: Translator, count: int) -> OutMessage:
    return OutMessage(t("📷 {count} received. Now the note, please.").format(count=count))


def noted(t: Translator) -> OutMessage:
    return OutMessage(t("Done: the resident has been told."))


def relayed(t: Translator) -> OutMessage:
    return OutMessage(t("Your message has been passed on."))


def handed_back(t: Translator, request: Request) -> OutMessage:
    return OutMessage(
        t("{number} is back with the community. Thank you.").format(number=esc(request.number))
    )


def declined(t: Translator, request: Request) -> OutMessage:
    return OutMessage(
        t("Understood; {number} goes back to the other members.").format(
            number=esc(request.number)
        )
    )


def resolved_for_member(t: Translator, request: Request) -> OutMessage:
    return OutMessage(
        t(
            "✅ {number} is resolved. The resident is asked to rate it. Thank you "
            "for your service!"
        ).format(number=esc(request.number))
    )


def accepted_ack(t: Translator, request: Request) -> OutMessage:
    return OutMessage(
        t(
            "You took {number}. Its card above has the actions; /tasks lists all your tasks."
        ).format(number=esc(request.number))
    )


# -- to the resident ----------------------------------------------------------------------
def accepted_notice(
    t: Translator,
    language: str,
    *,
    request: Request,
    name: str,
    teams: list[ServiceTeam],
    affiliation: str | None,
    phone: str | None,
    own: bool,
) -> OutMessage:
    team_text = (
        esc(affiliation)
        if affiliation
        else t(", ").join(esc(team.label(language)) for team in teams)
    )
    text = (
        t("🤝 Your request <b>{number}</b> was accepted by {name} ({teams}).")
        if own
        else t("🤝 Request <b>{number}</b> that you follow was accepted by {name} ({teams}).")
    ).format(number=esc(request.number), name=esc(name), teams=team_text or t("volunteer"))
    if own and phone:
        text += "\n" + t("Phone: {phone}").format(phone=esc(phone))
    buttons: tuple[tuple[Button, ...], ...] = ()
    if own:
        buttons = ((Button(t("💬 Message the helper"), cbdata.encode(RELAY, "w", request.id)),),)
    return OutMessage(text, buttons=buttons)


def progress_notice(
    t: Translator, language: str, *, request: Request, text: str, own: bool
) -> OutMessage:
    head = (
        t("📝 Progress on your request <b>{number}</b>:")
        if own
        else t("📝 Progress on <b>{number}</b> that you follow:")
    )
    return OutMessage(head.format(number=esc(request.number)) + "\n" + esc(text))


def relay_message(t: Translator, request: Request, text: str, *, to_resident: bool) -> OutMessage:
    """A relayed message: the words and the request number, nothing that identifies anyone."""
    head = (
        t("💬 The helper of your request <b>{number}</b> writes:")
        if to_resident
        else t("💬 The resident of <b>{number}</b> writes:")
    )
    return OutMessage(
        head.format(number=esc(request.number)) + "\n" + esc(text),
        buttons=((Button(t("↩ Reply"), cbdata.encode(RELAY, "w", request.id)),),),
    )


# -- to the admins ------------------------------------------------------------------------
def assign_button(t: Translator, request: Request) -> Button:
    """Assign, or reassign when a member has it (the card says who)."""
    label = t("👤 Reassign") if request.assignee_id is not None else t("👤 Assign a member")
    return Button(label, cbdata.encode(ASSIGN, "r", request.id))


def _admin_flag(
    t: Translator,
    language: str,
    title: str,
    request: Request,
    category: Category,
    path: list[OrgUnit],
    extra: tuple[Button, ...] = (),
) -> OutMessage:
    lines = [
        title,
        f"{TIER_ICON[request.tier]} <b>{esc(request.number)}</b> · "
        f"{esc(category.label(language))} · {t(TIER_SHORT[request.tier])}",
        t("Compound: {place}").format(place=esc(path[-1].label(language)) if path else ""),
        t("Description: {text}").format(text=esc(request.description)),
    ]
    buttons: tuple[tuple[Button, ...], ...] = (
        (Button(t("👤 Assign a member"), cbdata.encode(ASSIGN, "r", request.id)),),
    )
    if extra:
        buttons += (extra,)
    if request.tier is Tier.DIFFICULT:  # 难事合力办: the departments act together
        whistle = cbdata.encode(WHISTLE_FLOW, "go", request.id)
        buttons += ((Button(t("🔔 Blow the whistle to departments"), whistle),),)
    return OutMessage("\n".join(lines), buttons=buttons)


def community_flag(
    t: Translator, language: str, request: Request, category: Category, path: list[OrgUnit]
) -> OutMessage:
    """A request of a category the community's administrators handle themselves."""
    return _admin_flag(
        t,
        language,
        t("📋 <b>A request for the community to handle</b> (not offered to the members)"),
        request,
        category,
        path,
        (convene_button(t, request.id),),
    )


def unmanaged_flag(
    t: Translator, language: str, request: Request, category: Category, path: list[OrgUnit]
) -> OutMessage:
    """A property matter of a compound with no branch, owners' committee or property company
    (三无小区): the community acts for it."""
    return _admin_flag(
        t,
        language,
        t(
            "🏚 <b>A property matter of a compound without a property company, owners'"
            " committee or party branch:</b> the community acts for it."
        ),
        request,
        category,
        path,
    )


def no_pool_flag(
    t: Translator, language: str, request: Request, category: Category, path: list[OrgUnit]
) -> OutMessage:
    return _admin_flag(
        t,
        language,
        t(
            "⏳ <b>No member is available for this request now.</b> It will be "
            "offered again; you can also assign someone."
        ),
        request,
        category,
        path,
    )


def returned_flag(
    t: Translator,
    language: str,
    request: Request,
    category: Category,
    path: list[OrgUnit],
    name: str,
    reason: str,
) -> OutMessage:
    return _admin_flag(
        t,
        language,
        t("↩ <b>{name} handed a task back:</b> {reason}").format(
            name=esc(name), reason=esc(reason)
        ),
        request,
        category,
        path,
    )


def declined_flag(
    t: Translator,
    language: str,
    request: Request,
    category: Category,
    path: list[OrgUnit],
    name: str,
    reason: str,
) -> OutMessage:
    return _admin_flag(
        t,
        language,
        t("🚫 <b>{name} declined the task you assigned:</b> {reason}").format(
            name=esc(name), reason=esc(reason)
        ),
        request,
        category,
        path,
    )


# -- assigning by hand ---------------------------------------------------------------------
def assign_start(
    t: Translator, language: str, request: Request, teams: list[ServiceTeam]
) -> OutMessage:
    buttons = [
        Button(team.label(language), cbdata.encode(ASSIGN, "t", request.id, team.id))
        for team in teams
    ]
    return OutMessage(
        t(
            "Assign <b>{number}</b>: choose a service team, show all members, or type part of a "
            "name."
        ).format(number=esc(request.number)),
        buttons=(
            *rows(*buttons, width=2),
            (Button(t("All members nearby"), cbdata.encode(ASSIGN, "all", request.id)),),
        ),
    )


def assign_members(
    t: Translator,
    language: str,
    request: Request,
    members: list[Member],
    compounds: dict[int, str],
) -> OutMessage:
    if not members:
        return OutMessage(
            t("No available member found. Try another team or name."),
            buttons=((Button(t("« Back"), cbdata.encode(ASSIGN, "b", request.id)),),),
        )
    buttons = [
        Button(
            f"{m.real_name} · {compounds.get(m.compound_id, '')}",
            cbdata.encode(ASSIGN, "m", request.id, m.person_id),
        )
        for m in members
    ]
    return OutMessage(
        t("Choose the member for <b>{number}</b>:").format(number=esc(request.number)),
        buttons=(
            *rows(*buttons, width=1),
            (Button(t("« Back"), cbdata.encode(ASSIGN, "b", request.id)),),
        ),
    )


def assigned(t: Translator, request: Request, name: str) -> OutMessage:
    return OutMessage(
        t("📌 {number} was offered to {name}; they can accept or decline.").format(
            number=esc(request.number), name=esc(name)
        )
    )
